"""dbt build of the whole project (models, seeds, data tests and every unit test) on an empty
raw layer: the unit tests pin each derivation rule of adam.md with hand-derived rows."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from dagster_project.lib.ingest.ingestion import ensure_raw_schema

DBT_DIR = Path(__file__).resolve().parents[2] / "dbt"


def _dbt(
    args: list[str], db: Path, work: Path, cutoff: str = "2026-10-31"
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            str(Path(sys.executable).parent / "dbt"),
            *args,
            "--profiles-dir",
            ".",
            "--project-dir",
            ".",
            "--target-path",
            str(work / "target"),
            "--log-path",
            str(work / "logs"),
            "--vars",
            json.dumps({"cutoff": cutoff}),
        ],
        cwd=DBT_DIR,
        env={**os.environ, "ISADEX_DBT_DB": str(db)},
        capture_output=True,
        text=True,
    )


def _test_failures(work: Path) -> dict[str, tuple[str, int]]:
    """Per data test of the last dbt run: its status and failure count (not the hooks)."""
    results = json.loads((work / "target" / "run_results.json").read_text())["results"]
    return {
        r["unique_id"].split(".")[2]: (r["status"], r["failures"])
        for r in results
        if r["unique_id"].startswith("test.")
    }


def _scratch(db: Path, work: Path) -> Path:
    """A copy of the built warehouse for one test to break, always at the same path: dbt parses
    the project again whenever the profile's database path changes (~5 s a test), and reuses
    its parse (partial parsing) when only the file's content has."""
    scratch = work / "scratch.duckdb"
    shutil.copy(db, scratch)
    return scratch


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, Path, subprocess.CompletedProcess]:
    work = tmp_path_factory.mktemp("dbt_build")
    db = work / "dbt.duckdb"
    con = duckdb.connect(str(db))
    ensure_raw_schema(con)
    con.close()
    return db, work, _dbt(["build"], db, work)


def test_dbt_build_with_unit_tests(built):
    _, work, result = built
    assert result.returncode == 0, result.stdout[-6000:]
    results = json.loads((work / "target" / "run_results.json").read_text())["results"]
    unit = [r for r in results if r["unique_id"].startswith("unit_test.")]
    assert len(unit) >= 40, f"only {len(unit)} unit tests ran"
    assert {r["status"] for r in unit} == {"pass"}
    assert {r["status"] for r in results} <= {"pass", "success"}


def test_grouped_column_tests_fail_on_bad_rows(built):
    """columns_not_null counts every NULL of every listed column; columns_accepted_values
    counts every bad value per column (integer codes compared to quoted literals), NULL passes."""
    db, work, result = built
    assert result.returncode == 0, result.stdout[-6000:]
    broken = _scratch(db, work)
    con = duckdb.connect(str(broken))
    con.execute(
        """insert into adam.adtte (STUDYID, USUBJID, PARAMCD, PARAM, PARCAT1, STARTDT, ADT, AVAL,
                                   AVALU, CNSR, EVNTDESC)
        values ('S', 'S-1', 'PFS', null, 'SURVIVAL', '2025-01-01', null, 1, 'DAYS', 0, 'x'),
               ('S', 'S-2', 'PFS', 'p', null, '2025-01-01', '2025-01-02', 2, 'WEEKS', 9, 'x'),
               ('S', 'S-3', 'XYZ', 'p', 'SURVIVAL', '2025-01-01', '2025-01-02', 2, 'DAYS', 1, 'x')
        """
    )
    con.close()
    tests = ["adtte_required_columns_not_null", "adtte_coded_columns_accepted_values"]
    run = _dbt(["test", "--select", *tests], broken, work)
    assert run.returncode == 1, run.stdout[-3000:]
    failures = _test_failures(work)
    # NULL PARAM and NULL ADT (S-1); AVALU WEEKS, CNSR 9 and PARAMCD XYZ (S-2, S-3); PARCAT1
    # NULL is accepted.
    assert failures == {
        "adtte_required_columns_not_null": ("fail", 2),
        "adtte_coded_columns_accepted_values": ("fail", 3),
    }


def test_a_build_by_subject_tests_the_scope_rows_and_a_full_build_every_row(built):
    """dbt_project.yml: in a build by subject the data tests of intermediate and adam models read
    the scope's subjects only (the other rows are those the last build tested); otherwise every
    row. Two rows without PARAM, S-1's in the scope and S-2's not; the test's run ends the mode
    (on-run-end), so the next run tests every row. The protocol-keyed int_dose_plan_by_age
    is tested whole either way (its own where)."""
    db, work, result = built
    assert result.returncode == 0, result.stdout[-6000:]
    scoped = _scratch(db, work)
    con = duckdb.connect(str(scoped))
    con.execute(
        """insert into adam.adtte (STUDYID, USUBJID, PARAMCD, PARAM, PARCAT1, STARTDT, ADT, AVAL,
                                   AVALU, CNSR, EVNTDESC)
        values ('S', 'S-1', 'PFS', null, 'SURVIVAL', '2025-01-01', '2025-01-02', 2, 'DAYS', 0, 'x'),
               ('S', 'S-2', 'PFS', null, 'SURVIVAL', '2025-01-01', '2025-01-02', 2, 'DAYS', 0, 'x')
        """
    )
    con.execute("insert into quality.build_mode values (true)")
    con.execute("insert into quality.build_scope values ('1', 'S-1')")
    con.close()

    def failures() -> dict[str, tuple[str, int]]:
        run = _dbt(["test", "--select", "adtte_required_columns_not_null"], scoped, work)
        assert run.returncode == 1, run.stdout[-3000:]
        return _test_failures(work)

    by_subject, full = failures(), failures()
    assert by_subject == {"adtte_required_columns_not_null": ("fail", 1)}  # S-1 only
    assert full == {"adtte_required_columns_not_null": ("fail", 2)}  # the mode ended: every row
    manifest = json.loads((work / "target" / "manifest.json").read_text())
    wheres = {
        n["name"]: n["config"].get("where")
        for n in manifest["nodes"].values()
        if n["resource_type"] == "test"
    }
    assert wheres["int_dose_plan_by_age_required_columns_not_null"] == "true"
    assert "quality.build_scope" in wheres["adrs_keys_unique"]
    assert "quality.build_scope" in wheres["unique_int_tte_os_derived_usubjid_paramcd"]
    assert wheres["stg_ex_required_columns_not_null"] is None


def test_keys_unique_reads_meta_keys_and_checks_the_sequence(built):
    """adam_keys_unique (tests/generic) reads each dataset's key from its meta.keys: a second
    ADTTE row with S-1's PARAMN is a duplicated key (both numbered 1, so one of them is also out
    of sequence); S-2's rows numbered 1, 3 are not 1..n in key order (ASEQ 2 missing); S-3's
    ASEQ 2, 1 run against PARAMN; S-4's two rows without PARAMN share a key (NULL matches NULL,
    as `group by` groups them), and being both numbered 1, one of them is out of sequence."""
    db, work, result = built
    assert result.returncode == 0, result.stdout[-6000:]
    broken = _scratch(db, work)
    con = duckdb.connect(str(broken))
    con.execute(
        """insert into adam.adtte (STUDYID, USUBJID, ASEQ, PARAMCD, PARAM, PARAMN)
        values ('S', 'S-1', 1, 'PFS', 'p', 1), ('S', 'S-1', 1, 'PFS', 'p', 1),
               ('S', 'S-2', 1, 'PFS', 'p', 1), ('S', 'S-2', 3, 'OS', 'p', 3),
               ('S', 'S-3', 2, 'PFS', 'p', 1), ('S', 'S-3', 1, 'OS', 'p', 3),
               ('S', 'S-4', 1, 'PFS', 'p', NULL), ('S', 'S-4', 1, 'PFS', 'p', NULL)
        """
    )
    con.close()
    run = _dbt(["test", "--select", "adtte_keys_unique"], broken, work)
    assert run.returncode == 1, run.stdout[-3000:]
    # S-1: the duplicated key + the row at position 2 numbered 1 -> 2; S-2: ASEQ 3 at
    # position 2 -> 1; S-3: both rows -> 2; S-4: the duplicated key + one row -> 2
    assert _test_failures(work) == {"adtte_keys_unique": ("fail", 7)}


def test_a_cutoff_after_the_newest_extract_in_force_warns(built):
    """adam.md, Data cut-off: an alive subject is censored at CUTOFFDT, so a cut-off given after
    the newest extract in force counts follow-up no transfer shows. The singular test
    cutoff_on_or_before_the_newest_extract warns (severity warn: dbt exits 0, the run's summary
    lists it); the newest extract's own date, the default, passes. Transfers in force extracted
    2026-06-23 08:00 (DE01) and 2026-10-31 08:00 (FR02, newest); FR02's earlier transfer and a
    REFUSED one are not in force."""
    db, work, result = built
    assert result.returncode == 0, result.stdout[-6000:]
    late = _scratch(db, work)
    con = duckdb.connect(str(late))
    con.execute(
        """insert into raw.transfers
            (TRANSFER_ID, DELIVERY, SITEID, EXTRACT_DATETIME, STATUS, REGISTERED_AT)
        select t, t, left(t, 4), strptime(right(t, 13), '%Y%m%dT%H%M'), s, now()
        from (values ('DE01_20260623T0800', 'LOADED'), ('FR02_20260301T0800', 'LOADED'),
                     ('FR02_20261031T0800', 'LOADED'), ('FR02_20261201T0800', 'REFUSED')) v(t, s)
        """
    )
    con.close()

    def outcome(cutoff: str) -> tuple[int, tuple[str, int]]:
        run = _dbt(
            [
                "build",
                "--select",
                "stg_transfers_in_force",
                "stg_data_cut",
                "--exclude",
                "resource_type:unit_test",
            ],
            late,
            work,
            cutoff,
        )
        return run.returncode, _test_failures(work)["cutoff_on_or_before_the_newest_extract"]

    assert outcome("2026-10-31") == (0, ("pass", 0))
    assert outcome("2026-11-01") == (0, ("warn", 1))
    assert outcome("2026-01-01") == (0, ("pass", 0))
