"""The GX asset checks in Dagster: conformance blocks what is downstream, plausibility warns,
and both land in quality.check_results and quality.html."""

import dagster as dg
import duckdb
import pytest

from dagster_project.defs.quality.gx_checks import (
    CONFORMANCE_CHECK,
    PLAUSIBILITY_CHECK,
    build_dataset_checks,
)
from dagster_project.defs.resources import Warehouse
from dagster_project.lib.validation.suites import REQUIRED_VARIABLES
from dagster_project.lib.warehouse.fingerprint import table_fingerprint

S1 = "ISA-DEX-MM-IT01-001"
ADSL_SQL = (
    f"create or replace table adam.adsl as select '{S1}' as USUBJID, date '2026-10-31' as CUTOFFDT"
)


def _adtte_sql(aval: int, adt: str, cnsr: int = 3) -> list[str]:
    columns = ", ".join(f"{n} {t}" for n, t in REQUIRED_VARIABLES["adtte"].items())
    statements = [f"create or replace table adam.adtte ({columns})"]
    statements += [
        f"comment on column adam.adtte.{n} is 'Label {n}. Derivation.'"
        for n in REQUIRED_VARIABLES["adtte"]
    ]
    statements.append(
        f"insert into adam.adtte (STUDYID, USUBJID, PARAMCD, PARAM, STARTDT, ADT, AVAL, AVALU, "
        f"CNSR) values ('ISA-DEX-MM', '{S1}', 'OS', 'OS', date '2026-01-05', date '{adt}', "
        f"{aval}, 'DAYS', {cnsr})"
    )
    return statements


def _graph(aval: int, adt: str, downstream_ran: list[str], cnsr: int = 3):
    """ADSL and ADTTE written as given, each with its content fingerprint as data version (as
    the dbt asset reports them), an endpoint reading ADTTE, and ADTTE's GX checks."""

    @dg.multi_asset(specs=[dg.AssetSpec(["adam", "adsl"]), dg.AssetSpec(["adam", "adtte"])])
    def adam(warehouse: Warehouse):
        with warehouse.connect() as con:
            con.execute("create schema if not exists adam")
            con.execute(ADSL_SQL)
            for statement in _adtte_sql(aval, adt, cnsr):
                con.execute(statement)
            for name in ("adsl", "adtte"):
                yield dg.MaterializeResult(
                    asset_key=["adam", name],
                    data_version=dg.DataVersion(table_fingerprint(con, f"adam.{name}")),
                )

    @dg.asset(key=["endpoints", "t03"], deps=[dg.AssetKey(["adam", "adtte"])])
    def t03() -> None:
        downstream_ran.append("t03")

    return [adam, t03], build_dataset_checks("adtte")


@pytest.fixture
def warehouse(tmp_path) -> Warehouse:
    return Warehouse(
        landing=str(tmp_path / "landing"),
        warehouse=str(tmp_path / "warehouse.duckdb"),
        report_dir=str(tmp_path / "report"),
    )


def _evaluations(result) -> dict[str, dg.AssetCheckEvaluation]:
    return {e.check_name: e for e in result.get_asset_check_evaluations()}


def test_conformance_failure_blocks_downstream_and_is_recorded(warehouse, tmp_path):
    ran: list[str] = []
    assets, checks = _graph(aval=1, adt="2026-01-05", downstream_ran=ran, cnsr=9)  # CNSR code
    result = dg.materialize(
        [*assets, checks], resources={"warehouse": warehouse}, raise_on_error=False
    )
    evaluations = _evaluations(result)
    assert not evaluations[CONFORMANCE_CHECK].passed
    assert evaluations[CONFORMANCE_CHECK].severity == dg.AssetCheckSeverity.ERROR
    assert evaluations[PLAUSIBILITY_CHECK].passed
    assert ran == []  # the blocking check stopped the endpoint
    con = duckdb.connect(str(warehouse.settings.work_db), read_only=True)
    rows = con.execute(
        "select CHECK_NAME, ASSET, PASSED, SEVERITY, OUTCOME, DETAILS from quality.check_results "
        "order by CHECK_NAME"
    ).fetchall()
    con.close()
    assert rows[0][:5] == (CONFORMANCE_CHECK, "adam/adtte", False, "ERROR", "fail")
    assert rows[0][5] == "CNSR in its codes 0-8 (1 rows of 1) e.g. 9"
    assert rows[1][:5] == (PLAUSIBILITY_CHECK, "adam/adtte", True, "WARN", "pass")
    page = (tmp_path / "warehouse.work.report" / "quality.html").read_text()
    assert "CNSR in its codes 0-8" in page and "gx_conformance" in page


def test_plausibility_failure_warns_without_blocking(warehouse):
    ran: list[str] = []
    assets, checks = _graph(aval=301, adt="2026-11-01", downstream_ran=ran)  # after the cut-off
    result = dg.materialize(
        [*assets, checks], resources={"warehouse": warehouse}, raise_on_error=False
    )
    evaluations = _evaluations(result)
    assert evaluations[CONFORMANCE_CHECK].passed
    assert not evaluations[PLAUSIBILITY_CHECK].passed
    assert evaluations[PLAUSIBILITY_CHECK].severity == dg.AssetCheckSeverity.WARN
    assert ran == ["t03"]
    assert result.success


def test_same_inputs_reuse_the_stored_outcome_and_still_block(warehouse):
    """The second run validates the same rows (same data versions): the stored outcome is its
    result (metadata names the run that computed it), the failure still blocks, and
    quality.check_results keeps the rows of that run. Fixed rows are validated again."""
    ran: list[str] = []
    instance = dg.DagsterInstance.ephemeral()
    assets, checks = _graph(aval=1, adt="2026-01-05", downstream_ran=ran, cnsr=9)

    def run():
        return dg.materialize(
            [*assets, checks],
            resources={"warehouse": warehouse},
            raise_on_error=False,
            instance=instance,
        )

    first, again = run(), run()
    before, after = _evaluations(first), _evaluations(again)
    for name in (CONFORMANCE_CHECK, PLAUSIBILITY_CHECK):
        assert "validated_in_run" not in before[name].metadata
        assert after[name].metadata["validated_in_run"].value == first.run_id
        assert after[name].passed == before[name].passed
        for field in ("observed", "details", "failed_rules", "rows"):
            assert after[name].metadata[field] == before[name].metadata[field]
    assert after[CONFORMANCE_CHECK].metadata["details"].value == (
        "CNSR in its codes 0-8 (1 rows of 1) e.g. 9"
    )
    assert ran == []  # blocked both times
    con = duckdb.connect(str(warehouse.settings.work_db), read_only=True)
    assert con.execute("select distinct RUN_ID from quality.check_results").fetchall() == [
        (first.run_id,)
    ]
    con.close()

    assets, checks = _graph(aval=1, adt="2026-01-05", downstream_ran=ran, cnsr=3)
    evaluations = _evaluations(run())
    assert evaluations[CONFORMANCE_CHECK].passed
    assert "validated_in_run" not in evaluations[CONFORMANCE_CHECK].metadata
    assert ran == ["t03"]


def test_a_changed_column_catalogue_is_validated_again(warehouse, monkeypatch):
    """The column catalogue is part of the dataset's data version: same rows of the columns
    the expectations read, one more column in the table, validated again."""
    ran: list[str] = []
    instance = dg.DagsterInstance.ephemeral()
    assets, checks = _graph(aval=1, adt="2026-01-05", downstream_ran=ran)
    dg.materialize([*assets, checks], resources={"warehouse": warehouse}, instance=instance)
    widen = "alter table adam.adtte add column AVALC2 varchar"
    original = _adtte_sql
    monkeypatch.setitem(globals(), "_adtte_sql", lambda *a, **k: [*original(*a, **k), widen])
    assets, checks = _graph(aval=1, adt="2026-01-05", downstream_ran=ran)
    result = dg.materialize(
        [*assets, checks],
        resources={"warehouse": warehouse},
        instance=instance,
        raise_on_error=False,
    )
    assert "validated_in_run" not in _evaluations(result)[CONFORMANCE_CHECK].metadata
    again = dg.materialize(
        [*assets, checks],
        resources={"warehouse": warehouse},
        instance=instance,
        raise_on_error=False,
    )
    assert _evaluations(again)[CONFORMANCE_CHECK].metadata["validated_in_run"].value == (
        result.run_id
    )


def test_a_moved_cutoff_validates_again_as_a_fresh_validation_would(
    warehouse, tmp_path, monkeypatch
):
    """ADSL's CUTOFFDT moves, ADTTE stays: ADSL's data version changed (ADTTE's context), so
    ADTTE is validated again; the outcome equals a fresh validation, also when the earlier
    cut-off makes ADT late."""
    ran: list[str] = []
    instance = dg.DagsterInstance.ephemeral()
    assets, checks = _graph(aval=1, adt="2026-01-05", downstream_ran=ran)
    dg.materialize([*assets, checks], resources={"warehouse": warehouse}, instance=instance)

    outcomes, original = {}, ADSL_SQL
    for cutoff in ("2026-11-30", "2025-12-31"):
        monkeypatch.setitem(globals(), "ADSL_SQL", original.replace("2026-10-31", cutoff))
        assets, checks = _graph(aval=1, adt="2026-01-05", downstream_ran=ran)
        moved = dg.materialize(
            [*assets, checks], resources={"warehouse": warehouse}, instance=instance
        )
        evaluations = _evaluations(moved)
        for name in (CONFORMANCE_CHECK, PLAUSIBILITY_CHECK):
            assert "validated_in_run" not in evaluations[name].metadata
        fresh_dir = tmp_path / f"fresh{cutoff}"
        fresh_dir.mkdir()
        fresh_warehouse = Warehouse(
            landing=str(fresh_dir / "landing"),
            warehouse=str(fresh_dir / "warehouse.duckdb"),
            report_dir=str(fresh_dir / "report"),
        )
        fresh = _evaluations(
            dg.materialize([*assets, checks], resources={"warehouse": fresh_warehouse})
        )
        for name in (CONFORMANCE_CHECK, PLAUSIBILITY_CHECK):
            assert evaluations[name].passed == fresh[name].passed
            for field in ("observed", "details", "failed_rules", "rows"):
                assert evaluations[name].metadata[field] == fresh[name].metadata[field]
        outcomes[cutoff] = evaluations[PLAUSIBILITY_CHECK]
    assert outcomes["2026-11-30"].passed
    assert not outcomes["2025-12-31"].passed
    assert "ADT not after the cut-off" in outcomes["2025-12-31"].metadata["details"].value
