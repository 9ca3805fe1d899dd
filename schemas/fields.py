"""Field builders for the contracts: each field says how its raw text is read.

The ``metadata`` on every field (``parse``: text, code, yes_no, date, integer; and the
answer ``scale`` for codes) is what ingestion uses to turn raw strings into typed
values, so a column's type and codes are declared once, here in the contract.
"""

from __future__ import annotations

from typing import Any

import pandera.pandas as pa

from pipelines import vocabulary


def text(*, required: bool = False) -> Any:
    return pa.Field(nullable=not required, metadata={"parse": "text"})


def code(scale: str, *, required: bool = False) -> Any:
    return pa.Field(
        isin=list(vocabulary.codes(scale)),
        nullable=not required,
        metadata={"parse": "code", "scale": scale},
    )


def yes_no(*, required: bool = False) -> Any:
    return pa.Field(nullable=not required, metadata={"parse": "yes_no"})


def date(*, required: bool = False) -> Any:
    return pa.Field(nullable=not required, metadata={"parse": "date"})


def integer(low: int, high: int, *, required: bool = False) -> Any:
    return pa.Field(
        in_range={"min_value": low, "max_value": high},
        nullable=not required,
        metadata={"parse": "integer"},
    )
