"""`isadex run`'s progress logger given to a Dagster job executed in process: the lines it
prints for steps, materializations, transfers, warnings, a failed check and a failed step. The
lines and the bar themselves: tests/unit/test_progress.py."""

from __future__ import annotations

import io
import logging

import dagster as dg

from dagster_project.lib.runtime.console import TRANSFER_RECORD
from dagster_project.progress import Progress, progress_logger, step_stages


def test_logger_sees_steps_materializations_transfers_and_warnings():
    @dg.asset(group_name="ingest")
    def first(context):
        context.log.info("not shown")
        context.log.log(
            logging.INFO, "transfer T1 loaded", extra={TRANSFER_RECORD: ("T1", "LOADED", None)}
        )
        context.log.warning("look at this")
        return 1

    @dg.asset_check(asset=first)
    def plausible():
        return dg.AssetCheckResult(passed=False, severity=dg.AssetCheckSeverity.WARN)

    @dg.asset(deps=[first], group_name="adam")
    def second():
        raise ValueError("broken")

    @dg.asset(deps=[second], group_name="reporting")
    def third():
        return 3

    out = io.StringIO()
    stages = {
        "first": "ingest",
        "plausible": "validation",
        "second": "dbt build",
        "third": "report",
    }
    progress = Progress(out, stages=stages)
    defs = dg.Definitions(
        assets=[first, second, third],
        asset_checks=[plausible],
        loggers={"console": progress_logger(progress)},
    )
    progress.stages = step_stages(defs)
    assert progress.stages == {
        "first": "ingest",
        "first_plausible": "validation",
        "second": "dbt build",
        "third": "report",
    }
    result = defs.resolve_implicit_global_asset_job_def().execute_in_process(
        raise_on_error=False, run_config={"loggers": {"console": {}}}
    )
    assert not result.success
    lines = out.getvalue().splitlines()
    assert lines[:3] == [
        "ingest: first ...",
        "  transfer T1: LOADED",
        "  warning: ingest: first: look at this",
    ]
    assert lines[3].startswith("[1/4] ingest: first ok in ")
    # The check and the failing asset both follow `first`; Dagster picks their order.
    after = lines[4:]
    assert "validation: first_plausible ..." in after
    assert "  check failed: first:plausible (warning)" in after
    assert any(x.startswith("[") and "validation: first_plausible ok in " in x for x in after)
    assert "dbt build: second ..." in after
    assert any(x.startswith("[") and "dbt build: second FAILED in " in x for x in after)
    assert after[-1] == "[4/4] report: third not run (an earlier step failed)"
    assert "not shown" not in out.getvalue()
