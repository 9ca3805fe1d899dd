"""Validate: contracts and cross-file rules → the warehouse tables and quarantine."""
