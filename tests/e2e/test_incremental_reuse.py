"""One reuse mechanism, Dagster's data versions (defs/reuse.py), end to end on the 60-subject
trial:

- a re-run with nothing new recomputes nothing after ingestion, and each asset's
  materialization says why (``not_recomputed``), which is what the UI shows on its page;
- a site's corrected re-delivery recomputes what depends on the data that changed and nothing
  else: each asset recomputed had an input whose data version changed, each asset kept had
  none;
- what was kept equals a fresh computation: a warehouse built from scratch on the same landing
  zone, table for table, check for check, file for file.

The runs are tests/conftest.py's incremental_runs. The correction is built by subject
(ISADEX_BY_SUBJECT_MIN_SUBJECTS=0 there), so the same runs also show that a build by subject of
a correction, the cut-off unchanged, equals a full build (docs/incremental_by_subject.md; the
other case, a site's next transfer, is tests/e2e/test_build_by_subject.py).
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import duckdb
import pyreadstat
import pytest

from dagster_project.lib.runtime.settings import RunSettings
from tests.same_build import assert_same_build, build_state

CHECK_COLUMNS = "ASSET, CHECK_NAME, PASSED, OUTCOME, OBSERVED, DETAILS"
EXPECTATION_COLUMNS = (
    "ASSET, CHECK_NAME, RULE, SUCCESS, ELEMENT_COUNT, UNEXPECTED_COUNT, SAMPLE, ERROR"
)
INPUT_VERSION_TAG = "dagster/input_data_version/"


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


def _materializations(warehouse: Path, run_id: str) -> dict[dg.AssetKey, dg.AssetMaterialization]:
    """Every asset materialization of one run, from the warehouse's Dagster instance."""
    from dagster_project.definitions import defs

    settings = RunSettings(landing=warehouse.parent, warehouse=warehouse)
    found = {}
    with dg.DagsterInstance.local_temp(tempdir=str(settings.dagster_home)) as instance:
        for key in defs().resolve_all_asset_keys():
            records = instance.fetch_materializations(key, limit=10).records
            for record in records:
                if record.run_id == run_id:
                    found[key] = record.asset_materialization
    return found


def _inputs(materialization: dg.AssetMaterialization) -> dict[str, str]:
    return {
        k[len(INPUT_VERSION_TAG) :]: v
        for k, v in materialization.tags.items()
        if k.startswith(INPUT_VERSION_TAG)
    }


@pytest.fixture(scope="module")
def runs(incremental_runs):
    """First run, the same again, a correction, a fresh run (tests/conftest.py). The published
    files are read as they were after the correction (``after_correction``): the sequence goes
    on to a site's next transfer, which tests/e2e/test_build_by_subject.py reads."""
    return incremental_runs


def test_a_rerun_with_nothing_new_recomputes_nothing_after_ingestion(runs):
    kept_wh, _ = runs["kept"]
    first, again = runs["first"], runs["again"]
    materialized = _materializations(kept_wh, again.run_id)
    recomputed = sorted(
        k.to_user_string()
        for k, m in materialized.items()
        if k.path[0] != "raw" and "not_recomputed" not in m.metadata
    )
    assert recomputed == []
    # every asset was materialized (none skipped), each saying why it was kept
    assert len(materialized) == len(_materializations(kept_wh, first.run_id))
    adsl = materialized[dg.AssetKey(["adam", "adsl"])].metadata
    assert adsl["reused_from_run"].value == first.run_id
    assert "input data versions" in adsl["not_recomputed"].value
    # dbt did not run, and nothing new was published
    with duckdb.connect(str(runs["after_correction"][0]), read_only=True) as con:
        invocations = con.execute(
            "select count(*) from quality.dbt_invocations where RUN_ID = ?", [again.run_id]
        ).fetchone()[0]
    assert invocations == 0
    before, after = runs["published"]
    assert after == before
    assert again.publication_kept and not first.publication_kept
    assert "nothing new to publish" in again.summary()


def test_a_new_transfer_recomputes_what_depends_on_it_and_nothing_else(runs):
    """dbt's build is one step: dbt itself decides which rows to rebuild (by subject at scale,
    in full below 20,000 subjects), and each ADaM table keeps its data version when its
    content did not change. After dbt, every asset is computed again exactly when one of its
    inputs has a new data version."""
    from dagster_project.defs.warehouse.dbt_models import warehouse_dbt_models

    kept_wh, _ = runs["kept"]
    assert runs["redelivery"]["change"]["column"] == "AETOXGR"
    before = _materializations(kept_wh, runs["again"].run_id)
    after = _materializations(kept_wh, runs["third"].run_id)
    assert before.keys() == after.keys()
    dbt_keys = set(warehouse_dbt_models.keys)

    def version(materializations, name):
        key = dg.AssetKey(name.split("/"))
        return materializations[key].tags["dagster/data_version"]

    # the AE change reached ADAE's content and nothing else of ADaM
    changed_adam = {
        f"adam/{n}"
        for n in ("adsl", "adrs", "adtte", "adae", "adex")
        if version(before, f"adam/{n}") != version(after, f"adam/{n}")
    }
    assert changed_adam == {"adam/adae"}
    recomputed = set()
    for key, materialization in after.items():
        if key.path[0] == "raw" or key in dbt_keys:
            continue
        changed_inputs = {
            k for k, v in _inputs(materialization).items() if _inputs(before[key]).get(k) != v
        }
        kept = "not_recomputed" in materialization.metadata
        # kept exactly when none of its inputs changed
        assert kept == (not changed_inputs), (key.to_user_string(), changed_inputs)
        if not kept:
            recomputed.add(key.to_user_string())
    # what reads ADAE was computed again; what does not was kept
    assert {"endpoints/t07", "endpoints/report", "published/warehouse"} <= recomputed
    assert not {"endpoints/t01", "endpoints/t03", "endpoints/f01_km_pfs"} & recomputed
    with duckdb.connect(str(runs["after_correction"][0]), read_only=True) as con:
        runs_by_asset = dict(
            con.execute(
                "select ASSET, any_value(RUN_ID) from quality.check_results "
                "where CHECK_NAME = 'gx_conformance' group by ASSET"
            ).fetchall()
        )
    assert runs_by_asset["adam/adae"] == runs["third"].run_id
    assert runs_by_asset["adam/adtte"] == runs["first"].run_id


def test_a_correction_built_by_subject_equals_a_full_build(runs):
    (kept_wh, _), (fresh_wh, _) = runs["after_correction"], runs["fresh"]
    done, by_subject, reason, scope = build_state(kept_wh)
    assert (done, by_subject) == (True, True) and "cut-off" not in reason, reason
    with duckdb.connect(str(kept_wh), read_only=True) as con:
        sites = con.execute("select distinct split_part(SUBJID, '-', 1) from quality.build_scope")
        assert sites.fetchall() == [(runs["redelivery"]["site_id"],)]
    assert 0 < scope < 60
    assert build_state(fresh_wh)[1] is False
    assert_same_build(kept_wh, fresh_wh)


def test_kept_warehouse_equals_a_fresh_one(runs):
    (kept_wh, _), (fresh_wh, _) = runs["after_correction"], runs["fresh"]
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


def test_kept_files_equal_fresh_ones(runs):
    (_, kept_report), (_, fresh_report) = runs["after_correction"], runs["fresh"]
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
