"""Dagster definitions of the results stage: progress against results frameworks."""
