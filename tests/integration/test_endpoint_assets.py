"""The endpoint assets on a DuckDB file holding the hand-built ADaM frames
(tests/fixtures/endpoint_adam.py): what they write, and which tables a second run keeps,
computes again (defs/reuse.py: Dagster's data versions). The numbers themselves are checked on the
builders, without Dagster, in tests/unit/test_endpoint_tables.py."""

import duckdb
import pandas as pd

from dagster_project.lib.endpoints import TABLES, build_t08, display_t07
from tests.fixtures.adam_stand_in import adam_as_found
from tests.fixtures.endpoint_adam import (
    CUTOFF,
    adsl,
    adtte,
    all_results,
    mrd_adrs,
    t06_adtte,
    t07_adae,
    t08_adex,
)

DROP_ONE_ADEX_SUBJECT = "delete from adam.adex where USUBJID = (select min(USUBJID) from adam.adex)"


def _endpoint_warehouse(tmp_path):
    from dagster_project.defs.resources import Warehouse

    warehouse = Warehouse(landing=str(tmp_path / "landing"), warehouse=str(tmp_path / "w.duckdb"))
    ttdisc = adtte([("S01", "TTDISC", 30, 0), ("S02", "TTDISC", 60, 8, "Y")])
    frames = {
        "adsl": adsl(),
        "adrs": mrd_adrs(),
        "adtte": pd.concat([t06_adtte(), ttdisc], ignore_index=True),
        "adae": t07_adae(),
        "adex": t08_adex(),
    }
    with duckdb.connect(str(warehouse.settings.work_db)) as con:
        con.execute("create schema adam")
        for name, frame in frames.items():
            con.register("frame", frame)
            con.execute(f"create table adam.{name} as select * from frame")
    return warehouse


def test_assets_write_tidy_display_and_a_deterministic_union(tmp_path):
    import dagster as dg

    from dagster_project.defs.endpoints import tables

    warehouse = _endpoint_warehouse(tmp_path)
    assets = [tables.endpoint_tables, tables.endpoint_results]
    result = dg.materialize(assets, resources={"warehouse": warehouse})
    assert result.success
    with duckdb.connect(str(warehouse.settings.work_db)) as con:
        union = con.execute("select * from endpoints.results").df()
        # the union again, as a second run would write it: the same rows in the same order
        again = con.execute(tables._union_sql([spec.tableid for spec in TABLES])).df()
        t07 = con.execute("select * from endpoints.t07_results order by rowid").df()
        shown = con.execute("select * from endpoints.t07").df()
        types = con.execute("describe endpoints.results").df()
    pd.testing.assert_frame_equal(union, again)
    expected = all_results()
    assert list(dict.fromkeys(union["TABLEID"])) == [f"T{i:02d}" for i in range(1, 16)]
    assert len(union) == sum(len(r) for r in expected.values())
    assert (union["CUTOFFDT"] == pd.Timestamp(CUTOFF)).all()
    assert dict(zip(types["column_name"], types["column_type"], strict=True)) == {
        "TABLEID": "VARCHAR",
        "PARAMCD": "VARCHAR",
        "GROUP1": "VARCHAR",
        "GROUP2": "VARCHAR",
        "STAT": "VARCHAR",
        "VALUE": "DOUBLE",
        "CUTOFFDT": "DATE",
    }
    # the builder's (CSR) order survives the round trip, and so does the display
    pd.testing.assert_frame_equal(
        t07.drop(columns="CUTOFFDT"), expected["T07"].drop(columns="CUTOFFDT")
    )
    pd.testing.assert_frame_equal(shown, display_t07(expected["T07"]))
    t01 = next(
        e.materialization
        for e in result.get_asset_materialization_events()
        if e.asset_key == dg.AssetKey(["endpoints", "t01"])
    )
    assert t01.metadata["CUTOFFDT"].value == str(CUTOFF)
    assert t01.metadata["dagster/row_count"].value == 5


def test_a_subset_of_endpoint_tables_materializes_alone(tmp_path):
    """Selecting T08 in the UI runs the shared step for T08 only."""
    import dagster as dg

    from dagster_project.defs.endpoints import tables
    from dagster_project.defs.resources import Warehouse

    warehouse = Warehouse(landing=str(tmp_path / "landing"), warehouse=str(tmp_path / "w.duckdb"))
    with duckdb.connect(str(warehouse.settings.work_db)) as con:
        con.execute("create schema adam")
        for name, frame in {"adsl": adsl(), "adex": t08_adex()}.items():
            con.register("frame", frame)
            con.execute(f"create table adam.{name} as select * from frame")
    result = dg.materialize(
        [tables.endpoint_tables],
        resources={"warehouse": warehouse},
        selection=[dg.AssetKey(["endpoints", "t08"])],
    )
    assert result.success
    assert [e.asset_key for e in result.get_asset_materialization_events()] == [
        dg.AssetKey(["endpoints", "t08"])
    ]
    with duckdb.connect(str(warehouse.settings.work_db)) as con:
        got = con.execute("select * from endpoints.t08_results order by rowid").df()
        tables_written = {
            r[0]
            for r in con.execute(
                "select table_name from duckdb_tables() where schema_name = 'endpoints'"
            ).fetchall()
        }
    assert tables_written == {"t08_results", "t08"}
    pd.testing.assert_frame_equal(
        got.drop(columns="CUTOFFDT"), build_t08(adsl(), t08_adex(), CUTOFF).drop(columns="CUTOFFDT")
    )


def _materializations(result) -> dict:
    return {
        e.asset_key.path[-1]: e.materialization.metadata
        for e in result.get_asset_materialization_events()
    }


def _endpoint_tables(warehouse) -> dict[str, pd.DataFrame]:
    with duckdb.connect(str(warehouse.settings.work_db), read_only=True) as con:
        names = [
            r[0]
            for r in con.execute(
                "select table_name from duckdb_tables() where schema_name = 'endpoints' order by 1"
            ).fetchall()
        ]
        return {n: con.execute(f"select * from endpoints.{n} order by rowid").df() for n in names}


def _comments(warehouse) -> dict[str, str]:
    with duckdb.connect(str(warehouse.settings.work_db), read_only=True) as con:
        return dict(
            con.execute(
                "select table_name, comment from duckdb_tables() where schema_name = 'endpoints'"
            ).fetchall()
        )


def _materialize_on(instance, warehouse):
    """Materialize the ADaM stand-in and the endpoint tables on one Dagster instance (the
    provenance a run compares lives there)."""
    import dagster as dg

    from dagster_project.defs.endpoints import tables

    assets = [adam_as_found(), tables.endpoint_tables, tables.endpoint_results]
    return dg.materialize(assets, resources={"warehouse": warehouse}, instance=instance)


def test_tables_with_unchanged_inputs_are_kept_and_changed_ones_computed(tmp_path):
    """Second run on the same ADaM tables: every table kept (metadata names the run that
    computed it and why, the rows are those of that run). Then one ADEX row changes: the
    tables reading ADEX (T08, T10, T13) are computed again, with the new value; the others are
    kept (defs/reuse.py)."""
    import dagster as dg

    instance = dg.DagsterInstance.ephemeral()
    warehouse = _endpoint_warehouse(tmp_path)
    first = _materialize_on(instance, warehouse)
    written = _endpoint_tables(warehouse)
    again = _materialize_on(instance, warehouse)
    before, after = _materializations(first), _materializations(again)
    for spec in TABLES:
        name = spec.tableid.lower()
        assert "reused_from_run" not in before[name]
        assert after[name]["reused_from_run"].value == first.run_id
        assert "adam/adsl" in after[name]["not_recomputed"].value
        assert after[name]["dagster/row_count"] == before[name]["dagster/row_count"]
        assert after[name]["not_estimable_values"] == before[name]["not_estimable_values"]
    assert after["results"]["reused_from_run"].value == first.run_id
    kept = _endpoint_tables(warehouse)
    assert kept.keys() == written.keys()
    for name in written:
        pd.testing.assert_frame_equal(kept[name], written[name])
    # Each table's comment names the run that computed it (still the first: kept).
    comments = _comments(warehouse)
    assert comments["t08_results"] == (
        f"T08 {TABLES[7].title}; CUTOFFDT {CUTOFF}; computed in Dagster run {first.run_id}"
    )
    assert all(first.run_id in c for c in comments.values()), comments

    with duckdb.connect(str(warehouse.settings.work_db)) as con:
        con.execute(DROP_ONE_ADEX_SUBJECT)
    third = _materialize_on(instance, warehouse)
    changed = _materializations(third)
    reading_adex = {s.tableid.lower() for s in TABLES if "adex" in s.inputs}
    assert reading_adex == {"t08", "t10", "t13"}
    for spec in TABLES:
        name = spec.tableid.lower()
        assert ("reused_from_run" in changed[name]) == (name not in reading_adex), name
    comments = _comments(warehouse)
    for name, comment in comments.items():
        computed_now = name.startswith(("t08", "t10", "t13", "results"))
        assert (third.run_id in comment) == computed_now, (name, comment)
    # T08 computed again from the changed ADEX equals a fresh computation on a new warehouse
    fresh_dir = tmp_path / "fresh"
    fresh_dir.mkdir()
    fresh = _endpoint_warehouse(fresh_dir)
    with duckdb.connect(str(fresh.settings.work_db)) as con:
        con.execute(DROP_ONE_ADEX_SUBJECT)
    _materialize_on(dg.DagsterInstance.ephemeral(), fresh)
    recomputed, expected = _endpoint_tables(warehouse), _endpoint_tables(fresh)
    assert not recomputed["t08_results"].equals(written["t08_results"])
    for name in expected:
        pd.testing.assert_frame_equal(recomputed[name], expected[name])


def test_a_missing_or_altered_table_is_computed_again(tmp_path):
    """Inputs unchanged, but the output in place is not what was recorded (a display table
    dropped, a value altered): computed again, not reused."""
    import dagster as dg

    instance = dg.DagsterInstance.ephemeral()
    warehouse = _endpoint_warehouse(tmp_path)
    _materialize_on(instance, warehouse)
    with duckdb.connect(str(warehouse.settings.work_db)) as con:
        con.execute("drop table endpoints.t07")
        con.execute("update endpoints.t01_results set VALUE = VALUE + 1")
    again = _materializations(_materialize_on(instance, warehouse))
    assert "reused_from_run" not in again["t07"]
    assert "reused_from_run" not in again["t01"]
    assert "reused_from_run" in again["t03"]
    assert "t07" in _endpoint_tables(warehouse)


def test_new_endpoint_code_recomputes_every_table(tmp_path, monkeypatch):
    import dagster as dg

    from dagster_project.defs.endpoints import tables

    instance = dg.DagsterInstance.ephemeral()
    warehouse = _endpoint_warehouse(tmp_path)
    _materialize_on(instance, warehouse)
    monkeypatch.setattr(tables, "ENDPOINT_CODE", "another version")
    again = _materializations(_materialize_on(instance, warehouse))
    assert not [name for name, metadata in again.items() if "reused_from_run" in metadata]


MOVE_CUTOFF = "update adam.adsl set CUTOFFDT = CUTOFFDT + interval 31 day"


def test_a_moved_cutoff_computes_every_table_again_as_a_fresh_run_would(tmp_path):
    """The cut-off moves (ADSL's CUTOFFDT, nothing else): ADSL's data version changes, so
    every table is computed again and equals a fresh computation at the new cut-off."""
    import dagster as dg

    instance = dg.DagsterInstance.ephemeral()
    warehouse = _endpoint_warehouse(tmp_path)
    _materialize_on(instance, warehouse)
    with duckdb.connect(str(warehouse.settings.work_db)) as con:
        con.execute(MOVE_CUTOFF)
    moved = _materializations(_materialize_on(instance, warehouse))
    assert not [n for n, m in moved.items() if "reused_from_run" in m]
    (tmp_path / "fresh").mkdir()
    other = _endpoint_warehouse(tmp_path / "fresh")
    with duckdb.connect(str(other.settings.work_db)) as con:
        con.execute(MOVE_CUTOFF)
    _materialize_on(dg.DagsterInstance.ephemeral(), other)
    expected = _endpoint_tables(other)
    for name, table in _endpoint_tables(warehouse).items():
        pd.testing.assert_frame_equal(table, expected[name], obj=name)
