"""scrub_extra_columns on a copy of a warehouse (site_extracts.md: an extra column is kept in
the working file's raw layer, never in a published file): afterwards no value of an extra
column is anywhere in the copy, searched in every column of every table and view."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from dagster_project.lib.ingest.ingestion import ingest_landing
from dagster_project.lib.synthetic.faults import valid_frames
from dagster_project.lib.synthetic.transfer_writer import (
    build_manifest,
    write_manifest,
    write_transfer,
)
from dagster_project.lib.warehouse.raw_scrub import scrub_extra_columns
from tests.conftest import text_hits, unaccounted_rows

MARKER = "EXTRAMARKER"
WHEN = "2026-03-31T08:00:00Z"


def _landing_with_a_patient_name(root: Path) -> Path:
    """IT01 sends PATIENT_NAME in dm (row 2 also has a bad SEX, row 3 a NUL in the name), ae
    and fu (plus a fu line with one field too many, which no reader can split)."""
    landing = root / "landing"
    frames = valid_frames("IT01")
    frames["dm"]["PATIENT_NAME"] = [f"Ann {MARKER}", f"Bob {MARKER}", f"Cy {MARKER}\x00"]
    frames["dm"].loc[1, "SEX"] = "X"
    frames["ae"]["PATIENT_NAME"] = f"Bob {MARKER}"
    frames["fu"]["PATIENT_NAME"] = [f"Ann {MARKER}", f"Bob {MARKER}", f"Cy {MARKER}"]
    folder = write_transfer(landing, "IT01", WHEN, frames)
    with open(folder / "fu.csv", "a", encoding="utf-8") as f:
        f.write(f"IT01,IT01-001,2025-12-30,ALIVE,Dee {MARKER},surplus\n")
    write_manifest(folder, build_manifest(folder, "IT01", folder.name, WHEN))
    # A second site without extra columns: nothing of it changes.
    write_transfer(landing, "FR02", WHEN, valid_frames("FR02"))
    return landing


def test_scrub_removes_every_extra_value_and_nothing_else(tmp_path: Path) -> None:
    landing = _landing_with_a_patient_name(tmp_path)
    working = tmp_path / "warehouse.work.duckdb"
    con = duckdb.connect(str(working))
    ingest_landing(con, landing)
    # Something downstream reading raw the way staging does, to be searched as well.
    con.execute("CREATE SCHEMA staging")
    con.execute('CREATE VIEW staging.stg_dm AS SELECT "SITEID", "SUBJID", "SEX" FROM raw.dm')
    assert {(s, t) for s, t, _ in text_hits(con, MARKER)} == {
        ("raw", "dm"),
        ("raw", "ae"),
        ("raw", "fu"),
        ("raw", "quarantine"),
    }
    before = {
        t: con.execute(f"SELECT count(*) FROM raw.{t}").fetchone()[0]
        for t in ("dm", "ae", "fu", "quarantine", "transfers", "extra_columns")
    }
    con.close()
    published = tmp_path / "warehouse.duckdb"
    shutil.copyfile(working, published)

    con = duckdb.connect(str(published))
    # dm: row 1's EXTRA, row 2's RECORD key, row 3's RECORD key and VALUE (the NUL is in the
    # name); ae: 1 EXTRA; fu: 3 EXTRA and the unsplittable line (VALUE and CSV_LINE).
    assert scrub_extra_columns(con) == 4 + 1 + 4
    assert text_hits(con, MARKER) == []
    assert scrub_extra_columns(con) == 0
    after = {t: con.execute(f"SELECT count(*) FROM raw.{t}").fetchone()[0] for t in before}
    assert after == before
    assert unaccounted_rows(con, landing) == []
    # What a data manager still needs stays: which column, where, and why rows were refused.
    assert con.execute('SELECT * FROM raw.extra_columns ORDER BY "FORM"').fetchall() == [
        ("IT01_20260331T0800", "ae", "PATIENT_NAME"),
        ("IT01_20260331T0800", "dm", "PATIENT_NAME"),
        ("IT01_20260331T0800", "fu", "PATIENT_NAME"),
    ]
    assert con.execute(
        'SELECT "ROWNUM", "COLUMN", "RECORD"->>\'SEX\' FROM raw.quarantine WHERE "FORM" = \'dm\' '
        "ORDER BY 1"
    ).fetchall() == [(2, "SEX", "X"), (3, "PATIENT_NAME", "F")]
    con.execute("CHECKPOINT")
    con.close()
    # The old bytes are still in the scrubbed file's free blocks; a database copied from it
    # has none of them (what publication must ship, raw_scrub's docstring).
    assert MARKER.encode() in published.read_bytes()
    fresh = tmp_path / "fresh.duckdb"
    con = duckdb.connect(str(published))
    con.execute(f"ATTACH '{fresh}' AS fresh")
    con.execute("COPY FROM DATABASE warehouse TO fresh")
    con.close()
    assert MARKER.encode() not in fresh.read_bytes()

    # The working file keeps them for audit.
    con = duckdb.connect(str(working), read_only=True)
    assert text_hits(con, MARKER)
    con.close()


def test_a_1_1_column_a_1_0_transfer_sent_is_scrubbed_and_a_1_1_transfers_kept(
    tmp_path: Path,
) -> None:
    """Issue 29: read under its declared version, RSPDTYP in a 1.0 rs.csv is an extra column
    (in EXTRA, and in RECORD of a quarantined row); in a 1.1 transfer it is a contract column
    whose values are published."""
    landing = tmp_path / "landing"
    frames = valid_frames("IT01")
    frames["rs"]["RSPDTYP"] = f"IMAGING {MARKER}"
    frames["rs"].loc[1, "RSORRES"] = "VGRP"  # quarantined: RECORD holds the extra value
    write_transfer(landing, "IT01", WHEN, frames)
    v11 = valid_frames("FR02", contract_version="1.1")
    v11["rs"].loc[0, "PHASE"] = "INDUCTON"  # quarantined: RECORD keeps RSPDTYP (a contract column)
    write_transfer(landing, "FR02", WHEN, v11, contract_version="1.1")
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    ingest_landing(con, landing)
    assert scrub_extra_columns(con) == 5 + 1  # 5 EXTRA, 1 RECORD key
    assert text_hits(con, MARKER) == []
    assert con.execute(
        'SELECT "TRANSFER_ID", json_keys("RECORD") FROM raw.quarantine ORDER BY 1'
    ).fetchall() == [
        (
            "FR02_20260331T0800",
            ["SITEID", "SUBJID", "RSDT", "PHASE", "RSORRES", "RSCOMPL", "RSPDTYP"],
        ),
        ("IT01_20260331T0800", ["SITEID", "SUBJID", "RSDT", "PHASE", "RSORRES", "RSCOMPL"]),
    ]
    assert con.execute("SELECT count(*) FROM raw.rs WHERE \"RSPDTYP\" = 'IMAGING'").fetchone() == (
        1,
    )
