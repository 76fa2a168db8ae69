"""GX suites as asset checks on the ADaM datasets, and the open data-management findings.

Per dataset one step with two checks: ``gx_conformance`` (blocking, ERROR: the endpoints built
on the dataset do not run when it fails) and ``gx_plausibility`` (WARN: shown in the UI and the
report, never blocking). Running both in one step reads the dataset once and makes sure the
warnings are recorded before anything downstream (the report) runs. Every outcome is written to
quality.check_results (one row per check) and quality.expectation_results (one row per
expectation), and quality.html beside the report is re-rendered from them.

A dataset's validation is a function of the dataset and ADSL (the ADSL_<X> context columns),
the suite and the validation code. quality.check_results records with each outcome the Dagster
data versions of those two datasets and the validation code's version (VALIDATED_VERSION,
defs/reuse.py: the data version is the dataset's content fingerprint); a run whose versions are
those takes the stored outcomes instead of running GX again (check metadata
``validated_in_run``), a stored failure included, so a failed conformance check still blocks.
"""

import re
import sys
from datetime import UTC, datetime
from functools import cache
from importlib.metadata import version as package_version

import dagster as dg

from dagster_project.defs import reuse
from dagster_project.defs.resources import WRITER_POOL, Warehouse
from dagster_project.defs.warehouse.dbt_models import warehouse_dbt_models
from dagster_project.defs.warehouse.project import dbt_project
from dagster_project.lib import validation
from dagster_project.lib.validation import frames, results
from dagster_project.lib.validation.datasets import (
    ADSL_CONTEXT,
    COLUMNS,
    CONFORMANCE,
    DATASETS,
    PLAUSIBILITY,
    ROWS,
)
from dagster_project.lib.validation.quality_page import render_quality_page, write_quality_page
from dagster_project.lib.warehouse.fingerprint import fingerprint_of
from dagster_project.lib.warehouse.provenance import source_version

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

# The validation code (this module, which picks the columns, too) and the GX it runs: part of
# every validation's version.
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


def refresh_quality_page(warehouse: Warehouse) -> str:
    """Re-render quality.html beside the report from the quality tables; returns its path."""
    import great_expectations as gx

    with warehouse.connect(read_only=True) as con:
        checks = results.quality_table(con, "check_results")
        expectations = results.quality_table(con, "expectation_results")
        findings = results.quality_table(con, "findings", PAGE_FINDINGS_LIMIT)
        sites = results.quality_table(con, FINDINGS_BY_SITE)
        discordant = results.quality_table(con, "response_discordance")
        deletions = results.cut_deletions(con, warehouse.as_of or None, PAGE_FINDINGS_LIMIT)
    html = render_quality_page(
        checks.sort_values(["ASSET", "CHECK_NAME"]) if checks is not None else None,
        expectations,
        findings,
        sites,
        generated_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        gx_version=gx.__version__,
        discordant=None if discordant is None else discordant.sort_values(["SITEID", "USUBJID"]),
        deletions=deletions,
        deletions_limit=PAGE_FINDINGS_LIMIT,
    )
    return str(write_quality_page(html, warehouse.settings.work_report))


def _validated_version(context, dataset: str) -> str | None:
    """What a validation of ``dataset`` is a function of: the Dagster data versions of the
    dataset and of ADSL (its context columns) and the validation code; None when either
    dataset has no data version yet."""
    versions = {
        name: reuse.latest_data_version(context.instance, dg.AssetKey(["adam", name]))
        for name in sorted({dataset, "adsl"})
    }
    if None in versions.values():
        return None
    return fingerprint_of({"data": versions, "code": VALIDATION_CODE})


def _result(
    check: str,
    outcome,
    severity: dg.AssetCheckSeverity,
    rows: int,
    validated_in_run: str | None = None,
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
    if validated_in_run:
        # The stored outcome, computed from the same versions: GX did not run for this check.
        metadata["validated_in_run"] = validated_in_run
        metadata["not_recomputed"] = (
            "the dataset's and ADSL's data versions and the validation code are those "
            f"validated in run {validated_in_run[:8]}"
        )
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
        from dagster_project.lib.validation.runner import CheckOutcome, validate_checks

        asset = key.to_user_string()
        version = _validated_version(context, dataset)
        with warehouse.connect(read_only=True) as con:
            (n_rows,) = con.execute(f"select count(*) from adam.{dataset}").fetchone()
            stored = results.stored_outcomes(con, asset, version, list(CHECK_KINDS))
            if stored is None:
                suite = _suites()[dataset]  # GX is imported only when it runs
                catalogue = frames.column_catalogue(con, dataset, _labels().get(dataset))
                expectations = [
                    e for e in suite.expectations if e.meta.get("check") in CHECK_KINDS.values()
                ]
                columns = _needed_columns(expectations, list(catalogue["NAME"]))
                # only the ADSL columns the expectations look up (each lookup spreads a value
                # over every row)
                read = set().union(*(_read_columns(e) for e in expectations))
                looked_up = tuple(c for c in ADSL_CONTEXT[dataset] if f"ADSL_{c}" in read)
                if looked_up and "USUBJID" not in columns and "USUBJID" in set(catalogue["NAME"]):
                    columns.insert(0, "USUBJID")  # the key the ADSL context is looked up by
                adsl = (
                    frames.read_dataset(con, "adsl", sorted({"USUBJID", *looked_up}))
                    if looked_up
                    else None
                )
                reads_rows = any(e.meta.get("batch") == ROWS for e in expectations)
                rows = frames.read_dataset(con, dataset, columns) if reads_rows else None
        if stored is not None:
            taken, run = stored
            for name, kind in CHECK_KINDS.items():
                outcome = CheckOutcome(
                    dataset=dataset, check=kind, expectations=tuple(taken[name]), seconds=0.0
                )
                yield _result(name, outcome, SEVERITIES[name], n_rows, validated_in_run=run)
            return
        batches = {COLUMNS: catalogue}
        if rows is not None:
            if adsl is not None:
                frames.add_adsl_context(rows, adsl, looked_up)
                del adsl
            # The frame is built a column at a time, so pandas holds one block per column and
            # GX's metrics merged those blocks again on every frame they derived; one copy
            # merges them once.
            batches[ROWS] = rows.copy()
            del rows
        # Both checks in one validation per frame (lib/validation/runner.validate_checks).
        by_kind = validate_checks(suite, list(CHECK_KINDS.values()), batches)
        outcomes = {name: by_kind[kind] for name, kind in CHECK_KINDS.items()}
        with warehouse.connect() as con:
            results.record(
                con,
                context.run.run_id,
                asset,
                [(name, outcomes[name], SEVERITIES[name].value) for name in CHECK_KINDS],
                version,
            )
        refresh_quality_page(warehouse)
        for name in CHECK_KINDS:
            yield _result(name, outcomes[name], SEVERITIES[name], n_rows)

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
            findings = reuse.latest_data_version(context.instance, FINDINGS_KEY)
            # The page also lists the cut's deletions: a new one alone (a site dropped a record
            # nothing derived carried) re-renders it; the page stayed the previous run's.
            deletions = results.cut_deletions(con, warehouse.as_of or None)
            shown = None if deletions is None else deletions.to_csv(index=False)
            version = (
                None if findings is None else fingerprint_of([findings, VALIDATION_CODE, shown])
            )
            stored = results.stored_outcomes(
                con, FINDINGS_KEY.to_user_string(), version, ["no_open_findings"]
            )
        by_rule = {rule: int(n) for rule, n in counts}
        outcome = _Counted(sum(by_rule.values()), by_rule)
        page = str(warehouse.settings.work_report / "quality.html")
        metadata: dict = {"observed": outcome.observed, "by_rule": by_rule}
        if stored is None:
            with warehouse.connect() as con:
                results.record(
                    con,
                    context.run.run_id,
                    FINDINGS_KEY.to_user_string(),
                    [("no_open_findings", outcome, "WARN")],
                    version,
                )
            page = refresh_quality_page(warehouse)
        else:
            # Same findings as when this outcome was recorded: the record and the page stand.
            metadata["validated_in_run"] = stored[1]
            metadata["not_recomputed"] = (
                f"quality/findings has the data version it had in run {stored[1][:8]}"
            )
        return dg.AssetCheckResult(
            passed=outcome.passed,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={**metadata, "quality_page": dg.MetadataValue.path(page)},
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
