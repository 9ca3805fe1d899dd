"""Where the data lives and the few knobs an organisation may turn.

Every path the pipeline touches derives from one data root, ``$AAI_DATA_DIR``
(default ``./data``): files arrive in ``raw/``, everything produced goes to
``processed/``. Reading the environment lazily (never at import) lets tests and the
CLI point the same code at another root.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_MIN_CELL = 5
MAX_MIN_CELL = 10


@dataclass(frozen=True)
class DataRoot:
    """The folder layout under one data root."""

    root: Path

    @classmethod
    def from_env(cls, override: str | os.PathLike[str] | None = None) -> "DataRoot":
        root = override or os.environ.get("AAI_DATA_DIR") or "data"
        return cls(Path(root).expanduser().resolve())

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
    def national_indicators(self) -> Path:
        """A country's published 3.4, 4.1, 4.2 values, if the user supplies them."""
        return self.root / "national_indicators.csv"

    @property
    def charts(self) -> Path:
        return self.processed / "charts"

    @property
    def reports(self) -> Path:
        return self.processed / "reports"


def min_cell_size() -> int:
    """Smallest denominator a published cell may have (``$AAI_MIN_CELL``).

    Disclosure-control practice uses 5 or 10; an organisation may raise the default
    of 5 up to 10 but never lower it, because these files describe survivors of
    violence and people with disabilities.
    """
    raw = os.environ.get("AAI_MIN_CELL", "").strip()
    if not raw:
        return DEFAULT_MIN_CELL
    try:
        value = int(raw)
    except ValueError as exc:
        raise ValueError(f"AAI_MIN_CELL must be a whole number from 5 to 10, got {raw!r}") from exc
    if not DEFAULT_MIN_CELL <= value <= MAX_MIN_CELL:
        raise ValueError(f"AAI_MIN_CELL must be from 5 to 10, got {value}")
    return value
