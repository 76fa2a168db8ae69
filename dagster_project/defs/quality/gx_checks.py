"""GX suites as asset checks on the ADaM datasets, and the open data-management findings.

Per dataset one step with two checks: ``gx_conformance`` (blocking, ERROR: the endpoints built
on the dataset do not run when it fails) and ``gx_plausibility`` (WARN: shown in the UI and the
report, never blocking). Running both in one step reads the dataset once and makes sure the
warnings are recorded before anything downstream (the report) runs. Every outcome is written to
quality.check_results (one row per check) and quality.expectation_results (one row per
expectation), and quality.html beside the report is re-rendered from them.

An expectation's outcome is a function of its inputs: the columns it reads (its column
arguments and row condition; an ADSL_<X> context column is the dataset's USUBJID looked up in
ADSL's USUBJID and X), the row count, the column catalogue, the expectation itself and the
validation code. Their fingerprint is stored with each outcome
(quality.expectation_results.FINGERPRINT, with the RUN_ID that computed it); a run validates
with GX only the expectations whose fingerprint it does not find, on a frame of the columns
those read, and takes the stored outcome for the others. A check's result is all of its
expectations' outcomes, a stored failure included, so a failed conformance check still blocks.
Check metadata: ``reused_expectations`` (how many outcomes were taken), ``validated_in_run``
(when all were: the runs that computed them). A new transfer of one site usually leaves most
datasets unchanged, and a moved cut-off changes only what reads ADSL's CUTOFFDT in ADRS (README,
Performance: incremental run).
"""

import re
import sys
from datetime import UTC, datetime
from functools import cache
from importlib.metadata import version as package_version

import dagster as dg
import duckdb
import pandas as pd

from dagster_project.defs.resources import WRITER_POOL, Warehouse
from dagster_project.defs.warehouse.dbt_models import warehouse_dbt_models
from dagster_project.defs.warehouse.project import dbt_project
from dagster_project.lib import validation
from dagster_project.lib.fingerprint import column_fingerprints, fingerprint_of
from dagster_project.lib.provenance import source_version
from dagster_project.lib.validation import frames
from dagster_project.lib.validation.datasets import (
    ADSL_CONTEXT,
    COLUMNS,
    CONFORMANCE,
    DATASETS,
    PLAUSIBILITY,
    ROWS,
)
from dagster_project.lib.validation.quality_page import render_quality_page, write_quality_page

CONFORMANCE_CHECK, PLAUSIBILITY_CHECK = "gx_conformance", "gx_plausibility"
# Each Dagster check runs the suite's expectations of one kind (meta.check).
CHECK_KINDS = {CONFORMANCE_CHECK: CONFORMANCE, PLAUSIBILITY_CHECK: PLAUSIBILITY}
SEVERITIES = {
    CONFORMANCE_CHECK: dg.AssetCheckSeverity.ERROR,
    PLAUSIBILITY_CHECK: dg.AssetCheckSeverity.WARN,
}
FINDINGS_KEY = dg.AssetKey(["quality", "findings"])
FINDINGS_BY_SITE = "findings_by_site"
PAGE_FINDINGS_LIMIT = 1000

CHECK_RESULTS_DDL = """
create schema if not exists quality;
create table if not exists quality.check_results (
    CHECK_NAME varchar, ASSET varchar, PASSED boolean, SEVERITY varchar, OUTCOME varchar,
    OBSERVED varchar, DETAILS varchar, RUN_ID varchar, CHECKED_AT timestamp
);
create table if not exists quality.expectation_results (
    CHECK_NAME varchar, ASSET varchar, RULE varchar, EXPECTATION varchar, COLUMN_NAME varchar,
    SUCCESS boolean, ELEMENT_COUNT bigint, UNEXPECTED_COUNT bigint, SAMPLE varchar,
    ERROR varchar, RUN_ID varchar
);
alter table quality.check_results add column if not exists FINGERPRINT varchar;
alter table quality.expectation_results add column if not exists FINGERPRINT varchar;
"""
# The validation code (this module, which picks the columns, too) and the GX it runs: part of
# every validation's fingerprint.
VALIDATION_CODE = (
    f"{source_version(validation, sys.modules[__name__])} "
    f"gx {package_version('great_expectations')}"
)


@cache
def _suites() -> dict:
    # Imports GX, which is slow to import: on the first check of a process, not when the
    # definitions load.
    from dagster_project.lib.validation.suites import load_suites

    return load_suites()


@cache
def _labels() -> dict[str, dict[str, str]]:
    return frames.manifest_labels(dbt_project.manifest_path)


def _read_columns(expectation) -> set[str]:
    """The frame columns an expectation reads: its column arguments and the names in its row
    condition (upper-case words: the ADaM variables)."""
    kwargs = expectation.configuration.kwargs
    wanted = {
        c for c in (kwargs.get("column"), kwargs.get("column_A"), kwargs.get("column_B")) if c
    }
    wanted.update(kwargs.get("column_list") or [])
    condition = kwargs.get("row_condition")
    if condition:
        text = condition if isinstance(condition, str) else str(condition)
        wanted.update(re.findall(r"\b[A-Z][A-Z0-9_]*\b", text))
    return wanted


def _needed_columns(expectations, dataset_columns: list[str]) -> list[str]:
    """The dataset columns the row expectations among ``expectations`` read, so a 1.1M-row
    ADTTE is read with 8 columns, not 16 (and with fewer when few expectations run)."""
    wanted: set[str] = set()
    for e in expectations:
        if e.meta.get("batch") == ROWS:
            wanted |= _read_columns(e)
    return [c for c in dataset_columns if c in wanted]


def _record(
    warehouse: Warehouse,
    run_id: str,
    asset: str,
    outcomes: list[tuple[str, object, str]],
    fingerprint: str | None = None,
    expectation_fingerprints: dict[tuple[str, str], str] | None = None,
    computed_in: dict[tuple[str, str], str] | None = None,
) -> None:
    """Replace this asset's check rows in quality.check_results / expectation_results;
    ``fingerprint``: of the inputs the outcomes were computed from; per (check, rule) the
    fingerprint of each expectation's inputs (none: never reused) and, for an outcome taken
    from an earlier run, that run (``computed_in``; else ``run_id``)."""
    expectation_fingerprints = expectation_fingerprints or {}
    computed_in = computed_in or {}
    now = datetime.now(UTC).replace(tzinfo=None)
    checks, expectations = [], []
    for name, outcome, severity in outcomes:
        passed = outcome.passed
        checks.append(
            {
                "CHECK_NAME": name,
                "ASSET": asset,
                "PASSED": passed,
                "SEVERITY": severity,
                "OUTCOME": "pass" if passed else ("fail" if severity == "ERROR" else "warn"),
                "OBSERVED": outcome.observed,
                "DETAILS": outcome.details,
                "RUN_ID": run_id,
                "CHECKED_AT": now,
                "FINGERPRINT": fingerprint,
            }
        )
        expectations += [
            {
                "CHECK_NAME": name,
                "ASSET": asset,
                "RULE": e.rule,
                "EXPECTATION": e.expectation,
                "COLUMN_NAME": e.column,
                "SUCCESS": e.success,
                "ELEMENT_COUNT": e.element_count,
                "UNEXPECTED_COUNT": e.unexpected_count,
                "SAMPLE": ", ".join(e.sample),
                "ERROR": e.error,
                "RUN_ID": computed_in.get((name, e.rule), run_id),
                "FINGERPRINT": expectation_fingerprints.get((name, e.rule)),
            }
            for e in outcome.expectations
        ]
    check_frame = pd.DataFrame(checks).astype({"FINGERPRINT": "string"})
    expectation_frame = pd.DataFrame(expectations, columns=list(_EXPECTATION_COLUMNS))
    expectation_frame = expectation_frame.astype(
        {"ELEMENT_COUNT": "Int64", "UNEXPECTED_COUNT": "Int64", "FINGERPRINT": "string"}
    )
    with warehouse.connect() as con:
        con.execute(CHECK_RESULTS_DDL)
        names = [c["CHECK_NAME"] for c in checks]
        con.execute("begin")
        for table in ("check_results", "expectation_results"):
            con.execute(
                f"delete from quality.{table} where ASSET = ? and list_contains(?, CHECK_NAME)",
                [asset, names],
            )
        con.register("check_frame", check_frame)
        con.register("expectation_frame", expectation_frame)
        con.execute("insert into quality.check_results by name select * from check_frame")
        con.execute(
            "insert into quality.expectation_results by name select * from expectation_frame"
        )
        con.execute("commit")


_EXPECTATION_COLUMNS = (
    "CHECK_NAME", "ASSET", "RULE", "EXPECTATION", "COLUMN_NAME", "SUCCESS", "ELEMENT_COUNT",
    "UNEXPECTED_COUNT", "SAMPLE", "ERROR", "RUN_ID", "FINGERPRINT",
)  # fmt: skip


def _table(
    con: duckdb.DuckDBPyConnection, name: str, limit: int | None = None
) -> pd.DataFrame | None:
    exists = (
        con.execute(
            "select count(*) from duckdb_tables() where schema_name = 'quality' and table_name = ?",
            [name],
        ).fetchone()[0]
        or con.execute(
            "select count(*) from duckdb_views() where schema_name = 'quality' and view_name = ?",
            [name],
        ).fetchone()[0]
    )
    if not exists:
        return None
    suffix = f" limit {limit}" if limit else ""
    return con.execute(f"select * from quality.{name}{suffix}").df()


def refresh_quality_page(warehouse: Warehouse) -> str:
    """Re-render quality.html beside the report from the quality tables; returns its path."""
    import great_expectations as gx

    with warehouse.connect(read_only=True) as con:
        checks = _table(con, "check_results")
        expectations = _table(con, "expectation_results")
        findings = _table(con, "findings", PAGE_FINDINGS_LIMIT)
        sites = _table(con, FINDINGS_BY_SITE)
    html = render_quality_page(
        checks.sort_values(["ASSET", "CHECK_NAME"]) if checks is not None else None,
        expectations,
        findings,
        sites,
        generated_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        gx_version=gx.__version__,
    )
    return str(write_quality_page(html, warehouse.settings.work_report))


def _key(expectation) -> tuple[str, str]:
    """(check name, rule): an expectation's row in quality.expectation_results."""
    (check,) = (name for name, kind in CHECK_KINDS.items() if kind == expectation.meta["check"])
    return check, expectation.meta["rule"]


def _expectation_fingerprints(
    con: duckdb.DuckDBPyConnection, dataset: str, expectations: list, catalogue: pd.DataFrame
) -> dict[tuple[str, str], str]:
    """(check, rule) -> fingerprint of what that expectation's outcome depends on: the
    expectation, the validation code, the column catalogue (names, types, labels), the row
    count and each column it reads: a dataset column by its values; ADSL_<X> by the dataset's
    USUBJID and ADSL's USUBJID and X (``frames.add_adsl_context``); any other name as absent.
    The column fingerprints come from one scan of each table."""
    names = set(catalogue["NAME"])
    context = set(ADSL_CONTEXT[dataset])
    reads = {
        _key(e): _read_columns(e) if e.meta.get("batch") == ROWS else set() for e in expectations
    }
    looked_up = {
        c[len("ADSL_") :] for cols in reads.values() for c in cols if c.startswith("ADSL_")
    }
    looked_up &= context
    own_columns = sorted({c for cols in reads.values() for c in cols if c in names})
    if looked_up and "USUBJID" in names:
        own_columns = sorted({*own_columns, "USUBJID"})
    rows, own = column_fingerprints(con, f"adam.{dataset}", own_columns)
    adsl = (
        column_fingerprints(con, "adam.adsl", ["USUBJID", *sorted(looked_up)])[1]
        if looked_up
        else {}
    )

    def source(column: str) -> object:
        if column in names:
            return own[column]
        name = column[len("ADSL_") :]
        if column.startswith("ADSL_") and name in looked_up:
            return [own.get("USUBJID", "absent"), adsl["USUBJID"], adsl[name]]
        return "absent"

    shared = {
        "catalogue": catalogue.astype(str).to_dict("records"),
        "rows": rows,
        "code": VALIDATION_CODE,
    }
    return {
        _key(e): fingerprint_of(
            {
                **shared,
                "expectation": {
                    k: v for k, v in e.configuration.to_json_dict().items() if k != "id"
                },
                "columns": {c: source(c) for c in sorted(reads[_key(e)])},
            }
        )
        for e in expectations
    }


def _stored_expectations(
    con: duckdb.DuckDBPyConnection, asset: str, fingerprints: dict[tuple[str, str], str]
) -> dict[tuple[str, str], tuple[object, str]]:
    """(check, rule) -> (ExpectationOutcome, run id) of each stored outcome of ``asset``
    computed from the inputs of that fingerprint."""
    from dagster_project.lib.validation.runner import ExpectationOutcome

    has_fingerprint = con.execute(
        "select count(*) from duckdb_columns() where schema_name = 'quality' "
        "and table_name = 'expectation_results' and column_name = 'FINGERPRINT'"
    ).fetchone()[0]
    if not has_fingerprint:
        return {}
    rows = con.execute(
        "select CHECK_NAME, RULE, EXPECTATION, COLUMN_NAME, SUCCESS, ELEMENT_COUNT, "
        "UNEXPECTED_COUNT, SAMPLE, ERROR, RUN_ID, FINGERPRINT from quality.expectation_results "
        "where ASSET = ?",
        [asset],
    ).fetchall()
    stored = {}
    for check, rule, *values, run, fp in rows:
        if fp is None or fingerprints.get((check, rule)) != fp:
            continue
        expectation, column, success, elements, unexpected, sample, error = values
        outcome = ExpectationOutcome(
            rule=rule,
            expectation=expectation,
            column=column,
            success=success,
            element_count=elements,
            unexpected_count=unexpected,
            sample=tuple(sample.split(", ")) if sample else (),
            error=error or "",
        )
        stored[(check, rule)] = (outcome, run)
    return stored


def _result(
    check: str,
    outcome,
    severity: dg.AssetCheckSeverity,
    rows: int,
    validated_in_run: str | None = None,
    reused: int = 0,
) -> dg.AssetCheckResult:
    metadata = {
        "observed": outcome.observed,
        "details": outcome.details,
        "rows": rows,
        "failed_rules": dg.MetadataValue.md(
            "\n".join(f"- {e.describe()}" for e in outcome.failed) or "none"
        ),
        "seconds": round(outcome.seconds, 3),
    }
    if reused:
        # Expectations whose inputs are those of a stored outcome (same fingerprint): taken.
        metadata["reused_expectations"] = reused
    if validated_in_run:
        # Every outcome taken: the run(s) that computed them; GX did not run for this check.
        metadata["validated_in_run"] = validated_in_run
    return dg.AssetCheckResult(
        check_name=check, passed=outcome.passed, severity=severity, metadata=metadata
    )


def build_dataset_checks(dataset: str) -> dg.AssetChecksDefinition:
    key = dg.AssetKey(["adam", dataset])

    @dg.multi_asset_check(
        name=f"gx_{dataset}",
        specs=[
            dg.AssetCheckSpec(
                CONFORMANCE_CHECK,
                asset=key,
                blocking=True,
                description=f"ADaM conformance of {dataset.upper()} (GX suite "
                f"expectations/gx/expectations/{dataset}.json, meta.check = conformance): "
                "blocks the endpoints when it fails.",
            ),
            dg.AssetCheckSpec(
                PLAUSIBILITY_CHECK,
                asset=key,
                description=f"Clinical plausibility of {dataset.upper()} (same suite, "
                "meta.check = plausibility): a warning, never blocking.",
            ),
        ],
        pool=WRITER_POOL,
    )
    def _check(context: dg.AssetCheckExecutionContext, warehouse: Warehouse):
        from dagster_project.lib.validation.runner import (
            CheckOutcome,
            select_expectations,
            validate_check,
        )

        suite = _suites()[dataset]
        asset = key.to_user_string()
        checks = list(CHECK_KINDS)
        expectations = [
            e for e in suite.expectations if e.meta.get("check") in CHECK_KINDS.values()
        ]
        with warehouse.connect(read_only=True) as con:
            catalogue = frames.column_catalogue(con, dataset, _labels().get(dataset))
            fingerprints = _expectation_fingerprints(con, dataset, expectations, catalogue)
            stored = _stored_expectations(con, asset, fingerprints)
            to_run = [e for e in expectations if _key(e) not in stored]
            (n_rows,) = con.execute(f"select count(*) from adam.{dataset}").fetchone()
            reads_rows = any(e.meta.get("batch") == ROWS for e in to_run)
            if reads_rows:
                columns = _needed_columns(to_run, list(catalogue["NAME"]))
                # only the ADSL columns the expectations to run look up (each lookup spreads a
                # value over every row)
                read = set().union(*(_read_columns(e) for e in to_run))
                looked_up = tuple(c for c in ADSL_CONTEXT[dataset] if f"ADSL_{c}" in read)
                names = set(catalogue["NAME"])
                if looked_up and "USUBJID" not in columns and "USUBJID" in names:
                    columns.insert(0, "USUBJID")  # the key the ADSL context is looked up by
                if looked_up:
                    adsl = frames.read_dataset(con, "adsl", sorted({"USUBJID", *looked_up}))
                rows = frames.read_dataset(con, dataset, columns)
        new: dict[str, object] = {}
        if to_run:
            batches: dict = {COLUMNS: catalogue}
            if reads_rows:
                if looked_up:
                    frames.add_adsl_context(rows, adsl, looked_up)
                    del adsl
                # The frame is built a column at a time, so pandas holds one block per column
                # and GX's metrics merged those blocks again on every frame they derived. One
                # copy merges them once.
                batches[ROWS] = rows.copy()
                del rows
            for name, kind in CHECK_KINDS.items():
                rules = {rule for check, rule in map(_key, to_run) if check == name}
                if rules:
                    # the column catalogue is conformance's alone (plausibility reads rows)
                    given = {b: f for b, f in batches.items() if kind == CONFORMANCE or b == ROWS}
                    new[name] = validate_check(suite, kind, given, rules=rules)
        outcomes, reused_by_check, runs_by_check = {}, {}, {}
        for name, kind in CHECK_KINDS.items():
            computed = {o.rule: o for o in new[name].expectations} if name in new else {}
            in_order = [
                e for batch in (COLUMNS, ROWS) for e in select_expectations(suite, kind, batch)
            ]
            taken = [stored[_key(e)] for e in in_order if _key(e) in stored]
            outcomes[name] = CheckOutcome(
                dataset=dataset,
                check=kind,
                expectations=tuple(
                    stored[_key(e)][0] if _key(e) in stored else computed[e.meta["rule"]]
                    for e in in_order
                ),
                seconds=new[name].seconds if name in new else 0.0,
            )
            reused_by_check[name] = len(taken)
            runs_by_check[name] = sorted({run for _, run in taken})
        if to_run:
            _record(
                warehouse,
                context.run.run_id,
                asset,
                [(name, outcomes[name], SEVERITIES[name].value) for name in checks],
                fingerprint_of(sorted(fingerprints.values())),
                expectation_fingerprints=fingerprints,
                computed_in={k: run for k, (_, run) in stored.items()},
            )
            refresh_quality_page(warehouse)
        for name in checks:
            validated_in_run = None if name in new else ", ".join(runs_by_check[name]) or None
            yield _result(
                name, outcomes[name], SEVERITIES[name], n_rows, validated_in_run,
                reused_by_check[name],
            )  # fmt: skip

    return _check


class _Counted:
    """A CheckOutcome-like record for the findings check (no GX involved)."""

    def __init__(self, total: int, by_rule: dict[str, int]) -> None:
        self.passed = total == 0
        self.observed = f"{total} open findings"
        self.details = "; ".join(f"{rule}: {n}" for rule, n in by_rule.items()) or "no finding"
        self.expectations = ()


def build_findings_check() -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=FINDINGS_KEY,
        name="no_open_findings",
        description="Cross-form consistency findings (queries to the sites) in quality.findings: "
        "a warning while any is open; rows load regardless (site_extracts.md, bad input).",
        # Never fails with ERROR, so it holds nothing back; blocking makes the publication wait
        # for it, so the published cut and quality.html carry its outcome.
        blocking=True,
        pool=WRITER_POOL,
    )
    def no_open_findings(context: dg.AssetCheckExecutionContext, warehouse: Warehouse):
        with warehouse.connect(read_only=True) as con:
            counts = con.execute(
                "select RULE, count(*) from quality.findings group by RULE order by RULE"
            ).fetchall()
        by_rule = {rule: int(n) for rule, n in counts}
        outcome = _Counted(sum(by_rule.values()), by_rule)
        _record(warehouse, context.run.run_id, FINDINGS_KEY.to_user_string(), [
            ("no_open_findings", outcome, "WARN")
        ])  # fmt: skip
        page = refresh_quality_page(warehouse)
        return dg.AssetCheckResult(
            passed=outcome.passed,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={
                "observed": outcome.observed,
                "by_rule": by_rule,
                "quality_page": dg.MetadataValue.path(page),
            },
        )

    return no_open_findings


def _dbt_keys() -> set[dg.AssetKey]:
    return set(warehouse_dbt_models.keys)


@dg.definitions
def quality_checks() -> dg.Definitions:
    keys = _dbt_keys()
    checks = [build_dataset_checks(d) for d in DATASETS if dg.AssetKey(["adam", d]) in keys]
    # The findings models live in the dbt manifest; a stale manifest without them must not
    # break the code location.
    if FINDINGS_KEY in keys:
        checks.append(build_findings_check())
    return dg.Definitions(asset_checks=checks)
