"""Writes and workflows of the metrics app, one module per area (ingest, ...)."""
