"""The whole graph materialized by Dagster into a temporary DuckDB file, from generated data."""

from __future__ import annotations

import duckdb
import pandas as pd
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


def test_endpoint_tables_read_only_the_parameters_they_use(synthetic_run):
    """Each table built from its PARAMCD-filtered inputs (what the asset reads, TableSpec.params)
    equals the table built from the whole ADaM datasets, and the filter drops rows."""
    from dagster_project.defs.endpoints.tables import _cutoff, _read
    from dagster_project.lib.endpoints import TABLES

    _, warehouse = synthetic_run
    con = duckdb.connect(str(warehouse), read_only=True)
    whole = {t: _read(con, t) for t in ["adsl", "adrs", "adtte", "adae", "adex"]}
    cutoff = _cutoff(whole["adsl"], con)
    dropped = 0
    for spec in TABLES:
        filtered = {t: _read(con, t, spec.params.get(t)) for t in spec.inputs}
        dropped += sum(len(whole[t]) - len(filtered[t]) for t in spec.inputs)
        got = spec.build(whole["adsl"], *(filtered[t] for t in spec.inputs), cutoff)
        want = spec.build(whole["adsl"], *(whole[t] for t in spec.inputs), cutoff)
        pd.testing.assert_frame_equal(got, want, obj=spec.tableid)
    con.close()
    assert dropped > 0


def test_one_read_per_input_gives_each_table_its_filtered_read(synthetic_run):
    """The endpoint step reads each ADaM input once (the union of the tables' parameters) and
    cuts each table's rows from it: frame for frame what the table's own filtered read gives,
    dtypes included (DuckDB's nullable integers depend on the rows read)."""
    from dagster_project.defs.endpoints.tables import _read, _read_plan, _rows_of
    from dagster_project.lib.endpoints import TABLES

    _, warehouse = synthetic_run
    con = duckdb.connect(str(warehouse), read_only=True)
    plan = _read_plan(list(TABLES))
    assert plan["adsl"] is None and plan["adae"] is None and plan["adrs"] is not None
    shared = {t: _read(con, t, params) for t, params in plan.items()}
    for spec in TABLES:
        for t in spec.inputs:
            own = _read(con, t, spec.params.get(t))
            cut = _rows_of(shared[t], spec.params.get(t))
            pd.testing.assert_frame_equal(cut, own, obj=f"{spec.tableid} {t}")
    con.close()
