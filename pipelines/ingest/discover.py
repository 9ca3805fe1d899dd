"""Find every path in the drop zone, decide which are read, and recognise their kind.

Every path under ``raw/`` gets one entry, and so one ``ingest_log`` row, with a status
and a sentence: nothing there is passed over without a word. What is not read:

- a link that leads outside the data root (``refused``: it is never opened, so a link
  cannot make the pipeline read a file the drop zone does not hold); a link to a
  folder inside the root is not followed (its files are listed where they are);
- hidden files and folders, whose names start with a dot (``skipped``: editors' lock
  files and system files; a hidden folder is one row and is not entered);
- folders named like data files (``survey.csv/``: ``skipped``, their files are listed);
- files of other types (``skipped``) and files that ``aai.toml`` marks ``ignored``.

The kind of a file (groups, survey, attendance) comes from its header, because file
names are whatever a field officer typed; the name only breaks a tie.
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from schemas import CONTRACTS

TEXT_SUFFIXES = frozenset({".csv", ".tsv", ".txt"})
WORKBOOK_SUFFIXES = frozenset({".xlsx", ".xls", ".ods"})  # read sheet by sheet (workbook.py)
READABLE_SUFFIXES = TEXT_SUFFIXES | WORKBOOK_SUFFIXES
# A folder with one of these suffixes is a mistake worth a word (a zip unpacked into
# ``survey.csv/``, a folder typed for a file).
DATA_LIKE_SUFFIXES = READABLE_SUFFIXES

# Columns whose presence identifies a kind, most specific first.
KIND_SIGNATURES: tuple[tuple[str, frozenset[str]], ...] = (
    ("attendance", frozenset({"group_id", "session_date", "participant_id"})),
    ("survey", frozenset({"participant_id", "wave"})),
    ("groups", frozenset({"group_id", "start_date"})),
)

# What ``refused`` says of a link that leads outside the data root.
LINK_OUT_OF_ROOT = {"file": "a link to a file outside the data root; not read",
                    "folder": "a link to a folder outside the data root; not followed"}


@dataclass(frozen=True)
class RawFile:
    """One path under raw/. ``status`` is set when the path is decided without being
    read (refused, skipped, ignored); otherwise the file is read."""

    path: Path
    source_file: str  # relative to raw/, with forward slashes: stable across machines
    sha256: str | None
    mtime_ns: int = 0
    status: str | None = None
    message: str = ""

    @property
    def readable(self) -> bool:
        return self.status is None


def sha256_of(path: Path, block: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(block):
            digest.update(chunk)
    return digest.hexdigest()


def file_entry(path: Path, source_file: str) -> RawFile:
    """The entry of a regular file: read when its type is readable."""
    if path.suffix.lower() not in READABLE_SUFFIXES:
        return RawFile(path, source_file, None, status="skipped",
                       message="not a .csv, .tsv, .txt, .xlsx, .xls or .ods file; skipped")
    try:
        return RawFile(path, source_file, sha256_of(path), path.stat().st_mtime_ns)
    except OSError as exc:
        return RawFile(path, source_file, None, status="unreadable",
                       message=f"the file could not be opened ({exc.strerror or type(exc).__name__})")


def named_entry(path: Path, source_file: str, raw_dir: Path) -> RawFile:
    """The entry of a file named on the command line (``aai check``): refused with
    ``discover``'s sentence when it lies under ``raw_dir`` behind a link — its own or
    a folder's — that leads outside (``aai run`` would not read it either); else
    ``file_entry``. A file elsewhere is read wherever its path leads."""
    root = raw_dir.resolve()
    location = Path(os.path.abspath(path))
    for link in (location, *location.parents):
        if link.is_symlink() and _inside(link.parent, root) and not _inside(link, root):
            message = LINK_OUT_OF_ROOT["file" if link == location else "folder"]
            return RawFile(path, source_file, None, status="refused", message=message)
    return file_entry(path, source_file)


def discover(raw_dir: Path, ignore: tuple[str, ...] = ()) -> list[RawFile]:
    """One entry per path under ``raw_dir``, in a stable order; see the module docstring.

    ``ignore`` holds glob patterns relative to raw/ (``aai.toml``'s ``[ingest] ignore``).
    """
    if not raw_dir.is_dir():
        return []
    root = raw_dir.resolve()
    found: list[RawFile] = []
    for folder, dirs, names in os.walk(raw_dir, followlinks=False):
        here = Path(folder)
        dirs.sort()
        for name in list(dirs):
            path = here / name
            relative = path.relative_to(raw_dir).as_posix()
            entry = _folder_entry(path, relative, root)
            if entry is not None:
                found.append(entry)
            if name.startswith(".") or path.is_symlink():
                dirs.remove(name)  # not entered
        for name in sorted(names):
            path = here / name
            relative = path.relative_to(raw_dir).as_posix()
            found.append(_entry(path, relative, root, ignore))
    return sorted(found, key=lambda entry: entry.source_file)


def _folder_entry(path: Path, relative: str, root: Path) -> RawFile | None:
    if path.is_symlink():
        if not _inside(path, root):
            return RawFile(path, relative, None, status="refused", message=LINK_OUT_OF_ROOT["folder"])
        return RawFile(path, relative, None, status="skipped",
                       message="a link to a folder inside raw/; its files are read where they are")
    if path.name.startswith("."):
        return RawFile(path, relative, None, status="skipped",
                       message="a hidden folder (its name starts with a dot); its files are not read")
    if path.suffix.lower() in DATA_LIKE_SUFFIXES:
        return RawFile(path, relative, None, status="skipped",
                       message="a folder named like a data file; only the files inside it are read")
    return None


def _entry(path: Path, relative: str, root: Path, ignore: tuple[str, ...]) -> RawFile:
    if path.is_symlink() and not _inside(path, root):
        return RawFile(path, relative, None, status="refused", message=LINK_OUT_OF_ROOT["file"])
    if any(part.startswith(".") for part in relative.split("/")):
        return RawFile(path, relative, None, status="skipped",
                       message="a hidden file (its name starts with a dot); not read")
    if any(fnmatch.fnmatch(relative, pattern) for pattern in ignore):
        return RawFile(path, relative, None, status="ignored",
                       message="marked ignored in aai.toml ([ingest] ignore); not read")
    if not path.is_file():
        return RawFile(path, relative, None, status="skipped",
                       message="not a regular file (a device, a pipe or a broken link); not read")
    return file_entry(path, relative)


def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root)
    except (ValueError, OSError, RuntimeError):
        return False
    return True


def detect_kind(columns: set[str], file_name: str) -> str | None:
    """The kind whose signature columns the header carries; the file name breaks ties."""
    matches = [kind for kind, needed in KIND_SIGNATURES if needed <= columns]
    if not matches:
        return None
    if len(matches) > 1:
        named = [kind for kind in matches if kind in file_name.lower()]
        if named:
            return named[0]
    # Prefer the kind that explains most of the header.
    return max(matches, key=lambda kind: len(columns & set(CONTRACTS[kind].to_schema().columns)))
