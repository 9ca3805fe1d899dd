"""Output files that are whole or absent, never half written.

A run can die at any instruction (SIGKILL, power loss, the out-of-memory killer). Every
chart, figure table and report is therefore written to a hidden temporary name beside
its target, flushed to disk and renamed over the target: a reader sees the old file or
the new one. Temporary files a killed run left behind are swept by the next writer of
the folder (writers hold the warehouse lock, so no live writer's file is swept).
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

TEMPORARY_MARK = ".partial-"


def _temporary(path: Path) -> Path:
    return path.with_name(f".{path.name}{TEMPORARY_MARK}{os.getpid()}")


@contextmanager
def replacing(path: Path) -> Iterator[Path]:
    """Yield a temporary path to write; on success it becomes ``path`` in one rename.
    On an exception the temporary file is removed and ``path`` is left as it was."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = _temporary(path)
    try:
        yield temporary
        with temporary.open("rb") as written:
            os.fsync(written.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def write_bytes(path: Path, data: bytes) -> None:
    with replacing(path) as temporary:
        temporary.write_bytes(data)


def write_text(path: Path, text: str) -> None:
    write_bytes(path, text.encode("utf-8"))


def sweep(folder: Path) -> int:
    """Remove what killed writers left under ``folder``; return how many files."""
    if not folder.is_dir():
        return 0
    left = [p for p in folder.rglob(f".*{TEMPORARY_MARK}*") if p.is_file()]
    for path in left:
        path.unlink(missing_ok=True)
    return len(left)


SLUG_SAFE = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*")
SLUG_MAX_CHARS = 60
SLUG_HASH_CHARS = 8


def slug(text: str) -> str:
    """A file-name-safe, collision-free form of a programme id (ids come from the
    field's files): the id itself when it is already safe (``BRC-WWC``), so existing
    folders and figure ids never move; otherwise its safe characters plus a short hash
    of the whole id, so ``COL/1`` and ``COL 1`` get two folders, never one."""
    text = str(text)
    if not text.strip():
        raise ValueError("an empty programme id cannot name a folder")
    if SLUG_SAFE.fullmatch(text) and len(text) <= SLUG_MAX_CHARS:
        return text
    readable = re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-.")[:SLUG_MAX_CHARS] or "id"
    return f"{readable}-{hashlib.sha256(text.encode('utf-8')).hexdigest()[:SLUG_HASH_CHARS]}"
