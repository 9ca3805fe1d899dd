"""Charts for the report: shared style, pure plotting functions, the ``charts`` asset.

``build_charts(con, out_dir)`` draws everything from an open warehouse connection;
``load_charts(out_dir)`` reads back its manifest: the file names, titles, captions and
alt text of what was drawn. Every build draws its charts anew; the manifest is a
listing, not a cache.
"""

from pipelines.charts.build import ChartInfo, build_charts, load_charts

__all__ = ["ChartInfo", "build_charts", "load_charts"]
