"""`isadex run`'s progress (progress.py): the stage of each step, the lines and the bar. The
Dagster logger that feeds them, given to a job run in process (public API only):
tests/integration/test_progress_logger.py."""

from __future__ import annotations

import io
import logging

import pytest

from dagster_project.progress import STAGES, Progress, step_stages


@pytest.fixture(scope="module")
def stages():
    from dagster_project.definitions import defs

    return step_stages(defs() if callable(defs) else defs)


def test_every_step_of_the_job_has_its_stage(stages):
    assert stages["raw_tables"] == "ingest"
    assert stages["warehouse_dbt_models"] == "dbt build"
    assert {stages[f"gx_{d}"] for d in ("adsl", "adrs", "adtte", "adae", "adex")} == {"validation"}
    assert stages["endpoint_tables"] == "endpoints"
    assert stages["endpoints__report"] == "report"
    assert stages["export__adam_xpt"] == "export"
    assert stages["published__warehouse"] == "publication"
    assert set(stages.values()) == set(STAGES)


def _plain(**kwargs) -> tuple[Progress, io.StringIO]:
    out = io.StringIO()
    return Progress(out, stages={"raw_tables": "ingest", "dbt": "dbt build"}, **kwargs), out


def test_plain_lines_per_step_and_transfer():
    progress, out = _plain()
    progress.step_started("raw_tables")
    progress.transfer("FR01_20260101T0800", "LOADED", None)
    progress.transfer("FR02_20260101T0800", "REFUSED", "manifest checksum differs")
    progress.materialized("raw_tables")
    progress.materialized("raw_tables")
    progress.step_ended("raw_tables", "ok")
    progress.step_started("dbt")
    progress.step_ended("dbt", "FAILED")
    progress.close()
    lines = out.getvalue().splitlines()
    assert lines[:3] == [
        "ingest: raw_tables ...",
        "  transfer FR01_20260101T0800: LOADED",
        "  transfer FR02_20260101T0800: REFUSED (manifest checksum differs)",
    ]
    assert lines[3].startswith("[1/2] ingest: raw_tables ok in ")
    assert lines[3].endswith(" s, 2 assets")
    assert lines[4:6] == ["dbt build: dbt ...", lines[5]]
    assert lines[5].startswith("[2/2] dbt build: dbt FAILED in ")
    assert "\r" not in out.getvalue()


def test_messages_warnings_always_info_only_when_verbose():
    progress, out = _plain()
    progress.message(logging.INFO, "dbt", "dbt build in full")
    progress.message(logging.WARNING, "dbt", "a warning\nwith a second line")
    assert out.getvalue() == "  warning: dbt build: dbt: a warning\n"
    progress, out = _plain(verbose=True)
    progress.message(logging.INFO, "dbt", "dbt build in full")
    assert out.getvalue() == "  dbt build: dbt: dbt build in full\n"


def test_quiet_shows_refusals_and_failures_only():
    progress, out = _plain(quiet=True)
    progress.note("isadex run: a -> b")
    progress.step_started("raw_tables")
    progress.transfer("FR01_A", "LOADED", None)
    progress.transfer("FR01_B", "REFUSED", "why")
    progress.step_ended("raw_tables", "ok")
    progress.step_started("dbt")
    progress.step_ended("dbt", "FAILED")
    lines = out.getvalue().splitlines()
    assert lines[0] == "  transfer FR01_B: REFUSED (why)"
    assert len(lines) == 2 and "dbt build: dbt FAILED" in lines[1]


def test_bar_redraws_one_line_without_escape_codes():
    progress, out = _plain(bar=True)
    progress.step_started("raw_tables")
    progress.transfer("FR01_A", "LOADED", None)
    progress.step_ended("raw_tables", "ok")
    progress.close()
    text = out.getvalue()
    assert "\x1b" not in text
    assert "\r[------------------------] 0/2 0:00 ingest: raw_tables" in text
    assert "\r[############------------] 1/2" in text
    # Lines stay whole: each starts after the bar was wiped, and the bar is gone at the end.
    assert "\r  transfer FR01_A: LOADED\n" in text
    assert text.endswith("\r")
    assert "ingest: raw_tables ..." not in text  # the bar says what runs


def test_for_stream_bar_only_on_a_terminal():
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    assert Progress.for_stream(Terminal()).bar
    assert not Progress.for_stream(io.StringIO()).bar
    assert not Progress.for_stream(Terminal(), verbose=True).bar  # dbt's lines would cut it
