"""raw_prescan: many files typed in one statement, and the clean ones loaded from it.

The fast path must change no stored value: the same landing zone ingested with
and without it gives identical raw.* tables, row for row (every fault of the
contract, a BOM, reordered and extra columns, and a generated trial with
deletions between transfers included).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from dagster_project.lib.ingest import ingestion
from dagster_project.lib.ingest.contract import FORMS
from dagster_project.lib.ingest.ingestion import ingest_landing
from dagster_project.lib.ingest.raw_prescan import FormFile, drop_prescan, prescan
from dagster_project.lib.synthetic.faults import valid_frames, write_all_faults
from dagster_project.lib.synthetic.transfer_writer import write_transfer
from tests.conftest import write_numbered_lb

WHEN = "2026-03-31T08:00:00Z"


def _files(folder: Path, site: str, rows: dict[str, int] | None = None) -> list[FormFile]:
    """FormFiles of a written transfer; manifest rows = data lines unless overridden."""
    out = []
    for name in FORMS:
        path = folder / f"{name}.csv"
        n = len(pd.read_csv(path, dtype=str, keep_default_na=False))
        out.append(FormFile(name, path, site, (rows or {}).get(name, n)))
    return out


def test_every_form_of_a_valid_transfer_is_clean(tmp_path: Path) -> None:
    folder = write_transfer(tmp_path, "IT01", WHEN, valid_frames("IT01"))
    con = duckdb.connect()
    clean = prescan(con, _files(folder, "IT01"))
    assert sorted(p.name for p in clean) == sorted(f"{n}.csv" for n in FORMS)
    drop_prescan(con)
    left = con.execute("select count(*) from duckdb_tables() where temporary").fetchone()[0]
    assert left == 0


@pytest.mark.parametrize(
    ("form", "change", "why"),
    [
        ("dm", lambda f: f["dm"].__setitem__("WEIGHT", ["72", "7 2", "70"]), "bad value"),
        ("ex", lambda f: f["ex"].__setitem__("EXSTDT", "2025-2-1"), "date shape"),
        ("dm", lambda f: f["dm"].__setitem__("SITEID", ["IT01", "IT02", "IT01"]), "other site"),
        ("dm", lambda f: f["dm"].__setitem__("SUBJID", "IT01-001"), "duplicate key"),
        ("dm", lambda f: f["dm"].__setitem__("SEX", ["F", "X", "F"]), "unknown code"),
    ],
)
def test_a_file_with_any_problem_is_not_clean(tmp_path: Path, form, change, why) -> None:
    frames = valid_frames("IT01")
    change(frames)
    folder = write_transfer(tmp_path, "IT01", WHEN, frames)
    clean = prescan(duckdb.connect(), _files(folder, "IT01"))
    assert folder / f"{form}.csv" not in clean, why
    assert len(clean) == len(FORMS) - 1, why


def test_malformed_record_or_wrong_manifest_count_is_not_clean(tmp_path: Path) -> None:
    folder = write_transfer(tmp_path, "IT01", WHEN, valid_frames("IT01"))
    ae = folder / "ae.csv"
    ae.write_text(ae.read_text().rstrip("\n") + ",surplus\n")
    files = _files(folder, "IT01", rows={"lb": 999})
    clean = prescan(duckdb.connect(), files)
    assert folder / "ae.csv" not in clean
    assert folder / "lb.csv" not in clean
    assert len(clean) == len(FORMS) - 2


def test_row_order_across_many_large_files_read_by_several_threads(tmp_path: Path) -> None:
    """ROWNUM from one numbering of the whole read: files of 0 to 400,000 rows, 4 threads.

    LBORRES carries each row's number in its file, so every loaded row must
    have ROWNUM = LBORRES.
    """
    sizes = [400_000, 0, 1, 150_000, 7, 400_000, 3]
    files = []
    for k, n in enumerate(sizes):
        site = f"IT{k + 1:02d}"
        path = tmp_path / f"lb_{k}.csv"
        write_numbered_lb(path, site, n)
        files.append(FormFile("lb", path, site, n))
    con = duckdb.connect(str(tmp_path / "w.duckdb"), config={"threads": 4})
    ingestion.ensure_raw_schema(con)
    clean = prescan(con, files)
    assert len(clean) == len(files)
    from dagster_project.lib.ingest.raw_load import load_prescanned

    for k, f in enumerate(files):
        load_prescanned(con, FORMS["lb"], clean[f.path], f"T{k}", "IT01")
    got = con.execute(
        'select "TRANSFER_ID", count(*), count(*) filter (where "ROWNUM" <> "LBORRES"::BIGINT) '
        "from raw.lb group by 1 order by 1"
    ).fetchall()
    assert got == [(f"T{k}", n, 0) for k, n in enumerate(sizes) if n]


def _landing_with_everything(root: Path, synthetic_landing: Path) -> Path:
    landing = root / "landing"
    shutil.copytree(synthetic_landing, landing)
    write_all_faults(landing)
    frames = valid_frames("IT01")
    dm = frames["dm"]
    frames["dm"] = dm[list(reversed(dm.columns))].assign(COMMENT=["a", "", "c, d"])
    folder = write_transfer(landing, "IT01", WHEN, frames)
    dm_csv = folder / "dm.csv"
    dm_csv.write_bytes(b"\xef\xbb\xbf" + dm_csv.read_bytes())
    # The manifest's checksum is of the file as written; recompute it for the BOM.
    from dagster_project.lib.synthetic.transfer_writer import build_manifest, write_manifest

    write_manifest(folder, build_manifest(folder, "IT01", folder.name, WHEN))
    return landing


def _dump(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple]]:
    tables = [*FORMS, "quarantine", "deletions", "extra_columns"]
    out = {t: sorted(con.execute(f"select * from raw.{t}").fetchall(), key=repr) for t in tables}
    out["transfers"] = sorted(
        con.execute('select * exclude ("REGISTERED_AT") from raw.transfers').fetchall(),
        key=repr,
    )
    return out


def test_fast_path_changes_no_stored_value(tmp_path: Path, synthetic_landing: Path, monkeypatch):
    landing = _landing_with_everything(tmp_path, synthetic_landing)
    fast = duckdb.connect(str(tmp_path / "fast.duckdb"))
    fast_summary = ingest_landing(fast, landing)

    monkeypatch.setattr(ingestion, "prescan", lambda con, files: {})
    slow = duckdb.connect(str(tmp_path / "slow.duckdb"))
    slow_summary = ingest_landing(slow, landing)

    got, want = _dump(fast), _dump(slow)
    for table in want:
        assert got[table] == want[table], table
    assert sum(len(v) for v in want.values()) > 10_000
    assert want["quarantine"] and want["deletions"], "the comparison must cover both"
    strip = [{k: v for k, v in r.items() if k != "seconds"} for r in fast_summary.registered]
    assert strip == [
        {k: v for k, v in r.items() if k != "seconds"} for r in slow_summary.registered
    ]
