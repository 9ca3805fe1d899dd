"""``ChartInfo``: one chart as the report, the manifest and the Dagster metadata see it."""

from __future__ import annotations

import hashlib
import re
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


SLUG_SAFE = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*")
SLUG_MAX_CHARS = 60
SLUG_HASH_CHARS = 8


def slug(text: str) -> str:
    """A file-name-safe, collision-free form of a programme id (ids come from the
    field's files): the id itself when it is already safe (``BRC-WWC``), so existing
    folders and figure ids never move; otherwise its safe characters plus a short hash
    of the whole id, so ``COL/1`` and ``COL 1`` get two folders, never one."""
    text = str(text)
    if not text.strip():
        raise ValueError("an empty programme id cannot name a folder")
    if SLUG_SAFE.fullmatch(text) and len(text) <= SLUG_MAX_CHARS:
        return text
    readable = re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-.")[:SLUG_MAX_CHARS] or "id"
    return f"{readable}-{hashlib.sha256(text.encode('utf-8')).hexdigest()[:SLUG_HASH_CHARS]}"


def save_chart(info: ChartInfo, fig, out_dir: Path) -> ChartInfo:
    info.png, info.svg = save_figure(fig, out_dir / info.key, title=info.title, alt=info.alt)
    return info
