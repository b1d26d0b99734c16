"""`hotline db backup FILE`: a consistent copy of the database while the bot keeps running.

SQLite: the online backup API copies the file page by page under a read transaction, so the copy is one
committed state even while the bot writes (WAL included). PostgreSQL: `pg_dump --format=custom`, restored with
`pg_restore`; the password goes to pg_dump through its environment, never its command line. Backups hold
personal data, so the file is made readable by its owner only.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import urllib.parse
from pathlib import Path

__all__ = ["BackupError", "backup"]

PAGES_PER_STEP = 1024  # the writer may commit between steps; the backup then restarts from those pages


class BackupError(Exception):
    """A backup that could not be made; the message says what to do."""


def _owner_only(path: Path) -> None:
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)


def _sqlite(source: Path, target: Path) -> None:
    if not source.exists():
        raise BackupError(f"no database at {source}")
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    _owner_only(partial)
    src = sqlite3.connect(source)
    dst = sqlite3.connect(partial)
    try:
        src.backup(dst, pages=PAGES_PER_STEP)
        if dst.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise BackupError("the copy failed its integrity check; try again")
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
    finally:
        dst.close()
        src.close()
    os.replace(partial, target)


def _pg_command(url: str, target: Path) -> tuple[list[str], dict[str, str]]:
    parts = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qs(parts.query)
    env = {**os.environ}
    for var, value in (("PGHOST", parts.hostname), ("PGPORT", parts.port), ("PGUSER", parts.username),
                       ("PGPASSWORD", parts.password), ("PGDATABASE", parts.path.lstrip("/"))):
        if value:
            env[var] = urllib.parse.unquote(str(value))
    if "sslmode" in query:
        env["PGSSLMODE"] = query["sslmode"][0]
    command = ["pg_dump", "--format=custom", "--no-owner", f"--file={target}"]
    command += [f"--schema={schema}" for schema in query.get("search_path", [])]
    return command, env


async def _postgres(url: str, target: Path) -> None:
    if shutil.which("pg_dump") is None:
        raise BackupError("pg_dump is not installed (Debian: apt-get install postgresql-client); "
                          "or run `pg_dump --format=custom` on the database server")
    command, env = _pg_command(url, target)
    _owner_only(target)
    process = await asyncio.create_subprocess_exec(*command, env=env, stdout=asyncio.subprocess.DEVNULL,
                                                   stderr=asyncio.subprocess.PIPE)
    _, stderr = await process.communicate()
    if process.returncode != 0:
        raise BackupError(f"pg_dump failed: {stderr.decode(errors='replace').strip()}")


async def backup(url: str, target: Path) -> None:
    """Writes a backup of the database at `url` to `target` (an absolute path)."""
    if url.startswith("sqlite:///"):
        await asyncio.to_thread(_sqlite, Path(url.removeprefix("sqlite:///")), target)
    elif url.startswith(("postgresql://", "postgres://")):
        await _postgres(url, target)
    else:
        raise BackupError(f"unsupported database URL {url.split(':', 1)[0]!r}")
