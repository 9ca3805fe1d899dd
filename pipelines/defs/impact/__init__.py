"""Dagster definitions of the impact stage."""
