"""Parse the dbt project for this run's warehouse while the raw layer loads.

dbt reuses its previous parse (partial parsing) only if the profile it renders is the one it
last parsed with, and ours names the warehouse's working file (profiles.yml). So the first
build of a new warehouse, and a build with other ``--vars`` than the last one (a cut-off on
the command line), parse all 57 models, 134 tests and 527 macros again: ~3.3 s of the dbt
step, a tenth of the 60-subject run. ``dbt parse`` opens no database, so `isadex run` starts
it when the run starts, beside the ingestion and on the other core, and the dbt step waits
for it; the build then finds the partial-parse file of this profile in the warehouse's dbt
target folder. A parse that fails (or cannot start) costs nothing but the time: the build
parses again itself and reports what is wrong.

The parse writes its artifacts to a scratch folder inside the target folder, and only the
wait moves its partial-parse file in (an atomic rename): the run that waits is the one that
got as far as the dbt step, so a second `isadex run` started by mistake on the same
warehouse (refused at ingest by DuckDB's lock) cannot overwrite the artifacts of the build in
progress. Its log lines go to the warehouse's dbt.log, beside the builds'.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import IO

PARTIAL_PARSE_FILE = "partial_parse.msgpack"

# target folder -> (the parse, its console output, its scratch target folder)
_started: dict[Path, tuple[subprocess.Popen, IO[bytes], Path]] = {}


def start(project_dir: Path, target: Path, work_db: Path, dbt_vars: dict[str, str]) -> None:
    """Start ``dbt parse`` with the environment the dbt step gives ``dbt build`` (the
    profile's ISADEX_DBT_DB, dagster-dbt's log path, the same vars)."""
    target.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".parse-ahead-", dir=target))
    env = {
        **os.environ,
        "ISADEX_DBT_DB": str(work_db),
        "DBT_TARGET_PATH": str(scratch),
        "DBT_LOG_PATH": str(target),
        "DBT_LOG_FORMAT_FILE": "json",  # as the build's lines in the same dbt.log
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    args = [
        str(Path(sys.executable).parent / "dbt"),
        "parse",
        "--quiet",
        "--profiles-dir",
        str(project_dir),
        "--project-dir",
        str(project_dir),
        *(["--vars", json.dumps(dbt_vars)] if dbt_vars else []),
    ]
    # Output to a file, not a pipe: nobody reads it until the dbt step, and a full pipe
    # would stall the parse.
    out = tempfile.NamedTemporaryFile(prefix="dbt-parse-", suffix=".log")  # noqa: SIM115
    try:
        proc = subprocess.Popen(
            args, cwd=project_dir, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    except OSError:  # no dbt to run: the build will say so
        out.close()
        shutil.rmtree(scratch, ignore_errors=True)
        return
    _started[target.resolve()] = (proc, out, scratch)


def wait(target: Path, timeout: float = 600.0) -> str | None:
    """Wait for the parse started for ``target``, if one was, and move its partial-parse file
    into ``target``; the reason when it failed."""
    started = _started.pop(target.resolve(), None)
    if started is None:
        return None
    proc, out, scratch = started
    try:
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            return f"dbt parse did not finish in {timeout:.0f} s"
        out.seek(0)
        said = out.read().decode(errors="replace").strip()
        if proc.returncode:
            return f"dbt parse exited {proc.returncode}: {said[-2000:]}"
        made = scratch / PARTIAL_PARSE_FILE
        if not made.is_file():
            return "dbt parse wrote no partial-parse file"
        os.replace(made, target / PARTIAL_PARSE_FILE)
        return None
    finally:
        out.close()
        shutil.rmtree(scratch, ignore_errors=True)
