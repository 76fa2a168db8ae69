"""A run is safe to stop, and to start twice (README, Operations contract; issue 27).

`isadex run` is started as a user starts it (a subprocess of the console script) on a small
trial and killed with SIGKILL, the way an operator's `kill -9` or a lost machine ends it, at
the start of each stage: the moment is read from the run's own event log in the warehouse's
Dagster instance (the first STEP_START of that stage's step). After each kill the published
files are still the previous publication, `isadex verify` passes, no process of the run is
left, and the lock is free; the next run publishes the same tables as an uninterrupted run.
While one of these runs is going on, a second writer is refused.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import duckdb

from dagster_project.lib.runtime.settings import RunSettings
from tests.conftest import dbt_invocations, run_isadex

ISADEX = Path(sys.executable).with_name("isadex")
# Stage -> the step whose start marks it (the job's step keys).
STAGES = {
    "ingest": "raw_tables",
    "dbt": "warehouse_dbt_models",
    "validation": "gx_adsl",
    "export": "export__adam_xpt",
    "report": "endpoints__report",
    "publication": "published__warehouse",
}
TABLES = ("adam.adsl", "adam.adrs", "adam.adtte", "adam.adae", "adam.adex", "endpoints.results")


def _isadex(*args: object, **kwargs) -> subprocess.Popen:
    return subprocess.Popen(
        [ISADEX, *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        **kwargs,
    )


def _run(landing: Path, warehouse: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [ISADEX, "run", "--landing", landing, "--warehouse", warehouse],
        capture_output=True,
        text=True,
    )


def _published(warehouse: Path) -> dict[str, str]:
    """Every file a reader reaches through the stable names, with its SHA-256."""
    settings = RunSettings(landing=Path("."), warehouse=warehouse)
    files = {warehouse.name: warehouse, **{
        f"report/{p.relative_to(settings.report_path)}": p
        for p in settings.report_path.rglob("*") if p.is_file()
    }}  # fmt: skip
    return {name: hashlib.sha256(p.read_bytes()).hexdigest() for name, p in files.items()}


def _tables(warehouse: Path) -> dict[str, list]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return {t: con.execute(f"select * exclude (CUTOFFDT) from {t}").fetchall()
                if t == "endpoints.results" else con.execute(f"select * from {t}").fetchall()
                for t in TABLES}  # fmt: skip
    finally:
        con.close()


def _processes() -> list[tuple[str, str, int, int]]:
    """(name, state, parent pid, process group) of every process, from /proc/<pid>/stat."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        name, rest = text[: text.rindex(")") + 1], text[text.rindex(")") + 2 :].split()
        found.append((name, rest[0], int(rest[1]), int(rest[2])))
    return found


def _processes_in_group(pgid: int) -> list[str]:
    """Live (not zombie) processes of a process group."""
    return [name for name, state, _, group in _processes() if group == pgid and state != "Z"]


def _worker_group(supervisor: int) -> int | None:
    """The process group of the worker `isadex run` started (its child in a session of its own)."""
    return next((group for _, _, parent, group in _processes() if parent == supervisor), None)


def _wait_for_worker(proc, timeout=60) -> int:
    """The worker's process group, read as soon as the supervisor has started it: a small
    trial's last steps take milliseconds, so a worker looked for only once its step has started
    may have ended already (a clean run of the suite failed that way at "publication")."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        group = _worker_group(proc.pid)
        if group is not None:
            return group
        assert proc.poll() is None, f"the run ended before a worker: {proc.stdout.read()}"
        time.sleep(0.05)
    raise AssertionError(f"no worker within {timeout} s")


def _wait_for_step(dagster_home: Path, step_key: str, known_runs: set[str], proc, timeout=300):
    """Wait until a run not in known_runs has started ``step_key``; that run's id. A run that
    ended after starting the step counts (the last steps of a small trial can all pass between
    two looks): whether it ended is read before its events, so they are all there."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ended = proc.poll() is not None
        if (dagster_home / "dagster.yaml").exists():
            with dg.DagsterInstance.local_temp(tempdir=str(dagster_home)) as instance:
                for run in instance.get_runs(limit=3):
                    if run.run_id in known_runs:
                        continue
                    starts = instance.all_logs(run.run_id, of_type=dg.DagsterEventType.STEP_START)
                    if any(e.step_key == step_key for e in starts):
                        return run.run_id
        assert not ended, f"the run ended before {step_key}: {proc.stdout.read()}"
        time.sleep(0.2)
    raise AssertionError(f"no step {step_key} within {timeout} s")


def _second_writers_are_refused(first: subprocess.Popen, landing: Path, warehouse: Path) -> None:
    """While ``first`` (a run on ``warehouse``, its worker held still by SIGSTOP, so the folder
    changes only if a second writer changes it) holds the lock: a second `isadex run` is
    refused at once, naming the first, and writes nothing; the Python entry point (a notebook,
    a scheduler) is refused at once too, and starts no dbt parse in the first run's dbt folder
    (lib/warehouse/dbt_parse.py)."""
    before = sorted(p.name for p in warehouse.parent.iterdir())
    invocations = len(dbt_invocations(warehouse))
    started = time.monotonic()
    second = _run(landing, warehouse)
    assert time.monotonic() - started < 15
    assert second.returncode == 1
    assert f"process id {first.pid}" in second.stderr, second.stderr
    assert "started" in second.stderr and "nothing was changed" in second.stderr
    assert sorted(p.name for p in warehouse.parent.iterdir()) == before
    refused = run_isadex(landing, warehouse)
    assert refused.exit_code == 1 and refused.seconds < 15
    assert any(f"process id {first.pid}" in f for f in refused.failures), refused.summary()
    assert refused.summary().startswith("isadex run: FAILED in ")
    assert sorted(p.name for p in warehouse.parent.iterdir()) == before
    assert len(dbt_invocations(warehouse)) == invocations


def test_a_run_killed_at_any_stage_changes_nothing_published(small_cli_run):
    # The first run was uninterrupted: its tables are the ones every later run must give.
    code, output, landing, warehouse = small_cli_run
    assert code == 0, output
    settings = RunSettings(landing, warehouse)
    reference = _tables(warehouse)
    published = _published(warehouse)
    ledger = settings.layout.ledger.read_bytes()

    for stage, step in STAGES.items():
        with dg.DagsterInstance.local_temp(tempdir=str(settings.dagster_home)) as instance:
            known = {r.run_id for r in instance.get_runs()}
        run = _isadex("run", "--landing", landing, "--warehouse", warehouse)
        group = _wait_for_worker(run)
        run_id = _wait_for_step(settings.dagster_home, step, known, run)
        if stage == "validation":
            # A run going on: the moment to start a second writer (one run less than a test
            # of its own). The worker is held still meanwhile, then killed as at every stage.
            os.killpg(group, signal.SIGSTOP)
            try:
                _second_writers_are_refused(run, landing, warehouse)
            finally:
                os.killpg(group, signal.SIGCONT)
        os.kill(run.pid, signal.SIGKILL)
        run.wait(timeout=30)
        deadline = time.monotonic() + 10
        while _processes_in_group(group) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _processes_in_group(group), (stage, _processes_in_group(group))
        now = settings.layout.ledger.read_bytes()
        if stage == "publication" and now != ledger:
            # Killed after the switch (a small trial publishes in well under a second): the
            # run published whole, its record last in the ledger.
            assert now.startswith(ledger) and json.loads(now.splitlines()[-1])["run_id"] == run_id
            ledger, published = now, _published(warehouse)
        assert _published(warehouse) == published, stage
        assert now == ledger, stage
        verify = subprocess.run([ISADEX, "verify", "--warehouse", warehouse],
                                capture_output=True, text=True)  # fmt: skip
        assert verify.returncode == 0, (stage, verify.stdout)

    # The lock is free at once, and the next run gives the uninterrupted run's tables.
    again = _run(landing, warehouse)
    assert again.returncode == 0, again.stdout + again.stderr
    assert _tables(warehouse) == reference
    assert subprocess.run([ISADEX, "verify", "--warehouse", warehouse]).returncode == 0
    records = [json.loads(line) for line in settings.layout.ledger.read_text().splitlines()]
    assert records[-1]["run_id"] not in {r["run_id"] for r in records[:-1]}
