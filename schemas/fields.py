"""Field builders for the contracts: each field says how its raw text is read.

The ``metadata`` on every field (``parse``: text, code, yes_no, date, integer; and the
answer ``scale`` for codes) is what ingestion uses to turn raw strings into typed
values, so a column's type and codes are declared once, here in the contract.

``design`` marks the columns the evaluation's design rests on (who, which programme,
group, arm and wave, when, and the breakdowns sex, age, disability): a value there
that cannot be read costs the whole row. Anywhere else (an optional item) it costs
only that cell, loaded as empty. A required column is always a design column.
"""

from __future__ import annotations

from typing import Any

import pandera.pandas as pa

from pipelines import vocabulary


def text(*, required: bool = False, design: bool = False) -> Any:
    return pa.Field(nullable=not required, metadata={"parse": "text", "design": design or required})


def code(scale: str, *, required: bool = False, design: bool = False) -> Any:
    return pa.Field(
        isin=list(vocabulary.codes(scale)),
        nullable=not required,
        metadata={"parse": "code", "scale": scale, "design": design or required},
    )


def yes_no(*, required: bool = False, design: bool = False) -> Any:
    return pa.Field(nullable=not required, metadata={"parse": "yes_no", "design": design or required})


def date(*, required: bool = False, design: bool = False) -> Any:
    return pa.Field(nullable=not required, metadata={"parse": "date", "design": design or required})


def integer(low: int, high: int, *, required: bool = False) -> Any:
    return pa.Field(
        in_range={"min_value": low, "max_value": high},
        nullable=not required,
        metadata={"parse": "integer", "design": required},
    )
