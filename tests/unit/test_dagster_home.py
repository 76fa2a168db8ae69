"""One Dagster instance per warehouse: where it is, what overrides it, and what `isadex run`
and `make ui` open (spec README, "Operations contract")."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from dagster_project.lib.runtime import dagster_home
from dagster_project.lib.runtime.settings import RunSettings
from dagster_project.runner import _instance


def _settings(root: Path) -> RunSettings:
    return RunSettings(landing=root / "landing", warehouse=root / "data" / "warehouse.duckdb")


def test_the_instance_lives_beside_the_warehouse(tmp_path, monkeypatch):
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    assert _settings(tmp_path).dagster_home == tmp_path / "data" / "warehouse.dagster"


def test_dagster_home_overrides_it(tmp_path, monkeypatch):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "elsewhere"))
    assert _settings(tmp_path).dagster_home == tmp_path / "elsewhere"


def test_a_link_to_a_cut_does_not_move_the_instance(tmp_path, monkeypatch):
    """The stable name may point at a cut file; the instance stays named after the warehouse."""
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    cut = tmp_path / "data" / "warehouse.cuts" / "cut_20261120_ab12.duckdb"
    cut.parent.mkdir(parents=True)
    cut.touch()
    (tmp_path / "data" / "warehouse.duckdb").symlink_to(cut)
    assert _settings(tmp_path).dagster_home == tmp_path / "data" / "warehouse.dagster"


def test_prepare_writes_a_config_once_and_keeps_an_operators(tmp_path):
    home = dagster_home.prepare(tmp_path / "warehouse.dagster")
    config = home / "dagster.yaml"
    assert "telemetry:\n  enabled: false" in config.read_text()
    config.write_text("telemetry:\n  enabled: true\n")
    dagster_home.prepare(home)
    assert config.read_text() == "telemetry:\n  enabled: true\n"


def test_isadex_run_opens_dagster_home_when_set(tmp_path, monkeypatch):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "elsewhere"))
    settings = _settings(tmp_path)
    with _instance(settings) as instance:
        assert Path(instance.root_directory) == tmp_path / "elsewhere"
    assert (tmp_path / "elsewhere" / "dagster.yaml").is_file()
    assert not (tmp_path / "data" / "warehouse.dagster").exists()


def test_make_ui_gets_the_same_folder(tmp_path):
    """`make ui` sets DAGSTER_HOME to what this module prints for ISADEX_WAREHOUSE."""
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
    env["ISADEX_WAREHOUSE"] = str(tmp_path / "data" / "warehouse.duckdb")
    printed = subprocess.run(
        [sys.executable, "-m", "dagster_project.lib.runtime.dagster_home"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert Path(printed) == tmp_path / "data" / "warehouse.dagster"
    assert (Path(printed) / "dagster.yaml").is_file()
