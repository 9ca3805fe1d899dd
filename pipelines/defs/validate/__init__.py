"""Dagster definitions of the validate stage."""
