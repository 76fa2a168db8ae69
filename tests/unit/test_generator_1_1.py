"""`isadex generate --contract-version 1.1`: contract 1.1 transfers (issue 29).

The 1.1 columns and form are filled from what the generator already knows (site_extracts.md,
response.md): REINDSDT before consent, RSPDTYP on every PD call and only there, imaging before
the re-induction, at screening and at each documented progression, SIFEADJ beside the serum
immunofixation of IgG-kappa subjects on isatuximab. Everything 1.0 has is what a 1.0 trial of
the same seed has, so the default demo keeps its numbers. The transfers ingest with nothing
quarantined.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from dagster_project.lib.ingest.contract import form_files, forms_of
from dagster_project.lib.ingest.ingestion import ingest_landing
from dagster_project.lib.synthetic import generate_trial

ISADEX = Path(sys.executable).with_name("isadex")
V11 = forms_of("1.1")
UNCHANGED = ["dm", "dx", "ex", "sct", "mrd", "ae", "ds", "dth", "fu", "nt"]


@pytest.fixture(scope="module")
def trials(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("trials")
    generate_trial(root / "v10", subjects=400, sites=6, seed=7)
    generate_trial(root / "v11", subjects=400, sites=6, seed=7, contract_version="1.1")
    return root / "v10", root / "v11"


def _read(folder: Path, form: str) -> pd.DataFrame:
    return pd.read_csv(folder / f"{form}.csv", dtype=str, keep_default_na=False)


def _transfers(root: Path) -> list[Path]:
    return sorted(p for p in root.iterdir() if p.is_dir())


def _final(root: Path, form: str) -> pd.DataFrame:
    last: dict[str, Path] = {}
    for folder in _transfers(root):
        last[folder.name[:4]] = folder  # transfer ids sort by extract time within a site
    return pd.concat([_read(f, form) for f in last.values()], ignore_index=True)


def test_every_1_1_file_meets_contract_1_1(trials) -> None:
    _, root = trials
    for folder in _transfers(root):
        manifest = json.loads((folder / "manifest.json").read_text())
        assert manifest["contract_version"] == "1.1"
        assert sorted(manifest["files"]) == sorted(form_files("1.1"))
        extract = manifest["extract_datetime"][:10]
        for name, form in V11.items():
            df = _read(folder, name)
            assert list(df.columns) == form.column_names, (folder.name, name)
            assert len(df) == manifest["files"][f"{name}.csv"]["rows"]
            assert not df.duplicated(list(form.key)).any(), (folder.name, name)
            for col in form.columns:
                v = df[col.name][df[col.name] != ""]
                if col.codes:
                    assert v.isin(col.codes).all(), (name, col.name, set(v) - set(col.codes))
                if col.type == "date":
                    assert (v.str.len() == 10).all() and (v < extract).all(), (name, col.name)
                if col.type == "num" and col.min_value is not None:
                    assert (pd.to_numeric(v) >= col.min_value).all(), (name, col.name)


def test_1_1_only_adds_to_what_1_0_writes(trials) -> None:
    v10, v11 = trials
    assert [f.name for f in _transfers(v10)] == [f.name for f in _transfers(v11)]
    for a, b in zip(_transfers(v10), _transfers(v11), strict=True):
        for name in UNCHANGED:
            assert (a / f"{name}.csv").read_bytes() == (b / f"{name}.csv").read_bytes(), name
        pd.testing.assert_frame_equal(_read(a, "enr"), _read(b, "enr").drop(columns="REINDSDT"))
        # rs: the 1.0 assessment dates, phases and completeness; the only new rows are the
        # confirming PD samples. The calls come from the kinetics' labs (test_generator_kinetics)
        rs10, rs11 = _read(a, "rs"), _read(b, "rs")
        keys = ["SITEID", "SUBJID", "RSDT", "PHASE", "RSCOMPL"]
        both = rs10[keys].merge(rs11[keys + ["RSORRES"]], how="left", indicator=True)
        assert (both._merge == "both").all()
        extra = rs11.merge(rs10[["SUBJID", "RSDT"]], how="left", indicator=True)
        extra = extra[extra._merge == "left_only"]
        assert (extra.RSORRES == "PD").all() and (extra.PHASE == "FOLLOW-UP").all()
        # lb: the marrow of the MRD samples is the 1.0 trial's
        lb10, lb11 = _read(a, "lb"), _read(b, "lb")
        mrd_days = _read(a, "mrd")[["SUBJID", "MRDDT"]].rename(columns={"MRDDT": "LBDT"})
        marrow10 = lb10.merge(mrd_days)
        marrow10 = marrow10[marrow10.LBTESTCD.isin(["BMPC", "BMCLON"])]
        marrow11 = lb11.merge(mrd_days)
        marrow11 = marrow11[marrow11.LBTESTCD.isin(["BMPC", "BMCLON"])]
        pd.testing.assert_frame_equal(
            marrow10.reset_index(drop=True), marrow11.reset_index(drop=True)
        )


def test_reinduction_starts_before_consent_and_after_diagnosis(trials) -> None:
    _, root = trials
    enr = _final(root, "enr").merge(_final(root, "dx"), on=["SITEID", "SUBJID"])
    assert (enr.REINDSDT != "").all()
    assert (enr.REINDSDT < enr.ICFDT).all()
    days = (pd.to_datetime(enr.ICFDT) - pd.to_datetime(enr.REINDSDT)).dt.days
    assert days.between(60, 250).all()  # a few cycles of a carfilzomib-based regimen
    # DIAGDT may be partial: its text sorts before every day it can mean
    assert (enr.DIAGDT < enr.REINDSDT).all()


def test_rspdtyp_is_given_exactly_on_pd_calls(trials) -> None:
    _, root = trials
    rs, im = _final(root, "rs"), _final(root, "im")
    pd_calls = rs.RSORRES == "PD"
    assert pd_calls.sum() > 20
    assert (rs[pd_calls].RSPDTYP != "").all() and (rs[~pd_calls].RSPDTYP == "").all()
    assert set(rs[pd_calls].RSPDTYP) == {"BIOCHEMICAL", "IMAGING"}
    # imaging at each PD on a progression date; IMAGING exactly where it showed a new lesion
    # or a plasmacytoma grown to >= 1.5 times its lowest earlier size (PD calls written a
    # sample early, and the confirming PD samples, are biochemical and have no imaging)
    at_pd = rs[pd_calls].merge(
        im, left_on=["SUBJID", "RSDT"], right_on=["SUBJID", "IMDT"], how="left"
    )
    assert at_pd.IMDT.notna().sum() > 20
    imaging = at_pd[at_pd.RSPDTYP == "IMAGING"]
    assert imaging.IMDT.notna().all()
    im_num = im.assign(PLSPD=pd.to_numeric(im.PLSPD))
    for row in imaging.itertuples():
        mine = im_num[(im_num.SUBJID == row.SUBJID) & (im_num.IMDT < row.RSDT)]
        grown = row.PLSPD != "" and float(row.PLSPD) >= 1.5 * mine.PLSPD.min()
        assert row.NEWLES == "Y" or grown, row
    assert (at_pd[at_pd.NEWLES == "Y"].RSPDTYP == "IMAGING").all()


def test_imaging_before_reinduction_at_screening_and_at_progression(trials) -> None:
    _, root = trials
    im, enr = _final(root, "im"), _final(root, "enr")
    assert (im.PLSPD == "").eq(im.PLASMFL == "N").all()
    assert (im.PLASMFL == "Y").any() and (im.NEWLES == "Y").any()
    assert set(im.IMMETH) <= set(V11["im"].column("IMMETH").codes) and len(set(im.IMMETH)) >= 3
    both = im.merge(enr, on=["SITEID", "SUBJID"])
    baseline = both[both.IMDT <= both.REINDSDT].groupby("SUBJID").size()
    assert set(baseline.index) == set(enr.SUBJID)  # every screened subject has a baseline
    itt = enr[enr.ENRLFL == "Y"]
    screening = both[(both.IMDT >= both.ICFDT) & (both.IMDT <= both.ELIGDT)]
    assert set(itt.SUBJID) - set(screening.SUBJID) == set()
    assert (screening.NEWLES == "N").all()


def test_sifeadj_sits_beside_sife_of_igg_kappa_subjects(trials) -> None:
    _, root = trials
    lb, dx = _final(root, "lb"), _final(root, "dx")
    adj = lb[lb.LBTESTCD == "SIFEADJ"]
    assert len(adj) > 20 and set(adj.LBORRES) == {"POS", "NEG"}
    sife = lb[lb.LBTESTCD == "SIFE"]
    assert set(zip(adj.SUBJID, adj.LBDT, strict=True)) <= set(
        zip(sife.SUBJID, sife.LBDT, strict=True)
    )
    igg_kappa = set(dx[(dx.MMTYPE == "IGG") & (dx.LCTYPE == "KAPPA")].SUBJID)
    assert set(adj.SUBJID) <= igg_kappa
    # adjudicated: the true result, the one the urine immunofixation of the same sample has,
    # while SIFE itself stays positive from isatuximab
    uife = lb[lb.LBTESTCD == "UIFE"]
    same = adj.merge(uife, on=["SUBJID", "LBDT"], suffixes=("", "_urine"))
    assert len(same) > 20 and (same.LBORRES == same.LBORRES_urine).all()
    paired = adj.merge(sife, on=["SUBJID", "LBDT"], suffixes=("_adj", ""))
    assert (paired.LBORRES == "POS").all()


def test_1_1_transfers_ingest_with_nothing_quarantined(trials, tmp_path: Path) -> None:
    _, root = trials
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    summary = ingest_landing(con, root)
    assert {r["status"] for r in summary.registered} == {"LOADED"}
    assert con.execute("select count(*) from raw.quarantine").fetchone()[0] == 0
    assert con.execute("select count(*) from raw.extra_columns").fetchone()[0] == 0
    assert con.execute('select distinct "CONTRACT_VERSION" from raw.transfers').fetchall() == [
        ("1.1",)
    ]
    for form in ("im", "enr", "rs"):
        assert con.execute(f"select count(*) from raw.{form}").fetchone()[0] > 0
    assert con.execute('select count(*) from raw.enr where "REINDSDT" is null').fetchone() == (0,)


def test_cli_writes_the_version_asked_for(tmp_path: Path) -> None:
    out = tmp_path / "landing"
    done = subprocess.run(
        [ISADEX, "generate", "--out", out, "--subjects", "12", "--contract-version", "1.1"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    versions = {
        json.loads((f / "manifest.json").read_text())["contract_version"] for f in _transfers(out)
    }
    assert versions == {"1.1"}
    wrong = subprocess.run(
        [ISADEX, "generate", "--out", tmp_path / "x", "--contract-version", "2.0"],
        capture_output=True,
        text=True,
    )
    assert wrong.returncode == 1
    assert "argument --contract-version: invalid choice: '2.0'" in wrong.stderr
