"""Scale smoke test: a 1,000-subject synthetic trial through the same code path as `make bench`.

`isadex run` as a user calls it (subprocess, CLI contract), then the invariants that must hold
at any size. Never a time: speed is measured by `make bench`, not asserted here.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import duckdb
import pytest

from tests.conftest import unaccounted_rows

pytestmark = pytest.mark.slow

SUBJECTS = 1000
ISADEX = Path(sys.executable).with_name("isadex")
TABLES = [f"T{i:02d}" for i in range(1, 11)]


@pytest.fixture(scope="module")
def scale_run(trial_1000):
    """The session's 1,000-subject run (tests/conftest.py), shared with the truth-recovery test."""
    return trial_1000


def test_run_completes_and_publishes(scale_run):
    run, _, warehouse = scale_run
    assert run.returncode == 0, run.stdout + run.stderr[-3000:]
    assert warehouse.exists()
    # The console script leaves without tearing Python down (cli.entry): the summary it
    # printed last must still have been flushed.
    assert ": OK in " in run.stdout and f"published: {warehouse}" in run.stdout, run.stdout


def test_rows_in_equal_loaded_plus_quarantined_for_every_file(scale_run):
    """Per transfer and form: the manifest's row count = rows in raw.<form> + in quarantine."""
    _, landing, warehouse = scale_run
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        transfers = con.execute("select STATUS from raw.transfers").fetchall()
        assert unaccounted_rows(con, landing) == []
    finally:
        con.close()
    folders = [p for p in landing.iterdir() if p.is_dir()]
    assert len(transfers) == len(folders)
    assert {s for (s,) in transfers} == {"LOADED"}


def test_one_adsl_row_per_subject(scale_run):
    """ADSL holds every screened subject of the last transfers exactly once (dm is the roster)."""
    _, landing, warehouse = scale_run
    truth = json.loads((landing / "truth.json").read_text())
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        n, distinct = con.execute(
            "select count(*), count(distinct USUBJID) from adam.adsl"
        ).fetchone()
        itt = con.execute("select count(*) from adam.adsl where ITTFL = 'Y'").fetchone()[0]
    finally:
        con.close()
    assert n == distinct
    assert n == truth["realized"]["screened"] == SUBJECTS
    assert itt == truth["realized"]["itt"]


def test_every_endpoint_table_present(scale_run):
    _, _, warehouse = scale_run
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        tables = {
            r[0] for r in con.execute("select distinct TABLEID from endpoints.results").fetchall()
        }
    finally:
        con.close()
    assert set(TABLES) <= tables
