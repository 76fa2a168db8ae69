"""The Dagster instance `isadex run` executes in keeps the run where `dagster dev` reads it
(spec README, "Operations contract"). Where that folder is: tests/unit/test_dagster_home.py."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from dagster_project.lib.runtime.settings import RunSettings
from dagster_project.runner import _instance


def _settings(root: Path) -> RunSettings:
    return RunSettings(landing=root / "landing", warehouse=root / "data" / "warehouse.duckdb")


def _noop_job() -> dg.JobDefinition:
    @dg.op
    def noop() -> None:
        pass

    @dg.job
    def one_op():
        noop()

    return one_op


def test_isadex_run_opens_a_persistent_instance_there(tmp_path, monkeypatch):
    """What the run is executed in: a run stored there is read back by a second instance on
    the same folder, as `dagster dev` reads it."""
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    settings = _settings(tmp_path)
    with _instance(settings) as instance:
        assert Path(instance.root_directory) == settings.dagster_home
        run_id = _noop_job().execute_in_process(instance=instance).run_id
    with dg.DagsterInstance.local_temp(tempdir=str(settings.dagster_home)) as reader:
        assert reader.get_run_by_id(run_id).status == dg.DagsterRunStatus.SUCCESS
