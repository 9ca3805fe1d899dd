"""The contract's survey questionnaire as an XLSForm, for KoboToolbox and ODK (``aai form``).

A programme that collects its survey with this form needs no mapping file: every
question's ``name`` is the contract column, every choice's ``name`` is the contract's
code, and its labels in en, ru, uk, be and pl are the ones ingestion already reads
(``reference/questions.csv``, ``reference/vocabulary.csv``), so an export in either
header mode — XML names or labels, groups in the header — is read as it comes.

Everything the form says is derived, not retyped: the questions and their order from
the pandera contract (``schemas/survey.py``); the answer lists from the vocabulary; the
constraints from the contract's checks (``in_range`` → ``. >= lo and . <= hi``,
``str_matches`` → ``regex()``) and its row rules (the birth year against the interview
year, no date in the future); required fields from the columns that may not be empty;
and the age bands of items from the indicator catalogue (``reference/indicators.csv``):
an item every indicator of which counts only an age band (employment 55–74, living
alone 75+, …) is asked only in that band, since any other answer is never counted.
A respondent who does not consent is asked nothing more: the contract never analyses
that row.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from openpyxl import Workbook

from pipelines import catalogue, vocabulary
from schemas import CONTRACTS, KEYS
from schemas.survey import FIRST_BIRTH_YEAR

LANGUAGE_NAMES = {"en": "English (en)", "ru": "Russian (ru)", "uk": "Ukrainian (uk)", "be": "Belarusian (be)",
                  "pl": "Polish (pl)"}
FORM_ID = "aai_survey"
# The questions before consent identify the interview; the items follow in a group
# asked only with consent. The groups' names appear in exports (design/wave).
DESIGN_GROUP, ITEMS_GROUP = "design", "items"
GROUP_LABELS = {
    DESIGN_GROUP: {"en": "Interview", "ru": "Интервью", "uk": "Інтерв'ю", "be": "Інтэрв'ю", "pl": "Wywiad"},
    ITEMS_GROUP: {"en": "Questions", "ru": "Вопросы", "uk": "Запитання", "be": "Пытанні", "pl": "Pytania"},
}
FORM_TITLE = "Active ageing survey"
AGE = "age"  # a calculated field (interview year − birth year), for the age-banded items
# The contract's row rules as constraints of the field they are about; ``no_consent``
# is the ITEMS group's relevance instead (see the module docstring).
ROW_RULES = {
    "birth_year_range": ("birth_year", f". >= {FIRST_BIRTH_YEAR} and . <= number(format-date(${{interview_date}}, '%Y'))"),
    "future_date": ("interview_date", ". <= today()"),
}
CONSENTED = "${consent} = 'yes'"


def survey_rows() -> list[dict[str, str]]:
    """The survey sheet, one dict per row (columns as in ``SURVEY_COLUMNS``)."""
    schema = CONTRACTS["survey"].to_schema()
    labels = vocabulary.questions()
    rules = dict(ROW_RULES.values())
    bands = age_bands()
    rows = [_group("begin_group", DESIGN_GROUP)]
    for name, column in schema.columns.items():
        meta = column.metadata or {}
        if name == "employment_status":  # the first item: the design questions end with consent
            rows += [_group("end_group", DESIGN_GROUP), _calculate_age(), _group("begin_group", ITEMS_GROUP, CONSENTED)]
        row = {"type": _type(meta), "name": name, **_labels(labels[name])}
        constraint = _constraint(column, rules.get(name))
        if constraint:
            row["constraint"] = constraint
        if not column.nullable or name in KEYS["survey"]:
            row["required"] = "yes"
        if name == "group_id":  # comparison respondents belong to no group
            row["relevant"] = "${arm} = 'participant'"
        if name in bands:
            low, high = bands[name]
            band = " and ".join(filter(None, [f"${{{AGE}}} >= {low}" if low else "",
                                              f"${{{AGE}}} <= {high}" if high else ""]))
            # asked when the age is unknown too: the answer may still count once it is known
            row["relevant"] = f"${{{AGE}}} = '' or ({band})"
        rows.append(row)
    rows.append(_group("end_group", ITEMS_GROUP))
    return rows


def choices_rows() -> list[dict[str, str]]:
    """The choices sheet: every answer list the survey's questions use, codes as names."""
    schema = CONTRACTS["survey"].to_schema()
    scales = dict.fromkeys((c.metadata or {}).get("scale") or vocabulary.YES_NO for c in schema.columns.values()
                           if (c.metadata or {}).get("parse") in ("code", "yes_no"))
    return [{"list_name": scale, "name": code, **_labels(labels)}
            for scale in scales for code, labels in vocabulary.answer_labels(scale).items()]


def settings_rows() -> list[dict[str, str]]:
    """The settings sheet; ``version`` changes whenever the questions or answers do."""
    content = json.dumps([survey_rows(), choices_rows()], ensure_ascii=False, sort_keys=True)
    return [{"form_title": FORM_TITLE, "form_id": FORM_ID, "version": hashlib.sha256(content.encode()).hexdigest()[:10],
             "default_language": LANGUAGE_NAMES["en"]}]


def age_bands() -> dict[str, tuple[int | None, int | None]]:
    """Survey item → the age band (low, high; None = open) outside which no indicator
    counts its answer; items any indicator counts for everyone 55+ or of all ages are
    not banded (a programme may also serve people under 55)."""
    bands: dict[str, list[tuple[int | None, int | None]]] = {}
    for row in catalogue.survey_indicators().itertuples():
        for item in filter(None, row.items.split("|")):
            bands.setdefault(item, []).append(catalogue.age_range(row.population))
    out = {}
    for item, ranges in bands.items():
        lows, highs = [low for low, _ in ranges], [high for _, high in ranges]
        low = None if None in lows else min(lows)
        high = None if None in highs else max(highs)
        if high is not None or (low is not None and low > 55):
            out[item] = (low if low and low > 55 else None, high)
    return out


def write_form(path: Path) -> Path:
    """Write the XLSForm workbook (survey, choices, settings) to ``path``."""
    book = Workbook()
    book.remove(book.active)
    for title, rows in (("survey", survey_rows()), ("choices", choices_rows()), ("settings", settings_rows())):
        sheet = book.create_sheet(title)
        columns = list(dict.fromkeys(key for row in rows for key in row))
        sheet.append(columns)
        for row in rows:
            sheet.append([row.get(column, "") for column in columns])
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


def _labels(by_language: dict[str, str]) -> dict[str, str]:
    return {f"label::{LANGUAGE_NAMES[lang]}": by_language[lang] for lang in vocabulary.LANGUAGES}


def _group(kind: str, name: str, relevant: str = "") -> dict[str, str]:
    row = {"type": kind, "name": name}
    if kind == "begin_group":
        row.update(_labels(GROUP_LABELS[name]))
        if relevant:
            row["relevant"] = relevant
    return row


def _calculate_age() -> dict[str, str]:
    return {"type": "calculate", "name": AGE,
            "calculation": "if(${interview_date} != '' and ${birth_year} != '', "
                           "number(format-date(${interview_date}, '%Y')) - ${birth_year}, '')"}


def _type(meta: dict) -> str:
    parse = meta.get("parse", "text")
    if parse == "code":
        return f"select_one {meta['scale']}"
    if parse == "yes_no":
        return f"select_one {vocabulary.YES_NO}"
    return {"integer": "integer", "date": "date"}.get(parse, "text")


def _constraint(column, row_rule: str | None) -> str:
    """The column's pandera checks, and its row rule, as one XLSForm constraint."""
    parts = []
    for check in column.checks:
        stats = check.statistics
        if check.name == "in_range":
            parts.append(f". >= {stats['min_value']} and . <= {stats['max_value']}")
        elif check.name == "str_matches":
            parts.append(f"regex(., '{stats['pattern']}')")
    if row_rule:
        parts.append(row_rule)
    return " and ".join(parts)
