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
    @dg.asset(key=["adam", "adtte"])
    def adtte(warehouse: Warehouse) -> None:
        with warehouse.connect() as con:
            con.execute("create schema if not exists adam")
            con.execute(ADSL_SQL)
            for statement in _adtte_sql(aval, adt, cnsr):
                con.execute(statement)

    @dg.asset(key=["endpoints", "t03"], deps=[adtte])
    def t03() -> None:
        downstream_ran.append("t03")

    return [adtte, t03], build_dataset_checks("adtte")


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
    """The second run validates the same rows: the stored outcome is its result (metadata names
    the run that computed it), the failure still blocks, and quality.check_results keeps the
    rows of that run. Fixed rows are validated again."""
    ran: list[str] = []
    assets, checks = _graph(aval=1, adt="2026-01-05", downstream_ran=ran, cnsr=9)
    first = dg.materialize(
        [*assets, checks], resources={"warehouse": warehouse}, raise_on_error=False
    )
    again = dg.materialize(
        [*assets, checks], resources={"warehouse": warehouse}, raise_on_error=False
    )
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
    fixed = dg.materialize(
        [*assets, checks], resources={"warehouse": warehouse}, raise_on_error=False
    )
    evaluations = _evaluations(fixed)
    assert evaluations[CONFORMANCE_CHECK].passed
    assert "validated_in_run" not in evaluations[CONFORMANCE_CHECK].metadata
    assert ran == ["t03"]


def test_a_changed_column_catalogue_is_validated_again(warehouse, monkeypatch):
    """The column catalogue is an input too: same rows of the columns the expectations read,
    one more column in the table, validated again."""
    ran: list[str] = []
    assets, checks = _graph(aval=1, adt="2026-01-05", downstream_ran=ran)
    dg.materialize([*assets, checks], resources={"warehouse": warehouse})
    widen = "alter table adam.adtte add column AVALC2 varchar"
    original = _adtte_sql
    monkeypatch.setitem(globals(), "_adtte_sql", lambda *a, **k: [*original(*a, **k), widen])
    assets, checks = _graph(aval=1, adt="2026-01-05", downstream_ran=ran)
    result = dg.materialize(
        [*assets, checks], resources={"warehouse": warehouse}, raise_on_error=False
    )
    assert "validated_in_run" not in _evaluations(result)[CONFORMANCE_CHECK].metadata
    again = dg.materialize(
        [*assets, checks], resources={"warehouse": warehouse}, raise_on_error=False
    )
    assert _evaluations(again)[CONFORMANCE_CHECK].metadata["validated_in_run"].value == (
        result.run_id
    )


def _expectation_runs(warehouse) -> dict[tuple[str, str], str]:
    with duckdb.connect(str(warehouse.settings.work_db), read_only=True) as con:
        rows = con.execute(
            "select CHECK_NAME, RULE, RUN_ID from quality.expectation_results "
            "where ASSET = 'adam/adtte'"
        ).fetchall()
    return {(check, rule): run for check, rule, run in rows}


def test_a_moved_cutoff_validates_only_the_expectations_that_read_it(
    warehouse, tmp_path, monkeypatch
):
    """ADSL's CUTOFFDT moves, ADTTE stays: GX runs only the rules reading ADSL_CUTOFFDT
    (plausibility's 'not after the cut-off'); conformance is taken whole from the first run.
    The outcome equals a fresh validation, also when the earlier cut-off makes ADT late."""
    ran: list[str] = []
    assets, checks = _graph(aval=1, adt="2026-01-05", downstream_ran=ran)
    first = dg.materialize([*assets, checks], resources={"warehouse": warehouse})
    first_runs = _expectation_runs(warehouse)
    assert set(first_runs.values()) == {first.run_id}

    outcomes, original = {}, ADSL_SQL
    for cutoff in ("2026-11-30", "2025-12-31"):
        monkeypatch.setitem(globals(), "ADSL_SQL", original.replace("2026-10-31", cutoff))
        assets, checks = _graph(aval=1, adt="2026-01-05", downstream_ran=ran)
        moved = dg.materialize([*assets, checks], resources={"warehouse": warehouse})
        evaluations = _evaluations(moved)
        conformance, plausibility = (
            evaluations[CONFORMANCE_CHECK].metadata,
            evaluations[PLAUSIBILITY_CHECK].metadata,
        )
        assert conformance["validated_in_run"].value == first.run_id
        assert conformance["reused_expectations"].value == len(
            [k for k in first_runs if k[0] == CONFORMANCE_CHECK]
        )
        assert "validated_in_run" not in plausibility
        runs = _expectation_runs(warehouse)
        validated_now = {k for k, run in runs.items() if run == moved.run_id}
        assert validated_now == {(PLAUSIBILITY_CHECK, "ADT not after the cut-off")}, runs
        assert plausibility["reused_expectations"].value == (
            len([k for k in first_runs if k[0] == PLAUSIBILITY_CHECK]) - 1
        )

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
