"""Every row of site_extracts.md's "What bad input gets" table, end to end through ingest_landing.

The fault writers (lib/synthetic/faults.py) build each bad input from valid frames and
state the outcome the contract prescribes; here each is ingested into a real
DuckDB file and the outcome, the reasons and `rows in file = rows loaded + rows
quarantined` (per transfer and form) are checked.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from dagster_project.lib.ingest import raw_load
from dagster_project.lib.ingest.contract import FORMS
from dagster_project.lib.ingest.ingestion import ingest_landing
from dagster_project.lib.ingest.landing import open_delivery
from dagster_project.lib.synthetic.faults import FaultCase, valid_frames, write_all_faults
from dagster_project.lib.synthetic.transfer_writer import (
    build_manifest,
    write_manifest,
    write_transfer,
)
from tests.conftest import frames_without

# The faults landing ingested once (its module fixture takes ~11 s): one worker runs it all.
pytestmark = pytest.mark.whole_module

FAULT_NAMES = [
    "manifest_missing",
    "manifest_unreadable",
    "wrong_study",
    "checksum_mismatch",
    "row_count_mismatch",
    "site_mismatch",
    "missing_required_column",
    "unparseable_value",
    "unknown_code",
    "impossible_date",
    "partial_date_not_allowed",
    "duplicate_key",
    "malformed_csv_row",
    "logically_inconsistent",
    "same_transfer_twice",
    "same_id_different_content",
    "glob_folder_name",
    "odd_folder_name",
    "nul_byte",
    "invalid_utf8",
    "oversize_field",
    "unparseable_file",
    "implausible_date",
    "symlinked_file",
    "symlinked_folder",
    "extra_column",
    "enrolled_without_start_dates",
    "ae_text_not_transportable",
]


@pytest.fixture(scope="module")
def faults(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("faults")
    cases = {c.name: c for c in write_all_faults(root / "landing")}
    con = duckdb.connect(str(root / "warehouse.duckdb"))
    summary = ingest_landing(con, root / "landing")
    yield cases, con, summary, root / "landing"
    con.close()


def _transfer_rows(con: duckdb.DuckDBPyConnection, delivery: str) -> list[tuple]:
    return con.execute(
        'select "STATUS", "REASON", "TRANSFER_ID" from raw.transfers where "DELIVERY" = ?',
        [delivery],
    ).fetchall()


def test_every_contract_fault_is_written(faults) -> None:
    cases, *_ = faults
    assert sorted(cases) == sorted(FAULT_NAMES)


@pytest.mark.parametrize("name", FAULT_NAMES)
def test_fault_outcome(faults, name: str) -> None:
    cases, con, _, landing = faults
    case: FaultCase = cases[name]
    rows = _transfer_rows(con, case.delivery)
    assert len(rows) == 1, "exactly one raw.transfers row per delivery"
    status, reason, transfer_id = rows[0]
    assert status == case.status
    assert transfer_id == case.transfer_id
    if status == "LOADED":
        assert reason is None
        reasons = " ".join(
            r
            for (r,) in con.execute(
                'select "REASON" from raw.quarantine where "TRANSFER_ID" = ?', [transfer_id]
            ).fetchall()
        )
    else:
        reasons = reason
    for fragment in case.reason_contains:
        assert fragment in reasons, (fragment, reasons)

    quarantined = (
        con.execute(
            'select "FORM", "ROWNUM", "COLUMN" from raw.quarantine where "TRANSFER_ID" = ? '
            "order by 1, 2",
            [transfer_id],
        ).fetchall()
        if status == "LOADED"
        else []
    )
    assert quarantined == sorted(case.quarantined)

    if case.baseline_delivery:
        assert _transfer_rows(con, case.baseline_delivery)[0][0] == "LOADED"
    if status != "LOADED":
        # Nothing of a refused or duplicate delivery reaches raw.<form>: a re-sent id holds
        # exactly its first delivery's rows, any other refused id holds none.
        resent = case.baseline_delivery == case.transfer_id
        for form in FORMS:
            n = con.execute(
                f'select count(*) from raw.{form} where "TRANSFER_ID" = ?', [transfer_id]
            ).fetchone()[0]
            assert n == (_file_rows(landing / case.baseline_delivery, form) if resent else 0)


def _file_rows(folder: Path, form: str) -> int:
    d, _ = open_delivery(folder)
    return d.files[f"{form}.csv"].rows


def test_rows_in_equal_loaded_plus_quarantined_for_every_loaded_form(faults) -> None:
    """The contract's invariant, by plain count(*) on raw.<form> and raw.quarantine."""
    _, con, _, landing = faults
    loaded = con.execute(
        'select "TRANSFER_ID", "DELIVERY", "ROWS_IN", "ROWS_LOADED", "ROWS_QUARANTINED" '
        "from raw.transfers where \"STATUS\" = 'LOADED'"
    ).fetchall()
    # 7 + 5 baselines, 7 + 8 row-level faults (issue 27: glob and odd folder names, NUL byte,
    # invalid UTF-8, oversize field, implausible dates, extra column... and the glob folder's
    # neighbour), 2 first deliveries of re-sent ids, 1 enrolled subject without its dates,
    # 1 AE text over SAS v5's limits
    assert len(loaded) == 29
    for transfer_id, delivery, rows_in, rows_loaded, rows_q in loaded:
        d, _ = open_delivery(landing / delivery)
        total = 0
        for form in FORMS:
            in_file = d.files[f"{form}.csv"].rows
            in_raw = con.execute(
                f'select count(*) from raw.{form} where "TRANSFER_ID" = ?', [transfer_id]
            ).fetchone()[0]
            in_q = con.execute(
                'select count(*) from raw.quarantine where "TRANSFER_ID" = ? and "FORM" = ?',
                [transfer_id, form],
            ).fetchone()[0]
            assert in_file == in_raw + in_q, (transfer_id, form)
            total += in_file
        assert rows_in == total == rows_loaded + rows_q


def test_duplicate_key_quarantines_all_rows_sharing_it(faults) -> None:
    cases, con, *_ = faults
    case = cases["duplicate_key"]
    reasons = con.execute(
        'select "ROWNUM", "VALUE", "REASON" from raw.quarantine where "TRANSFER_ID" = ? order by 1',
        [case.transfer_id],
    ).fetchall()
    # valid_frames: lb row 1 is FA12-001 SMPROT on 2025-03-11; the fault appends its twin as row 10.
    assert [r[0] for r in reasons] == [1, 10]
    assert reasons[0][1] == "FA12-001 | SMPROT | 2025-03-11"
    assert "shared by rows 1, 10" in reasons[0][2]
    kept = con.execute(
        'select count(*) from raw.lb where "TRANSFER_ID" = ? and "SUBJID" = \'FA12-001\' '
        "and \"LBTESTCD\" = 'SMPROT'",
        [case.transfer_id],
    ).fetchone()[0]
    assert kept == 0


def test_inconsistent_rows_load_unchanged(faults) -> None:
    cases, con, *_ = faults
    tid = cases["logically_inconsistent"].transfer_id
    assert con.execute('select "DTHDT" from raw.dth where "TRANSFER_ID" = ?', [tid]).fetchall() == [
        ("2025-01-02",)
    ]
    assert con.execute(
        'select "ASCTDT"::VARCHAR from raw.sct where "TRANSFER_ID" = ? and "SUBJID" = \'FA14-002\'',
        [tid],
    ).fetchall() == [("2024-12-03",)]


def test_malformed_row_keeps_raw_text(faults) -> None:
    cases, con, *_ = faults
    tid = cases["malformed_csv_row"].transfer_id
    value, record = con.execute(
        'select "VALUE", "RECORD"::VARCHAR from raw.quarantine where "TRANSFER_ID" = ? '
        "and \"FORM\" = 'fu'",
        [tid],
    ).fetchone()
    assert value == "FA13,FA13-001,2025-12-30,ALIVE,EXTRA_FIELD"
    assert "EXTRA_FIELD" in record
    # The good row after the malformed one keeps its own file row number (5, not 4).
    assert con.execute(
        'select "ROWNUM" from raw.fu where "TRANSFER_ID" = ? and "FUDT" = DATE \'2025-12-30\'',
        [tid],
    ).fetchall() == [(5,)]


def test_glob_folder_loads_its_own_file(faults) -> None:
    """Issue 27, 1: `FA17_2026033[1]T0800` loaded the rows of `FA17_20260331T0800` (DuckDB's
    read_csv took the name as a glob). Its own ae.csv has GLOBMARKER in row 1."""
    cases, con, *_ = faults
    case = cases["glob_folder_name"]
    (record,) = con.execute(
        'select "RECORD"->>\'AETERM\' from raw.quarantine where "TRANSFER_ID" = ?',
        [case.transfer_id],
    ).fetchone()
    assert record == "GLOBMARKER"
    rows = con.execute(
        'select count(*) from raw.ae where "TRANSFER_ID" = ? and "AETERM" = \'GLOBMARKER\'',
        [case.baseline_delivery],
    ).fetchone()[0]
    assert rows == 0


def test_no_nul_byte_reaches_a_raw_table(faults) -> None:
    """Issue 27, 2: a NUL byte in AETERM loaded and broke the transport-file export later."""
    _, con, *_ = faults
    for form in FORMS:
        text = [
            c
            for c, t in con.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = 'raw' and table_name = ?",
                [form],
            ).fetchall()
            if t == "VARCHAR"
        ]
        hits = con.execute(
            f"select count(*) from raw.{form} where "
            + " or ".join(f'contains("{c}", chr(0))' for c in text)
        ).fetchone()[0]
        assert hits == 0, form


def test_oversize_field_is_kept_whole_in_quarantine(faults) -> None:
    """Issue 27, 3: the 10 MB field is quarantined, nothing of it is cut (RECORD keeps it)."""
    from dagster_project.lib.synthetic.faults import OVERSIZE_FIELD_BYTES

    cases, con, *_ = faults
    (line,) = con.execute(
        'select "RECORD"->>\'CSV_LINE\' from raw.quarantine where "TRANSFER_ID" = ?',
        [cases["oversize_field"].transfer_id],
    ).fetchone()
    # valid_frames: ae row 1 is FA21-002's AE 1; DuckDB's own copy of the line stops at 10,000.
    assert line.startswith('FA21,FA21-002,1,"Nausea, xxx')
    assert line.endswith(
        '",Febrile neutropenia,Blood and lymphatic system disorders,'
        "2025-04,,3,Y,ISATUXIMAB,DRUG INTERRUPTED,N"
    )
    assert len(line) > OVERSIZE_FIELD_BYTES


def test_extra_column_is_kept_in_raw(faults) -> None:
    cases, con, *_ = faults
    extras = con.execute(
        'select distinct "EXTRA"->>\'PATIENT_NAME\' from raw.ae where "TRANSFER_ID" = ?',
        [cases["extra_column"].transfer_id],
    ).fetchall()
    assert extras == [("Jane EXTRAMARKER Doe",)]
    # The column's name (never its value) is listed for the finding and the scrub.
    assert con.execute(
        'select "TRANSFER_ID", "FORM", "COLUMN" from raw.extra_columns order by all'
    ).fetchall() == [(cases["extra_column"].transfer_id, "ae", "PATIENT_NAME")]


def test_rerun_is_a_no_op(faults) -> None:
    _, con, summary, landing = faults
    tables = ["transfers", "quarantine", "deletions", "extra_columns", *FORMS]
    before = {t: con.execute(f"select count(*) from raw.{t}").fetchone()[0] for t in tables}
    again = ingest_landing(con, landing)
    assert again.registered == []
    assert len(again.skipped) == len(summary.registered) == 41
    assert {t: con.execute(f"select count(*) from raw.{t}").fetchone()[0] for t in tables} == before


def test_summary_rows_describe_each_delivery(faults) -> None:
    cases, _, summary, _ = faults
    row = next(r for r in summary.registered if r["delivery"] == cases["impossible_date"].delivery)
    assert row["status"] == "LOADED" and row["site_id"] == "FA10"
    assert row["forms"]["ex"] == {
        "rows_in": 12,
        "rows_loaded": 11,
        "rows_quarantined": 1,
        "rows_malformed": 0,
        "deletions": 0,
    }
    assert row["rows_in"] == row["rows_loaded"] + row["rows_quarantined"]
    assert set(row["files_sha256"]) == {f"{f}.csv" for f in FORMS}


# --------------------------------------------------------------------------- ordering, deletions


def test_deletions_against_previous_loaded_transfer(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    first = valid_frames("IT01")
    later = frames_without(first, "ae", lambda f: f["SUBJID"] == "IT01-002")
    later = frames_without(
        later, "lb", lambda f: (f["SUBJID"] == "IT01-003") & (f["LBTESTCD"] == "KAPPA")
    )
    # Folder names sort against time order: processing must follow extract_datetime.
    write_transfer(landing, "IT01", "2026-01-31T08:00:00Z", first, transfer_id="IT01_b")
    write_transfer(landing, "IT01", "2026-03-31T08:00:00Z", later, transfer_id="IT01_a")
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    summary = ingest_landing(con, landing)
    assert [r["transfer_id"] for r in summary.registered] == ["IT01_b", "IT01_a"]
    assert con.execute("select * from raw.deletions order by 2").fetchall() == [
        ("IT01", "ae", "IT01-002|1", "IT01_b", "IT01_a"),
        ("IT01", "lb", "IT01-003|KAPPA|2025-03-13", "IT01_b", "IT01_a"),
    ]
    assert summary.registered[1]["rows_deleted"] == 2


def test_deletions_of_a_chain_of_transfers_in_one_batch(tmp_path: Path) -> None:
    """Three transfers of one site loaded in one ingest (one batch, clean files: the prescan
    path), the middle one both the first one's successor and the last one's baseline, and a
    second site's pair: every deletion and every count in the summary."""
    landing = tmp_path / "landing"
    first = valid_frames("IT01")
    second = frames_without(first, "ae", lambda f: f["SUBJID"] == "IT01-002")
    third = frames_without(second, "enr", lambda f: f["SUBJID"] == "IT01-003")
    third = frames_without(third, "dm", lambda f: f["SUBJID"] == "IT01-003")
    write_transfer(landing, "IT01", "2026-01-31T08:00:00Z", first, transfer_id="IT01_1")
    write_transfer(landing, "IT01", "2026-02-28T08:00:00Z", second, transfer_id="IT01_2")
    write_transfer(landing, "IT01", "2026-03-31T08:00:00Z", third, transfer_id="IT01_3")
    other = valid_frames("IT02")
    write_transfer(landing, "IT02", "2026-01-31T09:00:00Z", other, transfer_id="IT02_1")
    write_transfer(
        landing,
        "IT02",
        "2026-03-31T09:00:00Z",
        frames_without(other, "dm", lambda f: f["SUBJID"] == "IT02-001"),
        transfer_id="IT02_2",
    )
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    summary = ingest_landing(con, landing, lanes=1)
    assert con.execute("select * from raw.deletions order by all").fetchall() == [
        ("IT01", "ae", "IT01-002|1", "IT01_1", "IT01_2"),
        ("IT01", "dm", "IT01-003", "IT01_2", "IT01_3"),
        ("IT01", "enr", "IT01-003", "IT01_2", "IT01_3"),
        ("IT02", "dm", "IT02-001", "IT02_1", "IT02_2"),
    ]
    deleted = {
        r["transfer_id"]: (
            r["rows_deleted"],
            r["forms"]["ae"]["deletions"],
            r["forms"]["dm"]["deletions"],
            r["forms"]["enr"]["deletions"],
        )
        for r in summary.registered
    }
    assert deleted == {
        "IT01_1": (0, 0, 0, 0),
        "IT02_1": (0, 0, 0, 0),
        "IT01_2": (1, 1, 0, 0),
        "IT01_3": (2, 0, 1, 1),
        "IT02_2": (1, 0, 1, 0),
    }


def test_quarantined_record_is_not_a_deletion(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    first = valid_frames("IT01")
    later = {k: v.copy() for k, v in first.items()}
    later["dm"].loc[0, "SEX"] = "X"  # IT01-001 still sent, but quarantined
    write_transfer(landing, "IT01", "2026-01-31T08:00:00Z", first)
    write_transfer(landing, "IT01", "2026-03-31T08:00:00Z", later)
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    ingest_landing(con, landing)
    assert con.execute("select count(*) from raw.deletions").fetchone()[0] == 0
    assert con.execute('select "REASON" from raw.quarantine').fetchall() == [
        ("IT01_20260331T0800 dm.csv row 1 SEX: unknown code 'X' (expected one of M, F)",)
    ]


def test_a_transfer_arriving_after_a_newer_one_gives_the_deletions_of_extract_order(
    tmp_path: Path,
) -> None:
    """site_extracts.md: a record that disappears in a newer transfer is a deletion there. The
    site's February extract arrives after its March one was loaded (found by fuzzing: its
    records the March one no longer holds were never listed, and the January-to-March
    deletions stayed as they were). raw.deletions now equals what one ingest of the three in
    extract order records: January -> February dm IT01-003; February -> March the AE that
    only February held and IT01-002's KAPPA. IT01-001's dm record, quarantined in March, is
    still sent: no deletion."""
    first = valid_frames("IT01")
    february = frames_without(first, "dm", lambda f: f["SUBJID"] == "IT01-003")
    february["ae"] = pd.concat(
        [february["ae"], february["ae"].iloc[[0]].assign(AESPID="99")], ignore_index=True
    )
    march = frames_without(first, "dm", lambda f: f["SUBJID"] == "IT01-003")
    march = frames_without(
        march, "lb", lambda f: (f["SUBJID"] == "IT01-002") & (f["LBTESTCD"] == "KAPPA")
    )
    march["dm"].loc[march["dm"]["SUBJID"] == "IT01-001", "SEX"] = "X"
    transfers = [
        ("2026-01-31T08:00:00Z", first),
        ("2026-03-31T08:00:00Z", march),
        ("2026-02-28T08:00:00Z", february),
    ]

    def deletions(arrivals: list[list[int]]) -> list[tuple]:
        landing = tmp_path / f"landing{len(arrivals)}"
        con = duckdb.connect(str(tmp_path / f"w{len(arrivals)}.duckdb"))
        for batch in arrivals:
            for i in batch:
                write_transfer(landing, "IT01", *transfers[i])
            ingest_landing(con, landing)
        return con.execute('select * exclude ("SITEID") from raw.deletions order by all').fetchall()

    in_extract_order = deletions([[0, 1, 2]])
    assert in_extract_order == [
        ("ae", "IT01-002|99", "IT01_20260228T0800", "IT01_20260331T0800"),
        ("dm", "IT01-003", "IT01_20260131T0800", "IT01_20260228T0800"),
        ("lb", "IT01-002|KAPPA|2025-03-12", "IT01_20260228T0800", "IT01_20260331T0800"),
    ]
    assert deletions([[0, 1], [2]]) == in_extract_order


def test_a_file_whose_records_end_in_more_than_one_way_loads(tmp_path: Path) -> None:
    """One CRLF line in an LF file stops DuckDB's reader, which refused the whole transfer
    (found by fuzzing: "cannot be parsed as CSV ... state machine reached an invalid state"),
    though Python's csv module splits every record. site_extracts.md refuses a transfer only
    for a file that cannot be parsed at all: the transfer loads every record with the values
    as sent (a CRLF inside a quoted AETERM stays in it), and its REASON says how it was read."""
    landing = tmp_path / "landing"
    folder = write_transfer(landing, "IT01", "2026-01-31T08:00:00Z", valid_frames("IT01"))
    fu, ae = folder / "fu.csv", folder / "ae.csv"
    lines = fu.read_bytes().split(b"\n")
    lines[2] += b"\r"  # the second record ends in CRLF
    fu.write_bytes(b"\n".join(lines))
    ae.write_bytes(ae.read_bytes().replace(b"Neutropenia, febrile", b"Neutropenia,\r\nfebrile", 1))
    write_manifest(folder, build_manifest(folder, "IT01", folder.name, "2026-01-31T08:00:00Z"))
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    (row,) = ingest_landing(con, landing).registered
    assert row["status"] == "LOADED", row["reason"]
    assert row["reason"] == (
        "fu.csv: its records end in LF and CRLF; read as Python's csv module splits them "
        "(the values as sent)"
    )
    assert row["forms"]["fu"]["rows_loaded"] == row["forms"]["fu"]["rows_in"] == 3
    assert con.execute('select "FUSTAT" from raw.fu').fetchall() == [("ALIVE",)] * 3
    assert con.execute('select "AETERM" from raw.ae').fetchall() == [("Neutropenia,\r\nfebrile",)]
    assert con.execute("select count(*) from raw.quarantine").fetchone()[0] == 0


def test_a_record_quarantined_as_malformed_is_not_a_deletion(tmp_path: Path) -> None:
    """The reader sets aside a record it cannot split or decode (quarantined whole, as malformed
    CSV); the site still sends it, so it is no deletion at the site: its key is read from the
    record's text. Found by fuzzing: an AETERM with bytes that are not UTF-8, or a record with
    one field too many, was quarantined and also listed in raw.deletions (and on the quality
    page) as deleted. A record the later transfer really drops still is a deletion."""
    landing = tmp_path / "landing"
    first = valid_frames("IT01")
    write_transfer(landing, "IT01", "2026-01-31T08:00:00Z", first)
    later = write_transfer(landing, "IT01", "2026-03-31T08:00:00Z", first)
    ae, dm = later / "ae.csv", later / "dm.csv"
    ae.write_bytes(ae.read_bytes().replace(b"Neutropenia", b"Neutro\xff\xfepenia", 1))
    lines = dm.read_bytes().split(b"\n")
    lines[1] += b",one field too many"  # IT01-001
    del lines[3]  # IT01-003: deleted at the site
    dm.write_bytes(b"\n".join(lines))
    manifest = build_manifest(later, "IT01", later.name, "2026-03-31T08:00:00Z")
    write_manifest(later, manifest)
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    ingest_landing(con, landing)
    quarantined = con.execute('select "FORM", "ROWNUM" from raw.quarantine order by all').fetchall()
    assert quarantined == [("ae", 1), ("dm", 1)]
    assert con.execute('select "FORM", "RECORD_KEY" from raw.deletions').fetchall() == [
        ("dm", "IT01-003")
    ]


def _crash_on_lb(monkeypatch, site: str = "") -> None:
    """lb of `site`'s transfers raises, whichever way it loads (file by file or prescanned)."""
    for name in ("load_form", "load_prescanned"):
        real = getattr(raw_load, name)

        def crash(con, form, source, transfer_id, *args, _real=real, **kwargs):
            if form.name == "lb" and transfer_id.startswith(site):
                raise RuntimeError("disk full")
            return _real(con, form, source, transfer_id, *args, **kwargs)

        monkeypatch.setattr(raw_load, name, crash)


def test_crash_mid_transfer_leaves_nothing(tmp_path: Path, monkeypatch) -> None:
    landing = tmp_path / "landing"
    write_transfer(landing, "IT01", "2026-01-31T08:00:00Z", valid_frames("IT01"))
    _crash_on_lb(monkeypatch)
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    with pytest.raises(RuntimeError, match="disk full"):
        ingest_landing(con, landing)
    for table in ["transfers", "quarantine", "dm", "ex"]:
        assert con.execute(f"select count(*) from raw.{table}").fetchone()[0] == 0
    monkeypatch.undo()
    assert [r["status"] for r in ingest_landing(con, landing).registered] == ["LOADED"]
    assert con.execute("select count(*) from raw.dm").fetchone()[0] == 3


def test_refused_transfer_keeps_earlier_forms_out(tmp_path: Path) -> None:
    """nt is the last form: dm..fu of the transfer were inserted, then rolled back."""
    landing = tmp_path / "landing"
    frames = valid_frames("IT01")
    frames["nt"] = frames["nt"].drop(columns=["NTREG"])
    write_transfer(landing, "IT01", "2026-01-31T08:00:00Z", frames)
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    (row,) = ingest_landing(con, landing).registered
    assert row["status"] == "REFUSED"
    assert row["reason"] == ("IT01_20260131T0800: nt.csv refused: missing required column(s) NTREG")
    assert sum(con.execute(f"select count(*) from raw.{f}").fetchone()[0] for f in FORMS) == 0


# --------------------------------------------------------------------------- lanes


def _delivery(folder: str, site: str | None, tid: str | None, rows: int):
    from dagster_project.lib.ingest.landing import Delivery, FileEntry

    files = {"dm.csv": FileEntry("dm.csv", Path(folder) / "dm.csv", "0" * 64, rows)}
    return Delivery(Path(folder), transfer_id=tid, site_id=site, files=files)


def test_lanes_keep_sites_and_transfer_ids_together_in_order() -> None:
    from dagster_project.lib.ingest.ingestion import split_lanes

    ds = [
        _delivery("IT01_a", "IT01", "IT01_a", 100),  # 0
        _delivery("FR02_a", "FR02", "FR02_a", 10),  # 1
        _delivery("ES03_a", "ES03", "ES03_a", 50),  # 2
        _delivery("IT01_b", "IT01", "IT01_b", 100),  # 3
        _delivery("XX99_z", "XX99", "FR02_a", 1),  # 4: reuses FR02's transfer_id
        _delivery("broken", None, None, 0),  # 5: unreadable manifest
        _delivery("FR02_b", "FR02", "FR02_b", 10),  # 6
    ]
    lanes = split_lanes(ds, 2)
    # IT01 (200 rows) alone; FR02 with the delivery sharing its transfer_id, ES03, broken.
    assert lanes == [[0, 3], [1, 2, 4, 5, 6]]
    assert split_lanes(ds, 1) == [list(range(7))]
    assert split_lanes([], 2) == []


def test_crash_in_one_lane_leaves_nothing_of_its_transfer(tmp_path: Path, monkeypatch) -> None:
    """Two sites, two lanes: IT01's load crashes; FR02's transfer (the other lane) is whole in
    raw.*, nothing of IT01's is, and the next ingest loads IT01 alone."""
    landing = tmp_path / "landing"
    write_transfer(landing, "IT01", "2026-01-31T08:00:00Z", valid_frames("IT01"))
    write_transfer(landing, "FR02", "2026-01-31T08:00:00Z", valid_frames("FR02"))
    _crash_on_lb(monkeypatch, "IT01")
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    with pytest.raises(RuntimeError, match="disk full"):
        ingest_landing(con, landing, lanes=2)
    assert con.execute("select SITEID, STATUS from raw.transfers").fetchall() == [
        ("FR02", "LOADED")
    ]
    assert con.execute("select distinct SITEID from raw.dm").fetchall() == [("FR02",)]
    monkeypatch.undo()
    again = ingest_landing(con, landing, lanes=2)
    assert [(r["site_id"], r["status"]) for r in again.registered] == [("IT01", "LOADED")]


@pytest.mark.parametrize("lanes", [1, 2])
def test_each_delivery_reported_as_it_is_registered(tmp_path, lanes):
    """`isadex run` prints a line per transfer while ingesting (progress.py): on_registered gets
    every registered row, from whichever lane loads it."""
    landing = tmp_path / "landing"
    for site in ("IT01", "IT02"):
        for n, when in enumerate(["2026-01-31T08:00:00Z", "2026-03-31T08:00:00Z"], 1):
            write_transfer(landing, site, when, valid_frames(site), transfer_id=f"{site}_{n}")
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    seen: list[dict] = []
    summary = ingest_landing(con, landing, lanes=lanes, on_registered=seen.append)
    con.close()
    assert len(seen) == 4
    assert sorted(r["transfer_id"] for r in seen) == ["IT01_1", "IT01_2", "IT02_1", "IT02_2"]
    assert {r["transfer_id"]: r["status"] for r in seen} == {
        r["transfer_id"]: r["status"] for r in summary.registered
    }


@pytest.mark.parametrize("lanes", [1, 2])
def test_unparseable_file_refuses_only_its_transfer(tmp_path: Path, lanes: int) -> None:
    """Issue 27, 3: a file DuckDB cannot parse at all aborted the lane's transaction and the
    run. Now its transfer is REFUSED and every other delivery of the batch loads whole,
    whether it came before or after it, prescanned or not."""
    from dagster_project.lib.synthetic.faults import UNPARSEABLE_BODY

    landing = tmp_path / "landing"
    write_transfer(landing, "IT01", "2026-01-31T08:00:00Z", valid_frames("IT01"))
    bad = write_transfer(landing, "IT01", "2026-02-28T08:00:00Z", valid_frames("IT01"))
    write_transfer(landing, "FR02", "2026-03-31T08:00:00Z", valid_frames("FR02"))
    write_transfer(landing, "IT01", "2026-03-31T08:00:00Z", valid_frames("IT01"))
    (bad / "lb.csv").write_bytes((bad / "lb.csv").read_bytes() + UNPARSEABLE_BODY)
    from dagster_project.lib.synthetic.transfer_writer import build_manifest, write_manifest

    write_manifest(bad, build_manifest(bad, "IT01", bad.name, "2026-02-28T08:00:00Z"))
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    summary = ingest_landing(con, landing, lanes=lanes)
    assert [(r["transfer_id"], r["status"]) for r in summary.registered] == [
        ("IT01_20260131T0800", "LOADED"),
        ("IT01_20260228T0800", "REFUSED"),
        ("FR02_20260331T0800", "LOADED"),
        ("IT01_20260331T0800", "LOADED"),
    ]
    assert summary.registered[1]["reason"].startswith(
        "IT01_20260228T0800: lb.csv refused: it cannot be parsed as CSV"
    )
    per_transfer = con.execute(
        'select "TRANSFER_ID", count(*) from raw.lb group by 1 order by 1'
    ).fetchall()
    assert per_transfer == [
        ("FR02_20260331T0800", 9),
        ("IT01_20260131T0800", 9),
        ("IT01_20260331T0800", 9),
    ]
    # The March transfer's deletions are judged against January's, the last one LOADED.
    assert con.execute("select count(*) from raw.deletions").fetchone()[0] == 0
    assert con.execute("select count(*) from raw.transfers").fetchone()[0] == 4
