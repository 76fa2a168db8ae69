"""Start dbt when the run starts, so the dbt step does not wait for dbt to start and parse.

A ``dbt build`` process pays, before its first model, ~2 s importing dbt and ~1.5 s loading
the project (adapter, partial-parse file, manifest written, graph), and the first build of a new
warehouse parses the whole project (57 models, 134 tests, 527 macros: 3-5 s), because the
profile names the warehouse's working file and dbt reuses a parse only for the profile it was
made with. All of it used to sit between the raw layer and the first model of every run.

So `isadex run` starts one process (lib/dbt_prestart_server.py) at the start of the run,
beside start-up and ingest and on the other core: it imports dbt, parses the project for this
warehouse and vars (``dbt parse`` opens no database), and waits. The dbt step runs dagster-dbt
as usual, with ``isadex-dbt`` as the dbt executable (lib/dbt_prestart_client.py): that hands
the prestarted process its output and the build's arguments and environment, and dbt builds
there with the manifest already in memory. Nothing else changes for dagster-dbt: the same JSON
log lines on the same pipe, the same exit codes, run_results.json in the same target folder.

Whatever goes wrong before the build (the parse fails, the build has other vars, the process
cannot start) costs only the time: the client runs dbt itself, which parses and reports. A run
that ends before its dbt step stops the process (``stop``); a process whose run is gone ends
by itself.

The parse writes its artifacts to a scratch folder inside the warehouse's target folder and
they are moved in only when the build starts: a second `isadex run` started by mistake on the
same warehouse (refused at ingest by DuckDB's lock) cannot overwrite those of a build in
progress. Its log lines go to the warehouse's dbt.log, beside the builds'.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import IO

from dagster_project.lib.dbt_prestart_client import SERVER_ENV
from dagster_project.lib.settings import dbt_file_log_level

# After its build the process answers and exits at once; one that has not exited by then
# had no build to run and is stopped (seconds).
EXIT_GRACE = 0.5

# target folder -> (the process, its console output, its scratch folders)
_started: dict[Path, tuple[subprocess.Popen, IO[bytes], list[Path]]] = {}


def start(project_dir: Path, target: Path, work_db: Path, dbt_vars: dict[str, str]) -> None:
    """Start the prestarted dbt for this run's warehouse; the dbt step's ``isadex-dbt`` finds
    it through ISADEX_DBT_SERVER."""
    target.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".parse-ahead-", dir=target))
    # A socket path is limited to ~100 bytes, so it lives in the temp folder, not the target.
    sockets = Path(tempfile.mkdtemp(prefix="isadex-dbt-"))
    socket_path = sockets / "dbt.sock"
    env = {
        **os.environ,
        "ISADEX_DBT_DB": str(work_db),
        "DBT_TARGET_PATH": str(scratch),
        "DBT_LOG_PATH": str(target),
        "DBT_LOG_FORMAT_FILE": "json",  # as the build's lines in the same dbt.log
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "PYTHONUNBUFFERED": "1",  # dbt's log lines reach dagster-dbt as they are written
        "DBT_LOG_LEVEL_FILE": dbt_file_log_level(),  # as the build's
    }
    env.pop(SERVER_ENV, None)
    # Listening before the process starts, so a client never finds no socket there.
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(socket_path))
    listener.listen(1)
    args = [
        sys.executable,
        "-m",
        "dagster_project.lib.dbt_prestart_server",
        str(listener.fileno()),
        str(project_dir),
        json.dumps(dbt_vars) if dbt_vars else "",
        str(target),
    ]
    # Output to a file, not a pipe: nobody reads it unless something goes wrong, and a full
    # pipe would stall the parse.
    out = tempfile.NamedTemporaryFile(prefix="dbt-prestart-", suffix=".log")  # noqa: SIM115
    try:
        proc = subprocess.Popen(
            args,
            cwd=project_dir,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            pass_fds=[listener.fileno()],
        )
    except OSError:  # the dbt step will run dbt itself
        out.close()
        _remove([scratch, sockets])
        return
    finally:
        listener.close()  # the process holds it now
    _started[target.resolve()] = (proc, out, [scratch, sockets])
    os.environ[SERVER_ENV] = str(socket_path)


def stop(target: Path, timeout: float = 60.0) -> str | None:
    """After the run: reap the prestarted dbt (ended it if no build came) and clean up; what it
    printed, when it did not end well."""
    started = _started.pop(target.resolve(), None)
    if started is None:
        return None
    proc, out, folders = started
    if os.environ.get(SERVER_ENV, "").startswith(str(folders[1])):
        del os.environ[SERVER_ENV]
    stopped_here = False
    try:
        try:
            proc.wait(timeout=EXIT_GRACE)
        except subprocess.TimeoutExpired:
            # No build came (a build answers before the step ends). Nothing it holds needs an
            # orderly end: DuckDB is opened only by a build, and its parse folders are removed
            # below. SIGKILL, not SIGTERM: in CI one such process stayed alive through the
            # whole wait after SIGTERM (exit -9 after the timeout), its cause not found.
            stopped_here = True
            proc.kill()
            proc.wait(timeout=timeout)
        if proc.returncode == 0 or stopped_here:  # ended, or stopped here: no build came
            return None
        out.seek(0)
        said = out.read().decode(errors="replace").strip()
        return f"prestarted dbt exited {proc.returncode}: {said[-2000:]}"
    finally:
        out.close()
        _remove(folders)


def _remove(folders: list[Path]) -> None:
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)
