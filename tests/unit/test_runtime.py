"""The writer lock and the supervision of a run's processes (lib/runtime), on small stand-ins:
a supervisor process holding the lock and a worker that starts a grandchild, as `isadex run`
and dbt do."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from dagster_project.lib.runtime import writer_lock

SUPERVISOR = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from dagster_project.lib.runtime import supervise, writer_lock
    fd = writer_lock.acquire(Path(sys.argv[1]), command="test supervisor")
    sys.exit(supervise.run_worker([sys.executable, "-c", sys.argv[2], sys.argv[3]], fd))
    """
)
WORKER = textwrap.dedent(
    """
    import os, subprocess, sys, time
    from dagster_project.lib.runtime import supervise
    supervise.watch_supervisor()
    child = subprocess.Popen(["sleep", "300"])
    open(sys.argv[1], "w").write(f"{os.getpgrp()} {child.pid}")
    if os.environ.get("EXIT_AT_ONCE"):
        sys.exit(3)
    time.sleep(300)
    """
)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _start(tmp_path: Path, **env) -> tuple[subprocess.Popen, int, int]:
    marker = tmp_path / "marker"
    proc = subprocess.Popen(
        [sys.executable, "-c", SUPERVISOR, str(tmp_path / "w.lock"), WORKER, str(marker)],
        env={**os.environ, **env},
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 30
    while not (marker.exists() and marker.read_text()):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    pgid, grandchild = map(int, marker.read_text().split())
    return proc, pgid, grandchild


def _gone(pid: int, timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not _alive(pid)


def _lock_freed(lock: Path, timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        try:
            writer_lock.acquire(lock)
            writer_lock.release(lock)
            return True
        except writer_lock.WarehouseBusy:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)


@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM, signal.SIGINT])
def test_every_process_of_a_run_ends_with_the_supervisor(tmp_path: Path, signum):
    proc, pgid, grandchild = _start(tmp_path)
    assert pgid != os.getpgrp() and _alive(grandchild)
    os.kill(proc.pid, signum)
    proc.wait(timeout=30)
    assert _gone(grandchild), "the worker's child outlived the run"
    assert _gone(pgid), "the worker outlived the run"
    if signum != signal.SIGKILL:
        assert proc.returncode == 1 and "nothing new was published" in proc.stderr.read()
    # The lock is free again once the last of the worker's threads has ended. After SIGKILL
    # nobody waits for the worker: its main thread shows as a zombie (gone, above) while its
    # supervisor-watch thread can still hold the process's descriptors, the lock's among
    # them, for a moment (a clean-clone `.ci/run` caught that moment once, 2026-12-07).
    assert _lock_freed(tmp_path / "w.lock"), "the lock outlived the run"


def test_a_worker_that_ends_leaves_no_child_behind(tmp_path: Path):
    proc, pgid, grandchild = _start(tmp_path, EXIT_AT_ONCE="1")
    assert proc.wait(timeout=30) == 3  # the worker's own exit status
    assert _gone(grandchild)


def test_a_second_writer_is_refused_naming_the_first(tmp_path: Path):
    lock = tmp_path / "warehouse.lock"
    proc, _, _ = _start(tmp_path)  # holds tmp_path / "w.lock"
    try:
        with pytest.raises(writer_lock.WarehouseBusy, match=f"process id {proc.pid}") as busy:
            writer_lock.acquire(tmp_path / "w.lock")
        assert "test supervisor" in str(busy.value) and "started 20" in str(busy.value)
    finally:
        proc.kill()
        proc.wait()
    with writer_lock.holding(lock):
        assert writer_lock.held_here(lock)
        with writer_lock.holding(lock):  # re-entered in the same process: no second lock
            pass
        assert writer_lock.held_here(lock)
    assert not writer_lock.held_here(lock)


SETTLING_SUPERVISOR = textwrap.dedent(
    """
    import os, sys
    from pathlib import Path
    from dagster_project.lib.runtime import supervise, writer_lock
    fd = writer_lock.acquire(Path(sys.argv[1]), command="test supervisor")
    killed = "import os, signal; os.kill(os.getpid(), signal.SIGKILL)"
    settled = os.environ.get("SETTLED") or None
    sys.exit(supervise.run_worker([sys.executable, "-c", killed], fd, settle=lambda: settled))
    """
)


@pytest.mark.parametrize(("settled", "code"), [("cut_20261031_ab12cd34", 0), ("", 1)])
def test_a_killed_worker_is_settled_by_the_supervisor(tmp_path, settled, code):
    """A worker killed after it recorded a publication and before it switched to it: the
    supervisor, still holding the lock, completes the switch (settle) and says so, exit 0;
    said 'nothing new was published' and left `isadex verify` failing until the next run. With
    nothing to settle, the run failed as before."""
    run = subprocess.run(
        [sys.executable, "-c", SETTLING_SUPERVISOR, str(tmp_path / "w.lock")],
        env={**os.environ, "SETTLED": settled},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == code, run.stderr
    if settled:
        assert "the run was killed (signal SIGKILL) after it had recorded publication" in run.stderr
        assert f"{settled} is published (its switch completed)" in run.stderr
    else:
        assert "nothing new was published, the previous publication stays current" in run.stderr
