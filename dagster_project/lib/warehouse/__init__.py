"""Warehouse I/O: reading tables into pandas (table_frames), content fingerprints
(fingerprint), the run record (provenance), the dbt build scope (build_scope), and the
publication: what readers open, switched all at once (layout, publish, raw_scrub), with the
hash-chained ledger that proves its history (ledger, audit: ``isadex verify | prune``)."""
