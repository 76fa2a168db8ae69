"""What one Dagster event costs to store, and how many a run of this project stores.

`isadex run` on the 60-subject trial stores ~760 events in the instance's SQLite event log
(every asset's planned and materialization events, every check's planned and evaluation
events, a step output for each). The bare one-model run stores a few dozen. This script
measures the per-event cost on a fresh DAGSTER_HOME (as `make bench` uses) and, given a
DAGSTER_HOME that has run `isadex run`, counts that run's events by type, so README's
account of the 60-subject ratio can be re-checked:

    .venv/bin/python bench/dagster_events.py [--home DAGSTER_HOME_OF_A_RUN]
"""

from __future__ import annotations

import argparse
import collections
import os
import tempfile
import time


def per_event_ms(n: int = 200) -> dict[str, float]:
    """Milliseconds per stored event on a fresh instance: a run-level event (ENGINE_EVENT,
    like STEP_OUTPUT) and an asset event (ASSET_MATERIALIZATION, written to the run's shard
    and to the cross-run asset index)."""
    import dagster as dg
    from dagster._core.events import (
        DagsterEvent,
        DagsterEventType,
        EngineEventData,
        StepMaterializationData,
    )
    from dagster._core.events.log import EventLogEntry

    home = tempfile.mkdtemp(prefix="dagster-events-")
    os.environ["DAGSTER_HOME"] = home
    instance = dg.DagsterInstance.get()

    @dg.asset
    def a() -> int:
        return 1

    job = dg.Definitions(assets=[a]).resolve_implicit_global_asset_job_def()
    run = instance.create_run_for_job(job)

    def event(kind: str) -> EventLogEntry:
        if kind == "asset":
            data = StepMaterializationData(dg.AssetMaterialization(asset_key="a"))
            de = DagsterEvent(
                DagsterEventType.ASSET_MATERIALIZATION.value,
                job_name=job.name,
                event_specific_data=data,
            )
        else:
            de = DagsterEvent(
                DagsterEventType.ENGINE_EVENT.value,
                job_name=job.name,
                message="bench",
                event_specific_data=EngineEventData(),
            )
        return EventLogEntry(
            user_message="",
            level=20,
            job_name=job.name,
            run_id=run.run_id,
            error_info=None,
            timestamp=time.time(),
            dagster_event=de,
        )

    out = {}
    for kind in ("run-level", "asset"):
        started = time.perf_counter()
        for _ in range(n):
            instance.handle_new_event(event(kind))
        out[kind] = (time.perf_counter() - started) / n * 1000
    return out


def run_events(home: str) -> collections.Counter:
    import dagster as dg

    os.environ["DAGSTER_HOME"] = home
    instance = dg.DagsterInstance.get()
    run = instance.get_runs(limit=1)[0]
    records = instance.get_records_for_run(run.run_id, limit=1_000_000).records
    return collections.Counter(
        r.event_log_entry.dagster_event.event_type_value
        if r.event_log_entry.dagster_event
        else "LOG"
        for r in records
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", help="DAGSTER_HOME of an `isadex run` to count events of")
    args = parser.parse_args()
    if args.home:
        counts = run_events(args.home)
        print(f"last run in {args.home}: {sum(counts.values())} events")
        for kind, n in counts.most_common():
            print(f"  {n:5d} {kind}")
    for kind, ms in per_event_ms().items():
        print(f"store one {kind} event: {ms:.2f} ms")


if __name__ == "__main__":
    main()
