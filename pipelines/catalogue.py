"""The indicator catalogue and the benchmark files: the one place they are read.

``reference/indicators.csv`` holds one row per indicator (AAI ``1.1``…``4.6``,
programme ``P.…``) and one row per AAI domain (``D1``…``D4``, whose weight is the
domain's weight in the overall index). The SQL that computes survey indicators is
generated from its ``population``, ``items`` and ``rule_sql`` columns, and the
aggregation into domain scores reads its weights, so an indicator is defined here
and nowhere else. ``rule_sql`` is project-owned code reviewed like any other SQL;
nothing a user supplies ever lands in it.

A data root may add its questionnaires' own outcome measures, declared in its mapping
files (``pipelines/mapping/measures.py``): ``declare`` appends them to the catalogue
as programme rows of source ``declared``, so every stage that reads the catalogue
treats them as its own. Their rules are the organisation's text, bound and checked
when the mapping loaded, and run only over the declared items (``survey_items``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from pathlib import Path

import pandas as pd

from pipelines.settings import DataRoot


REFERENCE_DIR = Path(__file__).parent / "reference"
INDICATORS_CSV = REFERENCE_DIR / "indicators.csv"
AAI_PUBLISHED_CSV = REFERENCE_DIR / "aai_published.csv"
NATIONAL_INDICATORS_CSV = REFERENCE_DIR / "national_indicators.csv"

KINDS = {"domain", "share", "mean", "count", "sum", "national"}
# The range a cell's value can take, in its published unit: intervals stay inside it.
SCALE_COLUMNS = ("scale_min", "scale_max")
SOURCES = {"survey", "attendance", "groups", "national", "declared"}
# Measured at survey waves (so with a baseline), and counted from the registers (everyone, no waves).
SURVEY_SOURCES = ("survey", "declared")
REGISTER_SOURCES = ("attendance", "groups")
# What a data root's declared measure adds to its catalogue row: names per report
# language, and the programme whose files its mapping reads (empty: any).
DECLARED_COLUMNS = ("mapping", "item_columns", "reverse", "item_min", "item_max", "names", "programme")
NATIONAL_SEXES = {"all", "female", "male"}
_POPULATION = re.compile(r"^(?:all|(\d+)\+|(\d+)-(\d+))$")
_IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*$")


def age_range(population: str) -> tuple[int | None, int | None]:
    """``'55-59'`` → (55, 59); ``'75+'`` → (75, None); ``'all'`` → (None, None)."""
    match = _POPULATION.match(population)
    if not match:
        raise ValueError(f"population must be 'all', 'N+' or 'N-M', got {population!r}")
    if population == "all":
        return None, None
    if match.group(1):
        return int(match.group(1)), None
    return int(match.group(2)), int(match.group(3))


_dependents: list = []
_declared = pd.DataFrame()


def per_catalogue(function: Callable) -> Callable:
    """``functools.cache`` for a function of the catalogue: emptied when ``declare``
    changes the catalogue, so nothing keeps the indicators of another data root."""
    cached = cache(function)
    _dependents.append(cached)
    return cached


def declare(rows: pd.DataFrame) -> None:
    """Make the data root's declared measures (``mapping.measures.catalogue_rows``) part
    of the catalogue, replacing those of any earlier data root."""
    global _declared
    _declared = rows
    for function in _dependents:
        function.cache_clear()


@per_catalogue
def indicators() -> pd.DataFrame:
    """The catalogue with the declared measures of the data root in use, validated;
    ``weight`` a float (NaN for programme rows), ``proxy`` a bool, ``scale_min``/
    ``scale_max`` floats (NaN where the scale has no such bound)."""
    if _declared.empty:
        return project_indicators()
    df = pd.concat([project_indicators(), _declared], ignore_index=True)
    _validate(df)
    return df


def declared() -> pd.DataFrame:
    """The catalogue rows of the declared measures, with ``DECLARED_COLUMNS`` even when
    the data root declares none (the project catalogue alone lacks them)."""
    df = indicators()
    return df[df["source"] == "declared"].reindex(
        columns=list(dict.fromkeys([*df.columns, *DECLARED_COLUMNS]))).reset_index(drop=True)


@cache
def project_indicators() -> pd.DataFrame:
    """The project's own catalogue (``reference/indicators.csv``), without declared measures."""
    df = pd.read_csv(INDICATORS_CSV, dtype=str, keep_default_na=False)
    df["weight"] = pd.to_numeric(df["weight"].replace("", None))
    for column in SCALE_COLUMNS:
        values = pd.to_numeric(df[column].replace("", None), errors="coerce").astype(float)
        if bad := sorted(df.loc[(df[column] != "") & values.isna(), "code"]):
            raise ValueError(f"indicator catalogue: {column} is not a number for {bad}")
        df[column] = values
    df["proxy"] = df["proxy"].str.lower().eq("true")
    _validate(df)
    return df


def survey_indicators() -> pd.DataFrame:
    """Catalogue rows computed person by person from ``survey`` (declared measures are
    computed from their items: ``declared``)."""
    df = indicators()
    return df[df["source"] == "survey"].reset_index(drop=True)


def aai_weights() -> pd.DataFrame:
    """``code, domain, weight`` for the 22 AAI indicators and the 4 domains (domain ``AAI``)."""
    df = indicators()
    aai = df["domain"].isin(["D1", "D2", "D3", "D4", "AAI"])
    return df.loc[aai, ["code", "domain", "weight", "kind"]].reset_index(drop=True)


# The shared table writes sex as total/women/men; the project says all/female/male
# everywhere else (survey, national_indicators.csv, warehouse). ``project_sex`` is the
# one place one becomes the other.
PUBLISHED_SEXES = {"total": "all", "women": "female", "men": "male"}
# How official a benchmark's source is, most official first: a value from ``news`` is
# kept only while nothing better has been found, and says so in ``source_note``.
SOURCE_TYPES = ("official_report", "official_press_release", "national_study", "academic_study", "news")
AAI_PUBLISHED_COLUMNS = ["edition", "data_year", "country", "sex", "item", "value",
                         "source_url", "source_type", "source_note"]


def project_sex(values: pd.Series) -> pd.Series:
    """The shared table's ``total``/``women``/``men`` as the project's ``all``/``female``/
    ``male``; anything else is an error rather than a silently dropped row."""
    unknown = sorted(set(values) - PUBLISHED_SEXES.keys())
    if unknown:
        raise ValueError(f"published AAI figures: sex must be one of {sorted(PUBLISHED_SEXES)}, got {unknown}")
    return values.map(PUBLISHED_SEXES)


@cache
def aai_published() -> pd.DataFrame:
    """Published AAI figures, validated, sex in the project's words (``all``/``female``/``male``).

    Columns ``edition`` (the publication series the figure was computed in: ``2014`` and
    ``2018`` are the UNECE/European Commission editions), ``data_year`` (the year the data
    describe; ``<NA>`` where the source does not say), ``country``, ``sex``, ``item``
    (``AAI``, a domain ``D1``…``D4`` or an indicator code), ``value`` (0–100),
    ``source_url``, ``source_type`` (one of ``SOURCE_TYPES``) and ``source_note`` (where
    in the source, and what could not be checked). Figures of two editions are never
    comparable with each other; ``pipelines.publish.benchmarks`` picks one.
    """
    df = pd.read_csv(AAI_PUBLISHED_CSV, dtype=str, keep_default_na=False)
    if list(df.columns) != AAI_PUBLISHED_COLUMNS:
        raise ValueError(f"published AAI figures need the columns {AAI_PUBLISHED_COLUMNS}, got {list(df.columns)}")
    problems = []
    if bad := sorted(set(df["source_type"]) - set(SOURCE_TYPES)):
        problems.append(f"source_type must be one of {list(SOURCE_TYPES)}, got {bad}")
    if (~df["source_url"].str.match(r"https?://\S+$")).any():
        problems.append("every figure needs its source_url")
    df["value"] = pd.to_numeric(df["value"], errors="raise")
    if not df["value"].between(0, 100).all():
        problems.append("values are on the AAI's 0-100 scale")
    if df.duplicated(["edition", "data_year", "country", "sex", "item"]).any():
        problems.append("one value per edition, data year, country, sex and item")
    if problems:
        raise ValueError("published AAI figures: " + "; ".join(problems))
    df["data_year"] = pd.to_numeric(df["data_year"].replace("", None)).astype("Int64")
    df["sex"] = project_sex(df["sex"])
    return df


def national_indicators_for(root: DataRoot) -> pd.DataFrame:
    """The national figures that apply to a data root: the user's
    ``national_indicators.csv`` beside ``raw/`` if present, else the packaged file."""
    user_file = root.national_indicators
    return national_indicators(user_file if user_file.is_file() else None)


def national_indicators(path: Path | None = None) -> pd.DataFrame:
    """A country's published indicator values, as the user entered them.

    Columns ``country`` (ISO alpha-2, as in ``groups.country``), ``sex``
    (``all``/``female``/``male``), ``indicator`` (a catalogue code of source
    ``national``: 3.4, 4.1, 4.2), ``value`` (0–100, as published), ``year``, ``source``.
    """
    df = pd.read_csv(path or NATIONAL_INDICATORS_CSV, dtype=str, keep_default_na=False)
    expected = ["country", "sex", "indicator", "value", "year", "source"]
    if list(df.columns) != expected:
        raise ValueError(f"national indicators file needs the columns {expected}, got {list(df.columns)}")
    df["value"] = pd.to_numeric(df["value"].str.replace(",", ".", regex=False), errors="raise")
    outside = df[~df["value"].between(0, 100)]
    if len(outside):
        first = outside.iloc[0]
        raise ValueError(
            f"national indicators file: values are on the AAI's 0-100 scale; {first['country']} "
            f"{first['sex']} {first['indicator']} is {first['value']}"
        )
    catalogue = indicators().set_index("code")
    national_codes = set(catalogue.index[catalogue["source"] == "national"])
    unknown = sorted(set(df["indicator"]) - national_codes)
    if unknown:
        raise ValueError(
            f"national indicators file: {unknown} are not national-only indicators "
            f"(use {sorted(national_codes)}; survey indicators come from the survey)"
        )
    bad_sex = sorted(set(df["sex"]) - NATIONAL_SEXES)
    if bad_sex:
        raise ValueError(f"national indicators file: sex must be all, female or male, got {bad_sex}")
    if df.duplicated(["country", "sex", "indicator"]).any():
        raise ValueError("national indicators file: one value per country, sex and indicator")
    return df


def _validate(df: pd.DataFrame) -> None:
    problems = []
    if df["code"].duplicated().any():
        problems.append(f"duplicate codes {sorted(df.loc[df['code'].duplicated(), 'code'])}")
    if bad := sorted(set(df["kind"]) - KINDS):
        problems.append(f"unknown kinds {bad}")
    if bad := sorted(set(df.loc[df["kind"] != "domain", "source"]) - SOURCES):
        problems.append(f"unknown sources {bad}")
    shares = df[df["kind"] == "share"]
    if bad := sorted(shares.loc[(shares["scale_min"] != 0) | (shares["scale_max"] != 100), "code"]):
        problems.append(f"shares are percentages: scale 0 to 100 for {bad}")
    if bad := sorted(df.loc[df["scale_min"] >= df["scale_max"], "code"]):
        problems.append(f"scale_min must be below scale_max for {bad}")
    for row in df[df["kind"] != "domain"].itertuples():
        age_range(row.population)
        if row.source == "survey":
            items = row.items.split("|")
            if not row.rule_sql or not all(_IDENTIFIER.match(i) for i in items):
                problems.append(f"{row.code}: survey indicators need items and rule_sql")
    domains = df[df["kind"] == "domain"]
    if domains["weight"].sum() != 100:
        problems.append("domain weights must sum to 100")
    for domain in domains["code"]:
        members = df[df["domain"] == domain]
        if members.empty or members["weight"].isna().any():
            problems.append(f"{domain}: every indicator needs a weight")
    if problems:
        raise ValueError("indicator catalogue: " + "; ".join(problems))
