"""Dagster definitions of the disclosure stage."""
