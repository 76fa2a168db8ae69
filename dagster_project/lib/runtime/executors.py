"""Where work that may run in other processes runs: spawned processes for large inputs, this
process (``InThisProcess``) for small ones, behind the one interface of
``concurrent.futures`` (submit, shutdown, a context). A spawned process starts a Python that
imports pandas and pyreadstat (about 2 s on the benchmark machine), more than small work
costs."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import Future, ProcessPoolExecutor

# Processes reading transport files (the export's read-back, the conformance check): one per
# core of the 2-core machine the benchmark runs on is the measured best (README, Performance).
READERS = 2


class InThisProcess:
    """What callers need of an executor (submit, shutdown, a context), each call run at once
    in this process."""

    def __enter__(self) -> InThisProcess:
        return self

    def __exit__(self, *exc) -> None:
        return None

    def submit(self, fn, *args, **kwargs) -> Future:
        done: Future = Future()
        try:
            done.set_result(fn(*args, **kwargs))
        except Exception as exc:  # handed to .result(), as a pool's future would
            done.set_exception(exc)
        return done

    def shutdown(self, **kwargs) -> None:
        return None


def processes(workers: int) -> ProcessPoolExecutor | InThisProcess:
    """``workers`` spawned processes (spawn: a forked copy of a Dagster run's process would
    inherit its threads and locks), or this process for fewer than two."""
    if workers < 2:
        return InThisProcess()
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
