"""Turn raw cells into the contract's canonical, typed columns.

What a field officer's file may differ in — header spelling and group prefixes,
answer labels in five languages, date formats, decimal commas — is absorbed here.
What cannot be absorbed becomes a *problem* (row, column, rule, value, reason) and the
row goes to quarantine; nothing is guessed silently. Columns outside the contract are
dropped here, which is how names, phones and addresses never travel further.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from pipelines import vocabulary
from schemas import CONTRACTS

PROBLEM_COLUMNS = ["row", "column_name", "rule", "value", "reason"]
EXCEL_EPOCH = pd.Timestamp("1899-12-30")
MISSING_MARKERS = frozenset({"n/a", "na", "#n/a"})  # KoboToolbox's legacy export writes n/a
# Beyond 2**53 a float no longer holds every whole number, so such a cell could not be
# stored faithfully whatever the column allows; far beyond every range of the contract.
SAFE_INTEGER = 2**53
# A quarantined value is kept and quoted only this long: a cell may be megabytes.
VALUE_DISPLAY_CHARS = 60
VALUE_KEPT_CHARS = 200


def shortened(value: str, limit: int) -> str:
    """``value`` cut to ``limit`` characters, saying how long it really was."""
    return value if len(value) <= limit else f"{value[:limit]}… ({len(value):,} characters)"


def on_distinct(values: pd.Series, func) -> pd.Series:
    """Apply a string function to each distinct value once, then spread the results.

    A column of a million answers holds a handful of distinct codes or dates, so this
    turns per-element string work into per-distinct-value work.
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    result = func(pd.Series(uniques, dtype=values.dtype))
    return pd.Series(result.to_numpy().take(codes), index=values.index, dtype=result.dtype)


def contract_columns(kind: str) -> dict[str, dict]:
    """Canonical column → field metadata (how to parse it), in contract order."""
    return {name: col.metadata or {} for name, col in CONTRACTS[kind].to_schema().columns.items()}


GROUP_SEPARATORS = ("/", "-", ":")


def header_key(header: str) -> str:
    """A header cell as compared: no BOM, trimmed, lower case, spaces as underscores."""
    return header.strip().lstrip("\ufeff").strip().lower().replace(" ", "_")


def canonical_name(header: str, known: set[str]) -> str | None:
    """Map a header cell to a canonical column, ignoring case, spaces and group paths.

    KoboToolbox joins groups with ``/`` (``section_b/volunteer_freq``), ODK Central
    with ``-`` (``grp-volunteer_freq``). In KoboToolbox's "labels" export the header is
    the question's label in the form's language (``Год рождения``, with the group's
    label before a ``/``): those map back through ``reference/questions.csv``.
    """
    name = header_key(header)
    if name in known:
        return name
    for separator in GROUP_SEPARATORS:
        tail = name.rsplit(separator, 1)[-1]
        if tail in known:
            return tail
    labels = vocabulary.question_labels()
    for text in (header, header.rsplit("/", 1)[-1]):
        column = labels.get(vocabulary.fold_header(text))
        if column in known:
            return column
    return None


def is_choice_column(header: str, others: set[str]) -> bool:
    """A select-multiple choice column (``q/choice``, ODK ``q-choice``) beside its
    summary column ``q``: its 1/0 says nothing about the contract's columns, even when
    the choice is called like one (``help/disability``)."""
    name = header_key(header)
    return any(sep in name and name.rsplit(sep, 1)[0] in others for sep in GROUP_SEPARATORS)


@dataclass
class ColumnMap:
    """Which file column feeds which canonical column, and what was left behind."""

    positions: dict[str, int]
    ignored: list[str]

    @classmethod
    def build(cls, header: list[str], kind: str | None = None) -> ColumnMap:
        known = set(contract_columns(kind)) if kind else _all_known()
        keys = {header_key(cell) for cell in header}
        positions: dict[str, int] = {}
        ignored: list[str] = []
        for index, cell in enumerate(header):
            name = None if is_choice_column(cell, keys) else canonical_name(cell, known)
            if name is None or name in positions:
                ignored.append(cell.strip())
            else:
                positions[name] = index
        return cls(positions, ignored)


def _all_known() -> set[str]:
    return {name for kind in CONTRACTS for name in contract_columns(kind)}


def _trim(values: pd.Series) -> pd.Series:
    values = values.str.strip()
    return values.where(~values.str.casefold().isin(MISSING_MARKERS), "")


def trimmed(values: pd.Series) -> pd.Series:
    """Cells without surrounding spaces; KoboToolbox's legacy ``n/a`` becomes empty."""
    return on_distinct(values, _trim)


def canonical_cells(cells: pd.DataFrame, columns: ColumnMap, kind: str) -> pd.DataFrame:
    """The contract's columns as trimmed strings ('' when absent from the file)."""
    out = {}
    for name in contract_columns(kind):
        if name in columns.positions:
            out[name] = trimmed(cells[columns.positions[name]])
        else:
            out[name] = pd.Series("", index=cells.index, dtype="str")
    return pd.DataFrame(out, index=cells.index)


def _problem(mask: pd.Series, column: str, rule: str, raw: pd.Series, template: str) -> pd.DataFrame:
    """Problems for the rows in ``mask``; ``template`` may name the raw ``{value}``."""
    values = raw[mask]
    reasons = [template.format(value=shortened(value, VALUE_DISPLAY_CHARS)) for value in values]  # problem rows only
    kept = [shortened(value, VALUE_KEPT_CHARS) for value in values]
    return pd.DataFrame({"row": values.index, "column_name": column, "rule": rule, "value": kept, "reason": reasons})


def parse_dates(raw: pd.Series) -> pd.Series:
    """ISO (with or without a time part), dd.mm.yyyy, dd/mm/yyyy and Excel serial days."""
    iso = raw.str.extract(r"^(\d{4}-\d{2}-\d{2})(?:[T ].*)?$")[0]
    out = pd.to_datetime(iso, format="%Y-%m-%d", errors="coerce")
    for pattern, fmt in ((r"^\d{1,2}\.\d{1,2}\.\d{4}$", "%d.%m.%Y"), (r"^\d{1,2}/\d{1,2}/\d{4}$", "%d/%m/%Y")):
        todo = out.isna() & raw.str.match(pattern)
        if todo.any():
            out[todo] = pd.to_datetime(raw[todo], format=fmt, errors="coerce")
    serial = out.isna() & raw.str.fullmatch(r"\d{5}(?:[.,]0+)?")
    if serial.any():
        days = pd.to_numeric(raw[serial].str.replace(",", ".", regex=False))
        out[serial] = EXCEL_EPOCH + pd.to_timedelta(days, unit="D")
    return out.astype("datetime64[us]")


def _parse_integer(raw: pd.Series, column: str) -> tuple[pd.Series, list[pd.DataFrame]]:
    number = on_distinct(
        raw, lambda v: pd.to_numeric(v.str.replace(",", ".", regex=False).str.replace(" ", "", regex=False), errors="coerce")
    )
    filled = raw.ne("")
    not_number = filled & number.isna()
    huge = filled & number.notna() & ~(number.abs() < SAFE_INTEGER)  # infinity too
    fractional = filled & number.notna() & ~huge & (number % 1 != 0)
    problems = [
        _problem(not_number, column, "not_a_number", raw, f"{column}: '{{value}}' is not a number"),
        _problem(huge, column, "out_of_range", raw,
                 f"{column}: {{value}} is far outside any value this column can hold; check the cell"),
        _problem(fractional, column, "not_a_whole_number", raw, f"{column}: {{value}} is not a whole number"),
    ]
    return number.where(~(fractional | huge)).round().astype("Int64"), problems


def _parse_code(raw: pd.Series, column: str, scale: str) -> tuple[pd.Series, list[pd.DataFrame]]:
    parsed = on_distinct(raw, lambda values: vocabulary.to_codes(values, scale))
    unknown = raw.ne("") & parsed.isna()
    expected = ", ".join(vocabulary.codes(scale))
    reason = (
        f"{column}: '{{value}}' is not an answer of the questionnaire; "
        f"expected one of {expected} (or its label in en, ru, uk, be or pl)"
    )
    return parsed, [_problem(unknown, column, "unknown_code", raw, reason)]


def _parse_date(raw: pd.Series, column: str) -> tuple[pd.Series, list[pd.DataFrame]]:
    parsed = on_distinct(raw, parse_dates)
    bad = raw.ne("") & parsed.isna()
    reason = f"{column}: '{{value}}' is not a valid date; write it as YYYY-MM-DD or DD.MM.YYYY"
    return parsed, [_problem(bad, column, "bad_date", raw, reason)]


def _parse_wave(raw: pd.Series) -> tuple[pd.Series, list[pd.DataFrame]]:
    folded = vocabulary.fold(raw).str.replace(r"[\s_-]+", "", regex=True)
    parsed = folded.where(folded.str.fullmatch(vocabulary.WAVE_PATTERN))
    bad = raw.ne("") & parsed.isna()
    reason = "wave: '{value}' is not a wave; expected baseline, followup1, followup2, …"
    return parsed.astype("str"), [_problem(bad, "wave", "unknown_code", raw, reason)]


def to_typed(raw: pd.DataFrame, kind: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Typed canonical columns and the parse problems found on the way."""
    typed: dict[str, pd.Series] = {}
    problems: list[pd.DataFrame] = []
    for column, meta in contract_columns(kind).items():
        values = raw[column]
        parse = meta.get("parse", "text")
        if parse == "code":
            typed[column], found = _parse_code(values, column, meta["scale"])
        elif parse == "yes_no":
            codes, found = _parse_code(values, column, vocabulary.YES_NO)
            typed[column] = codes.map({"yes": True, "no": False}).astype("boolean")
        elif parse == "date":
            typed[column], found = _parse_date(values, column)
        elif parse == "integer":
            typed[column], found = _parse_integer(values, column)
        elif parse == "wave":
            typed[column], found = _parse_wave(values)
        elif parse == "country":
            typed[column], found = values.str.upper().replace("", pd.NA).astype("str"), []
        else:
            typed[column], found = values.replace("", pd.NA).astype("str"), []
        problems += found
    problem_frame = pd.concat(problems, ignore_index=True) if problems else pd.DataFrame(columns=PROBLEM_COLUMNS)
    return pd.DataFrame(typed, index=raw.index), problem_frame[PROBLEM_COLUMNS]
