"""Indicators: AAI-aligned indicators, programme outputs and domain scores in DuckDB."""

from pipelines.indicators.build import build_indicators

__all__ = ["build_indicators"]
