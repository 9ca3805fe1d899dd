"""Dagster definitions of the report stage."""
