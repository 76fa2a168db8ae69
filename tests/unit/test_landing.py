"""Manifest and file verification (site_extracts.md, "Landing zone and transfers")."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path

import pytest

from dagster_project.lib.ingest.landing import (
    ManifestError,
    discover,
    open_delivery,
    parse_extract_datetime,
    stream_file,
    verify_files,
)
from dagster_project.lib.synthetic.faults import valid_frames
from dagster_project.lib.synthetic.transfer_writer import count_data_rows, write_transfer

WHEN = "2026-03-31T08:00:00Z"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return write_transfer(tmp_path / "landing", "IT01", WHEN, valid_frames("IT01"))


def _edit_manifest(folder: Path, **changes: object) -> None:
    path = folder / "manifest.json"
    m = json.loads(path.read_text())
    m.update(changes)
    path.write_text(json.dumps(m))


def test_stream_file_counts_rows_and_hashes(tmp_path: Path) -> None:
    plain = tmp_path / "plain.csv"
    plain.write_bytes(b"A,B\n1,2\n3,4\n5,6")  # no final newline: still 3 data rows
    quoted = tmp_path / "quoted.csv"
    quoted.write_bytes(b'A,B\n"x\ny",2\n"a,b",4\n')  # a line break inside a field
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    assert stream_file(plain) == (hashlib.sha256(plain.read_bytes()).hexdigest(), 3)
    assert stream_file(quoted)[1] == 2 == count_data_rows(quoted)
    assert stream_file(empty)[1] == 0


@pytest.mark.parametrize(
    ("text", "rows"),
    [
        (b"A,B\n1,2\n\n3,4\n", 2),  # a blank line inside
        (b"A,B\n1,2\n3,4\n\n\n", 2),  # blank lines at the end
        (b"A,B\r\n1,2\r\n\r\n3,4\r\n", 2),  # CRLF, a blank line
        (b"A,B\r1,2\r3,4\r", 2),  # CR alone ends a line
        (b"A,B\r\n1,2\r\n3,4", 2),  # CRLF, no final line end
        (b"A,B\n1,2\n3,4\n", 2),  # the plain case
    ],
)
def test_a_delivery_is_verified_against_its_data_rows(folder: Path, text: bytes, rows: int) -> None:
    """Blank lines are no rows and any line end ends a line: a manifest giving the data rows
    passes, one row fewer is refused. (One counting the blank lines as rows passes here, where
    it matches the line count, and is refused by the loader: test_raw_load.)"""
    path = folder / "rs.csv"
    path.write_bytes(text)
    m = json.loads((folder / "manifest.json").read_text())
    m["files"]["rs.csv"] = {"sha256": hashlib.sha256(text).hexdigest(), "rows": rows}
    (folder / "manifest.json").write_text(json.dumps(m))
    assert count_data_rows(path) == rows
    verify_files(open_delivery(folder)[0])
    m["files"]["rs.csv"]["rows"] = rows - 1
    (folder / "manifest.json").write_text(json.dumps(m))
    with pytest.raises(ManifestError, match=f"manifest says {rows - 1} rows, file has {rows}"):
        verify_files(open_delivery(folder)[0])


def test_valid_delivery_passes(folder: Path) -> None:
    d, reason = open_delivery(folder)
    assert reason is None
    verify_files(d)
    assert d.transfer_id == "IT01_20260331T0800" and d.site_id == "IT01"
    assert d.extract_datetime == datetime(2026, 3, 31, 8, 0)
    assert len(d.files) == 13 and d.files["enr.csv"].rows == 3


def test_discover_lists_folders_only(folder: Path) -> None:
    (folder.parent / "notes.txt").write_text("x")
    (folder.parent / ".staging").mkdir()
    assert discover(folder.parent) == [folder]
    assert discover(folder.parent / "absent") == []


def test_extract_datetime_is_normalised_to_utc() -> None:
    assert parse_extract_datetime("2026-03-31T10:00:00+02:00") == datetime(2026, 3, 31, 8, 0)
    assert parse_extract_datetime("2026-03-31T08:00:00") == datetime(2026, 3, 31, 8, 0)
    with pytest.raises(ValueError):
        parse_extract_datetime("31/03/2026 08:00")
    with pytest.raises(ValueError):
        parse_extract_datetime("2026-03-31")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"study_id": "OTHER"}, "wrong study"),
        ({"site_id": "IT1"}, "site_id 'IT1'"),
        ({"transfer_id": ""}, "transfer_id missing"),
        ({"extract_datetime": "yesterday"}, "extract_datetime 'yesterday'"),
        ({"files": []}, "files is not an object"),
    ],
)
def test_manifest_field_errors(folder: Path, change: dict, expected: str) -> None:
    _edit_manifest(folder, **change)
    _, reason = open_delivery(folder)
    assert reason is not None and expected in reason


def test_manifest_missing_and_unreadable(folder: Path) -> None:
    (folder / "manifest.json").write_text("not json")
    _, reason = open_delivery(folder)
    assert reason.startswith("IT01_20260331T0800: manifest unreadable")
    (folder / "manifest.json").unlink()
    _, reason = open_delivery(folder)
    assert reason == "IT01_20260331T0800: manifest missing (manifest.json not found)"


def test_every_form_file_must_be_listed(folder: Path) -> None:
    m = json.loads((folder / "manifest.json").read_text())
    del m["files"]["nt.csv"]
    _edit_manifest(folder, files=m["files"])
    _, reason = open_delivery(folder)
    assert "form files not listed: nt.csv" in reason


def test_listed_file_missing(folder: Path) -> None:
    (folder / "mrd.csv").unlink()
    d, reason = open_delivery(folder)
    assert reason is None
    with pytest.raises(ManifestError, match="mrd.csv listed in the manifest but missing"):
        verify_files(d)


def test_checksum_and_row_count_mismatch(folder: Path) -> None:
    m = json.loads((folder / "manifest.json").read_text())
    m["files"]["rs.csv"]["rows"] = 7
    _edit_manifest(folder, files=m["files"])
    d, _ = open_delivery(folder)
    with pytest.raises(
        ManifestError, match="row-count mismatch for rs.csv: manifest says 7 rows, file has 6"
    ):
        verify_files(d)
    (folder / "fu.csv").write_text((folder / "fu.csv").read_text().replace("ALIVE", "DEAD", 1))
    d, _ = open_delivery(folder)
    with pytest.raises(ManifestError, match="checksum mismatch for fu.csv"):
        verify_files(d)


def test_stream_file_counts_a_row_with_a_field_over_the_csv_reader_limit(tmp_path: Path) -> None:
    """Issue 27, 3: a 10 MB quoted field made row counting raise `_csv.Error: field larger
    than field limit (131072)`, and with it the whole run."""
    big = tmp_path / "ae.csv"
    big.write_text('A,B\n1,"' + "x, " * 3_500_000 + '"\n2,y\n', "utf-8")
    assert stream_file(big)[1] == 2


def test_a_listed_file_that_is_a_link_refuses_even_inside_the_folder(folder: Path) -> None:
    """Issue 27, 5: links loaded silently. Same bytes, same checksum: still refused."""
    (folder / "mrd.csv").rename(folder / "mrd_real.csv")
    (folder / "mrd.csv").symlink_to("mrd_real.csv")
    d, reason = open_delivery(folder)
    assert reason is None
    with pytest.raises(ManifestError, match="mrd.csv is a symbolic link"):
        verify_files(d)


def test_a_delivery_folder_that_is_a_link_refuses(folder: Path, tmp_path: Path) -> None:
    link = tmp_path / "landing2" / folder.name
    link.parent.mkdir()
    link.symlink_to(folder, target_is_directory=True)
    d, reason = open_delivery(link)
    assert reason is None
    with pytest.raises(ManifestError, match="delivery folder .* is a symbolic link"):
        verify_files(d)


def test_a_linked_manifest_is_refused_unread(folder: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.json"
    (folder / "manifest.json").rename(outside)
    (folder / "manifest.json").symlink_to(outside)
    d, reason = open_delivery(folder)
    assert reason == f"{folder.name}: manifest.json is a symbolic link; refused"
    assert d.manifest_sha256 is None
