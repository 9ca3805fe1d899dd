"""Output files that are whole or absent, never half written.

A run can die at any instruction (SIGKILL, power loss, the out-of-memory killer). Every
chart, figure table and report is therefore written to a hidden temporary name beside
its target, flushed to disk and renamed over the target: a reader sees the old file or
the new one. Temporary files a killed run left behind are swept by the next writer of
the folder (writers hold the warehouse lock, so no live writer's file is swept).
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

TEMPORARY_MARK = ".partial-"


class FolderError(RuntimeError):
    """An output folder cannot be created or written: one sentence naming it."""


def writable_folder(folder: Path, what: str) -> Path:
    """``folder``, created if needed, or ``FolderError`` saying the ``what`` cannot be
    written there and why (a file in the way, no permission, a full disk)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if not os.access(folder, os.W_OK):
            raise PermissionError(errno.EACCES, "permission denied")
    except OSError as exc:
        raise FolderError(f"cannot write the {what} to {folder}: {exc.strerror or exc}; check that the data "
                          "root's processed/ folder is writable by this user") from exc
    return folder


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
SLUG_LONG_HASH_CHARS = 16  # a hashed slug that is another id's plain folder


class FolderCollision(ValueError):
    """Two distinct ids would name one folder: one sentence naming both."""


def _digest(text: str, chars: int = SLUG_HASH_CHARS) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:chars]


def slug(text: str, *, hashed: bool = False, chars: int = SLUG_HASH_CHARS) -> str:
    """A file-name-safe form of a programme id (ids come from the field's files): the id
    itself when it is already safe (``BRC-WWC``, ``PRG-20240101``), so existing folders
    and figure ids never move; otherwise — or with ``hashed`` — its safe characters plus
    the first ``chars`` hex digits of a hash of the whole id, so ``COL/1`` and ``COL 1``
    get two folders, never one. Ids that meet anyway (``COL/1`` beside an id spelled
    ``COL-1-d8958a89``, or two differing only in letter case) are told apart by
    ``slugs``, which sees them all."""
    text = str(text)
    if not text.strip():
        raise ValueError("an empty programme id cannot name a folder")
    if not hashed and SLUG_SAFE.fullmatch(text) and len(text) <= SLUG_MAX_CHARS:
        return text
    readable = re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-.")[:SLUG_MAX_CHARS] or "id"
    return f"{readable}-{_digest(text, chars)}"


def slugs(ids: Iterable[str], *, reserved: Iterable[str] = ()) -> dict[str, str]:
    """Each of ``ids`` → its ``slug``, distinct from every other's and from the
    ``reserved`` names even where letter case is not told apart (the file systems of
    macOS and Windows). Every safe id keeps its plain folder unless that is a reserved
    name or another's but for case (``brc-wwc`` beside ``BRC-WWC``: the id that sorts
    first keeps it); those and the unsafe ids are hashed, and a hashed slug that is some
    id's plain folder or a reserved name (``COL/1`` beside an id spelled
    ``COL-1-d8958a89``) takes a longer digest. Two that still meet (two equal hashes)
    raise ``FolderCollision``; the result does not depend on the order of ``ids``."""
    ordered = sorted({str(i) for i in ids})
    plain: dict[str, str | None] = {name.casefold(): None for name in reserved}
    found: dict[str, str] = {}
    for text in ordered:
        if slug(text) == text and text.casefold() not in plain:
            plain[text.casefold()] = found[text] = text
    taken = dict(plain)
    for text in (t for t in ordered if t not in found):
        name = slug(text, hashed=True)
        if name.casefold() in plain:
            name = slug(text, hashed=True, chars=SLUG_LONG_HASH_CHARS)
        other = taken.setdefault(name.casefold(), text)
        if other is None:
            raise FolderCollision(f"the programme id {text!r} would take the reserved folder {name!r}; "
                                  "rename the programme in its files")
        if other != text:
            raise FolderCollision(f"the programme ids {other!r} and {text!r} would share the folder {name!r}; "
                                  "rename one of them in its files")
        found[text] = name
    return found
