"""Read a delimited text file as it really arrives: any common encoding and delimiter,
streamed in batches so memory depends on the batch size, never on the file size.
"""

from __future__ import annotations

import codecs
import csv
import gc
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

import pandas as pd

DELIMITERS = (",", ";", "\t")
SNIFF_BYTES = 256 * 1024
DEFAULT_BATCH_ROWS = 100_000


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
    with path.open(encoding=encoding, newline="") as fh:
        header_line = fh.readline()
    if not header_line.strip():
        raise UnreadableFile("the file is empty or its first line is blank; the first line must be the header")
    return Dialect(encoding, detect_delimiter(header_line))


@dataclass
class Batch:
    """Raw cells as strings, one column per header cell, and each row's line in the file."""

    cells: pd.DataFrame
    lines: pd.Series
    ragged: pd.DataFrame  # line, cells_found: rows with more non-empty cells than the header


def _is_hxl(row: list[str]) -> bool:
    """KoboToolbox may add a second header row of HXL tags: every filled cell starts with #."""
    filled = [cell.strip() for cell in row if cell.strip()]
    return bool(filled) and all(cell.startswith("#") for cell in filled)


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Pause Python's cycle collector while a batch of rows is built.

    A batch holds a hundred thousand row lists, none of which can form a cycle, yet
    every few hundred new lists the collector walks all of them again: a third of the
    reading time. It is paused only while rows are read, never across a ``yield``, so
    the caller's code runs with the collector as it found it.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def read_header(path: Path, dialect: Dialect) -> list[str]:
    with path.open(encoding=dialect.encoding, newline="") as fh:
        return next(csv.reader(fh, delimiter=dialect.delimiter), [])


def batches(path: Path, dialect: Dialect, batch_rows: int = DEFAULT_BATCH_ROWS) -> Iterator[Batch]:
    """Stream the data rows. Blank rows and an HXL tag row are not data and are skipped.

    Rows shorter than the header are padded (Excel drops trailing empty cells); rows
    with extra non-empty cells are reported as ragged rather than guessed at.
    """
    with path.open(encoding=dialect.encoding, newline="", errors="strict") as fh:
        reader = csv.reader(fh, delimiter=dialect.delimiter)
        header = next(reader, [])
        width = len(header)
        first = True
        while True:
            rows, lines, ragged = [], [], []
            consumed = 0
            previous_line = reader.line_num
            with _no_cycle_collection():
                for row in islice(reader, batch_rows):
                    consumed += 1
                    line = previous_line + 1  # a quoted cell may span lines: count from the reader
                    previous_line = reader.line_num
                    if first:
                        first = False
                        if _is_hxl(row):
                            continue
                    # Blank: no cell holds more than spaces. The first cell decides most rows.
                    if not (row and row[0].strip()) and not "".join(row).strip():
                        continue
                    if len(row) != width:
                        if len(row) > width and any(cell.strip() for cell in row[width:]):
                            ragged.append((line, len(row)))
                            continue
                        row = row[:width] + [""] * (width - len(row))
                    rows.append(row)
                    lines.append(line)
            if not consumed:
                return
            if not rows and not ragged:
                continue
            batch = Batch(
                cells=pd.DataFrame(rows, columns=range(width), dtype="str"),
                lines=pd.Series(lines, dtype="int64"),
                ragged=pd.DataFrame(ragged, columns=["line", "cells_found"]),
            )
            del rows  # free the row lists before the caller works on the batch
            yield batch
