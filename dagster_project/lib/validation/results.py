"""Where GX outcomes are kept: quality.check_results (one row per check) and
quality.expectation_results (one row per expectation), with the data versions each outcome
was computed from (VALIDATED_VERSION), which is what lets a run take a stored outcome instead
of validating the same data again (defs/quality/gx_checks.py, defs/reuse.py)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import duckdb
import pandas as pd

from dagster_project.lib.validation.runner import ExpectationOutcome

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
alter table quality.check_results add column if not exists VALIDATED_VERSION varchar;
"""

EXPECTATION_COLUMNS = (
    "CHECK_NAME", "ASSET", "RULE", "EXPECTATION", "COLUMN_NAME", "SUCCESS", "ELEMENT_COUNT",
    "UNEXPECTED_COUNT", "SAMPLE", "ERROR", "RUN_ID",
)  # fmt: skip


def record(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    asset: str,
    outcomes: list[tuple[str, object, str]],
    validated_version: str | None = None,
) -> None:
    """Replace this asset's check rows in quality.check_results / expectation_results, in one
    transaction; ``outcomes``: (check name, outcome, severity) per check;
    ``validated_version``: the versions the outcomes were computed from (none: never reused)."""
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
                "VALIDATED_VERSION": validated_version,
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
                "RUN_ID": run_id,
            }
            for e in outcome.expectations
        ]
    check_frame = pd.DataFrame(checks).astype({"VALIDATED_VERSION": "string"})
    expectation_frame = pd.DataFrame(expectations, columns=list(EXPECTATION_COLUMNS))
    expectation_frame = expectation_frame.astype(
        {"ELEMENT_COUNT": "Int64", "UNEXPECTED_COUNT": "Int64"}
    )
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
    con.execute("insert into quality.expectation_results by name select * from expectation_frame")
    con.execute("commit")


def relation_exists(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> bool:
    """Whether ``schema.name`` is a table or a view of the warehouse."""
    return bool(
        con.execute(
            "select count(*) from duckdb_tables() where schema_name = ? and table_name = ?",
            [schema, name],
        ).fetchone()[0]
        or con.execute(
            "select count(*) from duckdb_views() where schema_name = ? and view_name = ?",
            [schema, name],
        ).fetchone()[0]
    )


def quality_table(
    con: duckdb.DuckDBPyConnection, name: str, limit: int | None = None
) -> pd.DataFrame | None:
    """quality.<name> (a table or a view) as a frame, the first ``limit`` rows; None if absent."""
    if not relation_exists(con, "quality", name):
        return None
    suffix = f" limit {limit}" if limit else ""
    return con.execute(f"select * from quality.{name}{suffix}").df()


def cut_deletions(
    con: duckdb.DuckDBPyConnection, as_of: str | None, limit: int | None = None
) -> pd.DataFrame | None:
    """The records deleted at the sites as the cut sees them (raw.deletions; site_extracts.md:
    a deletion "must be visible as such"): those found by a transfer the analysis may use,
    LOADED and, when the run pins ``as_of``, extracted at or before it (adam.md: as_of
    reproduces an earlier analysis; a deletion made by a later transfer listed a record the
    cut still analyses as deleted, found by testing as_of). In key order, the first ``limit``;
    None in a warehouse that never ingested (no raw.deletions)."""
    if not relation_exists(con, "raw", "deletions"):
        return None
    suffix = f" limit {int(limit)}" if limit else ""
    return con.execute(
        "select SITEID, FORM, RECORD_KEY, PREV_TRANSFER_ID, TRANSFER_ID from raw.deletions "
        "where TRANSFER_ID in (select TRANSFER_ID from raw.transfers where STATUS = 'LOADED' "
        "and (cast(? as timestamp) is null or EXTRACT_DATETIME <= cast(? as timestamp))) "
        f"order by all{suffix}",
        [as_of, as_of],
    ).df()


def stored_outcomes(
    con: duckdb.DuckDBPyConnection, asset: str, version: str | None, checks: Sequence[str]
) -> tuple[dict[str, list], str] | None:
    """({check: [ExpectationOutcome in stored order]}, run) of ``asset``'s stored validation
    when every check of it was computed from ``version``; else None."""
    has_version = con.execute(
        "select count(*) from duckdb_columns() where schema_name = 'quality' "
        "and table_name = 'check_results' and column_name = 'VALIDATED_VERSION'"
    ).fetchone()[0]
    if version is None or not has_version:
        return None
    found = con.execute(
        "select CHECK_NAME, VALIDATED_VERSION, RUN_ID from quality.check_results "
        "where ASSET = ? and list_contains(?, CHECK_NAME)",
        [asset, list(checks)],
    ).fetchall()
    if sorted(c for c, *_ in found) != sorted(checks) or any(v != version for _, v, _ in found):
        return None
    (run,) = {r for *_, r in found}
    stored: dict[str, list] = {name: [] for name in checks}
    for (
        check,
        rule,
        expectation,
        column,
        success,
        elements,
        unexpected,
        sample,
        error,
    ) in con.execute(
        "select CHECK_NAME, RULE, EXPECTATION, COLUMN_NAME, SUCCESS, ELEMENT_COUNT, "
        "UNEXPECTED_COUNT, SAMPLE, ERROR from quality.expectation_results "
        "where ASSET = ? order by rowid",
        [asset],
    ).fetchall():
        if check in stored:
            stored[check].append(
                ExpectationOutcome(
                    rule=rule,
                    expectation=expectation,
                    column=column,
                    success=success,
                    element_count=elements,
                    unexpected_count=unexpected,
                    sample=tuple(sample.split(", ")) if sample else (),
                    error=error or "",
                )
            )
    return stored, run
