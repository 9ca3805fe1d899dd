"""Ingest: files in the drop zone → canonical, typed staging tables."""
