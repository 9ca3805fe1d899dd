"""What a delimited text file is written in: its encoding, its delimiter, its header.

DuckDB reads UTF-8 (and UTF-16) only; Cyrillic and Polish Excel still save Windows
code pages. So the encoding is decided here, from the bytes, and anything that is not
UTF-8 is transcoded to a temporary UTF-8 copy in streaming chunks before DuckDB reads
it (``transcode``). The header is parsed here with Python's ``csv`` because it decides
how the whole file is read (``plan.py``).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

DELIMITERS = (",", ";", "\t")
SNIFF_BYTES = 256 * 1024
TRANSCODE_CHUNK_CHARS = 1 << 20


class UnreadableFile(Exception):
    """The file cannot be read as delimited text; the message says why, for a person."""


@dataclass(frozen=True)
class Dialect:
    encoding: str
    delimiter: str


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


def read_header(path: Path, dialect: Dialect) -> list[str]:
    """The header's cells; a header longer than the sniffed head is read in full."""
    with path.open(encoding=dialect.encoding, newline="", errors="replace") as fh:
        return next(csv.reader(fh, delimiter=dialect.delimiter), [])


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
