"""dbt's parse of the project for one warehouse, started when a run starts, read by its build.

Why: dbt reuses its last parse (partial parsing, `partial_parse.msgpack` in the target folder)
only when the command-line vars and the profile's connection are the ones it was made with.
The profile names the warehouse's working file and the vars carry the cut-off, so a
warehouse's first run, and every run with a new --cutoff, parsed the whole project inside the
dbt step (~4 s at any size), after ingestion. Everything dbt compares is known when the run
starts, so `isadex run` starts `dbt parse` with the build's vars, profile and target folder in
a process of its own while Dagster loads and ingests on the other core; the dbt step waits
for it and the build reads that parse back. dbt's own documented command and artifact; a
parse that failed or is stale only means the build parses again, as before.

Started only by the warehouse's writer (runner.run_pipeline, holding the writer lock), so no
parse ever writes the dbt folder of a run going on. Not for runs the UI launches: they parse
in the dbt step, as dagster-dbt does.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

# The parse started for each target folder, in this process: the dbt step of the same run
# waits for it (in-process executor, so the run and its steps share this dict).
_started: dict[Path, subprocess.Popen] = {}

# A parse takes seconds; one that has not ended by then is stuck, and the build parses itself.
WAIT_SECONDS = 300


def start(
    *,
    dbt: str,
    project_dir: Path,
    target: Path,
    cli_vars: str,
    log_level_file: str,
) -> None:
    """Start `dbt parse` for ``target`` with the vars the build will pass (``cli_vars``, the
    same JSON) and dagster-dbt's environment for its dbt commands (project and profiles
    folder, target and log folder). Its lines go to ``target``/dbt.log, as the build's do."""
    target.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "DBT_PROJECT_DIR": str(project_dir),
        "DBT_PROFILES_DIR": str(project_dir),
        "DBT_TARGET_PATH": str(target),
        "DBT_LOG_PATH": str(target),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        # dbt.log in one format: the build's lines are JSON (dagster-dbt reads them so).
        "DBT_LOG_FORMAT": "json",
    }
    _started[target] = subprocess.Popen(
        [dbt, "parse", "--quiet", "--log-level-file", log_level_file, "--vars", cli_vars],
        cwd=project_dir,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def wait(target: Path) -> int | None:
    """Wait for the parse started for ``target`` in this process to end; its exit status, or
    None when none was started (a run launched from the UI) or it did not end in time (then
    it is stopped, and the build parses on its own)."""
    process = _started.pop(target, None)
    if process is None:
        return None
    try:
        return process.wait(timeout=WAIT_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        return None
