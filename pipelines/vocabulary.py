"""Answer labels in five languages, mapped to canonical codes.

The questionnaire exists in English, Russian, Ukrainian, Belarusian and Polish, and a
file may carry any of those labels (or a common alias such as ``1``/``0``, ``Y``/``N``)
instead of the code. ``reference/vocabulary.csv`` is the single source of these
labels: ingestion reads it here, and the form generator and reports read it too.

Matching ignores case, surrounding spaces and a trailing full stop, as people type
answers in Excel.
"""

from __future__ import annotations

import csv
from functools import cache
from importlib.resources import files

import pandas as pd

LANGUAGES = ("en", "ru", "uk", "be", "pl")
YES_NO = "yes_no"


@cache
def _rows() -> tuple[dict[str, str], ...]:
    text = files("pipelines.reference").joinpath("vocabulary.csv").read_text(encoding="utf-8")
    return tuple(csv.DictReader(text.splitlines()))


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


def to_codes(values: pd.Series, scale: str) -> pd.Series:
    """Map raw answers to codes; unknown non-empty answers become NA (caller reports them)."""
    return fold(values).map(lookup(scale)).astype("str")
