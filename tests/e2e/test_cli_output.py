"""What a person sees of `isadex run` written to a file (cron, CI): progress by stage and by
transfer, no colour or cursor codes, none of dbt's own lines, and a summary that ends with the
path of everything published."""

from __future__ import annotations

import pytest

from dagster_project.progress import STAGES


@pytest.fixture(scope="module")
def run_to_file(small_cli_run):
    """`isadex run` on a small trial, its output written to a file (tests/conftest.py)."""
    return small_cli_run


def test_no_escape_codes_and_no_dbt_lines(run_to_file):
    code, text, _, warehouse = run_to_file
    assert code == 0, text
    assert "\x1b" not in text
    assert "\r" not in text
    assert "Running with dbt=" not in text and " of 196 " not in text
    assert len(text.splitlines()) < 60, text
    # ... which are in dbt's log file instead.
    assert "Running with dbt=" in (warehouse.with_name("warehouse.dbt") / "dbt.log").read_text()


def test_progress_per_stage_and_per_transfer(run_to_file):
    _, text, landing, _ = run_to_file
    lines = text.splitlines()
    assert lines[0] == f"isadex run: {landing} -> {landing.parent / 'warehouse.duckdb'}"
    for stage in STAGES:
        assert any(line.startswith(f"{stage}: ") for line in lines), stage
        assert any(f"] {stage}: " in line and " ok in " in line for line in lines), stage
    for transfer in sorted(p.name for p in landing.iterdir() if p.is_dir()):
        assert f"  transfer {transfer}: LOADED" in lines
    done = [line for line in lines if line.startswith("[")]
    total = len(done)
    assert done[-1].startswith(f"[{total}/{total}] publication: ")


def test_summary_ends_with_what_was_published(run_to_file):
    _, text, _, warehouse = run_to_file
    report = warehouse.parent / "report"
    submission = report / "submission"
    assert text.splitlines()[-5:] == [
        f"  published: {warehouse}",
        f"    report: {report / 'index.html'}",
        f"    transport files: {submission}",
        f"    define.xml: {submission / 'define.xml'}",
        f"    define metadata: {submission / 'define.csv'}, {submission / 'define.json'}",
    ]
    for path in (
        warehouse,
        report / "index.html",
        submission / "define.csv",
        submission / "define.xml",
    ):
        assert path.is_file(), path
    assert sorted(submission.glob("*.xpt"))
