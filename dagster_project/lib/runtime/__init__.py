"""Runtime glue of a run: the one-writer lock and the supervision of a run's processes."""
