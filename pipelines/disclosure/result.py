"""What the disclosure audit finds, shared by every stage that audits: the indicators
stage checks its own suppression, the impact stage repairs what the audit pins, and
the publish layer's full audit (``pipelines.publish.audit``) adds up the rest.

What leaves these objects (check metadata, the command's output) names cells and the
*width* of the attacker's range, never a hidden count or value.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pipelines.warehouse import markdown_table

KEY = ["indicator", "programme_id", "country", "region", "group_id", "arm", "wave", "sex", "age_band", "disability"]
WIDTH_BINS = [1, 2, 5, 10, np.inf]
WIDTH_LABELS = ["1–2", "2–5", "5–10", "10 or more"]
SHOWN_FAILURES = 50


@dataclass
class Failure:
    """A protected count the attacker pins (or a published figure that should not be)."""

    source: str  # indicators, domain_scores, impact, reports
    cell: str  # the cell, as key=value pairs
    what: str
    width: float | None = None  # the attacker's range, max − min (never the count)
    key: dict[str, str] | None = None  # the cell as data, for the planner that repairs it


@dataclass
class AuditResult:
    targets: int = 0
    components: int = 0
    solved: int = 0
    seconds: float = 0.0
    widths: pd.Series = field(default_factory=lambda: pd.Series(dtype=float))
    exact: pd.Series = field(default_factory=lambda: pd.Series(dtype=bool))
    failures: list[Failure] = field(default_factory=list)
    checked: dict[str, int] = field(default_factory=dict)  # what else was checked, and how much

    @property
    def passed(self) -> bool:
        return not self.failures

    def histogram(self) -> dict[str, int]:
        """Protection widths of the targets, by bin (a lower bound where not solved exactly)."""
        finite = self.widths[np.isfinite(self.widths)]
        counts = pd.cut(finite, WIDTH_BINS, right=False, labels=WIDTH_LABELS).value_counts().reindex(WIDTH_LABELS)
        out = {label: int(n) for label, n in counts.fillna(0).items()}
        out["unbounded"] = int((~np.isfinite(self.widths)).sum())
        out["under 1 (pinned or exempt zero)"] = int((finite < 1).sum())
        return out

    def narrowest(self, k: int = 5) -> list[float]:
        """The smallest exact widths at or above 1 (the protected counts nearest to pinned)."""
        exact = self.widths[self.exact & (self.widths >= 1)]
        return sorted(float(w) for w in exact.nsmallest(k))

    def metadata(self) -> dict:
        """Aggregates for Dagster metadata: no hidden count or value."""
        from dagster import MetadataValue

        failing = pd.DataFrame([{"source": f.source, "cell": f.cell, "what": f.what,
                                 "width": None if f.width is None else round(f.width, 3)}
                                for f in self.failures[:SHOWN_FAILURES]])
        return {
            "protected counts checked": self.targets,
            "pinned": len(self.failures),
            "linear programs solved": self.solved,
            "blocks (item set × arm × wave)": self.components,
            "seconds": round(self.seconds, 2),
            "protection widths (attacker's max − min)": MetadataValue.md(
                markdown_table(pd.DataFrame(list(self.histogram().items()), columns=["width", "targets"]))),
            "narrowest widths": ", ".join(f"{w:g}" for w in self.narrowest()) or "none",
            **{f"checked: {k}": v for k, v in self.checked.items()},
            "failing (cell, width; never the count)": MetadataValue.md(markdown_table(failing)),
        }


def describe(row: pd.Series, columns=KEY) -> str:
    """``indicator=2.1 programme_id=X group_id=G sex=male`` (breakdowns at ``all`` left out)."""
    return " ".join(f"{c}={row[c]}" for c in columns if c in row and row[c] != "all")
