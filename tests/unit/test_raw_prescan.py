"""raw_prescan: many files typed in one statement, and the clean ones loaded from it.

That the fast path changes no stored value, over a whole landing zone ingested with and
without it, is tested in tests/integration/test_ingestion_equivalence.py.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from dagster_project.lib.ingest import ingestion
from dagster_project.lib.ingest.contract import FORMS
from dagster_project.lib.ingest.raw_prescan import FormFile, drop_prescan, prescan
from dagster_project.lib.synthetic.faults import valid_frames
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
