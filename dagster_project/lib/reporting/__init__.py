"""Rendering of the endpoint figures (F01-F03) and the HTML report: pure, no Dagster."""
