"""Row-level parsing and checks of raw_load (site_extracts.md, "File format" and "Forms")."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from dagster_project.lib.ingest.contract import FORMS
from dagster_project.lib.ingest.ingestion import ingest_landing
from dagster_project.lib.synthetic.faults import valid_frames
from dagster_project.lib.synthetic.transfer_writer import (
    build_manifest,
    write_manifest,
    write_transfer,
)
from tests.conftest import write_numbered_lb

WHEN = "2026-03-31T08:00:00Z"
TID = "IT01_20260331T0800"


def _load(
    tmp_path: Path,
    frames: dict[str, pd.DataFrame] | None = None,
    edit: Callable[[Path], None] | None = None,
    rows: dict[str, int] | None = None,
) -> tuple[duckdb.DuckDBPyConnection, dict]:
    """Write one IT01 transfer, optionally edit its files (manifest recomputed; `rows`: file ->
    the data rows the site's manifest gives, as its writer counted them), ingest it."""
    landing = tmp_path / "landing"
    folder = write_transfer(landing, "IT01", WHEN, frames or valid_frames("IT01"))
    if edit is not None:
        edit(folder)
        manifest = build_manifest(folder, "IT01", TID, WHEN)
        for name, n in (rows or {}).items():
            manifest["files"][name]["rows"] = n
        write_manifest(folder, manifest)
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    (row,) = ingest_landing(con, landing).registered
    return con, row


def _quarantine(con: duckdb.DuckDBPyConnection, form: str) -> list[tuple]:
    return con.execute(
        'select "ROWNUM", "COLUMN", "VALUE", "REASON" from raw.quarantine where "FORM" = ? '
        "order by 1",
        [form],
    ).fetchall()


def test_valid_transfer_loads_typed_values(tmp_path: Path) -> None:
    con, row = _load(tmp_path)
    assert row["status"] == "LOADED" and row["rows_quarantined"] == 0
    assert con.execute(
        'select "ROWNUM", "SUBJID", "BRTHYR", "SEX", "HEIGHT", "WEIGHT", "EXTRA" from raw.dm '
        "order by 1"
    ).fetchall() == [
        (1, "IT01-001", 1951, "F", 170.5, 72.0, None),
        (2, "IT01-002", 1952, "M", 170.5, 72.0, None),
        (3, "IT01-003", 1953, "F", 170.5, 72.0, None),
    ]
    # Partial dates stay as sent; MRDSENS 1E-5 is a number; EXADJ empty is NULL.
    assert con.execute('select "DIAGDT" from raw.dx order by "ROWNUM"').fetchall() == [
        ("2019-03-11",),
        ("2019-03-12",),
        ("2019-05",),
    ]
    assert con.execute('select distinct "MRDSENS" from raw.mrd').fetchall() == [(1e-5,)]
    assert con.execute('select count(*) from raw.ex where "EXADJ" is null').fetchone()[0] == 12
    assert con.execute(
        'select "EXSTDT" from raw.ex where "SUBJID" = \'IT01-001\' and "ROWNUM" = 1'
    ).fetchone()[0] == date(2025, 2, 2)


def test_bom_column_order_extra_columns(tmp_path: Path) -> None:
    frames = valid_frames("IT01")
    dm = frames["dm"]
    frames["dm"] = dm[list(reversed(dm.columns))].assign(COMMENT=["a", "", "c, d"])

    def add_bom(folder: Path) -> None:
        path = folder / "dm.csv"
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())

    con, row = _load(tmp_path, frames, add_bom)
    assert row["status"] == "LOADED" and row["rows_quarantined"] == 0
    got = con.execute(
        'select "SITEID", "SUBJID", "SEX", "WEIGHT", "EXTRA" from raw.dm order by "ROWNUM"'
    ).fetchall()
    assert [g[:4] for g in got] == [
        ("IT01", "IT01-001", "F", 72.0),
        ("IT01", "IT01-002", "M", 72.0),
        ("IT01", "IT01-003", "F", 72.0),
    ]
    assert [json.loads(g[4]) for g in got] == [
        {"COMMENT": "a"},
        {"COMMENT": None},
        {"COMMENT": "c, d"},
    ]


def test_header_case_and_spaces_are_normalised(tmp_path: Path) -> None:
    def lower_header(folder: Path) -> None:
        path = folder / "fu.csv"
        lines = path.read_text().split("\n")
        lines[0] = ", ".join(h.lower() for h in lines[0].split(","))
        path.write_text("\n".join(lines))

    con, row = _load(tmp_path, edit=lower_header)
    assert row["status"] == "LOADED"
    assert con.execute("select count(*) from raw.fu").fetchone()[0] == 3


def test_codes_upper_cased_and_text_trimmed(tmp_path: Path) -> None:
    frames = valid_frames("IT01")
    frames["dm"].loc[0, ["SEX", "RACE", "HEIGHT"]] = ["  f ", "not reported", " 165 "]
    frames["ae"].loc[0, ["AETERM", "AESER", "AEREL"]] = ["  Neutropenia  ", "y", "Isatuximab"]
    con, row = _load(tmp_path, frames)
    assert row["rows_quarantined"] == 0
    assert con.execute(
        'select "SEX", "RACE", "HEIGHT" from raw.dm where "ROWNUM" = 1'
    ).fetchone() == ("F", "NOT REPORTED", 165.0)
    assert con.execute('select "AETERM", "AESER", "AEREL" from raw.ae').fetchone() == (
        "Neutropenia",
        "Y",
        "ISATUXIMAB",
    )


@pytest.mark.parametrize(
    ("form", "row", "column", "value", "message"),
    [
        ("dm", 1, "BRTHYR", "1899", "value '1899' below minimum 1900"),
        ("dm", 2, "BRTHYR", "1950.0", "not an integer '1950.0'"),
        ("dm", 3, "WEIGHT", "-1", "value '-1' below minimum 0"),
        ("dm", 1, "HEIGHT", "inf", "not a number 'inf'"),
        ("ae", 1, "AETOXGR", "6", "value '6' above maximum 5"),
        # site_extracts.md, ex: "day within the cycle (1..28); melphalan: -2".
        ("ex", 1, "DAY", "0", "value '0' not allowed (a cycle's days are 1..28, melphalan's -2)"),
        ("ex", 1, "DAY", "-1", "value '-1' not allowed (a cycle's days are 1..28, melphalan's -2)"),
        ("ex", 1, "DAY", "29", "value '29' above maximum 28"),
        ("ae", 1, "AESTDT", "2025-13", "impossible date '2025-13'"),
        ("ae", 1, "AEENDT", "May 2025", "not a date (YYYY, YYYY-MM or YYYY-MM-DD) 'May 2025'"),
        ("dx", 1, "DIAGDT", "2019-02-29", "impossible date '2019-02-29'"),
        ("enr", 2, "ELIGDT", "2025", "partial date not allowed '2025'"),
        ("enr", 2, "ELIGDT", "12/01/2025", "not a date (YYYY-MM-DD) '12/01/2025'"),
        ("enr", 3, "ELIGDT", "2025-1-13", "not a date (YYYY-MM-DD) '2025-1-13'"),
        ("ex", 4, "EXTRT", "", "required value missing"),
        ("lb", 2, "SUBJID", "IT01-1", "not a subject id (SITEID-NNN) 'IT01-1'"),
        ("lb", 2, "SUBJID", "IT02-001", "subject 'IT02-001' does not belong to site IT01"),
        ("enr", 1, "ENRLFL", "yes", "unknown code 'yes' (expected one of Y, N)"),
        ("sct", 1, "SITEID", "", "required value missing"),
        # Issue 27: implausible dates (the extract date is 2026-03-31) and NUL bytes.
        ("ex", 2, "EXSTDT", "0001-01-01", "implausible date '0001-01-01' (before 1900-01-01)"),
        (
            "enr",
            1,
            "ICFDT",
            "2026-04-01",
            "implausible date '2026-04-01' (after the extract date 2026-03-31)",
        ),
        ("dx", 1, "DIAGDT", "1899-12", "implausible date '1899-12' (before 1900-01-01)"),
        (
            "ae",
            1,
            "AEENDT",
            "2026-04",
            "implausible date '2026-04' (after the extract date 2026-03-31)",
        ),
        ("ae", 1, "AESTDT", "2027", "implausible date '2027' (after the extract date 2026-03-31)"),
        ("ae", 1, "AETERM", "Nau\x00sea", "NUL byte in value"),
        ("ae", 1, "AEDECOD", "\x00", "NUL byte in value"),
    ],
)
def test_bad_value_is_quarantined(
    tmp_path: Path, form: str, row: int, column: str, value: str, message: str
) -> None:
    frames = valid_frames("IT01")
    frames[form].loc[row - 1, column] = value
    con, summary = _load(tmp_path, frames)
    assert summary["status"] == "LOADED"
    assert _quarantine(con, form) == [
        # VALUE shows a NUL byte as \0 (RECORD keeps it, JSON-escaped).
        (
            row,
            column,
            value.replace("\x00", "\\0") or None,
            f"{TID} {form}.csv row {row} {column}: {message}",
        )
    ]
    in_raw = [r for (r,) in con.execute(f'select "ROWNUM" from raw.{form}').fetchall()]
    assert row not in in_raw and len(in_raw) == len(frames[form]) - 1


def test_valid_partial_dates_load(tmp_path: Path) -> None:
    frames = valid_frames("IT01")
    frames["dth"] = pd.DataFrame(
        [{"SITEID": "IT01", "SUBJID": "IT01-001", "DTHDT": "2026", "DTHCAUS": "other"}],
        dtype="string",
    )
    frames["ae"].loc[0, ["AESTDT", "AEENDT"]] = ["2025-04-30", "2025-05"]
    con, row = _load(tmp_path, frames)
    assert row["rows_quarantined"] == 0
    assert con.execute('select "DTHDT", "DTHCAUS" from raw.dth').fetchone() == ("2026", "OTHER")
    assert con.execute('select "AESTDT", "AEENDT" from raw.ae').fetchone() == (
        "2025-04-30",
        "2025-05",
    )


def test_nul_byte_in_an_extra_column_quarantines_the_row(tmp_path: Path) -> None:
    frames = valid_frames("IT01")
    frames["dm"]["COMMENT"] = ["a", "b\x00", "c"]
    con, row = _load(tmp_path, frames)
    assert row["rows_quarantined"] == 1
    assert _quarantine(con, "dm") == [
        (2, "COMMENT", "b\\0", f"{TID} dm.csv row 2 COMMENT: NUL byte in value")
    ]


def test_dates_on_the_plausible_bounds_load(tmp_path: Path) -> None:
    """1900-01-01 and the extract date itself (2026-03-31) are plausible, as are partial dates
    in the extract's month or year."""
    frames = valid_frames("IT01")
    frames["ex"].loc[0, "EXSTDT"] = "1900-01-01"
    frames["fu"].loc[0, "FUDT"] = "2026-03-31"
    frames["ae"].loc[0, ["AESTDT", "AEENDT"]] = ["1900", "2026-03"]
    frames["dx"].loc[0, "DIAGDT"] = "2026"
    con, row = _load(tmp_path, frames)
    assert row["rows_quarantined"] == 0


def test_several_bad_columns_one_quarantine_row(tmp_path: Path) -> None:
    frames = valid_frames("IT01")
    frames["rs"].loc[1, ["RSDT", "RSORRES", "RSCOMPL"]] = ["2025-06-31", "good", "Q"]
    con, _ = _load(tmp_path, frames)
    assert _quarantine(con, "rs") == [
        (
            2,
            "RSDT",
            "2025-06-31",
            f"{TID} rs.csv row 2 RSDT: impossible date '2025-06-31'; RSORRES: unknown code 'good' "
            "(expected one of SCR, CR, VGPR, PR, MR, SD, PD, NE); RSCOMPL: unknown code 'Q' "
            "(expected one of Y, N)",
        )
    ]


def test_duplicate_key_on_normalised_values(tmp_path: Path) -> None:
    """'isatuximab' and 'ISATUXIMAB' on the same date are the same record key."""
    frames = valid_frames("IT01")
    ex = frames["ex"]
    twin = ex.iloc[[0]].assign(EXTRT="isatuximab", EXDOSE="8")
    frames["ex"] = pd.concat([ex, twin], ignore_index=True)
    con, row = _load(tmp_path, frames)
    assert [(r[0], r[1]) for r in _quarantine(con, "ex")] == [
        (1, "SUBJID,EXTRT,EXSTDT"),
        (13, "SUBJID,EXTRT,EXSTDT"),
    ]
    assert row["forms"]["ex"]["rows_loaded"] == 11


def test_site_mismatch_refuses_whole_transfer(tmp_path: Path) -> None:
    frames = valid_frames("IT01")
    frames["fu"].loc[2, ["SITEID", "SUBJID"]] = ["IT02", "IT02-003"]
    con, row = _load(tmp_path, frames)
    assert row["status"] == "REFUSED"
    assert row["reason"] == (
        f"{TID}: site mismatch: manifest site_id IT01 but fu.csv has 1 row(s) of another site "
        "(first: row 3 SITEID 'IT02')"
    )
    assert sum(con.execute(f"select count(*) from raw.{f}").fetchone()[0] for f in FORMS) == 0


def test_duplicate_header_column_refuses(tmp_path: Path) -> None:
    def dup_header(folder: Path) -> None:
        path = folder / "mrd.csv"
        text = path.read_text().replace("MRDRES", "MRDRES,MRDRES", 1)
        path.write_text(text.replace("NEGATIVE", "NEGATIVE,NEGATIVE"))

    _, row = _load(tmp_path, edit=dup_header)
    assert row["status"] == "REFUSED"
    assert row["reason"] == f"{TID}: mrd.csv refused: duplicate column(s) MRDRES"


def _rs_rows(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.execute(
        'select * exclude ("ROWNUM", "TRANSFER_ID") from raw.rs order by 1'
    ).fetchall()


def _blank_line(where: str) -> Callable[[Path], None]:
    def edit(folder: Path) -> None:
        path = folder / "rs.csv"
        lines = path.read_text().split("\n")  # ends with "": the last line's break
        blanked = [*lines[:2], "", *lines[2:]] if where == "inside" else [*lines, "", ""]
        path.write_text("\n".join(blanked))

    return edit


@pytest.mark.parametrize("where", ["inside", "at the end"])
def test_a_blank_line_is_not_a_data_row(tmp_path: Path, where: str) -> None:
    """site_extracts.md counts data rows, header excluded: a blank line is none. The reader
    skips it, so the site's honest count must match (a clean file loads the same rows)."""
    clean, _ = _load(tmp_path / "clean")
    data_rows = len(_rs_rows(clean))
    con, row = _load(tmp_path / "blank", edit=_blank_line(where), rows={"rs.csv": data_rows})
    assert row["status"] == "LOADED", row["reason"]
    assert row["rows_quarantined"] == 0
    assert _rs_rows(con) == _rs_rows(clean)


@pytest.mark.parametrize("line_end", ["\n", "\r\n"])
def test_a_malformed_record_after_a_blank_line_keeps_its_record_number(
    tmp_path: Path, line_end: str
) -> None:
    """ROWNUM is the data record's number (header excluded); a blank line is no record. DuckDB
    numbers a record it sets aside by its line: after a blank line the malformed record 3 was
    quarantined as ROWNUM 4 and the good record 4 loaded as ROWNUM 3 (found by fuzzing)."""

    def blank_then_malformed(folder: Path) -> None:
        path = folder / "rs.csv"
        header, *records = path.read_text().rstrip("\n").split("\n")
        assert len(records) >= 4
        records[2] += ",one field too many"
        lines = [header, records[0], "", *records[1:]]
        path.write_bytes((line_end.join(lines) + line_end).encode())

    clean, _ = _load(tmp_path / "clean")
    n = len(_rs_rows(clean))
    con, row = _load(tmp_path / "blank", edit=blank_then_malformed, rows={"rs.csv": n})
    assert row["status"] == "LOADED", row["reason"]
    assert con.execute(
        'select "ROWNUM", "REASON" like \'%malformed CSV row%\' from raw.quarantine'
    ).fetchall() == [(3, True)]
    loaded = [r for (r,) in con.execute('select "ROWNUM" from raw.rs order by 1').fetchall()]
    assert loaded == [1, 2, *range(4, n + 1)]


def test_carriage_return_line_ends_are_line_ends(tmp_path: Path) -> None:
    """A file written with CR alone between lines (classic Mac) holds the same rows."""

    def cr_only(folder: Path) -> None:
        path = folder / "rs.csv"
        text = path.read_text()
        assert '"' not in text  # the counting path without quotes
        path.write_text(text.replace("\n", "\r"))

    clean, _ = _load(tmp_path / "clean")
    data_rows = len(_rs_rows(clean))
    con, row = _load(tmp_path / "cr", edit=cr_only, rows={"rs.csv": data_rows})
    assert row["status"] == "LOADED", row["reason"]
    assert _rs_rows(con) == _rs_rows(clean)


def test_a_manifest_counting_a_blank_line_as_a_row_is_refused(tmp_path: Path) -> None:
    clean, _ = _load(tmp_path / "clean")
    n = len(_rs_rows(clean))
    _, row = _load(tmp_path / "blank", edit=_blank_line("inside"), rows={"rs.csv": n + 1})
    assert row["status"] == "REFUSED"
    assert (
        f"rs.csv refused: the CSV reader found {n} records but the manifest lists {n + 1}"
        in row["reason"]
    ), row["reason"]


def test_quoted_line_break_and_comma_in_text(tmp_path: Path) -> None:
    frames = valid_frames("IT01")
    frames["ae"].loc[0, "AETERM"] = 'Neutropenia,\n"febrile"'
    con, row = _load(tmp_path, frames)
    assert row["rows_quarantined"] == 0
    assert con.execute('select "AETERM" from raw.ae').fetchone()[0] == 'Neutropenia,\n"febrile"'


def test_rownum_follows_file_order_on_a_large_file(tmp_path: Path) -> None:
    """300,000 lb rows (over DuckDB's parallel CSV split size) with malformed rows inside.

    LBORRES carries each row's own file row number, so ROWNUM must equal it for
    every loaded row, and each malformed row must be quarantined under its number.
    """
    n = 300_000
    bad = {1, 7, 150_001, 150_002, 299_999}

    def big_lb(folder: Path) -> None:
        path = folder / "lb.csv"
        tmp = folder / "lb_body.csv"
        write_numbered_lb(tmp, "IT01", n, header=False)
        lines = tmp.read_text().split("\n")
        tmp.unlink()
        for r in bad:
            lines[r - 1] = lines[r - 1] + ",surplus"
        path.write_text("SITEID,SUBJID,LBDT,LBTESTCD,LBORRES\n" + "\n".join(lines))

    con, row = _load(tmp_path, edit=big_lb)
    assert row["status"] == "LOADED"
    assert row["forms"]["lb"] == {
        "rows_in": n,
        "rows_loaded": n - len(bad),
        "rows_quarantined": len(bad),
        "rows_malformed": len(bad),
        "deletions": 0,
    }
    mismatched = con.execute(
        'select count(*) from raw.lb where "ROWNUM" <> "LBORRES"::BIGINT'
    ).fetchone()[0]
    assert mismatched == 0
    assert [r[0] for r in _quarantine(con, "lb")] == sorted(bad)
    assert [r[1] for r in _quarantine(con, "lb")] == [None] * len(bad)


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_read_record_finds_a_quoted_record_from_duckdbs_offset(tmp_path: Path, newline) -> None:
    """DuckDB's line_byte_position is one byte into the record with LF line ends, at its start
    with CRLF; either way the whole record, quoted line breaks included, comes back."""
    from dagster_project.lib.ingest.raw_load import read_record

    path = tmp_path / "x.csv"
    lines = ["A,B,C", "1,2,3", '4,"x ""y""' + newline + 'z",6', "7,8,9", ""]
    path.write_bytes(newline.join(lines).encode())
    con = duckdb.connect()
    con.execute(
        f"select * from read_csv('{path}', columns={{'a': 'VARCHAR', 'b': 'VARCHAR', "
        "'c': 'VARCHAR'}, header=true, auto_detect=false, quote='\"', escape='\"', "
        "max_line_size=10, store_rejects=true)"
    ).fetchall()
    (offset,) = con.execute("select line_byte_position from reject_errors").fetchone()
    assert read_record(path, offset) == '4,"x ""y""' + newline + 'z",6'


def test_a_listed_file_that_is_no_form_is_checked_not_loaded_and_named(tmp_path: Path) -> None:
    """A manifest may list a file the contract has no form for (site_extracts.md is silent): it
    is checked like every listed file and not loaded, and the transfer's REASON names it with
    its rows, so those rows are not gone without a trace (the quality report's transfer list and
    raw.transfers show it)."""

    def add_notes(folder: Path) -> None:
        (folder / "notes.csv").write_text("SITEID,NOTE\nIT01,a\nIT01,b\n")

    con, row = _load(tmp_path, edit=add_notes)
    assert row["status"] == "LOADED", row["reason"]
    (reason,) = con.execute('select "REASON" from raw.transfers').fetchone()
    assert reason == (
        "notes.csv (2 rows) listed but not a form of contract 1.0: checked (sha256, rows), "
        "not loaded"
    )
