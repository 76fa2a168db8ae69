"""One landing zone ingested two ways gives the same raw.* tables, row for row.

The prescan fast path must change no stored value: the same landing zone ingested with and
without it gives identical raw.* tables (every fault of the contract, a BOM, reordered and
extra columns, and a generated trial with deletions between transfers included). Two lanes
load exactly what one lane loads. Each test ingests a whole landing zone twice, so they are
here rather than with the tests of single files and rules (tests/unit/test_raw_prescan.py,
tests/unit/test_ingestion.py).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from dagster_project.lib.ingest import ingestion
from dagster_project.lib.ingest.contract import FORMS
from dagster_project.lib.ingest.ingestion import ingest_landing
from dagster_project.lib.synthetic.faults import valid_frames, write_all_faults
from dagster_project.lib.synthetic.transfer_writer import write_transfer
from tests.conftest import frames_without

WHEN = "2026-03-31T08:00:00Z"


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


def test_two_lanes_load_exactly_what_one_lane_loads(tmp_path: Path) -> None:
    """Same raw tables, quarantine, deletions and registration order, row for row."""
    landing = tmp_path / "landing"
    write_all_faults(landing)
    for site, when in [("IT01", "2026-01-31T08:00:00Z"), ("IT01", "2026-03-31T08:00:00Z")]:
        frames = valid_frames(site)
        if when.startswith("2026-03"):
            frames = frames_without(frames, "ae", lambda f: f["SUBJID"] == "IT01-002")
        write_transfer(landing, site, when, frames)
    outcomes = []
    for lanes in (1, 2):
        con = duckdb.connect(str(tmp_path / f"w{lanes}.duckdb"))
        summary = ingest_landing(con, landing, lanes=lanes)
        tables = {
            t: con.execute(f"select * exclude (REGISTERED_AT) from raw.{t} order by all").fetchall()
            if t == "transfers"
            else con.execute(f"select * from raw.{t} order by all").fetchall()
            for t in ["transfers", "quarantine", "deletions", "extra_columns", *FORMS]
        }
        registered = [{k: v for k, v in r.items() if k != "seconds"} for r in summary.registered]
        outcomes.append((tables, registered))
        con.close()
    assert outcomes[0] == outcomes[1]
    assert len(outcomes[0][1]) == 43 and outcomes[0][0]["deletions"]
