"""Dagster definitions of the ingest stage."""
