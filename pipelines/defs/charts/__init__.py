"""Dagster definitions of the charts stage."""
