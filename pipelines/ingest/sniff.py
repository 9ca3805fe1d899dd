"""What a delimited text file is written in: its encoding, its delimiter, its header.

DuckDB reads UTF-8 (and UTF-16) only; Cyrillic and Polish Excel still save Windows
code pages. So the encoding is decided here, from the bytes, and anything that is not
UTF-8 is transcoded to a temporary UTF-8 copy in streaming chunks before DuckDB reads
it (``transcode``). The header is parsed here with Python's ``csv`` because it decides
how the whole file is read (``plan.py``). It is one record like any other, read under
the same cap (``cells.MAX_RECORD_BYTES``), and what is wrong with it costs as little
as it can: a cell too long to be a column's name is ignored, named by its length; a
quote that never closes, or closes only in a later line after taking in a separator or
more than a column name's length (a stray quote swallowing data rows, not a name with a
line break in it), ends the header at its first line, and the records are read from
line 2 on (``Header.first_line_only``); only a header longer than the cap refuses the
file.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.ingest.cells import MAX_RECORD_BYTES, record_fields
from pipelines.ingest.normalise import VALUE_DISPLAY_CHARS

DELIMITERS = (",", ";", "\t")
SNIFF_BYTES = 256 * 1024
TRANSCODE_CHUNK_CHARS = 1 << 20
# A header cell longer than this names no column (a KoboToolbox label, the longest
# header there is, is a sentence or two): it is kept as its first characters and its
# length, and the plan ignores it, so that a pasted text costs that column only.
MAX_HEADER_CELL_CHARS = 1_000


class UnreadableFile(Exception):
    """The file cannot be read as delimited text; the message says why, for a person."""


@dataclass(frozen=True)
class Dialect:
    encoding: str
    delimiter: str


@dataclass
class Header:
    cells: list[str]
    notes: list[str] = field(default_factory=list)  # what was wrong with it, for the file's log
    first_line_only: bool = False  # the header is line 1 alone: records are read from line 2 on


def detect_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM), UTF-16, or the Windows code page of Cyrillic or
    Polish Excel. DuckDB reads only UTF-8/16 and Latin-1, so this is decided here."""
    with path.open("rb") as fh:
        head = fh.read(SNIFF_BYTES)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if not head:
        raise UnreadableFile("the file is empty (0 bytes)")
    if b"\x00" in head[:4096]:
        raise UnreadableFile("the file contains binary data; save it as CSV (comma or semicolon separated)")
    if _is_utf8(path):
        return "utf-8"
    return cyrillic_or_central_european(head)


def cyrillic_or_central_european(data: bytes) -> str:
    """Tell Windows-1251 from Windows-1250 by the shape of words.

    In Russian, Ukrainian or Belarusian text every letter of a word is a byte above
    127, while Polish words mix a few such bytes (ą, ł, ó, ż …) into ASCII letters.
    Counting the two kinds of word is reliable even on a short file, where statistical
    detectors guess.
    """
    words = re.findall(rb"[A-Za-z\x80-\xff]+", data)
    high_only = sum(1 for word in words if re.fullmatch(rb"[\x80-\xff]+", word))
    mixed = sum(1 for word in words if re.search(rb"[\x80-\xff]", word) and re.search(rb"[A-Za-z]", word))
    return "cp1250" if mixed > high_only else "cp1251"


def _is_utf8(path: Path) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with path.open("rb") as fh:
            while chunk := fh.read(1 << 20):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def detect_delimiter(header_line: str) -> str:
    """The separator the header uses most (outside quotes); comma on a tie."""
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for char in header_line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(DELIMITERS, key=lambda d: (counts[d], d == ","))
    return best if counts[best] else ","


def sniff(path: Path) -> Dialect:
    encoding = detect_encoding(path)
    with path.open(encoding=encoding, newline="", errors="replace") as fh:
        header_line = fh.readline(SNIFF_BYTES)
    if not header_line.strip():
        raise UnreadableFile("the file is empty or its first line is blank; the first line must be the header")
    return Dialect(encoding, detect_delimiter(header_line))


def read_header(path: Path, dialect: Dialect) -> Header:
    """The header's cells, read from the file's first ``MAX_RECORD_BYTES`` characters
    (see the module docstring for what happens to a header that is not well formed)."""
    with path.open(encoding=dialect.encoding, newline="", errors="replace") as fh:
        head = fh.read(MAX_RECORD_BYTES + 1)
    cut, head = len(head) > MAX_RECORD_BYTES, head[:MAX_RECORD_BYTES]
    first_line = re.match(r"[^\r\n]*", head).group()
    text = io.StringIO(head, newline="")
    with record_fields():
        try:
            cells = next(csv.reader(text, delimiter=dialect.delimiter), [])
            record = head[:text.tell()]
            notes, first_line_only = [], False
            never_closed = record.count('"') % 2 and not (cut and first_line == head)  # else it runs to the cap
            if never_closed or _swallows_rows(cells, dialect.delimiter):
                lines = record.rstrip("\r\n").count("\n") + 1
                cells = next(csv.reader([first_line], delimiter=dialect.delimiter), [])
                record, first_line_only = first_line, True
                closed = "is never closed" if never_closed else f"is closed only on line {lines}"
                notes.append(f"a quotation mark in column {len(cells)} of the header (line 1) {closed}: the "
                             "header was read as that line alone, and the records from line 2 on")
        except csv.Error as exc:
            raise UnreadableFile(f"its header (line 1) could not be read: {exc}") from None
    if cut and len(record) == len(head):
        raise UnreadableFile(f"its header (line 1) is longer than {MAX_RECORD_BYTES:,} characters; check it for "
                             "a missing line break or a pasted text")
    return Header([_name(cell) for cell in cells], notes, first_line_only)


def _swallows_rows(cells: list[str], delimiter: str) -> bool:
    """Whether a quoted header cell runs over into later lines and takes in what only
    rows hold: a separator, or more than a column name's length. A name with a line
    break in it (Excel's Alt+Enter, saved as CSV) is neither, and stays one cell."""
    return any(("\n" in cell or "\r" in cell) and (delimiter in cell or len(cell) > MAX_HEADER_CELL_CHARS)
               for cell in cells)


def _name(cell: str) -> str:
    """A header cell, or, if too long to name a column, its first characters and length."""
    if len(cell) <= MAX_HEADER_CELL_CHARS:
        return cell
    return f"{cell[:VALUE_DISPLAY_CHARS]}… ({len(cell):,} characters)"


def head_records(path: Path, dialect: Dialect, count: int = 2) -> list[list[str]]:
    """The first records (header first), for decisions taken on the head: the HXL row."""
    with path.open(encoding=dialect.encoding, newline="", errors="replace") as fh:
        text = fh.read(SNIFF_BYTES)
    try:
        return [row for _, row in zip(range(count), csv.reader(io.StringIO(text), delimiter=dialect.delimiter))]
    except csv.Error:
        return []


def is_hxl(row: list[str]) -> bool:
    """KoboToolbox may add a second header row of HXL tags: every filled cell starts with #."""
    filled = [cell.strip() for cell in row if cell.strip()]
    return bool(filled) and all(cell.startswith("#") for cell in filled)


def needs_transcoding(dialect: Dialect) -> bool:
    return dialect.encoding not in ("utf-8", "utf-8-sig")


def transcode(path: Path, dialect: Dialect, target: Path) -> int:
    """Write ``path`` as UTF-8 to ``target`` in chunks; returns the characters that
    could not be decoded (each written as U+FFFD, and said in the file's log)."""
    replaced = 0
    with path.open(encoding=dialect.encoding, newline="", errors="replace") as src, target.open(
        "w", encoding="utf-8", newline=""
    ) as dst:
        while chunk := src.read(TRANSCODE_CHUNK_CHARS):
            replaced += chunk.count("\ufffd")
            dst.write(chunk)
    return replaced
