"""lib/dbt_parse_ahead.py: the parse made beside the run leaves this profile's partial-parse
file in the warehouse's dbt target folder, and a failed one leaves nothing behind."""

from pathlib import Path

from dagster_project.lib import dbt_parse_ahead
from dagster_project.lib.settings import DBT_PROJECT_DIR


def _leftovers(target: Path) -> list[str]:
    return sorted(p.name for p in target.iterdir() if p.name.startswith(".parse-ahead-"))


def test_parse_ahead_leaves_the_partial_parse_file_in_the_target(tmp_path):
    target = tmp_path / "warehouse.dbt"
    dbt_parse_ahead.start(DBT_PROJECT_DIR, target, tmp_path / "warehouse.work.duckdb", {})
    assert dbt_parse_ahead.wait(target) is None
    assert (target / dbt_parse_ahead.PARTIAL_PARSE_FILE).stat().st_size > 0
    assert (target / "dbt.log").exists()  # its lines beside the builds'
    assert _leftovers(target) == []
    assert dbt_parse_ahead.wait(target) is None  # waited once: nothing left to wait for


def test_failed_parse_is_reported_and_leaves_nothing(tmp_path):
    not_a_project = tmp_path / "empty"
    not_a_project.mkdir()
    target = tmp_path / "warehouse.dbt"
    dbt_parse_ahead.start(not_a_project, target, tmp_path / "warehouse.work.duckdb", {})
    reason = dbt_parse_ahead.wait(target)
    assert reason is not None and reason.startswith("dbt parse exited")
    assert not (target / dbt_parse_ahead.PARTIAL_PARSE_FILE).exists()
    assert _leftovers(target) == []


def test_waiting_for_a_parse_never_started_returns_at_once(tmp_path):
    assert dbt_parse_ahead.wait(tmp_path / "never.dbt") is None
