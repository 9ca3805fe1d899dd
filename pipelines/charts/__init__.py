"""Charts for the report: shared style, pure plotting functions, the ``charts`` asset.

``build_charts(con, out_dir)`` draws everything from an open warehouse connection;
``load_charts(out_dir)`` reads back what was drawn (its manifest).
"""

from pipelines.charts.build import ChartInfo, build_charts, load_charts

__all__ = ["ChartInfo", "build_charts", "load_charts"]
