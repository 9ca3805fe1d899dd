"""How the reports divide: by programme and by reporting period.

Both dimensions are Dagster dynamic partitions, registered by the ``report_partitions``
asset from the warehouse: programmes from the groups register and the surveys (each
by its folder key, ``publish.scope.scope_keys``, plus ``all``), periods from the data's
dates at the granularities the data root asks for (``AAI_REPORT_PERIODS``: the whole
data period, and each calendar year, quarter or month holding data). A report is one
(programme, period) partition of the ``report/<lang>`` asset of its language.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import duckdb

from pipelines.defs.resources import AaiSettings
from pipelines.periods import NO_DATA, Period, parse_period, periods_within
from pipelines.publish.scope import ALL_PROGRAMMES, data_period, is_whole, programmes, scope_keys

PROGRAMMES = dg.DynamicPartitionsDefinition(name="programme")
PERIODS = dg.DynamicPartitionsDefinition(name="period")
REPORTS = dg.MultiPartitionsDefinition({"programme": PROGRAMMES, "period": PERIODS})


@dataclass(frozen=True)
class Partitions:
    """The partitions the warehouse has today: every report a run should build."""

    programmes: list[str]  # keys, ``all`` last
    periods: list[str]  # labels, the whole data period first
    data_period: str

    def reports(self, periods: list[str] | None = None) -> list[dg.MultiPartitionKey]:
        return [report_key(programme, period) for period in (periods or self.periods)
                for programme in self.programmes]

    def as_metadata(self) -> dict[str, object]:
        return {"programmes": self.programmes, "periods": self.periods, "data_period": self.data_period}

    @classmethod
    def from_metadata(cls, metadata: dict) -> "Partitions":
        value = {k: getattr(v, "value", v) for k, v in metadata.items()}
        return cls(list(value["programmes"]), list(value["periods"]), str(value["data_period"]))


def report_key(programme: str, period: str) -> dg.MultiPartitionKey:
    return dg.MultiPartitionKey({"programme": programme, "period": period})


def current(con: duckdb.DuckDBPyConnection, granularities: list[str]) -> Partitions:
    """The programme and period keys of the warehouse behind ``con``; two programmes
    that would share a report folder raise ``FolderCollision`` naming both."""
    full = data_period(con)
    if full is None:
        return Partitions([ALL_PROGRAMMES], [NO_DATA.label], NO_DATA.label)
    labels: list[str] = []
    for granularity in ["data", *granularities]:
        labels += [p.label for p in periods_within(full, granularity) if p.label not in labels]
    return Partitions([*scope_keys(programmes(con)).values(), ALL_PROGRAMMES], labels, full.label)


def register(instance: dg.DagsterInstance, programme_keys: list[str], period_keys: list[str]) -> None:
    """Add the keys the instance does not know yet. Keys are never deleted here: a
    period asked for by hand (``aai report --period``) or a programme that left the
    data keeps its reports and their history in the UI."""
    for definition, keys in ((PROGRAMMES, programme_keys), (PERIODS, period_keys)):
        known = set(instance.get_dynamic_partitions(definition.name))
        new = [k for k in dict.fromkeys(keys) if k not in known]
        if new:
            instance.add_dynamic_partitions(definition.name, new)


def period_of(key: str) -> Period:
    """The period a partition key names (``no-data`` for a warehouse with no dates yet)."""
    return NO_DATA if key == NO_DATA.label else parse_period(key)


def period_file(settings: AaiSettings, period: Period) -> Path:
    """The ``period_tables`` file of a period other than the data period."""
    return settings.paths.processed / "periods" / f"{period.label}.duckdb"


@contextmanager
def period_connection(settings: AaiSettings, key: str) -> Iterator[tuple[duckdb.DuckDBPyConnection, Period, Period]]:
    """(the period's own warehouse, the period, the data period) for a period key: the
    warehouse itself when the period covers the data, else its ``period_tables`` file."""
    period = period_of(key)
    with settings.connect(read_only=True) as con:
        full = data_period(con) or NO_DATA
        if is_whole(period, full):
            yield con, period, full
            return
    path = period_file(settings, period)
    if not path.exists():
        raise ValueError(f"the tables of period {period.label} are not built yet: materialize period_tables "
                         f"for {period.label} first (aai report --period {period.label} does)")
    con = duckdb.connect(str(path), read_only=True)
    try:
        yield con, period, full
    finally:
        con.close()
