"""A Babel extractor for the indicator catalogue, so its names are translated in the
same ``.po`` files as every other word of the report (see ``babel.cfg``)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator


def extract_catalogue(fileobj, keywords, comment_tags, options) -> Iterator[tuple[int, str, str, list[str]]]:
    """Yield ``(line, funcname, message, comments)`` for each catalogue row's ``name``."""
    reader = csv.DictReader(io.TextIOWrapper(fileobj, encoding="utf-8"))
    for row in reader:
        yield reader.line_num, "", row["name"], [f"indicator {row['code']}"]
