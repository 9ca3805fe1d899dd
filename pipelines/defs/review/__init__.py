"""Dagster definitions of the review stage."""
