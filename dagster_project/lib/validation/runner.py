"""Run a GX suite on pandas DataFrames and return plain results (no Dagster here).

Why DataFrames and not GX's SQL data source: on this stack (GX 1.24, duckdb-engine,
SQLAlchemy 2.x) the SQL data source on a DuckDB file fails every expectation with
``list index out of range`` because it fetches results after the connection is closed. The
datasets are read from DuckDB into pandas (``frames.read_dataset``) and validated through one
ephemeral context with one pandas data source, created once per process
(:func:`validation_context`).
"""

import copy
import datetime as dt
import functools
import logging
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from dagster_project.lib.validation.datasets import COLUMNS, ROWS

RESULT_FORMAT = {"result_format": "SUMMARY", "partial_unexpected_count": 5}


@dataclass(frozen=True)
class ExpectationOutcome:
    """One expectation's result: what it checks, whether it held, and what broke it."""

    rule: str
    expectation: str
    column: str
    success: bool
    element_count: int | None = None
    unexpected_count: int | None = None
    sample: tuple[str, ...] = ()
    error: str = ""

    def describe(self) -> str:
        if self.error:
            return f"{self.rule}: error {self.error}"
        count = "" if self.unexpected_count is None else f" ({self.unexpected_count} rows"
        count += "" if not count else (f" of {self.element_count})" if self.element_count else ")")
        sample = f" e.g. {', '.join(self.sample)}" if self.sample else ""
        return f"{self.rule}{count}{sample}"


@dataclass(frozen=True)
class CheckOutcome:
    """The outcome of one check (one suite, one `meta.check` kind) on one dataset."""

    dataset: str
    check: str
    expectations: tuple[ExpectationOutcome, ...] = field(default_factory=tuple)
    # of the GX validation that gave it (shared by the checks validated together)
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return all(e.success for e in self.expectations)

    @property
    def failed(self) -> tuple[ExpectationOutcome, ...]:
        return tuple(e for e in self.expectations if not e.success)

    @property
    def observed(self) -> str:
        return (
            f"{len(self.expectations) - len(self.failed)}/{len(self.expectations)} expectations met"
        )

    @property
    def details(self) -> str:
        return "; ".join(e.describe() for e in self.failed) or "all expectations met"


@functools.cache
def validation_context() -> Any:
    """The process's one ephemeral GX context with a pandas data source.

    GX's import, the slow part, is paid on first call, not at definitions load; the context
    itself is cheap. Progress bars are off: they would flood the Dagster logs."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    # GX fingerprints every pandas batch under 1 GB with an MD5 over all rows, for a batch
    # marker nothing here reads. Its threshold is a module constant with no public setting,
    # so it is left as GX sets it (issue 28: no assignment to another project's module);
    # the cost is in README, Performance.
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    context.data_sources.add_pandas("warehouse")
    return context


def _batch_definition(context: Any) -> Any:
    source = context.data_sources.get("warehouse")
    try:
        asset = source.get_asset("frame")
    except LookupError:
        asset = source.add_dataframe_asset("frame")
    try:
        return asset.get_batch_definition("whole")
    except KeyError:
        return asset.add_batch_definition_whole_dataframe("whole")


def _text(value: object) -> str:
    """A value as the report shows it: dates as YYYY-MM-DD, column pairs as (a, b)."""
    if isinstance(value, (tuple, list)):
        return "(" + ", ".join(_text(v) for v in value) + ")"
    if value is None or value is pd.NaT or (isinstance(value, float) and np.isnan(value)):
        return "empty"
    if isinstance(value, np.datetime64) and np.isnat(value):
        return "empty"
    if isinstance(value, (pd.Timestamp, dt.date, np.datetime64)):
        return pd.Timestamp(value).strftime("%Y-%m-%d")
    return str(value)


def _sample(result: Any) -> list[object]:
    """Up to five values that break the expectation (for a contain-set rule: the missing ones)."""
    summary = result.result or {}
    if "partial_missing_list" in summary:  # contain-set rules: the values that are absent
        return sorted(summary["partial_missing_list"])
    return list(summary.get("partial_unexpected_list") or [])


def _outcome(result: Any) -> ExpectationOutcome:
    config = result.expectation_config
    info = result.exception_info or {}
    error = info.get("exception_message") if info.get("raised_exception") else ""
    summary = result.result or {}
    kwargs = config.kwargs
    columns = kwargs.get("column_list") or [kwargs.get("column_A"), kwargs.get("column_B")]
    return ExpectationOutcome(
        rule=config.meta.get("rule", config.type),
        expectation=config.type,
        column=kwargs.get("column") or ",".join(c for c in columns if c),
        success=bool(result.success) and not error,
        element_count=summary.get("element_count"),
        unexpected_count=summary.get("unexpected_count"),
        sample=tuple(_text(v) for v in _sample(result)[:5]),
        error=error or "",
    )


def select_expectations(
    suite: Any, check: str, batch: str, rules: Collection[str] | None = None
) -> list[Any]:
    """The expectations of ``suite`` of one check and batch, in suite order; ``rules``: only
    those whose ``meta.rule`` is one of them."""
    return [
        e
        for e in suite.expectations
        if e.meta.get("check") == check
        and e.meta.get("batch") == batch
        and (rules is None or e.meta.get("rule") in rules)
    ]


def validate_check(
    suite: Any,
    check: str,
    frames: Mapping[str, pd.DataFrame],
    parameters: Mapping[str, object] | None = None,
    rules: Collection[str] | None = None,
) -> CheckOutcome:
    """The outcome of one check: :func:`validate_checks` with ``check`` alone."""
    return validate_checks(suite, (check,), frames, parameters, rules)[check]


def validate_checks(
    suite: Any,
    checks: Collection[str],
    frames: Mapping[str, pd.DataFrame],
    parameters: Mapping[str, object] | None = None,
    rules: Collection[str] | None = None,
) -> dict[str, CheckOutcome]:
    """Validate the expectations of `suite` whose ``meta.check`` is one of `checks` (``rules``:
    only those with these ``meta.rule`` names), each on the frame its ``meta.batch`` names
    (``rows`` or ``columns``), and return plain results per check, in suite order.

    One GX validation per batch runs the expectations of every check in `checks`: GX
    fingerprints a batch's frame each time it loads it and computes the metrics that
    expectations share (row count, column types, a column's missing values) once per
    validation, so two checks on one frame cost less together than one after the other
    (README, Performance). An expectation's result does not depend on which others ran beside
    it (tests/unit/test_validation.py runs every case both ways). Each outcome's ``seconds``
    is the whole validation's.

    A batch whose frame is missing makes each of its expectations fail with an error, so a
    missing dataset is never reported as a pass."""
    import time

    import great_expectations as gx

    started = time.perf_counter()
    context = validation_context()
    batch_definition = _batch_definition(context)
    outcomes: dict[str, ExpectationOutcome] = {}
    order: dict[str, list[str]] = {check: [] for check in checks}
    for batch in (COLUMNS, ROWS):
        selected = []
        for check in checks:
            of_check = select_expectations(suite, check, batch, rules)
            order[check] += [e.id for e in of_check]
            selected += of_check
        if not selected:
            continue
        frame = frames.get(batch)
        if frame is None:
            for e in selected:
                outcomes[e.id] = ExpectationOutcome(
                    e.meta["rule"], e.configuration.type, "", False, error=f"no {batch} frame"
                )
            continue
        # GX refuses expectations that belong to another suite: run id-less copies, matched
        # back to the committed expectation by rule (unique within a suite).
        copies = [copy.copy(e) for e in selected]
        for c in copies:
            c.id = None
        sub_suite = gx.ExpectationSuite(
            name=f"{suite.name}.{'+'.join(checks)}.{batch}", expectations=copies
        )
        by_rule = {e.meta["rule"]: e.id for e in selected}
        batch_ = batch_definition.get_batch(batch_parameters={"dataframe": frame})
        result = batch_.validate(
            sub_suite,
            expectation_parameters=dict(parameters or {}),
            result_format=RESULT_FORMAT,
        )
        for r in result.results:
            outcomes[by_rule[r.expectation_config.meta["rule"]]] = _outcome(r)
    seconds = time.perf_counter() - started
    return {
        check: CheckOutcome(
            dataset=suite.name,
            check=check,
            expectations=tuple(outcomes[i] for i in order[check]),
            seconds=seconds,
        )
        for check in checks
    }
