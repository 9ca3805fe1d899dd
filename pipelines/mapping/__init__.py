"""Mapping files: a programme's own questionnaire described once, in YAML.

A data root's ``mappings/`` folder holds one file per questionnaire that does not use
the contract's column names and codes (docs/questionnaire.md). ``load.py`` reads and
checks them before any data is touched; ingestion (``pipelines/ingest/mapped.py``)
applies them inside its DuckDB reading.
"""

from pipelines.mapping.load import Derived, Mapping, MappingError, MappedColumn, load_mapping, load_mappings
from pipelines.mapping.measures import DeclaredIndicator

__all__ = ["DeclaredIndicator", "Derived", "MappedColumn", "Mapping", "MappingError", "load_mapping", "load_mappings"]
