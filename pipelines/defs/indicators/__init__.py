"""Dagster definitions of the indicators stage."""
