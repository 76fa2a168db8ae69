"""Operating the warehouse: publication never blocks or misleads a reader, a failed run publishes
nothing, and the same cut-off on the same transfers gives the same endpoint tables."""

from __future__ import annotations

from pathlib import Path

import duckdb

from tests.conftest import run_isadex


def _results(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.execute("select * from endpoints.results").fetchall()


def test_reader_holding_the_file_never_blocks_a_run_nor_sees_it_change(
    synthetic_landing, synthetic_run
):
    _, warehouse = synthetic_run
    reader = duckdb.connect(str(warehouse), read_only=True)
    before_cutoff = reader.execute("select distinct CUTOFFDT from adam.adsl").fetchall()
    before_results = _results(reader)

    # An earlier data cut (as_of) is a different publication: the run must complete and
    # publish while the reader still has the current file open.
    outcome = run_isadex(
        synthetic_landing, warehouse, as_of="2026-03-01T00:00:00", cutoff="2026-02-28"
    )
    assert outcome.exit_code == 0, outcome.summary()

    assert reader.execute("select distinct CUTOFFDT from adam.adsl").fetchall() == before_cutoff
    assert _results(reader) == before_results
    reader.close()

    fresh = duckdb.connect(str(warehouse), read_only=True)
    assert fresh.execute("select distinct CUTOFFDT from adam.adsl").fetchall() == [
        (__import__("datetime").date(2026, 2, 28),)
    ]
    fresh.close()


def test_failed_run_publishes_nothing(synthetic_landing, synthetic_run):
    from dagster_project.lib.runtime.settings import RunSettings
    from dagster_project.lib.warehouse import audit

    _, warehouse = synthetic_run
    report = RunSettings(synthetic_landing, warehouse).report_path
    inode = warehouse.stat().st_ino
    published = {p: p.read_bytes() for p in report.rglob("*") if p.is_file()}
    ledger = warehouse.with_name(warehouse.stem + ".ledger.jsonl").read_bytes()
    outcome = run_isadex(synthetic_landing, warehouse, cutoff="2026-02-30")
    assert outcome.exit_code == 1
    assert outcome.failures, outcome.summary()
    assert warehouse.stat().st_ino == inode
    # the report, figures, transport files and define metadata are those of the publication
    assert {p: p.read_bytes() for p in report.rglob("*") if p.is_file()} == published
    assert warehouse.with_name(warehouse.stem + ".ledger.jsonl").read_bytes() == ledger
    assert audit.verify(warehouse) == []


def test_published_files_are_read_only_and_recorded(synthetic_landing, synthetic_run):
    from dagster_project.lib.runtime.settings import RunSettings
    from dagster_project.lib.warehouse import audit, ledger

    outcome, warehouse = synthetic_run
    settings = RunSettings(synthetic_landing, warehouse)
    assert audit.verify(warehouse) == []
    records = ledger.records(settings.layout.ledger)
    first = next(r for r in records if r["run_id"] == outcome.run_id)
    folder = warehouse.parent / first["folder"]
    assert sorted(first["files"]) == sorted(
        p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()
    )
    for name in ("warehouse.duckdb", "report/index.html", "report/quality.html",
                 "report/submission/adsl.xpt", "report/submission/define.json",
                 "report/submission/define.xml", "report/submission/define2-1.xsl",
                 "report/figures/f01_km_pfs.png"):  # fmt: skip
        assert name in first["files"], name
        assert (folder / name).stat().st_mode & 0o777 == 0o444, name
    # the transfers in force, with their checksums, are in the record
    con = duckdb.connect(str(folder / "warehouse.duckdb"), read_only=True)
    in_force = con.execute(
        "select t.TRANSFER_ID, MANIFEST_SHA256 from raw.transfers t "
        "join staging.stg_transfers_in_force f on t.TRANSFER_ID = f.transfer_id "
        "where STATUS = 'LOADED' order by 1"
    ).fetchall()
    runs = con.execute("select RUN_ID, PUBLISHED_FILE from quality.runs").fetchall()
    con.close()
    assert [(t["transfer_id"], t["manifest_sha256"]) for t in first["transfers"]] == in_force
    # quality.runs lists only publications whose file exists
    assert all(Path(path).is_file() for _, path in runs), runs


def test_same_cutoff_same_transfers_same_endpoint_tables(synthetic_landing, synthetic_run):
    outcome, warehouse = synthetic_run
    cuts = sorted(
        warehouse.with_name(warehouse.stem + ".cuts").glob(
            f"*_{outcome.run_id[:8]}/{warehouse.name}"
        )
    )
    assert len(cuts) == 1
    first = duckdb.connect(str(cuts[0]), read_only=True)
    expected = _results(first)
    tables = [
        t
        for (t,) in first.execute(
            "select table_name from information_schema.tables where table_schema = 'endpoints' "
            "order by 1"
        ).fetchall()
    ]
    expected_tables = {t: first.execute(f"select * from endpoints.{t}").fetchall() for t in tables}
    first.close()

    again = run_isadex(synthetic_landing, warehouse)
    assert again.exit_code == 0, again.summary()
    con = duckdb.connect(str(warehouse), read_only=True)
    assert _results(con) == expected
    for table, rows in expected_tables.items():
        assert con.execute(f"select * from endpoints.{table}").fetchall() == rows, table
    runs = con.execute("select RUN_ID, CUTOFFDT, TRANSFERS from quality.runs").fetchall()
    con.close()
    assert {r[0] for r in runs} >= {outcome.run_id, again.run_id}
    by_run = {r[0]: (r[1], r[2]) for r in runs}
    assert by_run[outcome.run_id] == by_run[again.run_id]


def test_a_process_holding_the_working_file_does_not_turn_a_good_run_into_refused(
    synthetic_landing, synthetic_run
):
    """Issue 27 item 5: the run's refused transfers were read from the working file after the
    run, so anything holding it (a leftover dbt, an engineer's read-write session) turned exit
    0 into 2 ("refused transfer ?: could not read raw.transfers"). They are read from the
    publication, which any number of readers can open."""
    import subprocess
    import sys

    from dagster_project.lib.runtime.settings import RunSettings
    from dagster_project.runner import _refused_in_landing

    _, warehouse = synthetic_run
    settings = RunSettings(synthetic_landing, warehouse)
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('held', flush=True);"
         " time.sleep(60)", str(settings.work_db)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "held"
        assert _refused_in_landing(settings) == []
    finally:
        holder.kill()
        holder.wait()


def test_a_run_takes_its_settings_as_arguments_and_leaves_the_environment_alone(
    synthetic_run, synthetic_run_environment
):
    """Issue 28: the definitions read a run's landing and warehouse from ISADEX_* variables that
    `isadex run` exported, and the dbt step exported the working file's path for profiles.yml
    (ISADEX_DBT_DB). In a process with no ISADEX_* set, run_pipeline builds and publishes the
    warehouse it is given, and the environment afterwards is the one before. The shared run is
    such a run (tests/conftest.py, synthetic_run)."""
    outcome, warehouse = synthetic_run
    # Ours only: scikit-learn, imported by the endpoint steps, sets KMP_* on import.
    assert synthetic_run_environment == {"after": []}
    assert outcome.exit_code == 0, outcome.summary()
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("select count(*) from adam.adsl").fetchone()[0] > 0
