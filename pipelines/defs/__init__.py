"""The code location's definitions, one folder per stage (loaded by pipelines/definitions.py)."""
