"""``ChartInfo``: one chart as the report, the manifest and the Dagster metadata see it."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

from pipelines.charts.style import save_figure


@dataclass
class ChartInfo:
    """One chart as the report and the Dagster metadata see it."""

    key: str  # stable file stem, e.g. "indicator_change_BRC-WWC"
    section: str  # report section: participation, domains, change, quality
    title: str
    caption: str = ""
    alt: str = ""
    png: Path | None = None
    svg: Path | None = None
    n: int | None = None
    programme_id: str | None = None
    message: str = ""  # why there is no chart yet, for the reader

    @property
    def available(self) -> bool:
        return self.png is not None and self.png.exists()

    def to_json(self) -> dict:
        """The manifest entry: file names only, so the folder can be moved."""
        data = asdict(self)
        data["png"] = self.png.name if self.png else None
        data["svg"] = self.svg.name if self.svg else None
        return data

    @classmethod
    def from_json(cls, data: dict, base: Path) -> "ChartInfo":
        data = dict(data)
        data["png"] = base / data["png"] if data.get("png") else None
        data["svg"] = base / data["svg"] if data.get("svg") else None
        return cls(**data)


def save_chart(info: ChartInfo, fig, out_dir: Path) -> ChartInfo:
    info.png, info.svg = save_figure(fig, out_dir / info.key, title=info.title, alt=info.alt)
    return info
