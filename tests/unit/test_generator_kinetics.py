"""The 1.1 demo trial's labs drive the truth (issue 29, response.md section 5): the demo's
seed and size (Makefile `demo`) show every branch the warehouse's IMWG algorithm has, and the
investigator disagrees with the labs now and then. The IMWG thresholds below are written from
response.md section 3, not taken from the generator."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pytest

from dagster_project.lib.synthetic import generate_trial

SEED, SUBJECTS, SITES = 20261125, 60, 6
V10_DIGEST = "8caaae16a91c731954c9b659f6c508267f547b1d81a24e69856ab02e95a0cd9d"


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[Path, dict]:
    root = tmp_path_factory.mktemp("demo11")
    truth = generate_trial(root, subjects=SUBJECTS, sites=SITES, seed=SEED, contract_version="1.1")
    return root, truth


def _final(root: Path, form: str) -> pd.DataFrame:
    last: dict[str, Path] = {}
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        last[folder.name[:4]] = folder
    return pd.concat(
        [pd.read_csv(f / f"{form}.csv", dtype=str, keep_default_na=False) for f in last.values()],
        ignore_index=True,
    )


def _digest(root: Path) -> str:
    h = hashlib.sha256()
    for f in sorted(root.rglob("*")):
        if f.is_file():
            h.update(str(f.relative_to(root)).encode())
            h.update(f.read_bytes())
    return h.hexdigest()


def _labs(root: Path) -> pd.DataFrame:
    lb = _final(root, "lb")
    return lb.pivot_table(
        index=["SUBJID", "LBDT"], columns="LBTESTCD", values="LBORRES", aggfunc="first"
    ).reset_index()


def _baseline(root: Path) -> pd.DataFrame:
    enr = _final(root, "enr")
    labs = _labs(root).merge(enr[["SUBJID", "REINDSDT"]])
    base = labs[labs.LBDT <= labs.REINDSDT].sort_values("LBDT").groupby("SUBJID").tail(1)
    return base.set_index("SUBJID")


def _measdis(row: pd.Series, lctype: str) -> str:
    serum = float(row.SMPROT or 0) >= 1.0
    urine = isinstance(row.UMPROT, str) and row.UMPROT != "" and float(row.UMPROT) >= 200
    if serum or urine:
        return "SERUM AND URINE" if serum and urine else "SERUM" if serum else "URINE"
    kappa, lam = float(row.KAPPA), float(row.LAMBDA)
    iflc = kappa if lctype == "KAPPA" else lam
    ratio = kappa / lam
    return "FLC" if iflc >= 100 and (ratio < 0.26 or ratio > 1.65) else "NONE"


def test_every_subject_with_labs_has_a_baseline_on_or_before_reindsdt(demo) -> None:
    root, _ = demo
    labs = _labs(root)
    base = _baseline(root)
    assert set(labs.SUBJID) == set(base.index)
    enr = _final(root, "enr").set_index("SUBJID")
    assert (base.LBDT <= enr.loc[base.index].REINDSDT).all()


def test_every_measurable_disease_type_occurs(demo) -> None:
    root, _ = demo
    base = _baseline(root)
    dx = _final(root, "dx").set_index("SUBJID")
    types = {s: _measdis(row, dx.loc[s].LCTYPE) for s, row in base.iterrows()}
    assert set(types.values()) == {"SERUM", "URINE", "SERUM AND URINE", "FLC", "NONE"}


def _pd_rises(root: Path) -> dict[str, set[str]]:
    """Per PD basis, the subjects whose labs meet the IMWG PD rule on a PD call's date."""
    labs = _labs(root).sort_values(["SUBJID", "LBDT"])
    dx = _final(root, "dx").set_index("SUBJID")
    rs = _final(root, "rs")
    pd_days = set(zip(rs[rs.RSORRES == "PD"].SUBJID, rs[rs.RSORRES == "PD"].RSDT, strict=True))
    base = _baseline(root)
    found: dict[str, set[str]] = {"SERUM": set(), "URINE": set(), "FLC": set()}
    for subj, g in labs.groupby("SUBJID"):
        md = _measdis(base.loc[subj], dx.loc[subj].LCTYPE)
        iflc = "KAPPA" if dx.loc[subj].LCTYPE == "KAPPA" else "LAMBDA"
        uflc = "LAMBDA" if iflc == "KAPPA" else "KAPPA"
        g = g[g.LBDT >= base.loc[subj].LBDT]
        series = {
            "SERUM": (pd.to_numeric(g.SMPROT), 0.5, "SERUM" in md),
            "URINE": (pd.to_numeric(g.get("UMPROT")), 200.0, "URINE" in md),
            "FLC": (pd.to_numeric(g[iflc]) - pd.to_numeric(g[uflc]), 100.0, md == "FLC"),
        }
        for basis, (v, rise, measurable) in series.items():
            if not measurable:
                continue
            nadir = v.cummin().shift(1)
            rule = (v >= 1.25 * nadir) & (v - nadir >= rise)
            for day in g.LBDT[rule.fillna(False).to_numpy()]:
                if (subj, day) in pd_days:
                    found[basis].add(subj)
    return found


def test_progression_by_serum_urine_flc_and_imaging(demo) -> None:
    root, _ = demo
    rises = _pd_rises(root)
    assert all(rises.values()), rises
    rs, im = _final(root, "rs"), _final(root, "im")
    at_pd = rs[rs.RSPDTYP == "IMAGING"].merge(
        im, left_on=["SUBJID", "RSDT"], right_on=["SUBJID", "IMDT"]
    )
    assert (at_pd.NEWLES == "Y").any()
    im_num = im.assign(PLSPD=pd.to_numeric(im.PLSPD))
    grown = [
        r.SUBJID
        for r in at_pd.itertuples()
        if r.NEWLES == "N"
        and float(r.PLSPD)
        >= 1.5 * im_num[(im_num.SUBJID == r.SUBJID) & (im_num.IMDT < r.IMDT)].PLSPD.min()
    ]
    assert grown
    # imaging progressions are not biochemical ones
    assert not set(at_pd.SUBJID) & set().union(*rises.values())


def test_isatuximab_keeps_sife_positive_until_adjudicated(demo) -> None:
    root, _ = demo
    labs = _labs(root)
    assert ((labs.SIFE == "POS") & (labs.SIFEADJ == "NEG")).any()


def test_cr_called_without_a_marrow(demo) -> None:
    root, _ = demo
    rs, lb = _final(root, "rs"), _final(root, "lb")
    marrow = lb[lb.LBTESTCD == "BMPC"]
    first_marrow = marrow.groupby("SUBJID").LBDT.min()
    cr = rs[rs.RSORRES == "CR"]
    before_any = cr.SUBJID.map(first_marrow).fillna("9999") > cr.RSDT
    assert before_any.any()


def test_investigator_disagrees_with_the_labs_for_a_minority(demo) -> None:
    _, truth = demo
    k = truth["kinetics"]
    share = k["calls_not_the_true_category"] / k["assessments_compared"]
    assert 0.05 <= share <= 0.25, share
    assert k["cr_calls_without_marrow"] > 0
    assert k["pd_written_early"] + k["pd_written_late"] > 0


def test_a_next_line_therapy_without_a_preceding_pd(demo) -> None:
    root, _ = demo
    rs, nt = _final(root, "rs"), _final(root, "nt")
    first_pd = rs[rs.RSORRES == "PD"].groupby("SUBJID").RSDT.min()
    line2 = nt[nt.NTLINE == "2"]
    no_pd = line2.SUBJID.map(first_pd).fillna("9999") > line2.NTSTDT
    assert no_pd.any()


def test_same_seed_same_bytes(demo, tmp_path: Path) -> None:
    root, _ = demo
    again = tmp_path / "again"
    generate_trial(again, subjects=SUBJECTS, sites=SITES, seed=SEED, contract_version="1.1")
    assert _digest(again) == _digest(root)


def test_contract_1_0_is_what_it_was(tmp_path: Path) -> None:
    """The 1.0 demo landing zone, byte for byte the one before the kinetics (sha256 of every
    file of a 60-subject generation at commit 2f39b7e, taken before this change)."""
    generate_trial(tmp_path / "v10", subjects=SUBJECTS, sites=SITES, seed=SEED)
    assert _digest(tmp_path / "v10") == V10_DIGEST


def test_minimal_responders(demo) -> None:
    """Serum-measurable subjects whose on-study SMPROT stays in (0.5, 0.75] x baseline (MR,
    response.md section 3) at three or more samples."""
    root, truth = demo
    labs = _labs(root).merge(_final(root, "enr")[["SUBJID", "ICFDT"]])
    base = _baseline(root)
    on_study = labs[labs.LBDT > labs.ICFDT]
    serum_base = pd.to_numeric(base.SMPROT).where(lambda b: b >= 1.0)  # serum measurable
    ratio = pd.to_numeric(on_study.SMPROT) / on_study.SUBJID.map(serum_base)
    mr = on_study[(ratio > 0.5) & (ratio <= 0.75)].groupby("SUBJID").size()
    assert (mr >= 3).sum() >= truth["kinetics"]["minimal_responders_itt"] >= 1


def test_a_marrow_without_clonality(demo) -> None:
    """Some marrows are reported without BMCLON (an sCR then cannot be checked)."""
    root, _ = demo
    labs = _labs(root)
    assert (labs.BMPC.notna() & labs.BMCLON.isna()).any()


def test_labs_after_a_pd_never_called(demo) -> None:
    """A PD never called: a sample after it without an assessment (no rs record), so the
    algorithm can confirm the progression the investigator did not call."""
    root, truth = demo
    rs = _final(root, "rs")
    enr = _final(root, "enr")
    labs = _labs(root).merge(enr[["SUBJID", "ICFDT"]])
    labs = labs[labs.SMPROT.notna() & (labs.LBDT > labs.ICFDT)]  # samples, not marrow only
    assessed = set(zip(rs.SUBJID, rs.RSDT, strict=True))
    screening = set(zip(enr.SUBJID, enr.ELIGDT, strict=True))
    lab_only = [
        (s, d)
        for s, d in zip(labs.SUBJID, labs.LBDT, strict=True)
        if (s, d) not in assessed | screening
    ]
    assert truth["kinetics"]["samples_after_a_pd_never_called"] == len(lab_only) > 0
    pd_subjects = set(rs[rs.RSORRES == "PD"].SUBJID)
    assert not {s for s, _ in lab_only} & pd_subjects
