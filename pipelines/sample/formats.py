"""How each demo file is written: encoding, delimiter, date style and answer labels.

Real files do not arrive in the canonical form (``data-contract.md``, last section), so
the demo files do not either: each programme's files look like the tool that produced
them, a Russian-language Excel, a Ukrainian one with a BOM, a Polish one, a register
exported as tab-separated text. Labels come from the project's vocabulary
(``pipelines.vocabulary``), never typed here, so a label the ingestion cannot match
is a vocabulary bug, not a typo.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

from pipelines import vocabulary
from pipelines.ingest.normalise import contract_columns
from schemas import CONTRACTS



def _column_scales() -> dict[str, str]:
    """The vocabulary scale behind each coded column, as the contracts declare it."""
    scales = {}
    for kind in CONTRACTS:
        for name, meta in contract_columns(kind).items():
            if meta.get("parse") == "code":
                scales[name] = meta["scale"]
            elif meta.get("parse") == "yes_no":
                scales[name] = vocabulary.YES_NO
    return scales


COLUMN_SCALES = _column_scales()


class Raw(str):
    """A cell written exactly as given: a planted mistake must not be "corrected" by
    the label or date formatting on its way into the file."""


codes = vocabulary.codes


@cache
def _label(scale: str, code: str, language: str) -> str:
    """Cached: a demo file writes the same few labels tens of thousands of times."""
    return vocabulary.label(scale, code, language)


@dataclass(frozen=True)
class FileFormat:
    """The habits of the tool that wrote a file.

    ``language`` None keeps canonical codes; ``capitalise`` mimics drop-down lists that
    start each answer with a capital; ``yes_no`` replaces yes/no by a pair such as 1/0.
    """

    encoding: str
    delimiter: str
    date_format: str
    newline: str
    language: str | None = None
    capitalise: bool = False
    yes_no: tuple[str, str] | None = None

    def cell(self, column: str, value: object) -> str:
        if value is None:
            return ""
        if isinstance(value, Raw):
            return str(value)
        if isinstance(value, date):
            return value.strftime(self.date_format)
        if not isinstance(value, str) or column not in COLUMN_SCALES:
            return str(value)
        scale = COLUMN_SCALES[column]
        if scale == "yes_no" and self.yes_no:
            return self.yes_no[0] if value == "yes" else self.yes_no[1]
        if self.language is None:
            return value
        label = _label(scale, value, self.language)
        return label[:1].upper() + label[1:] if self.capitalise else label


CANONICAL = FileFormat("utf-8", ",", "%Y-%m-%d", "\n")
# Russian-language Excel on Windows: "CSV (разделители — точки с запятой)".
EXCEL_RU = FileFormat("cp1251", ";", "%d.%m.%Y", "\r\n", language="ru", capitalise=True)
# Ukrainian Excel "CSV UTF-8": comma, byte-order mark.
EXCEL_UK = FileFormat("utf-8-sig", ",", "%d.%m.%Y", "\r\n", language="uk")
# A register kept in a Google Sheet by a Ukrainian coordinator: UTF-8, no BOM.
SHEET_UK = FileFormat("utf-8", ",", "%d.%m.%Y", "\n", language="uk")
# Polish Excel on Windows: semicolon, Windows-1250, dd/mm/yyyy as set on those PCs.
EXCEL_PL = FileFormat("cp1250", ";", "%d/%m/%Y", "\r\n", language="pl")
# A register exported as tab-separated text, marks as 1/0, codes otherwise.
REGISTER_TSV = FileFormat("utf-8", "\t", "%Y-%m-%d", "\n", yes_no=("1", "0"))


def write_csv(
    path: Path,
    header: Sequence[str],
    rows: Iterable[Mapping[str, object]],
    fmt: FileFormat,
) -> Path:
    """Write rows of canonical values in ``fmt``; a column absent from a row is empty."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding=fmt.encoding, newline="") as fh:
        writer = csv.writer(fh, delimiter=fmt.delimiter, lineterminator=fmt.newline)
        writer.writerow(header)
        for row in rows:
            writer.writerow([fmt.cell(col, row.get(col)) for col in header])
    return path
