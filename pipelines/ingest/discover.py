"""Find the files in the drop zone and recognise what each one is.

The kind of a file (groups, survey, attendance) comes from its header, because file
names are whatever a field officer typed; the name only breaks a tie.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from schemas import CONTRACTS

READABLE_SUFFIXES = frozenset({".csv", ".tsv", ".txt"})

# Columns whose presence identifies a kind, most specific first.
KIND_SIGNATURES: tuple[tuple[str, frozenset[str]], ...] = (
    ("attendance", frozenset({"group_id", "session_date", "participant_id"})),
    ("survey", frozenset({"participant_id", "wave"})),
    ("groups", frozenset({"group_id", "start_date"})),
)


@dataclass(frozen=True)
class RawFile:
    path: Path
    source_file: str  # relative to raw/, with forward slashes: stable across machines
    sha256: str
    mtime_ns: int = 0

    @property
    def readable(self) -> bool:
        return self.path.suffix.lower() in READABLE_SUFFIXES


def sha256_of(path: Path, block: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(block):
            digest.update(chunk)
    return digest.hexdigest()


def discover(raw_dir: Path) -> list[RawFile]:
    """Every non-hidden file under ``raw_dir``, in a stable order."""
    if not raw_dir.is_dir():
        return []
    found = []
    for path in sorted(raw_dir.rglob("*")):
        relative = path.relative_to(raw_dir)
        if not path.is_file() or any(part.startswith(".") for part in relative.parts):
            continue
        found.append(RawFile(path, relative.as_posix(), sha256_of(path), path.stat().st_mtime_ns))
    return found


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
