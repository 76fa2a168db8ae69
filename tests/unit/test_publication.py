"""Publication: all-or-nothing switch, read-only files, the hash-chained ledger, verify, prune.

Everything here runs on small files in tmp_path: a DuckDB working file with one table and a
report folder, published the way the `published/warehouse` asset does.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import duckdb
import pytest

from dagster_project.lib.warehouse import audit, ledger
from dagster_project.lib.warehouse.fingerprint import sha256_file
from dagster_project.lib.warehouse.layout import Layout
from dagster_project.lib.warehouse.publish import complete_interrupted, publish, switch


def _work(layout: Layout, value: int, report_text: str) -> None:
    layout.work_db.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(layout.work_db))
    con.execute("create or replace table t as select ? as v", [value])
    con.close()
    (layout.work_report / "figures").mkdir(parents=True, exist_ok=True)
    (layout.work_report / "index.html").write_text(report_text)
    (layout.work_report / "figures" / "f1.png").write_bytes(b"png" + bytes([value]))
    (layout.work_report / ".state").mkdir(exist_ok=True)
    (layout.work_report / ".state" / "fingerprints.json").write_text("{}")
    (layout.work_report / "half.xpt.partial").write_text("half")


def _read(warehouse: Path) -> int:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute("select v from t").fetchone()[0]
    finally:
        con.close()


@pytest.fixture
def layout(tmp_path: Path) -> Layout:
    return Layout(tmp_path / "data" / "warehouse.duckdb", tmp_path / "data" / "report")


def _publish(layout: Layout, value: int, run: str) -> dict:
    _work(layout, value, f"report of cut {value}")
    return publish(layout, f"cut_{run}", {"run_id": run, "cutoff": f"2026-01-0{value}"}).record


def test_a_publication_switches_warehouse_and_report_together(layout: Layout):
    _publish(layout, 1, "r1")
    assert _read(layout.warehouse) == 1
    assert (layout.report / "index.html").read_text() == "report of cut 1"
    _publish(layout, 2, "r2")
    assert _read(layout.warehouse) == 2
    assert (layout.report / "index.html").read_text() == "report of cut 2"
    # both stable names lead through the one switch
    assert layout.warehouse.resolve().parent == layout.current.resolve()
    assert layout.report.resolve().parent == layout.current.resolve()
    assert layout.current.resolve() == layout.publication("cut_r2").resolve()
    assert not layout.staging.exists()


def test_working_state_and_partial_files_are_not_published(layout: Layout):
    record = _publish(layout, 1, "r1")
    assert sorted(record["files"]) == [
        "report/figures/f1.png",
        "report/index.html",
        "warehouse.duckdb",
    ]


def test_published_files_and_folders_are_read_only(layout: Layout):
    _publish(layout, 1, "r1")
    folder = layout.publication("cut_r1")
    for path in [folder, *folder.rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode & 0o222 == 0, f"{path} mode {mode:o}"
    assert stat.S_IMODE(layout.ledger.stat().st_mode) == 0o444
    if os.geteuid() != 0:  # root ignores file modes; the ledger's hashes still catch it
        with pytest.raises(duckdb.Error):
            duckdb.connect(str(layout.warehouse)).execute("update t set v = 9")


def test_the_ledger_chains_every_publication(layout: Layout):
    r1 = _publish(layout, 1, "r1")
    r2 = _publish(layout, 2, "r2")
    assert (r1["seq"], r2["seq"]) == (1, 2)
    assert r1["prev"] == "" and r2["prev"] == r1["hash"]
    assert r2["hash"] == ledger.record_hash(r2)
    assert r2["files"]["warehouse.duckdb"] == sha256_file(layout.warehouse)
    assert audit.verify(layout.warehouse) == []


def test_a_failure_while_staging_leaves_the_publication_as_it_was(layout: Layout):
    _publish(layout, 1, "r1")
    before = layout.ledger.read_bytes()
    _work(layout, 2, "report of cut 2")

    def broken(_db: Path) -> None:
        raise RuntimeError("killed while preparing the copy")

    with pytest.raises(RuntimeError):
        publish(layout, "cut_r2", {"run_id": "r2"}, prepare_db=broken)
    assert _read(layout.warehouse) == 1
    assert (layout.report / "index.html").read_text() == "report of cut 1"
    assert layout.ledger.read_bytes() == before
    assert not layout.publication("cut_r2").exists()
    assert audit.verify(layout.warehouse) == []
    # the next publication clears what the failed one staged
    _publish(layout, 3, "r3")
    assert _read(layout.warehouse) == 3 and audit.verify(layout.warehouse) == []


def test_a_recorded_publication_not_yet_switched_is_completed_next_time(layout: Layout):
    _publish(layout, 1, "r1")
    _publish(layout, 2, "r2")
    switch(layout, "cut_r1")  # as if killed between the ledger record and the switch
    problems = audit.verify(layout.warehouse)
    assert len(problems) == 1 and "not at the last recorded publication 'cut_r2'" in problems[0]
    assert complete_interrupted(layout) == "cut_r2"
    assert audit.verify(layout.warehouse) == []


def _writable(path: Path) -> None:
    os.chmod(path.parent, 0o755)
    os.chmod(path, 0o644)


def test_verify_names_an_altered_file(layout: Layout):
    _publish(layout, 1, "r1")
    index = layout.publication("cut_r1") / "report" / "index.html"
    _writable(index)
    index.write_text("edited")
    problems = audit.verify(layout.warehouse)
    assert any(str(index) in p and "SHA-256 differs" in p for p in problems)
    assert any(str(index) in p and "writable" in p for p in problems)


def test_verify_names_an_edited_warehouse(layout: Layout):
    _publish(layout, 1, "r1")
    db = layout.publication("cut_r1") / "warehouse.duckdb"
    _writable(db)
    con = duckdb.connect(str(db))
    con.execute("update t set v = 42")
    con.close()
    problems = audit.verify(layout.warehouse)
    assert any(str(db) in p and "SHA-256 differs" in p for p in problems)


def test_verify_names_an_added_file_and_a_missing_one(layout: Layout):
    _publish(layout, 1, "r1")
    folder = layout.publication("cut_r1")
    os.chmod(folder / "report", 0o755)
    (folder / "report" / "extra.html").write_text("x")
    (folder / "report" / "figures").chmod(0o755)
    (folder / "report" / "figures" / "f1.png").unlink()
    problems = audit.verify(layout.warehouse)
    assert any("extra.html" in p and "not in the ledger record" in p for p in problems)
    assert any("f1.png" in p and "missing" in p for p in problems)


def _forge_first_record(layout: Layout, rehash: bool) -> None:
    """Two publications, then the first record's cut-off changed in place (and its own hash
    recomputed, as a careful forger would, when ``rehash``)."""
    _publish(layout, 1, "r1")
    _publish(layout, 2, "r2")
    os.chmod(layout.ledger, 0o644)
    lines = layout.ledger.read_text().splitlines()
    first = json.loads(lines[0])
    first["cutoff"] = "2025-12-31"
    if rehash:
        first["hash"] = ledger.record_hash(first)
    lines[0] = ledger.canonical(first)
    layout.ledger.write_text("\n".join(lines) + "\n")
    os.chmod(layout.ledger, 0o444)  # and read-only again, as it was


def test_verify_names_an_edited_ledger_record(layout: Layout):
    _forge_first_record(layout, rehash=False)
    problems = audit.verify(layout.warehouse)
    assert problems == ["ledger record 1: its content does not match its hash (altered)"]


def test_verify_names_a_record_rehashed_after_an_edit(layout: Layout):
    _forge_first_record(layout, rehash=True)
    # the first record's own hash holds; the next record's link gives it away
    assert audit.verify(layout.warehouse) == [
        "ledger record 2: prev does not match the hash of record 1"
    ]


def test_verify_names_a_deleted_record(layout: Layout):
    _publish(layout, 1, "r1")
    _publish(layout, 2, "r2")
    os.chmod(layout.ledger, 0o644)
    lines = layout.ledger.read_text().splitlines()
    layout.ledger.write_text(lines[1] + "\n")
    problems = audit.verify(layout.warehouse)
    assert "ledger record 1: seq 2, expected 1" in problems
    assert "ledger record 1: prev does not match the hash of record 0" in problems


def test_verify_without_a_ledger_fails(tmp_path: Path):
    problems = audit.verify(tmp_path / "warehouse.duckdb")
    assert len(problems) == 1 and "no ledger" in problems[0]


def test_prune_keeps_the_newest_and_records_what_went(layout: Layout):
    for value in (1, 2, 3):
        _publish(layout, value, f"r{value}")
    assert audit.prune(layout.warehouse, keep=2) == ["cut_r1"]
    assert not layout.publication("cut_r1").exists()
    assert layout.publication("cut_r2").is_dir() and layout.publication("cut_r3").is_dir()
    records = ledger.records(layout.ledger)
    assert [r["kind"] for r in records] == ["publication"] * 3 + ["prune"]
    assert records[-1]["removed"] == ["cut_r1"]
    assert audit.verify(layout.warehouse) == []
    assert audit.prune(layout.warehouse, keep=2) == []
    assert _read(layout.warehouse) == 3


def test_prune_never_removes_the_current_publication(layout: Layout):
    _publish(layout, 1, "r1")
    _publish(layout, 2, "r2")
    assert audit.prune(layout.warehouse, keep=1) == ["cut_r1"]
    assert _read(layout.warehouse) == 2
    with pytest.raises(ValueError, match="at least 1"):
        audit.prune(layout.warehouse, keep=0)


def test_a_folder_deleted_without_prune_is_named(layout: Layout):
    from dagster_project.lib.warehouse.publish import remove_tree

    _publish(layout, 1, "r1")
    _publish(layout, 2, "r2")
    remove_tree(layout.publication("cut_r1"))
    problems = audit.verify(layout.warehouse)
    assert any("publication cut_r1 is missing (not pruned)" in p for p in problems)


def test_an_old_report_folder_is_kept_aside_not_overwritten(layout: Layout):
    layout.report.mkdir(parents=True)
    (layout.report / "index.html").write_text("written in place by an older version")
    _publish(layout, 1, "r1")
    assert (layout.report / "index.html").read_text() == "report of cut 1"
    aside = [p for p in layout.report.parent.iterdir() if ".unpublished-" in p.name]
    assert len(aside) == 1 and (aside[0] / "index.html").read_text().startswith("written")


def test_isadex_verify_and_prune_exit_codes(layout: Layout, capsys):
    from dagster_project.cli import main

    _publish(layout, 1, "r1")
    _publish(layout, 2, "r2")
    assert main(["verify", "--warehouse", str(layout.warehouse)]) == 0
    assert "every publication and ledger record holds" in capsys.readouterr().out
    assert main(["prune", "--warehouse", str(layout.warehouse), "--keep", "1"]) == 0
    assert "removed cut_r1" in capsys.readouterr().out
    db = layout.publication("cut_r2") / "warehouse.duckdb"
    _writable(db)
    db.write_bytes(db.read_bytes() + b"\0")
    assert main(["verify", "--warehouse", str(layout.warehouse)]) == 1
    out = capsys.readouterr().out
    assert f"NOT OK {db}: SHA-256 differs" in out and f"NOT OK {db}: writable" in out
    assert f"NOT OK {db.parent}: writable folder (mode 755)" in out
    assert "3 problem(s)" in out


def test_verify_names_a_folder_no_record_names_and_writable_folders_and_ledger(layout: Layout):
    """Found by testing the operations contract: the last record deleted with the stable name
    pointed back, or a cut folder added, passed verify; so did a cut folder or the ledger made
    writable (a file could be added or replaced under read-only ones)."""
    _publish(layout, 1, "r1")
    _publish(layout, 2, "r2")
    os.chmod(layout.ledger, 0o644)
    layout.ledger.write_text(layout.ledger.read_text().splitlines()[0] + "\n")
    switch(layout, "cut_r1")
    os.chmod(layout.publication("cut_r1"), 0o755)
    problems = audit.verify(layout.warehouse)
    assert f"{layout.publication('cut_r2')}: a publication folder no ledger record names" in (
        problems
    )
    assert f"{layout.ledger}: writable (mode 644); the ledger is read-only" in problems
    assert f"{layout.publication('cut_r1')}: writable folder (mode 755)" in problems


def test_a_cut_folder_left_unrecorded_by_a_killed_run_is_removed(layout: Layout):
    """Killed after the staged cut was renamed into place and before its record: no reader
    ever opened it, and verify would name it, so the supervisor (or the next run) removes it."""
    _publish(layout, 1, "r1")
    orphan = layout.publication("cut_r9")
    orphan.mkdir()
    (orphan / "warehouse.duckdb").write_bytes(b"x")
    assert any("cut_r9" in p for p in audit.verify(layout.warehouse))
    assert complete_interrupted(layout) is None
    assert not orphan.exists() and audit.verify(layout.warehouse) == []


def test_run_records_of_runs_that_never_published_are_forgotten(tmp_path: Path):
    from dagster_project.lib.warehouse.provenance import RUNS_DDL, forget_unpublished

    kept_file = tmp_path / "old_cut.duckdb"
    kept_file.write_bytes(b"")
    con = duckdb.connect()
    con.execute("create schema quality")
    con.execute(RUNS_DDL)
    for run_id, path in [("published", "/gone/a"), ("before-ledger", str(kept_file)),
                         ("failed", str(tmp_path / "never" / "warehouse.duckdb"))]:  # fmt: skip
        con.execute("insert into quality.runs (RUN_ID, PUBLISHED_FILE) values (?, ?)",
                    [run_id, path])  # fmt: skip
    assert forget_unpublished(con, ["published"]) == 1
    assert sorted(r for (r,) in con.execute("select RUN_ID from quality.runs").fetchall()) == [
        "before-ledger",
        "published",
    ]
