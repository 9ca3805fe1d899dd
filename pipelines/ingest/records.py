"""Where each record of a delimited file starts: one vectorised pass over its bytes.

DuckDB's CSV reader numbers the records it rejects (the header is record 1, a blank
line counts, a quoted cell spanning lines counts once) but says nothing about the
records it accepts, and nothing about physical lines. A field officer looks for a
*line* in Excel or a text editor, so this pass finds, with NumPy over 4 MiB chunks,
the newlines that end a record (those outside quotes: an even number of ``"`` before
them), and from them:

- the number of records,
- which records are blank (DuckDB skips them silently),
- where a record spans several physical lines, so that ``line = record + extra``
  where ``extra`` changes only after such a record (kept as a short list of steps),
- whether the file ends inside an open quote, and where that record starts: DuckDB
  reads everything after an unterminated ``"`` as one cell, so the caller cuts that
  record at its first line and reads on from the next.

Memory is the chunk plus one number per blank record and per multi-line record, never
one per record. The file must be UTF-8 (``"`` and newline are single bytes there).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

CHUNK_BYTES = 4 << 20
NEWLINE, QUOTE, CR = 10, 34, 13


@dataclass
class RecordMap:
    """What the pass found; record numbers start at 1 (the header), as DuckDB's."""

    records: int = 0
    blank: list[int] = field(default_factory=list)
    # (first record after a multi-line record, extra physical lines before it)
    steps: list[tuple[int, int]] = field(default_factory=list)
    open_quote_record: int | None = None  # record that an unterminated quote starts
    open_quote_byte: int | None = None  # byte where that record starts
    open_quote_line: int | None = None

    def line_of(self, record: int) -> int:
        extra = 0
        for first, lines in self.steps:
            if first > record:
                break
            extra = lines
        return record + extra


def scan(path: Path, chunk_bytes: int = CHUNK_BYTES) -> RecordMap:
    """One pass over the file; see the module docstring."""
    found = RecordMap()
    quotes_before = 0  # quotes seen before the current chunk
    record_start = 0  # byte where the current record starts
    newlines_in_record = 0  # physical line ends inside the current record so far
    extra = 0  # physical lines beyond one, summed over the finished records
    offset = 0
    last_byte = None
    with path.open("rb") as fh:
        while chunk := fh.read(chunk_bytes):
            data = np.frombuffer(chunk, dtype=np.uint8)
            newlines = np.flatnonzero(data == NEWLINE)
            quote_positions = np.flatnonzero(data == QUOTE)
            parity = (quotes_before + np.searchsorted(quote_positions, newlines)) & 1
            ends = newlines[parity == 0]
            if len(ends):
                # Newlines inside each finished record: those between its end and the previous end.
                end_index = np.flatnonzero(parity == 0)
                inside = np.diff(np.concatenate(([-1], end_index))) - 1
                inside[0] += newlines_in_record
                starts = np.concatenate(([record_start - offset], ends[:-1] + 1))
                lengths = ends - starts
                blank = (lengths == 0) | ((lengths == 1) & _byte_before(data, ends, CR, chunk, record_start, offset))
                numbers = found.records + 1 + np.arange(len(ends))
                found.blank.extend(int(n) for n in numbers[blank])
                for number, lines in zip(numbers[inside > 0], inside[inside > 0]):
                    extra += int(lines)
                    found.steps.append((int(number) + 1, extra))
                found.records += len(ends)
                record_start = offset + int(ends[-1]) + 1
                newlines_in_record = len(newlines) - 1 - int(end_index[-1])
            else:
                newlines_in_record += len(newlines)
            quotes_before += len(quote_positions)
            offset += len(chunk)
            last_byte = chunk[-1]
    if offset > record_start:  # a last record without a final newline
        found.records += 1
        if quotes_before & 1:
            found.open_quote_record = found.records
            found.open_quote_byte = record_start
            found.open_quote_line = found.line_of(found.records)
    del last_byte
    return found


def _byte_before(data: np.ndarray, ends: np.ndarray, value: int, chunk: bytes, record_start: int, offset: int) -> np.ndarray:
    """Whether the byte just before each record end is ``value`` (a CR of CRLF)."""
    before = ends - 1
    inside = before >= 0
    out = np.zeros(len(ends), dtype=bool)
    out[inside] = data[before[inside]] == value
    return out
