"""Draft a mapping file for an export nobody has described yet (``aai map FILE``).

Writing a mapping by hand means reading every header of an export against the
contract and the vocabulary in five languages. Most of that is mechanical: a header is
a contract column's name (perhaps behind a KoboToolbox ``group/`` or ODK Central
``group-`` path), or its question label in en, ru, uk, be or pl, or close to one of
them; an answer is a code, a label, a numbered label (``2. Раз в неделю``) or close to
one. This module does that part and says how sure it is (a score from difflib: 1.00
is exact), so that a person only confirms, corrects and fills in what it could not
place. It never guesses silently: every header and every answer it does not place is
listed, and the draft is written outside ``mappings/`` so that nothing is read
through it before someone has looked.

The draft is in the documented format (docs/questionnaire.md) and loads with
``load.py``; the scores are YAML comments.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import python_calamine as calamine
from rich.markup import escape
from rich.table import Table

from pipelines import vocabulary
from pipelines.ingest.discover import detect_kind
from pipelines.ingest.normalise import GROUP_SEPARATORS, contract_columns, header_key
from pipelines.ingest.sniff import is_hxl, sniff
from pipelines.ingest.workbook import text as cell_text
from schemas import CONTRACTS, KEYS

# A header or an answer this alike (0–1) is placed, with its score for a person to
# check; below it, the closest candidate is only suggested. who5_33/who5_3 scores
# 0.92; a question asked with the same words in another order scores 0.99.
PLACE = 0.8
SUGGEST = 0.6
SAMPLE_RECORDS = 5_000  # records read for their answers: enough to see every answer a form offers
SHOWN_ANSWERS = 12  # distinct answers listed per column that could not be placed

# Columns KoboToolbox and ODK Central add to every export: ingestion ignores them, so
# they are named as such and never matched to a contract column (``end`` is not ``end_date``).
FORM_METADATA = frozenset({
    "start", "end", "today", "deviceid", "username", "simserial", "subscriberid", "phonenumber", "audit",
    "_id", "_uuid", "_submission_time", "_validation_status", "_notes", "_status", "_submitted_by",
    "__version__", "_tags", "_index", "_parent_index", "_parent_table_name", "_submission__id",
    "_submission__uuid", "_submission__submission_time", "_submission__validation_status",
    "_submission__notes", "_submission__status", "_submission__submitted_by", "_submission___version__",
    "_submission__tags", "meta/instanceid", "meta/rootuuid", "meta/deprecatedid", "meta/instancename",
    "meta-instanceid", "meta-instancename", "instanceid", "submissiondate", "key", "parent_key",
    "submitterid", "submittername", "attachmentspresent", "attachmentsexpected", "attachments", "status",
    "reviewstate", "deviceid", "edits", "formversion",
})
NUMBERED = re.compile(r"^\s*\(?\d{1,2}\s*[.):-]\s*(?=\S)")  # "2. Раз в неделю", "3) реже", "(1) да"


@dataclass(frozen=True)
class Placement:
    """A header of the file placed as a contract column, and how (``how``, ``score``)."""

    header: str
    target: str
    how: str
    score: float
    values: tuple[tuple[str, str, float, str], ...] = ()  # (answer as written, code, score, how) to list
    unplaced: tuple[str, ...] = ()  # answers that could not be placed
    advice: str = ""  # what to do about the answers that could not be placed


@dataclass(frozen=True)
class Unplaced:
    """A header the draft does not read, and why (or its closest candidate)."""

    header: str
    why: str


@dataclass
class Draft:
    source: str
    kind: str | None
    placed: list[Placement] = field(default_factory=list)
    unplaced: list[Unplaced] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # required contract columns the file lacks
    notes: list[str] = field(default_factory=list)

    def yaml(self) -> str:
        """The draft in the mapping format, with each decision's score as a comment."""
        today = dt.date.today().isoformat()
        lines = [f"# Draft mapping for {self.source}, written by aai map on {today}.",
                 "# Check every line (a score below 1.00 is a guess), fill in what is missing, then save",
                 "# it in the data root's mappings/ folder. The format: docs/questionnaire.md.",
                 "# Without a files rule, it is applied to every file whose header has all the columns",
                 "# it reads."]
        if self.kind:
            lines.append(f"kind: {self.kind}")
        lines.append(f"# files: [{_quoted(Path(self.source).name)}]")
        if self.missing:
            lines += ["", "# Required, and not in the file: give each one's value for every row here",
                      "# (or add the column to the export) and remove the # before the lines.", "# constants:"]
            lines += [f"#   {name}: …" for name in self.missing]
        if self.placed:
            lines += ["", "columns:"]
        for place in self.placed:
            comment = f"  # {place.how}, {place.score:.2f}"
            if not place.values:
                lines.append(f"  {_quoted(place.header)}: {place.target}{comment}")
                continue
            lines += [f"  {_quoted(place.header)}:{comment}", f"    to: {place.target}", "    values:"]
            lines += [f"      {_quoted(answer)}: {code}  # {how}, {score:.2f}" for answer, code, score, how in place.values]
        lines += ["", "# Columns the draft did not place: not read, and never stored. Map one by hand if it",
                  "# holds a contract column; list it under ignore if it looks like one but is not."]
        lines += [f"#   {_quoted(item.header)}: {item.why}" for item in self.unplaced]
        for place in self.placed:
            if place.unplaced:
                lines.append(f"# Answers of {_quoted(place.header)} not placed: "
                             f"{', '.join(_quoted(v) for v in place.unplaced)}; {place.advice}")
        return "\n".join(lines) + "\n"


def draft(path: Path, shown: str | None = None) -> Draft:
    """Read ``path``'s header and up to SAMPLE_RECORDS records and place what can be placed."""
    header, records = sample(path)
    result = Draft(shown or path.name, None)
    keys = [header_key(cell) for cell in header]
    first = {key: index for index, key in reversed(list(enumerate(keys)))}  # a header given twice is placed once
    candidates = {index: _candidates(cell, keys) if first[keys[index]] == index else []
                  for index, cell in enumerate(header)}
    # The kind is decided on the columns placed for sure; the final placing then only
    # offers that kind's columns, so a survey header is never placed as a group's.
    sure = {c.target for found in candidates.values() for c in found if c.score >= PLACE}
    kind = detect_kind(sure, path.name) or max(CONTRACTS, key=lambda k: len(sure & set(contract_columns(k))))
    result.kind = kind if sure else None
    allowed = set(contract_columns(kind))
    chosen: dict[int, _Candidate] = {}
    taken: set[str] = set()
    ranked = sorted(((c.score, -i, i, c) for i, found in candidates.items() for c in found if c.target in allowed),
                    key=lambda item: item[:2], reverse=True)
    for score, _, index, candidate in ranked:
        if score >= PLACE and index not in chosen and candidate.target not in taken:
            chosen[index] = candidate
            taken.add(candidate.target)
    for index, cell in enumerate(header):
        if not cell.strip():
            result.unplaced.append(Unplaced(f"(column {index + 1}, no header)", "no name: not read"))
        elif first[keys[index]] != index:
            result.unplaced.append(Unplaced(cell, f"the same header as column {first[keys[index]] + 1}: "
                                                  "rename one of them"))
        elif index in chosen:
            answers = [row[index] if index < len(row) else "" for row in records]
            result.placed.append(_place(cell, chosen[index], answers, kind))
        else:
            result.unplaced.append(Unplaced(cell, _why_not(cell, keys, candidates[index], allowed, taken)))
    schema = CONTRACTS[kind].to_schema().columns
    result.missing = [name for name, column in schema.items()
                      if name not in taken and (not column.nullable or name in KEYS[kind])]
    return result


def sample(path: Path) -> tuple[list[str], list[list[str]]]:
    """The header and the first records of a delimited file or of a workbook's first
    filled visible sheet; a KoboToolbox HXL tag row is not a record."""
    if path.suffix.lower() in (".xlsx", ".xls", ".ods"):
        rows = _sheet_rows(path)
    else:
        dialect = sniff(path)
        with path.open(encoding=dialect.encoding, newline="", errors="replace") as fh:
            reader = csv.reader(fh, delimiter=dialect.delimiter)
            rows = [row for _, row in zip(range(SAMPLE_RECORDS + 2), reader)]
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    if not rows:
        return [], []
    header, records = rows[0], rows[1:]
    if records and is_hxl(records[0]):
        records = records[1:]
    return header, records[:SAMPLE_RECORDS]


def _sheet_rows(path: Path) -> list[list[str]]:
    book = calamine.CalamineWorkbook.from_path(str(path))
    try:
        for meta in book.sheets_metadata:
            if meta.visible == calamine.SheetVisibleEnum.Visible and meta.typ == calamine.SheetTypeEnum.WorkSheet:
                rows = [[cell_text(c) for c in row]
                        for _, row in zip(range(SAMPLE_RECORDS + 2), book.get_sheet_by_name(meta.name).iter_rows())]
                if any(any(cell.strip() for cell in row) for row in rows):
                    return rows
    finally:
        book.close()
    return []


@dataclass(frozen=True)
class _Candidate:
    target: str
    score: float
    how: str


def _candidates(cell: str, keys: list[str]) -> list[_Candidate]:
    """Every contract column the header may be, best first (none for form metadata and
    for the choice columns of a select-multiple question)."""
    key = header_key(cell)
    if key in FORM_METADATA or _choice_of(key, keys):
        return []
    names = {key} | {key.rsplit(sep, 1)[-1] for sep in GROUP_SEPARATORS if sep in key}
    texts = {vocabulary.fold_header(cell), vocabulary.fold_header(cell.rsplit("/", 1)[-1])}
    found = []
    for column in _all_columns():
        # the first of equal scores is kept: the name before the labels, en before ru …
        tries = [(_similarity(name, column), "name" if name == key else "name after a group path")
                 for name in sorted(names, key=len, reverse=True)]
        tries += [(max(_similarity(text, vocabulary.fold_header(label)) for text in texts), f"question label ({lang})")
                  for lang, label in vocabulary.questions().get(column, {}).items()]
        score, how = max(tries, key=lambda t: t[0])
        if score >= SUGGEST:
            found.append(_Candidate(column, round(score, 2), how if score == 1 else f"close to the {how}"))
    return sorted(found, key=lambda c: c.score, reverse=True)


def _choice_of(key: str, keys: list[str]) -> str | None:
    for sep in GROUP_SEPARATORS:
        question = key.rsplit(sep, 1)[0] if sep in key else None
        if question and question in keys:
            return question
    return None


def _why_not(cell: str, keys: list[str], found: list[_Candidate], allowed: set[str], taken: set[str]) -> str:
    key = header_key(cell)
    if key in FORM_METADATA:
        return "form metadata (ingestion ignores it)"
    if question := _choice_of(key, keys):
        return f"a choice of the select-multiple question {question}"
    best = next((c for c in found if c.target in allowed), None)
    if best is None:
        return "like no contract column"
    if best.score >= PLACE and best.target in taken:
        return f"{best.how} of {best.target} ({best.score:.2f}), which another column gives"
    return f"perhaps {best.target} ({best.how}, {best.score:.2f})"


def _place(cell: str, candidate: _Candidate, answers: list[str], kind: str) -> Placement:
    """The placement with the answers the contract does not read as they are."""
    meta = contract_columns(kind)[candidate.target]
    distinct = list(dict.fromkeys(a.strip() for a in answers if a.strip() and a.strip().lower() != "n/a"))
    parse = meta.get("parse", "text")
    listed, unplaced, advice = [], [], ""
    if parse in ("code", "yes_no"):
        scale = meta.get("scale") or vocabulary.YES_NO
        known = vocabulary.lookup(scale)
        for answer, folded in zip(distinct, _fold(distinct)):
            if folded in known:
                continue
            code, score, how = _answer(answer, known)
            if code is None:
                unplaced.append(answer)
            else:
                listed.append((answer, code, score, how))
        if parse == "yes_no" and {"1", "2"} <= set(distinct) <= {"1", "2", "0"} and "0" not in distinct:
            # 1/2 for no/yes would be read through the shared alias 1 = yes: say which is which.
            listed = [v for v in listed if v[0] not in ("1", "2")]
            unplaced = ["1", "2"]
            advice = "1 and 2: say under values which one is yes (1 alone would be read as yes)"
        advice = advice or f"give their code under values ({', '.join(vocabulary.codes(scale))})"
    elif parse == "integer":
        bounds = _bounds(kind, candidate.target)
        unplaced = [a for a in distinct if not _whole_number(a, bounds)]
        advice = (f"give each its number under values ({bounds[0]}–{bounds[1]})" if bounds
                  else "give each its number under values")
    elif parse == "wave":
        unplaced = [a for a in distinct if not re.fullmatch(vocabulary.WAVE_PATTERN, re.sub(r"[\s_-]+", "", a.lower()))]
        advice = "give each its wave under values (baseline, followup1, …)"
    return Placement(cell, candidate.target, candidate.how, candidate.score, tuple(listed),
                     tuple(unplaced[:SHOWN_ANSWERS]), advice)


def _answer(answer: str, known: dict[str, str]) -> tuple[str | None, float, str]:
    """The code of an answer the vocabulary does not hold as written: a numbered label,
    or the closest label of the scale."""
    numbered = NUMBERED.sub("", answer)
    if numbered != answer and (code := known.get(_fold([numbered])[0])):
        return code, 1.0, "a numbered label"
    folded = _fold([numbered])[0]
    best = max(((_similarity(folded, spelling), code) for spelling, code in known.items()), default=(0.0, None))
    if best[0] >= PLACE:
        return best[1], round(best[0], 2), "close to a label"
    return None, 0.0, ""


def _similarity(a: str, b: str) -> float:
    """difflib's ratio, also with the words sorted: a question whose words stand in
    another order is close (0.99 at most: only the same text is exact)."""
    if a == b:
        return 1.0
    plain = difflib.SequenceMatcher(None, a, b).ratio()
    words = difflib.SequenceMatcher(None, " ".join(sorted(a.split())), " ".join(sorted(b.split()))).ratio()
    return max(plain, min(words, 0.99))


def _fold(values: Iterable[str]) -> list[str]:
    return vocabulary.fold(pd.Series(list(values), dtype="str")).tolist()


def _all_columns() -> list[str]:
    return list(dict.fromkeys(name for kind in CONTRACTS for name in contract_columns(kind)))


def _bounds(kind: str, column: str) -> tuple[int, int] | None:
    for check in CONTRACTS[kind].to_schema().columns[column].checks:
        if check.name == "in_range":
            return int(check.statistics["min_value"]), int(check.statistics["max_value"])
    return None


def _whole_number(text: str, bounds: tuple[int, int] | None) -> bool:
    match = re.fullmatch(r"[+-]?\d+(?:[.,]0+)?", text.replace(" ", ""))
    if match is None:
        return False
    number = int(re.split(r"[.,]", text.replace(" ", ""))[0])
    return bounds is None or bounds[0] <= number <= bounds[1]


def _quoted(text: str) -> str:
    """A YAML double-quoted scalar (JSON's string syntax is a subset of it)."""
    return json.dumps(text, ensure_ascii=False)


def tables(result: Draft) -> list[Table]:
    """What ``aai map`` shows: the columns placed with their scores, then what it could
    not place (headers, and answers of placed columns), for a person to finish."""
    placed = Table(title=f"{result.source}: placed as {result.kind or 'no kind of file'}")
    for name in ("column of the file", "contract column", "how", "score"):
        placed.add_column(name)
    for place in result.placed:
        placed.add_row(*_cells(place.header, place.target, place.how, f"{place.score:.2f}"))
        for answer, code, score, how in place.values:
            placed.add_row(*_cells(f"  answer {answer}", f"  {code}", how, f"{score:.2f}"))
    missing = Table(title="not placed")
    for name in ("column of the file", "why"):
        missing.add_column(name)
    for item in result.unplaced:
        missing.add_row(*_cells(item.header, item.why))
    for place in result.placed:
        if place.unplaced:
            missing.add_row(*_cells(f"answers of {place.header}", f"{', '.join(place.unplaced)}: {place.advice}"))
    for name in result.missing:
        missing.add_row(*_cells(f"({name})", "required and not in the file: give it under constants"))
    return [placed, missing]


def _cells(*texts: str) -> list[str]:
    """Headers and answers are the file's text: shown as written, never as Rich markup."""
    return [escape(t) for t in texts]
