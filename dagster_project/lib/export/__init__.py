"""Submission exports: SAS transport files and define-style metadata."""
