"""The command line's value checks (lib/runtime/arguments.py): each wrong value is refused
with one line
saying why, before anything starts."""

import json
from argparse import ArgumentTypeError
from datetime import datetime

import duckdb
import pytest

from dagster_project.lib.runtime import arguments


@pytest.mark.parametrize("text", ["2026-10-31", "2024-02-29"])
def test_calendar_date_takes_a_real_day(text):
    assert arguments.calendar_date(text) == text


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("2026-13-45", "not a calendar date"),
        ("2026-02-30", "not a calendar date"),
        ("2025-02-29", "not a calendar date"),
        ("20261031", "not a date YYYY-MM-DD"),
        ("31/10/2026", "not a date YYYY-MM-DD"),
        ("2026-10-31T00:00", "not a date YYYY-MM-DD"),
        ("", "not a date YYYY-MM-DD"),
    ],
)
def test_calendar_date_refuses(text, why):
    with pytest.raises(ArgumentTypeError, match=why):
        arguments.calendar_date(text)


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("2026-03-01T00:00:00", "2026-03-01T00:00:00"),
        ("2026-03-01 08:30", "2026-03-01T08:30:00"),
        ("2026-03-01", "2026-03-01T00:00:00"),
        ("2026-03-01T00:00:00Z", "2026-03-01T00:00:00"),
        ("2026-03-01T08:30:00.250+00:00", "2026-03-01T08:30:00.250000"),
        # ISO 8601's basic and week forms, which DuckDB's cast to timestamp refuses
        ("20260701T000000Z", "2026-07-01T00:00:00"),
        ("20260701", "2026-07-01T00:00:00"),
        ("2026-W27-3", "2026-07-01T00:00:00"),
    ],
)
def test_utc_datetime_takes_iso_times_in_utc_and_writes_them_as_duckdb_reads(text, written):
    """--as-of reaches the dbt models as `cast('<value>' as timestamp)`: every form Python reads
    is written the one way that cast reads, at the same instant (a basic-format value passed
    the check and failed the run 14 s in, found by fuzzing)."""
    assert arguments.utc_datetime(text) == written
    cast = duckdb.sql(f"select cast('{written}' as timestamp)").fetchone()[0]
    assert cast == datetime.fromisoformat(text).replace(tzinfo=None)


def test_utc_datetime_refuses_text_and_other_offsets():
    with pytest.raises(ArgumentTypeError, match="not an ISO date-time"):
        arguments.utc_datetime("yesterday")
    with pytest.raises(ArgumentTypeError, match="not an ISO date-time"):
        arguments.utc_datetime("2026-03-01T25:00:00")
    # DuckDB's cast would drop the offset: 00:00+02:00 would mean 00:00 UTC.
    with pytest.raises(ArgumentTypeError, match="in UTC"):
        arguments.utc_datetime("2026-03-01T00:00:00+02:00")


def test_positive_int():
    assert arguments.positive_int("20") == 20
    for text, why in [("0", "at least 1"), ("-3", "at least 1"), ("two", "not a whole number")]:
        with pytest.raises(ArgumentTypeError, match=why):
            arguments.positive_int(text)


def _transfer(landing, name="FR01_20260101T0800"):
    folder = landing / name
    folder.mkdir(parents=True)
    (folder / "manifest.json").write_text(json.dumps({"transfer_id": name}))
    return folder


def test_landing_folder_with_a_transfer(tmp_path):
    _transfer(tmp_path)
    assert arguments.landing_folder(str(tmp_path)) == tmp_path


def test_landing_folder_refusals(tmp_path):
    with pytest.raises(ArgumentTypeError, match=f"landing folder {tmp_path / 'no'} does not"):
        arguments.landing_folder(str(tmp_path / "no"))
    (tmp_path / "file").write_text("x")
    with pytest.raises(ArgumentTypeError, match="is not a folder"):
        arguments.landing_folder(str(tmp_path / "file"))
    empty = tmp_path / "empty"
    (empty / ".hidden").mkdir(parents=True)
    (empty / "notes.txt").write_text("a file is not a transfer")
    with pytest.raises(ArgumentTypeError, match=f"^no transfer in {empty}$"):
        arguments.landing_folder(str(empty))


def test_output_file_beside_a_folder_to_create(tmp_path):
    path = tmp_path / "new" / "deeper" / "warehouse.duckdb"
    assert arguments.output_file(str(path)) == path
    assert not (tmp_path / "new").exists()  # checked, not created


def test_output_file_refusals(tmp_path):
    (tmp_path / "plain").write_text("x")
    with pytest.raises(ArgumentTypeError, match=f"{tmp_path / 'plain'} is not a folder"):
        arguments.output_file(str(tmp_path / "plain" / "sub" / "warehouse.duckdb"))
    with pytest.raises(ArgumentTypeError, match="is a folder; give a file name"):
        arguments.output_file(str(tmp_path))


def test_output_file_in_a_folder_that_cannot_be_written(tmp_path, monkeypatch):
    # As root every folder is writable to os.access; the check is what is tested here.
    monkeypatch.setattr(arguments.os, "access", lambda path, mode: False)
    with pytest.raises(ArgumentTypeError, match=f"{tmp_path} cannot be written to"):
        arguments.output_file(str(tmp_path / "warehouse.duckdb"))
    with pytest.raises(ArgumentTypeError, match=f"cannot be created in {tmp_path}"):
        arguments.output_file(str(tmp_path / "new" / "warehouse.duckdb"))


def test_output_folder(tmp_path):
    assert arguments.output_folder(str(tmp_path / "report")) == tmp_path / "report"
    (tmp_path / "plain").write_text("x")
    with pytest.raises(ArgumentTypeError, match="is not a folder"):
        arguments.output_folder(str(tmp_path / "plain"))


def test_published_folder_checks_where_its_link_goes(tmp_path, monkeypatch):
    # The published report is read-only: only the folder its stable name is in is written.
    report = tmp_path / "report"
    report.mkdir(mode=0o555)
    assert arguments.published_folder(str(report)) == report
    (tmp_path / "plain").write_text("x")
    with pytest.raises(ArgumentTypeError, match="is not a folder"):
        arguments.published_folder(str(tmp_path / "plain"))
    monkeypatch.setattr(arguments.os, "access", lambda path, mode: False)
    with pytest.raises(ArgumentTypeError, match=f"{tmp_path} cannot be written to"):
        arguments.published_folder(str(report))
