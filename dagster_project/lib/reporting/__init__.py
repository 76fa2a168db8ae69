"""Rendering of the endpoint figures (F01-F05) and the HTML report: pure, no Dagster."""
