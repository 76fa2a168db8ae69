"""Reuse on unchanged inputs never changes a number: a warehouse that kept what it could after
a site's corrected re-delivery equals a warehouse built from scratch on the same landing zone,
table for table, check for check, file for file (docs/architecture.md, "Reuse on unchanged
inputs")."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pyreadstat
import pytest

from dagster_project.lib.generator.redelivery import redeliver
from tests.conftest import run_isadex

CHECK_COLUMNS = "ASSET, CHECK_NAME, PASSED, OUTCOME, OBSERVED, DETAILS"
EXPECTATION_COLUMNS = (
    "ASSET, CHECK_NAME, RULE, SUCCESS, ELEMENT_COUNT, UNEXPECTED_COUNT, SAMPLE, ERROR"
)


def _tables(con: duckdb.DuckDBPyConnection, schema: str) -> dict[str, list[tuple]]:
    names = [
        n
        for (n,) in con.execute(
            "select table_name from duckdb_tables() where schema_name = ? order by 1", [schema]
        ).fetchall()
    ]
    return {n: con.execute(f'select * from {schema}."{n}"').fetchall() for n in names}


def _quality(con: duckdb.DuckDBPyConnection) -> tuple[list, list]:
    checks = con.execute(f"select {CHECK_COLUMNS} from quality.check_results order by all")
    expectations = con.execute(
        f"select {EXPECTATION_COLUMNS} from quality.expectation_results order by all"
    )
    return checks.fetchall(), expectations.fetchall()


def _run(landing: Path, warehouse: Path, report: Path):
    outcome = run_isadex(landing, warehouse, report_dir=report)
    assert outcome.exit_code in (0, 2), outcome.summary()
    return outcome


@pytest.fixture(scope="module")
def reused_and_fresh(synthetic_landing, tmp_path_factory):
    base = tmp_path_factory.mktemp("reuse")
    landing = base / "landing"
    shutil.copytree(synthetic_landing, landing)
    kept_wh, kept_report = base / "kept" / "warehouse.duckdb", base / "kept_report"
    first = _run(landing, kept_wh, kept_report)
    redelivery = redeliver(landing, change="ae")
    second = _run(landing, kept_wh, kept_report)
    fresh_wh, fresh_report = base / "fresh" / "warehouse.duckdb", base / "fresh_report"
    _run(landing, fresh_wh, fresh_report)
    return first, second, redelivery, (kept_wh, kept_report), (fresh_wh, fresh_report)


def test_the_redelivery_changed_adae_and_the_rest_was_kept(reused_and_fresh):
    first, second, redelivery, (kept_wh, _), _ = reused_and_fresh
    assert redelivery["change"]["column"] == "AETOXGR"
    cut = next(kept_wh.with_name("warehouse.cuts").glob(f"*_{first.run_id[:8]}/warehouse.duckdb"))
    with duckdb.connect(str(cut), read_only=True) as before:
        adae_before = before.execute("select * from adam.adae").fetchall()
    with duckdb.connect(str(kept_wh), read_only=True) as con:
        assert con.execute("select * from adam.adae").fetchall() != adae_before
        endpoint_runs = dict(
            con.execute("select ASSET, RUN_ID from quality.reuse_fingerprints").fetchall()
        )
        check_runs = dict(
            con.execute(
                "select ASSET, any_value(RUN_ID) from quality.check_results "
                "where CHECK_NAME = 'gx_conformance' group by ASSET"
            ).fetchall()
        )
    # the tables that do not read ADAE were kept from the first run; T07 was computed again
    assert endpoint_runs["endpoints/t01"] == first.run_id
    assert endpoint_runs["endpoints/t03"] == first.run_id
    assert endpoint_runs["endpoints/t07"] == second.run_id
    assert check_runs["adam/adsl"] == first.run_id


def test_kept_warehouse_equals_a_fresh_one(reused_and_fresh):
    *_, (kept_wh, _), (fresh_wh, _) = reused_and_fresh
    with (
        duckdb.connect(str(kept_wh), read_only=True) as kept,
        duckdb.connect(str(fresh_wh), read_only=True) as fresh,
    ):
        for schema in ("adam", "endpoints"):
            kept_tables, fresh_tables = _tables(kept, schema), _tables(fresh, schema)
            assert kept_tables.keys() == fresh_tables.keys()
            for name, rows in fresh_tables.items():
                assert kept_tables[name] == rows, f"{schema}.{name}"
        assert _quality(kept) == _quality(fresh)


def test_kept_files_equal_fresh_ones(reused_and_fresh):
    *_, (_, kept_report), (_, fresh_report) = reused_and_fresh
    for name in ("adsl", "adrs", "adtte", "adae", "adex"):
        kept, kept_meta = pyreadstat.read_xport(str(kept_report / "submission" / f"{name}.xpt"))
        fresh, fresh_meta = pyreadstat.read_xport(str(fresh_report / "submission" / f"{name}.xpt"))
        assert kept.equals(fresh), name
        assert kept_meta.column_names_to_labels == fresh_meta.column_names_to_labels
        assert kept_meta.file_label == fresh_meta.file_label
    for name in ("define.csv", "define.json"):
        assert (kept_report / "submission" / name).read_bytes() == (
            fresh_report / "submission" / name
        ).read_bytes()
    kept_pngs = sorted((kept_report / "figures").glob("*.png"))
    assert [p.name for p in kept_pngs] == [
        p.name for p in sorted((fresh_report / "figures").glob("*.png"))
    ]
    for png in kept_pngs:
        assert png.read_bytes() == (fresh_report / "figures" / png.name).read_bytes(), png.name
