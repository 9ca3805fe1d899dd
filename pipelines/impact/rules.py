"""The conventions every impact module shares, written once.

- `ALL` marks a column outside a breakdown (as in `indicators`); `UNKNOWN` a person
  whose sex, age band or group is not known: they count in totals, never as a
  breakdown of their own.
- `ALPHA`: every interval is 95 %, every test two-sided at 5 %.
- A share is 1/0 per person and reported in percentage points (×100); a mean stays in
  the score's own points. `scale` and `unit` are the one place that rule lives.
- `shown`: a count of people is published only when it is 0 or at least `min_cell`;
  otherwise it is NULL in a table and "fewer than N" in words (sentences.count).
"""

from __future__ import annotations

ALL = "all"
UNKNOWN = "unknown"
ALPHA = 0.05
PARTICIPANT = "participant"
COMPARISON = "comparison"


def scale(kind: str) -> float:
    """Raw difference → published unit: ×100 for shares (percentage points)."""
    return 100.0 if kind == "share" else 1.0


def unit(kind: str) -> str:
    """The `unit` column: `percentage_points` for shares, `score` for means."""
    return "percentage_points" if kind == "share" else "score"


def shown(n: int | None, min_cell: int) -> int | None:
    """`n` when it may be published (0, or at least min_cell), else None."""
    if n is None:
        return None
    return int(n) if n == 0 or n >= min_cell else None


def raw_bounds(kind: str, scale_min: float, scale_max: float) -> tuple[float, float]:
    """The range of one answer in raw units (a share is 0/1; the catalogue's scale is in
    percent for shares), ±∞ where the scale has no bound."""
    factor = scale(kind)
    low = scale_min / factor if scale_min == scale_min else -float("inf")
    high = scale_max / factor if scale_max == scale_max else float("inf")
    return low, high
