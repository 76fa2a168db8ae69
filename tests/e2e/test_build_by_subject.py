"""A build by subject equals a full build (docs/incremental_by_subject.md, How to show it is right).

The case runs `isadex run` on a warehouse built before, which builds by subject (asserted from
quality.build_state), and a fresh `isadex run` of the same landing zone into a new warehouse,
which builds in full; every dbt relation and endpoint table must then hold the same rows
(tests/same_build.py).

Here: a site's real next transfer with the cut-off moving (some subjects outside the scope then
only have the cut-off restamped), sent with another site's transfer that deletes a subject. It
is the last step of tests/conftest.py's incremental_runs, whose earlier steps (a correction with
the cut-off unchanged, built by subject too) tests/e2e/test_incremental_reuse.py reads. The
decision itself (what makes a build full) is checked on the warehouse the sequence leaves.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from dagster_project.defs.warehouse.dbt_models import _built_relations
from dagster_project.defs.warehouse.project import dbt_project
from dagster_project.lib.warehouse import build_scope
from tests.conftest import run_isadex
from tests.same_build import assert_same_build, build_state


def _run(landing: Path, warehouse: Path, **settings) -> None:
    outcome = run_isadex(landing, warehouse, **settings)
    assert outcome.success, outcome.summary()


def _fresh(landing: Path, tmp: Path, name: str, **settings) -> Path:
    warehouse = tmp / name / "warehouse.duckdb"
    _run(landing, warehouse, **settings)
    assert build_state(warehouse)[1] is False
    return warehouse


@pytest.fixture(scope="module")
def next_transfer(incremental_runs):
    """The warehouse of tests/conftest.py's incremental_runs, built with one site's newest
    transfer held back, then corrected; then, by subject, once that transfer is sent together
    with another site's transfer that deletes a subject."""
    runs = incremental_runs
    nxt = runs["next"]
    warehouse, _ = runs["kept"]
    return runs["base"], runs["landing"], warehouse, nxt["sent"], nxt["metadata"]


def test_a_sites_next_transfer_built_by_subject_equals_a_full_build(next_transfer):
    tmp, landing, warehouse, sent, metadata = next_transfer
    done, by_subject, reason, scope = build_state(warehouse)
    assert (done, by_subject) == (True, True), reason
    assert "2 site(s)" in reason and "cut-off" in reason, reason
    # The Dagster UI says so on each model's materialization.
    assert metadata["dbt_build"] == "by subject"
    assert metadata["dbt_build_reason"] == reason
    assert metadata["subjects_rebuilt"] == scope
    with duckdb.connect(str(warehouse), read_only=True) as con:
        subjects, restamped, cutoffs = con.execute(
            "select count(*), count(*) filter (where USUBJID not in "
            "(select USUBJID from quality.build_scope)), list(distinct CUTOFFDT) from adam.adsl"
        ).fetchone()
        (site_subjects,) = con.execute(
            "select count(*) from adam.adsl where SITEID = ?", [sent["site_id"]]
        ).fetchone()
        # The subject its site deleted is gone from every table, as in a full build.
        assert con.execute(
            "select count(*) from adam.adsl where USUBJID like ?", [f"%-{sent['deleted']}"]
        ).fetchone() == (0,)
    # Not vacuous: the scope holds the site and fewer than everyone, and the subjects
    # outside it were only restamped to the new cut-off.
    # (The scope also holds the deleted subject, who has no ADSL row any more.)
    assert site_subjects <= scope - 1 < subjects
    assert restamped == subjects - (scope - 1) > 0
    # Every subject at the new cut-off: the day after the sent transfer's, the deletion's.
    assert len(cutoffs) == 1 and str(cutoffs[0]) > sent["extract_datetime"][:10]
    fresh = _fresh(landing, tmp, "fresh_next")
    assert_same_build(warehouse, fresh)
    # The .xpt files of the build by subject are those the fresh run wrote, byte for byte
    # but for the header's time stamps (its first eight records, see transport_v5).
    for name in ("adsl", "adrs", "adtte", "adae", "adex"):
        mine = (warehouse.with_name("report") / "submission" / f"{name}.xpt").read_bytes()
        theirs = (fresh.with_name("report") / "submission" / f"{name}.xpt").read_bytes()
        assert len(mine) == len(theirs) and mine[8 * 80 :] == theirs[8 * 80 :], name
        assert mine[:80] == theirs[:80] and mine[3 * 80 : 5 * 80] == theirs[3 * 80 : 5 * 80]


def test_what_makes_a_build_full(next_transfer, tmp_path):
    """On a copy of the warehouse the cases left: the same inputs build by subject; another
    project, other vars, a missing table or a build that did not finish build in full."""
    _, _, warehouse, _, _ = next_transfer
    copy = tmp_path / "warehouse.duckdb"
    shutil.copy(warehouse, copy)
    project = build_scope.project_fingerprint(dbt_project.project_dir)
    relations = _built_relations()
    with duckdb.connect(str(copy)) as con:

        def decide(**changed):
            args = {"project": project, "dbt_vars": {}, "relations": relations} | changed
            return build_scope.decide(con, **args)

        same = decide()
        assert same.by_subject and same.scope == () and same.reason.startswith("0 site(s)")
        assert not decide(project="another").by_subject
        assert "vars" in decide(dbt_vars={"as_of": "2026-10-01T00:00:00"}).reason
        assert "vars" in decide(dbt_vars={"cutoff": "2026-10-01"}).reason
        assert "missing" in decide(relations=[*relations, ("adam", "adxx")]).reason
        assert "a full build costs less" in decide(min_subjects=1_000).reason
        # An earlier extract of a site that arrives late is not in force, but the findings'
        # first-seen transfers look back over it: its subjects are rebuilt (a differential
        # test found them stale). Here a copy of a transfer in force, extracted a day before.
        (in_force,) = con.execute(
            "select transfer_id from staging.stg_transfers_in_force order by 1 limit 1"
        ).fetchone()
        late_copy = "select * replace ('LATE_' || TRANSFER_ID as TRANSFER_ID{}) from raw.{} "
        con.execute(
            "insert into raw.transfers "
            + late_copy.format(
                ", EXTRACT_DATETIME - interval 1 day as EXTRACT_DATETIME", "transfers"
            )
            + "where TRANSFER_ID = ?",
            [in_force],
        )
        con.execute(
            "insert into raw.dm " + late_copy.format("", "dm") + "where TRANSFER_ID = ?", [in_force]
        )
        sent = con.execute("select SUBJID from raw.dm where TRANSFER_ID = ?", [in_force]).fetchall()
        late = decide()
        assert late.by_subject and set(late.scope) == {subjid for (subjid,) in sent}
        assert (
            late.reason
            == "0 site(s) with a new transfer in force, 1 earlier extract(s) arrived late"
        )
        con.execute("update quality.build_state set LOADED = null")  # a build before LOADED
        assert decide().reason == "the last build did not record the transfers it had loaded"
        build_scope.start(con, same)  # as a build that then failed
        assert decide().reason.startswith("the last build did not finish")
        con.execute("drop table quality.build_state")
        assert decide().reason == "no earlier build in this warehouse"


def test_a_selection_of_models_builds_in_full_and_the_next_build_too(next_transfer, tmp_path):
    """Materializing some dbt models from the UI: those are built in full, and the state is left
    not done, because the others still reflect earlier transfers."""
    from dagster_project.defs.resources import run_resources
    from dagster_project.defs.warehouse.dbt_models import warehouse_dbt_models
    from dagster_project.lib.runtime.settings import RunSettings

    _, landing, warehouse, _, _ = next_transfer
    copy = tmp_path / "warehouse.work.duckdb"
    shutil.copy(warehouse, copy)
    result = dg.materialize(
        [warehouse_dbt_models],
        selection=[dg.AssetKey(["adam", "adsl"])],
        resources=run_resources(RunSettings(landing, tmp_path / "warehouse.duckdb")),
        raise_on_error=False,
    )
    assert result.success
    with duckdb.connect(str(copy), read_only=True) as con:
        assert con.execute(
            "select DONE, BY_SUBJECT, REASON from quality.build_state"
        ).fetchone() == (
            False,
            False,
            "a selection of the dbt models",
        )
        project = build_scope.project_fingerprint(dbt_project.project_dir)
        after = build_scope.decide(con, project=project, dbt_vars={}, relations=_built_relations())
    assert not after.by_subject and after.reason.startswith("the last build did not finish")
