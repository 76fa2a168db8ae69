"""Validation of the ADaM datasets with GX suites defined as code (no Dagster here)."""
