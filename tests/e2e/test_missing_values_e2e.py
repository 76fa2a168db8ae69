"""Every column that is not a key, empty somewhere (site_extracts.md: "Empty field = missing"),
through `isadex run`: the run publishes, and each emptied value loads as missing, nothing
quarantined or lost. An empty ex PHASE once gave ADEX a row without APHASE, an empty ELIGDT a
TNT row without STARTDT; each failed a not-null test in the dbt build, and with it the run."""

from __future__ import annotations

import shutil

import duckdb
import pytest

from dagster_project.lib.ingest.contract import FORMS
from dagster_project.lib.synthetic.faults import missing_optional_values
from tests.conftest import run_isadex, unaccounted_rows


@pytest.fixture(scope="module")
def emptied_run(synthetic_landing, tmp_path_factory):
    base = tmp_path_factory.mktemp("missing")
    landing = base / "landing"
    shutil.copytree(synthetic_landing, landing)
    emptied = missing_optional_values(landing)
    warehouse = base / "warehouse.duckdb"
    outcome = run_isadex(landing, warehouse)
    con = duckdb.connect(str(warehouse), read_only=True) if warehouse.exists() else None
    yield outcome, emptied, con, landing
    if con is not None:
        con.close()


def test_every_column_that_is_not_a_key_is_emptied_somewhere(emptied_run):
    _, emptied, _, _ = emptied_run
    optional = {(f.name, c.name) for f in FORMS.values() for c in f.columns if not c.required}
    assert {(form, column) for form, column, _, _ in emptied} == optional
    # one subject per emptied value, so a failure names one column
    assert len({(site, subject) for _, _, site, subject in emptied}) == len(emptied)


def test_the_run_publishes(emptied_run):
    outcome, _, con, _ = emptied_run
    assert outcome.exit_code == 0, outcome.summary()
    assert con is not None and not outcome.failed_checks


def test_each_emptied_value_loads_as_missing_and_nothing_is_lost(emptied_run):
    _, emptied, con, landing = emptied_run
    newest = dict(
        con.execute(
            "select SITEID, arg_max(TRANSFER_ID, EXTRACT_DATETIME) from raw.transfers "
            "where STATUS = 'LOADED' group by SITEID"
        ).fetchall()
    )
    for form, column, site, subject in emptied:
        missing = con.execute(
            f'select count(*) from raw.{form} where TRANSFER_ID = ? and SUBJID = ? and "{column}" '
            "is null",
            [newest[site], subject],
        ).fetchone()[0]
        assert missing >= 1, (form, column, site, subject)
    assert con.execute("select count(*) from raw.quarantine").fetchone()[0] == 0
    assert unaccounted_rows(con, landing) == []
