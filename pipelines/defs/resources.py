"""The one resource every asset, check and sensor reads its settings from.

An organisation's knobs — where the data root is, the smallest published cell, the
report languages, the pseudonym salt, how long a run waits for the warehouse — are
fields of ``AaiSettings``, a Dagster ``ConfigurableResource``. The code location binds
it from environment variables (``dg.EnvVar``, so a secret such as the salt is never
shown in the UI, only its variable's name); ``aai run`` passes its options as run
config; tests construct it directly. Nothing downstream reads ``os.environ``. What a
data root says about itself (primary outcomes, files to ignore) stays in its
``aai.toml`` and is read through this resource.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb

from pipelines import catalogue
from pipelines.mapping import Mapping, load_mappings
from pipelines.mapping.measures import catalogue_rows
from pipelines.periods import GRANULARITIES
from pipelines.settings import (
    DEFAULT_MIN_CELL,
    MAX_MIN_CELL,
    ClaimsConfig,
    DataRoot,
    SOURCE_DATE_EPOCH,
    read_claims_config,
    read_ingest_ignore,
    source_date_epoch,
)
from pipelines.warehouse import LOCK_TIMEOUT_SECONDS, connect

# field → the environment variable that sets it (README "Settings")
ENVIRONMENT = {
    "data_dir": "AAI_DATA_DIR",
    "min_cell": "AAI_MIN_CELL",
    "report_languages": "AAI_REPORT_LANG",
    "id_salt": "AAI_ID_SALT",
    "lock_timeout_seconds": "AAI_LOCK_TIMEOUT",
    "report_periods": "AAI_REPORT_PERIODS",
}
INTEGER_FIELDS = {"min_cell", "lock_timeout_seconds"}
RESOURCE_KEY = "settings"


class AaiSettings(dg.ConfigurableResource):
    """Settings of one data root, for assets, checks, sensors and the command line."""

    data_dir: str = "data"
    min_cell: int = DEFAULT_MIN_CELL
    report_languages: str = "en"
    id_salt: str = ""
    lock_timeout_seconds: int = LOCK_TIMEOUT_SECONDS
    # which reporting periods get reports: the whole data period, and each calendar
    # year, quarter or month that holds data (pipelines.periods.GRANULARITIES)
    report_periods: str = "data"

    def checked(self) -> "AaiSettings":
        """These settings, refused with one sentence when a value is out of bounds. Run when
        a run starts (``setup_for_execution``: at definition time the values may still
        be environment variables) and by ``from_environment``."""
        # 5 or 10 in disclosure-control practice; these files describe survivors of
        # violence and people with disabilities, so never below 5.
        if not DEFAULT_MIN_CELL <= self.min_cell <= MAX_MIN_CELL:
            raise ValueError(f"min_cell (AAI_MIN_CELL) must be from {DEFAULT_MIN_CELL} to {MAX_MIN_CELL}, "
                             f"got {self.min_cell}")
        if not self.languages:
            raise ValueError("report_languages (AAI_REPORT_LANG) names at least one language, e.g. en or en,ru")
        unknown = [p for p in self.periods if p not in GRANULARITIES]
        if unknown or not self.periods:
            raise ValueError(f"report_periods (AAI_REPORT_PERIODS) is a list of {', '.join(GRANULARITIES)}, "
                             f"got {self.report_periods!r}")
        if self.lock_timeout_seconds < 0:
            raise ValueError(f"lock_timeout_seconds (AAI_LOCK_TIMEOUT) cannot be negative, got {self.lock_timeout_seconds}")
        # not a setting of ours, but every report's PDF reads it: refused here, before any work
        source_date_epoch(os.environ.get(SOURCE_DATE_EPOCH))
        return self

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        self.checked()
        self.declare_measures()

    def declare_measures(self, mappings: tuple[Mapping, ...] | None = None) -> None:
        """Every stage of a run, and every command reading its figures, uses one
        catalogue: the project's and this data root's declared measures
        (docs/questionnaire.md, indicators), from ``mappings`` when already loaded."""
        catalogue.declare(catalogue_rows(self.mappings() if mappings is None else mappings))

    @property
    def paths(self) -> DataRoot:
        return DataRoot(Path(self.data_dir).expanduser().resolve())

    @property
    def languages(self) -> list[str]:
        return [lang.strip() for lang in self.report_languages.split(",") if lang.strip()]

    @property
    def periods(self) -> list[str]:
        return [p.strip() for p in self.report_periods.split(",") if p.strip()]

    @property
    def salt(self) -> bytes | None:
        """The pseudonym key; None when participant ids are kept as sent."""
        return self.id_salt.encode("utf-8") if self.id_salt.strip() else None

    def claims(self) -> ClaimsConfig:
        return read_claims_config(self.paths)

    def ingest_ignore(self) -> tuple[str, ...]:
        return read_ingest_ignore(self.paths)

    def mappings(self) -> tuple[Mapping, ...]:
        """The data root's mapping files, checked whole: a bad one raises ``MappingError``
        naming its file and line, before any data is read."""
        return load_mappings(self.paths.mappings, shown_from=self.paths.root)

    @contextmanager
    def connect(self, *, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        with connect(self.paths.warehouse, read_only=read_only, timeout=self.lock_timeout_seconds) as con:
            yield con

    @classmethod
    def from_environment(cls, **overrides: object) -> "AaiSettings":
        """Concrete settings from the environment (and explicit overrides), for the
        command line outside a Dagster run. Raises ValueError on a bad value."""
        values: dict[str, object] = {}
        for field, variable in ENVIRONMENT.items():
            raw = os.environ.get(variable, "").strip()
            if raw:
                values[field] = _integer(variable, raw) if field in INTEGER_FIELDS else raw
        values.update({k: v for k, v in overrides.items() if v is not None})
        try:
            settings = cls(**values)
        except Exception as exc:  # pydantic's message names the field and the rule
            raise ValueError(str(exc)) from exc
        return settings.checked()


def _integer(variable: str, raw: str) -> int:
    try:
        return int(raw)
    except ValueError as exc:
        raise ValueError(f"{variable} must be a whole number, got {raw!r}") from exc


def bound_settings() -> AaiSettings:
    """The code location's binding: each field from its environment variable when that
    is set (read when a run starts, so the UI shows the variable, not a secret's value),
    else the default."""
    return AaiSettings(**{
        field: (dg.EnvVar.int(variable) if field in INTEGER_FIELDS else dg.EnvVar(variable))
        for field, variable in ENVIRONMENT.items()
        if os.environ.get(variable, "").strip()
    })
