"""SQLite's group commit: a failing write leaves nothing behind, whether it had its commit alone or shared it."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.store.sqlite_writer import GroupCommitter


def _create(db: sqlite3.Connection) -> None:
    db.execute("CREATE TABLE t (n INTEGER PRIMARY KEY)")


def _insert(n: int, fail: bool = False) -> Callable[[sqlite3.Connection], int]:
    def write(db: sqlite3.Connection) -> int:
        db.execute("INSERT INTO t (n) VALUES (?)", (n,))
        if fail:
            raise ValueError("after the insert")
        return n

    return write


def _rows(path: Path) -> list[int]:
    with sqlite3.connect(path) as db:
        return [n for (n,) in db.execute("SELECT n FROM t ORDER BY n")]


async def test_a_write_alone_is_undone_when_it_fails(tmp_path: Path) -> None:
    writer = GroupCommitter(tmp_path / "w.sqlite3")
    await writer.start()
    try:
        await writer.run(_create)
        with pytest.raises(ValueError):
            await writer.run(_insert(1, fail=True))
        assert await writer.run(_insert(2)) == 2
    finally:
        await writer.stop()
    assert _rows(tmp_path / "w.sqlite3") == [2]


async def test_writes_sharing_a_commit_fail_one_by_one(tmp_path: Path) -> None:
    writer = GroupCommitter(tmp_path / "w.sqlite3")
    await writer.start()
    try:
        await writer.run(_create)
        results = await asyncio.gather(*(writer.run(_insert(n, fail=n == 3)) for n in range(6)),
                                       return_exceptions=True)
    finally:
        await writer.stop()
    assert [type(r).__name__ for r in results] == ["int", "int", "int", "ValueError", "int", "int"]
    assert _rows(tmp_path / "w.sqlite3") == [0, 1, 2, 4, 5]
