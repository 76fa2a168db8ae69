"""lib/dbt_prestart*.py: the dbt started with the run builds when `isadex-dbt build` asks it to,
in its own process, with dagster-dbt's output contract; anything it cannot serve runs plain dbt.

A one-model dbt-duckdb project whose profile, like ours, names the file through ISADEX_DBT_DB;
the client is the installed `isadex-dbt`, run as dagster-dbt runs it (a subprocess with
DBT_LOG_FORMAT=json, its stdout a pipe)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from dagster_project.lib import dbt_prestart
from dagster_project.lib.dbt_prestart_client import SERVER_ENV

CLIENT = str(Path(sys.executable).parent / "isadex-dbt")


def _project(root: Path, default_file: str) -> Path:
    project = root / "dbt"
    (project / "models").mkdir(parents=True)
    (project / "dbt_project.yml").write_text(
        "name: tiny\nversion: '1.0'\nconfig-version: 2\nprofile: tiny\n"
        "vars:\n  label: none\n"
        "flags:\n  send_anonymous_usage_stats: false\n"
    )
    (project / "profiles.yml").write_text(
        "tiny:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n"
        f"      path: \"{{{{ env_var('ISADEX_DBT_DB', '{default_file}') }}}}\"\n"
        "      threads: 1\n"
    )
    (project / "models" / "one.sql").write_text("select 1 as x, '{{ var('label') }}' as label\n")
    return project


def _build(project: Path, target: Path, work_db: Path, *args: str):
    env = {
        **os.environ,
        "ISADEX_DBT_DB": str(work_db),
        "DBT_TARGET_PATH": str(target),
        "DBT_LOG_PATH": str(target),
        "DBT_LOG_FORMAT": "json",
        "DBT_PROFILES_DIR": str(project),
        "DBT_PROJECT_DIR": str(project),
    }
    return subprocess.run(
        [CLIENT, "build", *args], cwd=project, env=env, capture_output=True, text=True
    )


def _json_events(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]


def _pids(target: Path) -> list[int]:
    """The process of each dbt command in the target's dbt.log, in order."""
    lines = [json.loads(line) for line in (target / "dbt.log").read_text().splitlines()]
    return [e["info"]["pid"] for e in lines if e["info"]["name"] == "MainReportVersion"]


@pytest.fixture
def prestarted(tmp_path, monkeypatch):
    """Start/stop around a test, the server's socket in this process's environment as in
    `isadex run` (the client inherits it)."""
    monkeypatch.delenv(SERVER_ENV, raising=False)
    started = []

    def start(project: Path, work_db: Path, dbt_vars: dict | None = None) -> Path:
        target = tmp_path / "warehouse.dbt"
        dbt_prestart.start(project, target, work_db, dbt_vars or {})
        started.append(target)
        return target

    yield start
    for target in started:
        dbt_prestart.stop(target)


@pytest.mark.parametrize("default_file", ["other.duckdb", "warehouse.duckdb"])
def test_build_runs_in_the_prestarted_dbt_and_frees_the_database(
    tmp_path, prestarted, default_file
):
    """Both catalogs: the profile's default file names another catalog (parsed again for the
    build's file) or the same (the default file's parse kept). The JSON events reach the client's
    stdout, the exit code is dbt's, the parse and the build share one process, and the file
    is writable by another process as soon as the client returns."""
    project = _project(tmp_path, default_file)
    work_db = tmp_path / "warehouse.work.duckdb"
    target = prestarted(project, work_db)
    done = _build(project, target, work_db)
    assert done.returncode == 0, done.stdout + done.stderr
    finished = [e for e in _json_events(done.stdout) if e["info"]["name"] == "LogModelResult"]
    assert [e["data"]["node_info"]["node_name"] for e in finished] == ["one"]
    with duckdb.connect(str(work_db)) as con:  # not locked by the prestarted dbt
        assert con.execute("select x from main.one").fetchone() == (1,)
        con.execute("create table written_after (x int)")
    assert (target / "run_results.json").exists()
    assert (target / "partial_parse.msgpack").exists()
    pids = _pids(target)
    assert len(set(pids)) == 1
    # parse, [parse again for the build's catalog], build
    assert len(pids) == (3 if default_file == "other.duckdb" else 2)
    assert dbt_prestart.stop(target) is None
    assert SERVER_ENV not in os.environ


def test_a_build_with_other_vars_runs_plain_dbt(tmp_path, prestarted):
    project = _project(tmp_path, "warehouse.duckdb")
    work_db = tmp_path / "warehouse.work.duckdb"
    target = prestarted(project, work_db, {"label": "parsed"})
    done = _build(project, target, work_db, "--vars", json.dumps({"label": "asked"}))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "declined (the build's --vars differ from the parse's)" in done.stderr
    with duckdb.connect(str(work_db), read_only=True) as con:
        assert con.execute("select label from main.one").fetchone() == ("asked",)
    parse_pid, build_pid = _pids(target)
    assert parse_pid != build_pid


def test_a_run_with_vars_starts_from_the_warehouses_last_parse(tmp_path, prestarted):
    """`make manifest` parses without vars and dbt re-parses in full for other vars: a second
    build with the same vars (a pinned --cutoff) starts from the first one's parse, partially."""
    project = _project(tmp_path, "warehouse.duckdb")
    work_db = tmp_path / "warehouse.work.duckdb"
    dbt_vars = {"label": "pinned"}
    for _ in range(2):
        target = prestarted(project, work_db, dbt_vars)
        done = _build(project, target, work_db, "--vars", json.dumps(dbt_vars))
        assert done.returncode == 0, done.stdout + done.stderr
        dbt_prestart.stop(target)
    lines = [json.loads(line) for line in (target / "dbt.log").read_text().splitlines()]
    full_parses = [e["info"]["pid"] for e in lines if e["info"]["name"] == "UnableToPartialParse"]
    assert len(set(_pids(target))) == 2  # two runs, each built in its prestarted dbt
    assert len(full_parses) == 1  # the first run's only


def test_a_failed_parse_runs_plain_dbt(tmp_path, prestarted):
    """The prestarted dbt parsed a folder that is not a dbt project: the build asked of it runs
    in dbt, which parses the real project itself."""
    project = _project(tmp_path, "warehouse.duckdb")
    work_db = tmp_path / "warehouse.work.duckdb"
    not_a_project = tmp_path / "empty"
    not_a_project.mkdir()
    target = prestarted(not_a_project, work_db)
    done = _build(project, target, work_db)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "declined (dbt parse failed" in done.stderr


def test_a_failing_model_gives_dbt_exit_code_1(tmp_path, prestarted):
    project = _project(tmp_path, "warehouse.duckdb")
    (project / "models" / "broken.sql").write_text("select * from no_such_table\n")
    work_db = tmp_path / "warehouse.work.duckdb"
    target = prestarted(project, work_db)
    done = _build(project, target, work_db)
    assert done.returncode == 1, done.stdout + done.stderr
    errors = [e for e in _json_events(done.stdout) if e["info"]["level"] == "error"]
    assert any("no_such_table" in e["info"]["msg"] for e in errors)
    with duckdb.connect(str(work_db)) as con:  # freed after a failed build too
        con.execute("create table written_after (x int)")


def test_stop_ends_a_prestarted_dbt_no_build_came_to(tmp_path, prestarted):
    project = _project(tmp_path, "warehouse.duckdb")
    target = prestarted(project, tmp_path / "warehouse.work.duckdb")
    socket_dir = Path(os.environ[SERVER_ENV]).parent
    assert dbt_prestart.stop(target) is None
    assert not socket_dir.exists()
    assert SERVER_ENV not in os.environ
    assert [p.name for p in target.iterdir() if p.name.startswith(".parse-ahead-")] == []
    assert dbt_prestart.stop(target) is None  # stopped once: nothing left


def test_client_without_a_prestarted_dbt_is_dbt(monkeypatch):
    monkeypatch.delenv(SERVER_ENV, raising=False)
    printed = subprocess.run([CLIENT, "--version"], capture_output=True, text=True, check=True)
    assert "installed:" in printed.stdout
