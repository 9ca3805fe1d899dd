"""Where the data lives and the few knobs an organisation may turn.

Every path the pipeline touches derives from one data root (``$AAI_DATA_DIR``,
default ``./data``, bound in ``pipelines/defs/resources.py``): files arrive in
``raw/``, everything produced goes to ``processed/``. A data root's ``aai.toml`` says
what only it can say: its declared primary outcomes and the files to ignore. Nothing
here reads the environment.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

DEFAULT_MIN_CELL = 5
MAX_MIN_CELL = 10


@dataclass(frozen=True)
class DataRoot:
    """The folder layout under one data root."""

    root: Path

    @property
    def raw(self) -> Path:
        return self.root / "raw"

    @property
    def processed(self) -> Path:
        return self.root / "processed"

    @property
    def warehouse(self) -> Path:
        return self.processed / "warehouse.duckdb"

    @property
    def mappings(self) -> Path:
        """Mapping files: a programme's own questionnaire described (docs/questionnaire.md)."""
        return self.root / "mappings"

    @property
    def review_decisions(self) -> Path:
        """A reviewer's keep/exclude decisions on the outlier flags (docs/review.md)."""
        return self.root / "review" / "decisions.csv"

    @property
    def frameworks(self) -> Path:
        """Results frameworks: a programme's logframe targets (docs/results.md)."""
        return self.root / "frameworks"

    @property
    def national_indicators(self) -> Path:
        """A country's published 3.4, 4.1, 4.2 values, if the user supplies them."""
        return self.root / "national_indicators.csv"

    @property
    def charts(self) -> Path:
        return self.processed / "charts"

    @property
    def reports(self) -> Path:
        return self.processed / "reports"


CONFIG_FILE = "aai.toml"
DEFAULT_FALSE_DISCOVERY_RATE = 0.05


@dataclass(frozen=True)
class ClaimsConfig:
    """What a report may state as a finding, from ``[claims]`` and ``[programmes.<id>]``
    of the data root's ``aai.toml``.

    ``primary_outcomes`` (indicator codes) is the pre-declared list of outcomes a
    programme's report may claim a change in; ``None`` means every survey indicator of
    the catalogue and every declared measure it tests. A code may be a measure a mapping
    file declares; which codes exist is only known once the mappings load, so
    ``impact.claims.check_config`` checks them then, not here. Declaring a short list
    before the data come in is what evaluation practice asks for, and it buys power: the
    correction is over fewer tests.
    """

    primary_outcomes: tuple[str, ...] | None = None
    by_programme: dict[str, tuple[str, ...]] | None = None
    false_discovery_rate: float = DEFAULT_FALSE_DISCOVERY_RATE

    def primary_for(self, programme: str) -> tuple[str, ...] | None:
        return (self.by_programme or {}).get(programme, self.primary_outcomes)


def read_claims_config(root: DataRoot) -> ClaimsConfig:
    """``aai.toml`` beside ``raw/`` (optional); a malformed file is an error naming it."""
    path = root.root / CONFIG_FILE
    if not path.is_file():
        return ClaimsConfig()
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: not a valid TOML file: {exc}") from exc
    claims = document.get("claims", {})
    rate = claims.get("false_discovery_rate", DEFAULT_FALSE_DISCOVERY_RATE)
    if not isinstance(rate, (int, float)) or not 0 < rate < 0.5:
        raise ValueError(f"{path}: [claims] false_discovery_rate must be a number between 0 and 0.5, got {rate!r}")
    by_programme = {
        programme: _codes(path, f"[programmes.{programme}] primary_outcomes", section.get("primary_outcomes"))
        for programme, section in document.get("programmes", {}).items()
        if "primary_outcomes" in section
    }
    default = claims.get("primary_outcomes")
    return ClaimsConfig(
        primary_outcomes=None if default is None else _codes(path, "[claims] primary_outcomes", default),
        by_programme=by_programme,
        false_discovery_rate=float(rate),
    )


def read_ingest_ignore(root: DataRoot) -> tuple[str, ...]:
    """``[ingest] ignore`` of ``aai.toml``: glob patterns, relative to raw/, of files
    that are not read (each still gets an ``ingest_log`` row saying so)."""
    path = root.root / CONFIG_FILE
    if not path.is_file():
        return ()
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: not a valid TOML file: {exc}") from exc
    patterns = document.get("ingest", {}).get("ignore", [])
    if not isinstance(patterns, list) or not all(isinstance(p, str) and p.strip() for p in patterns):
        raise ValueError(f'{path}: [ingest] ignore must be a list of file patterns such as "old/*.csv"')
    return tuple(p.strip() for p in patterns)


SOURCE_DATE_EPOCH = "SOURCE_DATE_EPOCH"
LATEST_EPOCH = 253_402_300_799  # 9999-12-31 23:59:59 UTC, the last second a date can hold


def source_date_epoch(value: str | None) -> int | None:
    """The value of ``SOURCE_DATE_EPOCH`` (reproducible-builds.org) as seconds since
    1970-01-01; None when it is unset or empty, as the specification asks. Anything
    else that is not a whole number of seconds is refused in one sentence: the report
    renderer would otherwise fail on every PDF."""
    if value is None or not value.strip():
        return None
    try:
        seconds = int(value.strip())
    except ValueError:
        seconds = -1
    if not 0 <= seconds <= LATEST_EPOCH:
        raise ValueError(f"{SOURCE_DATE_EPOCH} must be a whole number of seconds since 1970-01-01 (the date the "
                         f"PDFs carry), got {value!r}; unset it for undated PDFs")
    return seconds


def _codes(path: Path, where: str, value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v.strip() for v in value):
        raise ValueError(f"{path}: {where} must be a non-empty list of indicator codes such as \"4.5\"")
    return tuple(v.strip() for v in value)
