"""The transport export asset on a small DuckDB file holding the conformant fixture package
(tests/fixtures/define_package.py, which the conformance check passes before publication): it
writes the whole package (.xpt files, define listing, define.xml), refuses a dataset transport
v5 cannot hold and publishes nothing when a file does not read back as written, wherever the
read-back runs. The writer and the listing themselves are tested without Dagster in
tests/unit/test_xpt_export.py."""

import json
import shutil
import types
from datetime import date

import dagster as dg
import duckdb
import pandas as pd
import pyreadstat
import pytest

from tests.fixtures import define_package

ADAM = ("adsl", "adrs", "adtte", "adae", "adex", "adlb")


def _asset_manifest(labelled: bool) -> dict:
    """The conformant fixture package's manifest (tests/fixtures/define_package.py); not
    labelled: ADEX without meta.label, so its label is its description's 58-character first
    sentence, which transport v5 cannot hold."""
    manifest = define_package.manifest()
    if not labelled:
        adex = manifest["nodes"]["model.isadex.adex"]
        adex["meta"].pop("label")
        adex["config"]["meta"].pop("label", None)
        adex["description"] = "ADEX: one row per treated subject x drug x phase, and more. Rest."
    return manifest


def _materialize(tmp_path, monkeypatch, labelled: bool):
    from dagster_project.defs.export import submission
    from dagster_project.defs.resources import Warehouse

    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps(_asset_manifest(labelled)))
    monkeypatch.setattr(submission, "dbt_project", types.SimpleNamespace(manifest_path=manifest))
    warehouse = Warehouse(
        landing=str(tmp_path / "landing"),
        warehouse=str(tmp_path / "wh.duckdb"),
        report_dir=str(tmp_path / "report"),
    )
    con = duckdb.connect(str(warehouse.settings.work_db))
    define_package.create_tables(con)
    con.close()
    result = dg.materialize(
        [submission.adam_xpt], resources={"warehouse": warehouse}, raise_on_error=False
    )
    return result, tmp_path / "wh.work.report" / "submission"


@pytest.fixture(params=["reader processes", "in this process"])
def read_back_where(request, monkeypatch):
    """The export's read-back (the conformance check's read) both ways: by the spawned reader
    processes (a large package) and in the exporting process (a small one,
    READER_PROCESSES_FROM_BYTES)."""
    from dagster_project.lib.export import conformance
    from dagster_project.lib.runtime import executors

    if request.param == "reader processes":
        monkeypatch.setattr(conformance, "READER_PROCESSES_FROM_BYTES", 0)
    else:
        monkeypatch.setattr(conformance, "READER_PROCESSES_FROM_BYTES", 10**15)
        monkeypatch.setattr(executors, "ProcessPoolExecutor", None)  # never started
    return request.param


def test_asset_writes_the_package(tmp_path, monkeypatch, read_back_where):
    result, folder = _materialize(tmp_path, monkeypatch, labelled=True)
    assert result.success
    assert sorted(p.name for p in folder.iterdir()) == [
        "adae.xpt", "adex.xpt", "adlb.xpt", "adrs.xpt", "adsl.xpt", "adtte.xpt", "define.csv",
        "define.json", "define.xml", "define2-1.xsl",
    ]  # fmt: skip
    metadata = result.get_asset_materialization_events()[0].materialization.metadata
    # The fixture's rows: 2 subjects; ADRS, ADTTE, ADEX 2 parameters each; 3 AEs, 3 labs.
    assert [metadata[f"{n}_xpt_rows"].value for n in ADAM] == [2, 4, 4, 3, 4, 3]
    assert metadata["dagster/row_count"].value == 20
    assert len(metadata["define_csv_sha256"].value) == 64
    assert len(metadata["define_xml_sha256"].value) == 64
    back, info = pyreadstat.read_xport(str(folder / "adtte.xpt"))
    assert info.table_name == "ADTTE"
    assert info.file_label == "Time-to-Event Analysis Dataset"
    assert back["ADT"].tolist() == [
        date(2025, 4, 23), date(2025, 4, 3), date(2025, 3, 15), date(2024, 9, 26),
    ]  # fmt: skip


def test_asset_refuses_and_writes_nothing(tmp_path, monkeypatch):
    result, folder = _materialize(tmp_path, monkeypatch, labelled=False)
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    message = failure.event_specific_data.error.message
    assert "dataset ADEX: label is 58 characters (max 40)" in message
    assert not folder.exists()


def _failure_with_a_faulty_file(tmp_path, monkeypatch, dataset: str, fault) -> str:
    """The run's failure message when ``dataset``'s file is written again from
    ``fault(frame)``, as a faulty writer would, while the export is told what it meant to
    write; nothing may be published."""
    from dagster_project.lib.export import package

    real = package.write_xpt_mapped

    def write_faulty(frame, path, metas, name, label):
        path, written = real(frame, path, metas, name, label)
        if name == dataset:
            real(fault(frame), path, metas, name, label)
        return path, written

    monkeypatch.setattr(package, "write_xpt_mapped", write_faulty)
    result, folder = _materialize(tmp_path, monkeypatch, labelled=True)
    assert not result.success
    assert not folder.exists()
    assert not folder.with_name("submission.partial").exists()
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    return failure.event_specific_data.error.message


def test_asset_fails_when_a_file_does_not_read_back_as_written(
    tmp_path, monkeypatch, read_back_where
):
    """Wherever the read-back runs (reader processes or this one), a difference fails the
    run, names the first differing value and publishes nothing: ADTTE's second date is a
    day later in the file."""

    def a_day_later(frame):
        faulty = frame.copy()
        faulty.loc[1, "ADT"] += pd.Timedelta(days=1)
        return faulty

    message = _failure_with_a_faulty_file(tmp_path, monkeypatch, "ADTTE", a_day_later)
    assert "adtte.xpt does not read back as written" in message
    assert "ADTTE.ADT: 1 value(s) differ (first row 2" in message


def test_asset_fails_when_a_file_holds_a_row_more_than_written(tmp_path, monkeypatch):
    """A file with a row more than the dataset (ADAE's last row twice) fails the run on the
    row count, before its duplicate key is reported, and publishes nothing."""
    message = _failure_with_a_faulty_file(
        tmp_path,
        monkeypatch,
        "ADAE",
        lambda frame: pd.concat([frame, frame.tail(1)], ignore_index=True),
    )
    assert "adae.xpt does not read back as written:\n- 4 rows, expected 3" in message
    assert "KEY-NOT-UNIQUE" not in message


def test_a_second_export_writes_every_file_whole_again(tmp_path, monkeypatch, fixed_clock):
    """No file is kept or patched from the previous package: a changed ADAE and an unchanged
    ADSL are both written whole and read back, and equal what a first export of the same rows
    writes (issue 28: transport files are written whole)."""
    from dagster_project.defs.export import submission
    from dagster_project.defs.resources import Warehouse

    _materialize(tmp_path, monkeypatch, labelled=True)
    con = duckdb.connect(str(tmp_path / "wh.work.duckdb"))
    con.execute("update adam.adae set AETERM = 'FATIGUE' where USUBJID = 'S-001' and AESEQ = 2")
    con.close()
    warehouse = Warehouse(landing=str(tmp_path / "landing"), warehouse=str(tmp_path / "wh.duckdb"))
    again = dg.materialize([submission.adam_xpt], resources={"warehouse": warehouse})
    assert again.success
    folder = tmp_path / "wh.work.report" / "submission"
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    shutil.copyfile(tmp_path / "wh.work.duckdb", fresh / "wh.work.duckdb")
    first = dg.materialize(
        [submission.adam_xpt],
        resources={"warehouse": Warehouse(landing=str(fresh), warehouse=str(fresh / "wh.duckdb"))},
    )
    assert first.success
    for name in [*(f"{n}.xpt" for n in ADAM), "define.csv", "define.json", "define.xml"]:
        assert (folder / name).read_bytes() == (
            fresh / "wh.work.report" / "submission" / name
        ).read_bytes(), name
