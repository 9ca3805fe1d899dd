"""Answer labels, question labels and register marks, mapped to canonical codes.

The questionnaire exists in English, Russian, Ukrainian, Belarusian and Polish, and a
file may carry any of those labels (or a common alias such as ``1``/``0``, ``Y``/``N``)
instead of the code. ``reference/vocabulary.csv`` is the single source of the answer
labels: ingestion reads it here, and the form generator and reports read it too.
``reference/questions.csv`` holds each column's question label in the five languages,
because KoboToolbox's "labels" export mode writes those instead of the column names.
``reference/register_marks.csv`` says which marks of a paper register mean present.
Ingestion joins answers against these spellings in SQL (``spellings``,
``register_mark_spellings``), folded there exactly as ``fold`` folds here.

Matching ignores case, surrounding spaces and a trailing full stop, as people type
answers in Excel.
"""

from __future__ import annotations

import csv
import re
from functools import cache
from importlib.resources import files

import pandas as pd

LANGUAGES = ("en", "ru", "uk", "be", "pl")
YES_NO = "yes_no"
# Survey waves: baseline, then follow-ups numbered from 1 (no fixed list of codes).
WAVE_PATTERN = r"baseline|followup([1-9][0-9]*)"


@cache
def _reference(name: str) -> tuple[dict[str, str], ...]:
    text = files("pipelines.reference").joinpath(name).read_text(encoding="utf-8")
    return tuple(csv.DictReader(text.splitlines()))


def _rows() -> tuple[dict[str, str], ...]:
    return _reference("vocabulary.csv")


def fold(values: pd.Series) -> pd.Series:
    """Lower-case, trim, collapse inner spaces and drop one trailing full stop."""
    return (
        values.str.strip()
        .str.replace(r"\s+", " ", regex=True)
        .str.removesuffix(".")
        .str.strip()
        .str.casefold()
    )


def _fold_one(value: str) -> str:
    return fold(pd.Series([value], dtype="str")).iloc[0]


def scales() -> frozenset[str]:
    return frozenset(row["scale"] for row in _rows())


@cache
def codes(scale: str) -> tuple[str, ...]:
    """The canonical codes of one answer scale, in questionnaire order."""
    found = tuple(row["code"] for row in _rows() if row["scale"] == scale)
    if not found:
        raise KeyError(f"no answer scale {scale!r} in vocabulary.csv")
    return found


def spellings() -> list[tuple[str, str, str, int]]:
    """(scale, spelling, code, ordinal) for every code, label and alias, in file order:
    what ingestion joins answers against in SQL (folded there the way ``fold`` folds)."""
    out = []
    for row in _rows():
        for spelling in [row["code"], *(row[lang] for lang in LANGUAGES), *(a for a in row["aliases"].split("|") if a)]:
            out.append((row["scale"], spelling, row["code"], len(out)))
    return out


def register_mark_spellings() -> list[tuple[str, str, int]]:
    """(mark, yes/no, ordinal) as written in ``register_marks.csv``, for the SQL join."""
    return [(row["mark"], row["attended"], i) for i, row in enumerate(_reference("register_marks.csv"))]


@cache
def lookup(scale: str) -> dict[str, str]:
    """Folded label, alias or code → canonical code, for one scale."""
    mapping: dict[str, str] = {}
    for row in _rows():
        if row["scale"] != scale:
            continue
        spellings = [row["code"], *(row[lang] for lang in LANGUAGES)]
        spellings += [a for a in row["aliases"].split("|") if a]
        for spelling in spellings:
            mapping[_fold_one(spelling)] = row["code"]
    if not mapping:
        raise KeyError(f"no answer scale {scale!r} in vocabulary.csv")
    return mapping


def label(scale: str, code: str, lang: str = "en") -> str:
    """The questionnaire wording of a code, for forms and reports."""
    for row in _rows():
        if row["scale"] == scale and row["code"] == code:
            return row[lang]
    raise KeyError(f"{scale}.{code} is not in vocabulary.csv")


def wave_number(wave: object) -> int | None:
    """baseline → 0, followupN → N; None for anything that is not a canonical wave."""
    match = re.fullmatch(WAVE_PATTERN, str(wave))
    if match is None:
        return None
    return int(match.group(1) or 0)


def fold_header(text: str) -> str:
    """A question label as people retype it: case, spaces, ё/е, apostrophes and a
    trailing full stop, question mark or colon ignored."""
    text = " ".join(text.replace("\ufeff", "").split()).casefold()
    text = text.replace("ё", "е").replace("’", "'").replace("ʼ", "'").replace("`", "'")
    return text.rstrip(" .?:")


@cache
def questions() -> dict[str, dict[str, str]]:
    """Column → its question label per language, in questionnaire order: the wording
    the generated form asks and the export headers ``aai map`` recognises."""
    return {row["column"]: {lang: row[lang] for lang in LANGUAGES} for row in _reference("questions.csv")}


def answer_labels(scale: str) -> dict[str, dict[str, str]]:
    """Code → its answer label per language, in questionnaire order (the form's choices)."""
    return {row["code"]: {lang: row[lang] for lang in LANGUAGES} for row in _rows() if row["scale"] == scale}


@cache
def question_labels() -> dict[str, str]:
    """Folded question label in any of the five languages → canonical column name."""
    mapping: dict[str, str] = {}
    for row in _reference("questions.csv"):
        for lang in LANGUAGES:
            folded = fold_header(row[lang])
            if mapping.get(folded, row["column"]) != row["column"]:
                raise ValueError(f"questions.csv: label {row[lang]!r} is given to two columns")
            mapping[folded] = row["column"]
    return mapping
