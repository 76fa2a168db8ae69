"""The whole graph materialized by Dagster into a temporary DuckDB file, from generated data."""

from __future__ import annotations

import duckdb
import pytest

from dagster_project.lib.contract import FORMS
from tests.conftest import unaccounted_rows

pytestmark = pytest.mark.e2e


def test_run_succeeds_and_publishes(synthetic_run):
    outcome, warehouse = synthetic_run
    assert outcome.exit_code == 0, outcome.summary()
    assert warehouse.exists()
    assert not outcome.failed_checks
    assert "published/warehouse" in " ".join(outcome.step_seconds) or outcome.step_seconds


def test_every_transfer_loaded_and_nothing_lost(synthetic_landing, synthetic_run):
    """rows in file (the manifest's count) = rows loaded + rows quarantined, for every file."""
    _, warehouse = synthetic_run
    con = duckdb.connect(str(warehouse), read_only=True)
    transfers = con.execute("select TRANSFER_ID, DELIVERY, STATUS from raw.transfers").fetchall()
    assert {status for _, _, status in transfers} == {"LOADED"}
    assert len(transfers) == len([p for p in synthetic_landing.iterdir() if p.is_dir()])
    assert unaccounted_rows(con, synthetic_landing) == []
    con.close()


def test_every_form_has_rows_in_raw_and_staging(synthetic_run):
    _, warehouse = synthetic_run
    con = duckdb.connect(str(warehouse), read_only=True)
    for form in FORMS:
        assert con.execute(f"select count(*) from raw.{form}").fetchone()[0] > 0, form
        assert con.execute(f"select count(*) from staging.stg_{form}").fetchone()[0] > 0, form
    con.close()
