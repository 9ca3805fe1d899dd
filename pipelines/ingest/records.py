"""Where each record of a delimited file starts: one vectorised pass over its bytes.

DuckDB's CSV reader numbers the records it rejects (the header is record 1, a blank
line counts, a quoted cell spanning lines counts once) but says nothing about the
records it accepts, and nothing about physical lines. A field officer looks for a
*line* in Excel or a text editor, so this pass finds, with NumPy over 4 MiB chunks,
the newlines that end a record (those outside quotes: an even number of ``"`` before
them), and from them:

- the number of records,
- which records are blank (DuckDB skips them silently), as runs of consecutive blank
  records,
- where a record spans several physical lines, so that ``line = record + extra``
  where ``extra`` changes only after such a record (kept as one step per such record),
- whether the file ends inside an open quote, and where that record starts: DuckDB
  reads everything after an unterminated ``"`` as one cell, so the caller cuts that
  record at its first line and reads on from the next.

Memory is the chunk plus two int64 (16 bytes) per run of blank records and per
multi-line record, in NumPy arrays (a piece per chunk, joined at the end), never one
Python object per record: three million blank lines in a row are one run, where a
list of ints and the sets built from it once took 750 MB. The file must be UTF-8
(``"`` and newline are single bytes there).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

# A chunk's index arrays take up to about 60 bytes per newline in it while it is
# scanned: 15 MB for a chunk of 256 KiB of blank lines.
CHUNK_BYTES = 256 << 10
NEWLINE, QUOTE, CR = 10, 34, 13
EMPTY = np.zeros(0, dtype=np.int64)


@dataclass
class RecordMap:
    """What the pass found; record numbers start at 1 (the header), as DuckDB's."""

    records: int = 0
    # runs of consecutive blank records, sorted: first record and length (adjacent runs
    # are not merged across chunks)
    blank_start: np.ndarray = field(default_factory=lambda: EMPTY)
    blank_length: np.ndarray = field(default_factory=lambda: EMPTY)
    # where a multi-line record ends, two sorted arrays: the first record after it, and
    # the extra physical lines (beyond one per record) before that record
    step_records: np.ndarray = field(default_factory=lambda: EMPTY)
    step_extra: np.ndarray = field(default_factory=lambda: EMPTY)
    open_quote_record: int | None = None  # record that an unterminated quote starts
    open_quote_byte: int | None = None  # byte where that record starts
    open_quote_line: int | None = None

    @property
    def blank_records(self) -> int:
        return int(self.blank_length.sum())

    def line_of(self, record: int) -> int:
        step = int(np.searchsorted(self.step_records, record, side="right"))
        return record + (int(self.step_extra[step - 1]) if step else 0)


def scan(path: Path, chunk_bytes: int = CHUNK_BYTES) -> RecordMap:
    """One pass over the file; see the module docstring."""
    found = RecordMap()
    blank_start, blank_length, step_records, step_extra = [EMPTY], [EMPTY], [EMPTY], [EMPTY]  # per chunk
    quotes_before = 0  # quotes seen before the current chunk
    record_start = 0  # byte where the current record starts
    newlines_in_record = 0  # physical line ends inside the current record so far
    extra = 0  # physical lines beyond one, summed over the finished records
    offset = 0
    last_byte = -1  # the previous chunk's last byte: a CRLF may be split between two chunks
    with path.open("rb") as fh:
        while chunk := fh.read(chunk_bytes):
            data = np.frombuffer(chunk, dtype=np.uint8)
            newlines = np.flatnonzero(data == NEWLINE)
            quote_positions = np.flatnonzero(data == QUOTE)
            end_index = np.flatnonzero((quotes_before + np.searchsorted(quote_positions, newlines)) & 1 == 0)
            if len(end_index):
                ends = newlines[end_index]
                # Newlines inside each finished record: those between its end and the previous end.
                inside = np.diff(end_index, prepend=-1) - 1
                inside[0] += newlines_in_record
                lengths = np.diff(ends, prepend=record_start - offset - 1) - 1
                is_blank = (lengths == 0) | ((lengths == 1) & _byte_before(data, ends, CR, last_byte))
                if is_blank.any():
                    first, count = _runs(np.flatnonzero(is_blank) + found.records + 1)
                    blank_start.append(first)
                    blank_length.append(count)
                if (multi := inside > 0).any():
                    step_records.append(np.flatnonzero(multi) + found.records + 2)
                    step_extra.append(extra + np.cumsum(inside[multi]))
                    extra = int(step_extra[-1][-1])
                found.records += len(ends)
                record_start = offset + int(ends[-1]) + 1
                newlines_in_record = len(newlines) - 1 - int(end_index[-1])
            else:
                newlines_in_record += len(newlines)
            quotes_before += len(quote_positions)
            offset += len(chunk)
            last_byte = chunk[-1]
    found.blank_start, found.blank_length = np.concatenate(blank_start), np.concatenate(blank_length)
    found.step_records, found.step_extra = np.concatenate(step_records), np.concatenate(step_extra)
    if offset > record_start:  # a last record without a final newline
        found.records += 1
        if quotes_before & 1:
            found.open_quote_record = found.records
            found.open_quote_byte = record_start
            found.open_quote_line = found.line_of(found.records)
    return found


def _runs(numbers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct numbers as runs of consecutive ones: first numbers and lengths."""
    first = np.flatnonzero(np.diff(numbers, prepend=numbers[0] - 2) != 1)
    return numbers[first], np.diff(first, append=len(numbers))


def _byte_before(data: np.ndarray, ends: np.ndarray, value: int, previous: int) -> np.ndarray:
    """Whether the byte just before each record end is ``value`` (a CR of CRLF); before
    the chunk's first byte stands ``previous``, the last byte of the chunk before."""
    before = ends - 1
    inside = before >= 0
    out = np.full(len(ends), previous == value)
    out[inside] = data[before[inside]] == value
    return out
