"""Ingest: the site-extract contract (contract.py), landing-zone discovery and manifest checks
(landing.py), and the load of verified transfers into raw.* with quarantine (ingestion.py
orchestrates raw_load.py, file by file, and raw_prescan.py, many clean files at once)."""
