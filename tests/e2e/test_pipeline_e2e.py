"""The whole graph materialized by Dagster into a temporary DuckDB file, from generated data."""

from __future__ import annotations

import duckdb
import pandas as pd

from dagster_project.lib.ingest.contract import FORMS
from tests.conftest import dbt_invocations, unaccounted_rows


def test_run_succeeds_and_publishes(synthetic_run):
    outcome, warehouse = synthetic_run
    assert outcome.exit_code == 0, outcome.summary()
    assert warehouse.exists()
    assert not outcome.failed_checks
    assert "published/warehouse" in " ".join(outcome.step_seconds) or outcome.step_seconds


def test_the_run_is_in_the_warehouses_dagster_instance(synthetic_run):
    """The run, its materializations and its compute logs are in the instance RunSettings
    names for this warehouse, where `make ui` shows them (spec README, "One Dagster instance
    per warehouse"); the dbt step's failure message sends readers to those logs. Other tests
    run again on this warehouse, so the first run is looked up by its id."""
    import dagster as dg

    from dagster_project.lib.runtime.settings import RunSettings

    outcome, warehouse = synthetic_run
    home = RunSettings(landing=warehouse.parent, warehouse=warehouse).dagster_home
    with dg.DagsterInstance.local_temp(tempdir=str(home)) as instance:
        run = instance.get_run_by_id(outcome.run_id)
        assert run is not None and run.status == dg.DagsterRunStatus.SUCCESS
        for key in (["raw", "transfers"], ["adam", "adsl"], ["published", "warehouse"]):
            records = instance.fetch_materializations(dg.AssetKey(key), limit=100).records
            assert outcome.run_id in {r.run_id for r in records}, key
    # Compute logs: the process's output during the run, dbt's lines among it.
    logs = list((home / "storage" / outcome.run_id / "compute_logs").glob("*.out"))
    assert logs and any("Running with dbt=" in log.read_text() for log in logs)


def test_dbt_models_not_waiting_for_fingerprints_are_stored_while_dbt_runs(synthetic_run):
    """In the dbt step, only the fingerprinted models and those downstream of them
    (dbt_models.HELD_UNTIL_DBT_ENDS) wait for dbt to end; every other model's materialization
    is stored while dbt goes on, before dagster-dbt's "Finished dbt command" line."""
    import dagster as dg

    from dagster_project.defs.warehouse.dbt_models import HELD_UNTIL_DBT_ENDS
    from dagster_project.lib.runtime.settings import RunSettings

    outcome, warehouse = synthetic_run
    home = RunSettings(landing=warehouse.parent, warehouse=warehouse).dagster_home
    with dg.DagsterInstance.local_temp(tempdir=str(home)) as instance:
        events = [
            e for e in instance.all_logs(outcome.run_id) if e.step_key == "warehouse_dbt_models"
        ]
    finished = [i for i, e in enumerate(events) if "Finished dbt command" in e.user_message]
    assert len(finished) == 1
    before, after = set(), set()
    for i, event in enumerate(events):
        if event.dagster_event_type == dg.DagsterEventType.ASSET_MATERIALIZATION:
            key = tuple(event.asset_materialization.asset_key.path)
            (before if i < finished[0] else after).add(key)
    assert after == HELD_UNTIL_DBT_ENDS
    assert len(before) > 40 and not before & HELD_UNTIL_DBT_ENDS


def test_the_dbt_build_reads_the_parse_the_run_started(synthetic_run):
    """The run parses the project for its new warehouse while Dagster loads and ingests
    (lib/warehouse/dbt_parse.py); the build in the dbt step reads that parse back (dbt's
    partial parsing) instead of parsing the whole project again. Later tests run on this
    warehouse again, so only the first two dbt commands are read."""
    _, warehouse = synthetic_run
    parse, build = dbt_invocations(warehouse)[:2]
    assert "UnableToPartialParse" in parse and "ConcurrencyLine" not in parse
    assert "ConcurrencyLine" in build and "UnableToPartialParse" not in build


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


def test_endpoint_tables_read_only_the_parameters_and_columns_they_use(synthetic_run):
    """Each table built from what the asset reads (its PARAMCD rows, TableSpec.params, of the
    columns in ADAM_COLUMNS) equals the table built from the whole ADaM datasets, every row
    and column; the filter drops rows and the projection columns."""
    from dagster_project.defs.endpoints.tables import _cutoff, _read
    from dagster_project.lib.endpoints import TABLES
    from dagster_project.lib.warehouse.table_frames import read_table

    _, warehouse = synthetic_run
    con = duckdb.connect(str(warehouse), read_only=True)
    whole = {t: read_table(con, f"adam.{t}") for t in ["adsl", "adrs", "adtte", "adae", "adex"]}
    adsl = _read(con, "adsl")
    assert len(adsl.columns) < len(whole["adsl"].columns)
    # the builders get the cut-off as an argument, not ADSL's CUTOFFDT (tables.py)
    assert "CUTOFFDT" not in adsl.columns
    cutoff = _cutoff(read_table(con, "adam.adsl", ["CUTOFFDT"]), con)
    dropped = 0
    for spec in TABLES:
        read = {t: _read(con, t, spec.params.get(t)) for t in spec.inputs}
        dropped += sum(len(whole[t]) - len(read[t]) for t in spec.inputs)
        got = spec.build(adsl, *(read[t] for t in spec.inputs), cutoff)
        want = spec.build(whole["adsl"], *(whole[t] for t in spec.inputs), cutoff)
        pd.testing.assert_frame_equal(got, want, obj=spec.tableid)
    con.close()
    assert dropped > 0


def test_every_column_the_builders_name_is_read(synthetic_run):
    """A column name spelled anywhere in the builders and statistics (lib.endpoints,
    lib.stats) that an ADaM dataset has is in ADAM_COLUMNS for that dataset: the projection
    cannot drop a column a rarely taken branch reads."""
    import ast
    from pathlib import Path

    from dagster_project.lib import endpoints, stats
    from dagster_project.lib.endpoints import ADAM_COLUMNS

    spelled = set()
    for package in (endpoints, stats):
        for path in Path(package.__file__).parent.glob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Constant) and isinstance(node.value, str):
                    spelled.add(node.value)
    _, warehouse = synthetic_run
    con = duckdb.connect(str(warehouse), read_only=True)
    for dataset, listed in ADAM_COLUMNS.items():
        columns = {d[0] for d in con.execute(f"select * from adam.{dataset} limit 0").description}
        assert set(listed) <= columns, dataset
        assert (spelled & columns) <= set(listed), dataset
    con.close()


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


def test_every_model_and_documented_column_carries_its_description(synthetic_run):
    """The dbt descriptions (ADaM label first) are in the warehouse itself, for whoever reads it
    with SQL: every model's table or view comment and every documented column's comment equal
    the manifest's description."""
    import json

    from dagster_project.defs.warehouse.project import dbt_project

    _, warehouse = synthetic_run
    manifest = json.loads(dbt_project.manifest_path.read_text())
    models = [n for n in manifest["nodes"].values() if n["resource_type"] == "model"]
    con = duckdb.connect(str(warehouse), read_only=True)
    relations = {
        (schema, name): comment
        for schema, name, comment in con.execute(
            "select schema_name, table_name, comment from duckdb_tables() "
            "union all select schema_name, view_name, comment from duckdb_views()"
        ).fetchall()
    }
    columns = {
        (schema, table, column): comment
        for schema, table, column, comment in con.execute(
            "select schema_name, table_name, column_name, comment from duckdb_columns()"
        ).fetchall()
    }
    con.close()
    assert len(models) > 50
    wrong = []
    for node in models:
        where = (node["schema"], node["alias"])
        if relations.get(where) != node["description"]:
            wrong.append(f"{where}: {relations.get(where)!r}")
        for name, column in node["columns"].items():
            if columns.get((*where, name)) != column["description"]:
                wrong.append(f"{where}.{name}: {columns.get((*where, name))!r}")
    assert not wrong, wrong[:10]
