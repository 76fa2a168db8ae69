"""Every process a run starts ends with it, however the run ends.

`isadex run` is two processes: the one the user started (the supervisor: it holds the writer
lock and waits) and the one that runs Dagster (the worker), started in a session of its own,
so that it, dbt and every other child share one process group that the supervisor can end as
a whole. The worker watches a pipe from the supervisor: when the supervisor ends for any
reason, even SIGKILL, the kernel closes the pipe and a thread of the worker kills the group.
Ctrl-C or SIGTERM to the supervisor kills the group the same way; after a worker that ended
by itself, the supervisor ends whatever of the group is left. Only then does the lock go.

Killing is safe here: the worker writes the working files only, and a publication switches
with one rename (lib/warehouse/publish.py). A worker ended after it recorded a publication in
the ledger (the commit point) and before it switched to it is settled by the supervisor, which
still holds the lock: it completes the switch (``settle``), so the run is published whole and
`isadex verify` holds at once; it said "nothing new was published" and left verify failing
until the next run (found by killing the worker at its first symlink call).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable

from dagster_project.lib.runtime.writer_lock import INHERITED_FD

SUPERVISOR_PIPE = "ISADEX_SUPERVISOR_PIPE"
INTERRUPTED = 1


def _end_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def run_worker(
    command: list[str], lock_fd: int, settle: Callable[[], str | None] | None = None
) -> int:
    """Run ``command`` (`isadex run`'s own command line, as the worker) and wait for it; its
    exit status, or 1 when it was interrupted or killed. ``settle``: called when the worker was
    stopped, under the lock; the publication it completed (then the exit status is 0), or
    None."""
    read_end, write_end = os.pipe()
    env = {**os.environ, SUPERVISOR_PIPE: str(read_end), INHERITED_FD: str(lock_fd)}
    worker = subprocess.Popen(
        command,
        start_new_session=True,
        pass_fds=(read_end, lock_fd),
        env=env,
    )
    os.close(read_end)
    interrupted: list[int] = []

    def stop(signum, _frame):
        interrupted.append(signum)
        _end_group(worker.pid)

    previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    try:
        code = worker.wait()
    finally:
        _end_group(worker.pid)
        os.close(write_end)
        for s, handler in previous.items():
            signal.signal(s, handler)
    if interrupted:
        how = f"stopped by signal {signal.Signals(interrupted[0]).name}"
    elif code < 0:
        how = f"the run was killed (signal {signal.Signals(-code).name})"
    else:
        return code
    settled = settle() if settle is not None else None
    if settled:
        print(
            f"isadex run: {how} after it had recorded publication {settled} in the ledger; "
            f"{settled} is published (its switch completed)",
            file=sys.stderr,
        )
        return 0
    print(
        f"isadex run: {how}; nothing new was published, the previous publication stays current",
        file=sys.stderr,
    )
    return INTERRUPTED


def is_worker() -> bool:
    return SUPERVISOR_PIPE in os.environ


def watch_supervisor() -> None:
    """In the worker: end the whole process group when the supervisor's pipe closes."""
    fd = int(os.environ[SUPERVISOR_PIPE])

    def watch():
        try:
            while os.read(fd, 1):
                pass
        finally:
            _end_group(os.getpgrp())

    threading.Thread(target=watch, name="isadex-supervisor-watch", daemon=True).start()
