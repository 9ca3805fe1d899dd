"""Dagster definitions of each reporting period's own tables."""
