"""The review stage: outlier screening on the validated tables and a reviewer's
decisions about what it flags (docs/review.md). It comes after validate and before
indicators, which read the validated rows through ``analysed.define_analysed``."""

from pipelines.review.analysed import define_analysed
from pipelines.review.build import build_review
from pipelines.review.decisions import DecisionsError

__all__ = ["DecisionsError", "build_review", "define_analysed"]
