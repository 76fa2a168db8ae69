"""The figure and report assets on a small DuckDB file: they write every PNG and the report,
and a second run keeps the figures whose input rows are unchanged. What the figures and the
report show is tested without Dagster in tests/unit/test_figures_report.py."""

import json
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd

from tests.fixtures.adam_stand_in import adam_as_found
from tests.fixtures.swimmer_adam import swimmer_frames

MANIFEST_SHA = "a" * 63 + "1"
FILE_SHA = "b" * 63 + "2"


def _write_warehouse(path: Path) -> None:
    """A minimal working warehouse: ADaM rows for 4 subjects, transfers, no endpoint tables
    except t01 (so the report must show the others as missing)."""
    adsl, adrs = swimmer_frames()
    adsl = adsl.assign(STUDYID="ISA-DEX-MM", SAFFL=["Y", "Y", ""], RESPFL=["Y", "Y", ""])
    # T12 / T14 columns (F04, F05): S-A in maintenance, S-B stopped for PD and died
    adsl = adsl.assign(
        ASCTFL=["Y", None, None],
        MNTFL=["Y", None, None],
        EOTSTT=["ONGOING", "DISCONTINUED", None],
        DCTREAS=[None, "PROGRESSIVE DISEASE", None],
        EOSSTT=["ONGOING", "DISCONTINUED", "ONGOING"],
        DCSREAS=[None, "DEATH", None],
        AGEGR1=["<65", ">=75", "<65"],
        SEX=["F", "M", "M"],
        ISS=["I", "III", "II"],
        HRCYTO=["N", "Y", "N"],
        MMTYPE=["IGG", "IGA", "IGG"],
        REIND=["KRD", "KD", "KRD"],
        MEASDIS=["SERUM", "FLC", None],
    )
    adtte = pd.DataFrame(
        [(u, p, aval, cnsr, "") for u in ("S-A", "S-B") for p, aval, cnsr in
         (("PFS", 366 if u == "S-A" else 79, 1 if u == "S-A" else 0),)]
        + [(u, p, 100.0, 3, "") for u in ("S-A", "S-B") for p in ("OS", "TTP", "TNT", "PFS2")]
        + [("S-A", "DOR", 300.0, 2, ""), ("S-B", "DOR", 50.0, 0, ""),
           ("S-A", "TTDISC", 350.0, 3, ""), ("S-B", "TTDISC", 80.0, 8, "Y")],
        columns=["USUBJID", "PARAMCD", "AVAL", "CNSR", "CMPEVFL"],
    )  # fmt: skip
    transfers = pd.DataFrame(
        {
            "TRANSFER_ID": ["S01-T001"],
            "DELIVERY": ["S01-T001"],
            "SITEID": ["01"],
            "STUDYID": ["ISA-DEX-MM"],
            "EXTRACT_DATETIME": pd.to_datetime(["2025-01-01 06:00"]),
            "STATUS": ["LOADED"],
            "REASON": [None],
            "MANIFEST_SHA256": [MANIFEST_SHA],
            "FILES_SHA256": [json.dumps({"dm.csv": FILE_SHA})],
        }
    )
    con = duckdb.connect(str(path))
    for schema in ("adam", "raw", "staging", "endpoints"):
        con.execute(f"create schema {schema}")
    tables = {
        "adam.adsl": adsl,
        "adam.adrs": adrs.assign(ADT=pd.to_datetime(adrs.ADT)),
        "adam.adtte": adtte,
        "raw.transfers": transfers,
        "endpoints.t01": pd.DataFrame({"Parameter": ["MRD12"], "n": ["1"]}),
    }
    for name, frame in tables.items():
        con.register("f", frame)
        con.execute(f"create table {name} as select * from f")
        con.unregister("f")
    con.execute(
        "create view staging.stg_transfers_in_force as select TRANSFER_ID as transfer_id, "
        "SITEID as site_id, EXTRACT_DATETIME as extract_datetime from raw.transfers"
    )
    con.execute(
        "create view staging.stg_data_cut as select date '2025-01-01' as cutoff_date, "
        "cast(null as timestamp) as as_of"
    )
    con.close()


def _figure_warehouse(tmp_path: Path):
    """A Warehouse resource over ``_write_warehouse``'s file, the report under tmp_path."""
    from dagster_project.defs.resources import Warehouse

    warehouse = Warehouse(
        landing=str(tmp_path / "landing"),
        warehouse=str(tmp_path / "wh.duckdb"),
        report_dir=str(tmp_path / "report"),
    )
    _write_warehouse(warehouse.settings.work_db)
    return warehouse


def test_assets_write_figures_and_report(tmp_path):
    from dagster_project.defs.endpoints.figures import (
        f01_km,
        f02_cif_discontinuation,
        f03_swimmer,
        f04_consort,
        f05_forest_mrd12,
    )
    from dagster_project.defs.endpoints.report import endpoint_report

    warehouse = _figure_warehouse(tmp_path)
    # a part of an earlier, longer swimmer plot: 2 ITT subjects now make one part, so it goes
    stale = tmp_path / "wh.work.report" / "figures" / "f03_swimmer_p2.png"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"part 2 of an earlier run")
    result = dg.materialize(
        [f01_km, f02_cif_discontinuation, f03_swimmer, f04_consort, f05_forest_mrd12]
        + [endpoint_report],
        resources={"warehouse": warehouse},
    )
    assert result.success
    figures = sorted(p.name for p in (tmp_path / "wh.work.report" / "figures").glob("*.png"))
    assert figures == sorted(
        [f"f01_km_{p}.png" for p in ("pfs", "os", "ttp", "tnt", "pfs2", "dor")]
        + ["f02_cif_discontinuation.png", "f03_swimmer.png"]
        + ["f04_consort.png", "f05_forest_mrd12.png"]
    )
    html = (tmp_path / "wh.work.report" / "report_20250101.html").read_text()
    assert html == (tmp_path / "wh.work.report" / "index.html").read_text()
    assert MANIFEST_SHA in html and "2025-01-01" in html
    assert "validation results not recorded" in html.lower()  # no quality.check_results
    assert "T02 is not available in this report: endpoints.t02 does not exist" in html
    assert html.count("data:image/png;base64,") == 10
    assert "F04" in html and "F05" in html
    metadata = _figure_results(result)
    # S-A, S-B in ITT and S-C not; S-A, S-B treated; S-A transplanted and in maintenance
    assert [metadata["f04_consort"][k].value for k in ("screened", "itt", "maintenance")] == [
        3,
        2,
        1,
    ]
    # MRD12: S-A negative (swimmer_frames), S-B without the row: 1 of 2
    assert metadata["f05_forest_mrd12"]["mrd12_negative"].value == 1
    assert metadata["f05_forest_mrd12"]["itt_subjects"].value == 2
    (report_mat,) = [
        e.materialization
        for e in result.get_asset_materialization_events()
        if e.asset_key == dg.AssetKey(["endpoints", "report"])
    ]
    assert report_mat.metadata["cutoff"].value == "2025-01-01"


def _figure_results(result) -> dict:
    return {
        e.asset_key.path[-1]: e.materialization.metadata
        for e in result.get_asset_materialization_events()
    }


def test_figures_with_unchanged_inputs_are_kept(tmp_path):
    """Second run on the same ADaM rows (same data versions, one Dagster instance): every PNG
    kept (same bytes, the first run's metadata, marked not recomputed). Then ADTTE changes:
    the figures drawn from ADTTE (F01, F02) are drawn again, the swimmer plot (ADSL, ADRS), the
    CONSORT flow (ADSL) and the forest plot (ADSL, ADRS) are kept; an altered
    PNG is drawn again (defs/reuse.py)."""
    from dagster_project.defs.endpoints.figures import (
        f01_km,
        f02_cif_discontinuation,
        f03_swimmer,
        f04_consort,
        f05_forest_mrd12,
    )

    instance = dg.DagsterInstance.ephemeral()
    warehouse = _figure_warehouse(tmp_path)
    adam = adam_as_found(("adsl", "adrs", "adtte"))
    assets = [adam, f01_km, f02_cif_discontinuation, f03_swimmer, f04_consort, f05_forest_mrd12]
    folder = tmp_path / "wh.work.report" / "figures"

    def pngs() -> dict[str, bytes]:
        return {p.name: p.read_bytes() for p in sorted(folder.glob("*.png"))}

    def run(selected=assets) -> dict:
        result = dg.materialize(selected, resources={"warehouse": warehouse}, instance=instance)
        return {k: v for k, v in _figure_results(result).items() if k.startswith("f0")}

    first = run()
    drawn = pngs()
    again = run()
    assert len(again) == 10
    for name, metadata in again.items():
        assert "reused_from_run" not in first[name]
        assert "not_recomputed" in metadata
        for key, value in first[name].items():
            assert metadata[key] == value, (name, key)
    assert pngs() == drawn

    con = duckdb.connect(str(warehouse.settings.work_db))
    con.execute("update adam.adtte set AVAL = 200 where USUBJID = 'S-A' and PARAMCD = 'PFS'")
    con.close()
    changed = run()
    assert {n for n, m in changed.items() if "not_recomputed" in m} == {
        "f03_swimmer",
        "f04_consort",
        "f05_forest_mrd12",
    }
    assert pngs()["f01_km_pfs.png"] != drawn["f01_km_pfs.png"]
    assert changed["f01_km_pfs"]["events"] == first["f01_km_pfs"]["events"]

    (folder / "f03_swimmer.png").write_bytes(b"not the figure")
    redrawn = run([adam, f03_swimmer])
    assert "not_recomputed" not in redrawn["f03_swimmer"]
    assert pngs()["f03_swimmer.png"] == drawn["f03_swimmer.png"]
