"""What contract 1.1 adds to a drawn trial (site_extracts.md, Contract versions; issue 29).

The trial's events are the 1.0 trial's (consent, dosing, transplant, progression, death,
next-line therapy, disposition: every form but enr, lb and rs is the 1.0 trial's of the same
seed, byte for byte). The disease between them comes from the kinetics (kinetics.py), drawn
per subject from a stream of its own (31): the labs (lb) are written from it, and the
investigator's calls (rs) are derived from those labs by the IMWG categories, with noise.
The progression stays on the 1.0 date: the kinetics make the PD land there.

- REINDSDT (enr): the re-induction (outside the study, before consent, response >= PR)
  started 100-220 days before ICFDT.
- lb: a baseline sample 0-14 days before REINDSDT (the IMWG baseline, response.md), the
  screening sample on ELIGDT, and one sample on each assessment date of the 1.0 trial plus a
  confirming sample 7-14 days after most biochemical progressions (before any next-line
  therapy; after a PD never called, a lab-only sample then, without an rs record). SMPROT,
  KAPPA, LAMBDA every time; UMPROT when urine is followed (measurable or no measurable
  disease) and the assessment is complete; SIFE (and UIFE when complete) from the time the
  burden is under 12% of baseline, POS until the M-protein is truly gone; marrow (BMPC,
  BMCLON) at the first assessment with the M-protein gone in 70% of subjects and at later
  ones in 15%, besides the marrow of the MRD samples (kept from 1.0); 25% of these marrows
  are reported without the clonality (BMCLON: an sCR cannot be checked until one has it).
  Isatuximab is an IgG-kappa antibody: the SIFE of IgG-kappa subjects from C1D1 on reads POS
  and a SIFEADJ on the same sample carries the true result, entered a geometric mean of 14
  days later. What came after the kinetics' first version (minimal responders, the lab-only
  samples, the marrows without clonality) draws from a stream of its own (32), so every
  other subject and sample keeps its values.
- rs: on the 1.0 assessment dates, the IMWG category of the labs (kinetics.category), then
  noise: 12% of the other calls one category off, CR called without a marrow in 60% of the
  samples where only the marrow is missing, PD written one sample early (8% of biochemical
  progressors) or late (10%: the labs show it a sample before), the PD never called in 10%
  of progressors who start a next-line therapy, a confirming PD call on the confirming
  sample; the 1.0 trial's NE (incomplete) and stray post-progression calls are kept.
  RSPDTYP on every PD call: IMAGING where imaging made the progression, else BIOCHEMICAL.
- im: a baseline 0-21 days before REINDSDT for every screened subject, one at screening for
  every enrolled subject, one on every sixth scheduled assessment, and one on the day of
  each documented progression; each subject keeps one method. A soft-tissue plasmacytoma in
  15% at baseline; its PLSPD follows the burden (gone under 0.5 cm2) and grows 1.6-2.4 times
  its lowest earlier value when it makes the PD; a new lesion (NEWLES = Y) on the day of an
  imaging progression otherwise.
"""

from __future__ import annotations

import numpy as np

from dagster_project.lib.ingest.contract import PD_BASES, RAW_FORMS

from .cohort import Cohort
from .disease import BMCLON, BMPC, KAPPA, LAMBDA, P_FU, SIFE, SMPROT, UIFE, UMPROT
from .kinetics import (
    B_FLC,
    B_NEWLES,
    B_PLSPD,
    B_SERUM,
    B_URINE,
    GONE,
    M_BOTH,
    M_NONE,
    M_URINE,
    MEASDIS,
    R_CR,
    R_NE,
    R_PD,
    R_PR,
    R_SD,
    R_VGPR,
    Kinetics,
    Sample,
    burden,
    category,
    draw_kinetics,
    draw_minimal_responders,
    plasmacytoma,
    regrow,
    urine_burden,
)
from .table import Table
from .vec import FAR, choice, entry_lag, rng_for, uniform_int

# Imaging methods in the contract's order (PET-CT, CT, MRI, WBLDCT, X-RAY).
METHOD_SHARE = (0.40, 0.10, 0.15, 0.30, 0.05)
Y, N = 0, 1  # yn codes
SIFEADJ = RAW_FORMS["lb"].column("LBTESTCD").codes.index("SIFEADJ")
BIOCHEMICAL, IMAGING = PD_BASES.index("BIOCHEMICAL"), PD_BASES.index("IMAGING")
POS, NEG = 0, 1  # table.POS_NEG
KIND_BASE, KIND_SCREEN, KIND_SCHED, KIND_PD, KIND_STRAY, KIND_CONFIRM = range(6)
P_NO_CLONALITY = 0.25  # marrows of the kinetics reported without BMCLON


def add_contract_1_1(seed: int, c: Cohort, tables: dict[str, Table]) -> dict:
    """Add REINDSDT and im, and write lb and rs from the kinetics (module docstring).
    Returns what the kinetics realised, for truth.json."""
    rng = rng_for(seed, 30)
    n = c.n
    reindsdt = c.icf - uniform_int(rng, 100, 220, n)
    method = choice(rng, list(METHOD_SHARE), n)
    im_base_day = reindsdt - uniform_int(rng, 0, 21, n)
    lab_base_day = reindsdt - uniform_int(rng, 0, 14, n)
    scr_frac = rng.random(n)
    lag_base, lag_scr, lag_pd = (entry_lag(rng, n) for _ in range(3))

    tables["enr"].cols["REINDSDT"] = reindsdt[tables["enr"].subj]
    kr = rng_for(seed, 31)
    k = draw_kinetics(kr, c.mmtype, c.deep, c.reind_level, reindsdt, c.c1d1, c.t_prog)
    # what came after the kinetics' first version draws from a stream of its own (32), so the
    # subjects and samples it does not touch keep their values
    kx = rng_for(seed, 32)
    draw_minimal_responders(kx, k, c.deep)

    nt = tables["nt"]
    nt2 = np.full(n, FAR, dtype=np.int64)
    line2 = nt.cols["NTLINE"] == 2
    np.minimum.at(nt2, nt.subj[line2], nt.cols["NTSTDT"][line2])
    v = _visits(kr, kx, c, k, tables["rs"], lab_base_day, nt2)
    rows = RowDraws(kr, kx, v.lab_only)
    lab = _labs(rows, kx, c, k, v, tables["lb"])
    tables["lb"] = lab.pop("table")
    tables["rs"], calls = _calls(rows, c, k, v, lab, nt2)
    tables["im"] = _imaging(c, k, v, im_base_day, scr_frac, (lag_base, lag_scr, lag_pd), method)
    return _realised(c, k, v, calls)


class Visits:
    """Every sample date: baseline, screening, the rs assessments and the lab-only samples
    (rows grouped by subject, in date order)."""

    def __init__(self, subj, date, kind, phase, rsorres, complete, entry, lab_only):
        o = np.lexsort((date, subj))
        self.subj, self.date, self.kind = subj[o], date[o], kind[o]
        self.phase, self.rsorres, self.complete, self.entry = (
            phase[o],
            rsorres[o],
            complete[o],
            entry[o],
        )
        self.lab_only = lab_only[o]  # a sample without an assessment (no rs record)

    @property
    def size(self) -> int:
        return int(self.subj.size)


class RowDraws:
    """Per-sample draws: the samples of the kinetics' first version take theirs from its
    stream, in the same order as before; the lab-only samples from the other stream. Adding
    lab-only samples so shifts no other sample's values."""

    def __init__(self, rng: np.random.Generator, other: np.random.Generator, lab_only):
        self.rng, self.other, self.lab_only = rng, other, lab_only

    def __call__(self, draw) -> np.ndarray:
        """`draw(rng, size)` for every sample."""
        first = draw(self.rng, int((~self.lab_only).sum()))
        later = draw(self.other, int(self.lab_only.sum()))
        out = np.empty(self.lab_only.size, dtype=np.result_type(first, later))
        out[~self.lab_only], out[self.lab_only] = first, later
        return out


def _visits(
    rng: np.random.Generator,
    other: np.random.Generator,
    c: Cohort,
    k: Kinetics,
    rs: Table,
    lab_base_day: np.ndarray,
    nt2: np.ndarray,
) -> Visits:
    r_subj, r_date = rs.subj, rs.cols["RSDT"]
    t_prog = c.t_prog[r_subj]
    r_kind = np.select(
        [r_date == t_prog, r_date > t_prog], [KIND_PD, KIND_STRAY], KIND_SCHED
    ).astype(np.int8)
    itt = np.flatnonzero(c.itt)
    conf_day = c.t_prog + k.confirm_gap
    biochemical = np.isin(k.basis, (B_SERUM, B_URINE, B_FLC))
    has_conf = (
        c.documented_pd
        & (c.t_prog < c.cutoff)
        & biochemical
        & k.confirm
        & ~k.missed
        & (conf_day < np.minimum(np.minimum(nt2, c.exit_day), c.cutoff))
    )
    # a PD never called: the labs of the next sample (7-14 days later, before the next-line
    # therapy) still show it, but no assessment is recorded on them
    uncalled = (
        c.documented_pd
        & (c.t_prog < c.cutoff)
        & biochemical
        & k.missed
        & (nt2 < FAR)
        & (conf_day < np.minimum(np.minimum(nt2, c.exit_day), c.cutoff))
    )
    conf, lab_only = np.flatnonzero(has_conf), np.flatnonzero(uncalled)
    # the kinetics' first stream in its first order: screened, eligible, confirming samples
    lag_icf, lag_elig, lag_conf = (entry_lag(rng, x.size) for x in (itt, itt, conf))
    lag_lab = entry_lag(other, lab_only.size)
    conf = np.r_[conf, lab_only]
    flag = np.r_[np.zeros(lag_conf.size, bool), np.ones(lab_only.size, bool)]
    ones = np.ones(itt.size, bool)
    return Visits(
        np.concatenate([itt, itt, r_subj, conf]),
        np.concatenate([lab_base_day[itt], c.elig[itt], r_date, conf_day[conf]]),
        np.concatenate(
            [
                np.full(itt.size, KIND_BASE, np.int8),
                np.full(itt.size, KIND_SCREEN, np.int8),
                r_kind,
                np.full(conf.size, KIND_CONFIRM, np.int8),
            ]
        ),
        np.concatenate(
            [np.full(2 * itt.size, -1), rs.cols["PHASE"], np.full(conf.size, P_FU)]
        ).astype(np.int16),
        np.concatenate([np.full(2 * itt.size, -1), rs.cols["RSORRES"], np.full(conf.size, R_PD)]),
        np.concatenate([ones, ones, rs.cols["RSCOMPL"] == 0, np.ones(conf.size, bool)]),
        np.concatenate(
            [
                c.icf[itt] + lag_icf,
                c.elig[itt] + lag_elig,
                rs.entry,
                conf_day[conf] + np.r_[lag_conf, lag_lab],
            ]
        ),
        np.concatenate([np.zeros(2 * itt.size + r_subj.size, bool), flag]),
    )


def _last_before(v: Visits, mask: np.ndarray, n: int) -> np.ndarray:
    """Per row: is it the subject's latest row among `mask`?"""
    last = np.full(n, -1, dtype=np.int64)
    np.maximum.at(last, v.subj[mask], v.date[mask])
    return mask & (v.date == last[v.subj])


def _labs(
    rows: RowDraws, other: np.random.Generator, c: Cohort, k: Kinetics, v: Visits, lb10: Table
) -> dict:
    n, m = c.n, v.size
    s, d = v.subj, v.date
    f = burden(k, s, d)
    noise = [rows(lambda r, size, cv=cv: r.lognormal(0.0, cv, size)) for cv in (0.04, 0.08, 0.10)]
    sm_raw = k.b_serum[s] * f * noise[0]
    sm = np.where(sm_raw < 0.1, 0.0, np.round(sm_raw, 2))
    um_raw = k.b_urine[s] * urine_burden(k, s, f) * noise[1]
    um = np.where(um_raw < 10, 0.0, np.round(um_raw))
    uninv = np.round(k.uninv[s] * noise[2], 1)
    resid = np.where(k.level[s] >= 3, k.r_inv[s], 1.0)
    wobble = rows(lambda r, size: r.lognormal(0.0, 0.05, size))
    inv = np.round(uninv * resid * wobble + k.b_dflc[s] * f, 1)

    prog = (k.t_prog[s] < FAR) & (v.kind >= KIND_SCHED)
    in_window = prog & (v.kind == KIND_SCHED) & (d >= k.t_grow[s]) & (d < k.t_prog[s])
    late_row = _last_before(v, in_window, n) & k.late[s]
    sm, g_s = regrow(k, s, d, sm, B_SERUM, late_row)
    um, g_u = regrow(k, s, d, um, B_URINE, late_row)
    dflc, g_f = regrow(k, s, d, inv - uninv, B_FLC, late_row)
    sm, um = np.round(sm, 2), np.round(um)
    inv = np.round(uninv + dflc, 1)
    growing = g_s | g_u | g_f
    true_pd = prog & ((d >= k.t_prog[s]) | late_row)

    gone = (f < GONE) & ~growing
    kappa_type = c.lctype[s] == 0
    kappa, lam = np.where(kappa_type, inv, uninv), np.where(kappa_type, uninv, inv)
    urine_followed = np.isin(k.measdis, (M_URINE, M_BOTH, M_NONE))[s] & v.complete
    base_or_scr = v.kind <= KIND_SCREEN
    ife_done = (f < 0.12) | base_or_scr
    uife_done = ife_done & v.complete
    ife = np.where(gone, NEG, POS)
    igg_kappa = (c.mmtype == 0) & (c.lctype == 0)
    adjudicated = ife_done & igg_kappa[s] & (d >= c.c1d1[s])

    # marrow: at the first assessment with the M-protein gone (70%), later ones (15%)
    sched = v.kind == KIND_SCHED
    first_gone = np.full(n, FAR, dtype=np.int64)
    np.minimum.at(first_gone, s[gone & sched], d[gone & sched])
    u = rows(lambda r, size: r.random(size))
    mrd_pc = lb10.cols["LBTESTCD"] == BMPC
    mrd_cl = lb10.cols["LBTESTCD"] == BMCLON
    mrd_keys = lb10.subj[mrd_pc] * 10**6 + lb10.cols["LBDT"][mrd_pc]
    marrow = gone & sched & np.where(d == first_gone[s], u < 0.7, u < 0.15)
    marrow &= ~np.isin(s * 10**6 + d, mrd_keys)
    bmpc = np.round(rows(lambda r, size: r.uniform(0.4, 4.5, size)), 1)
    bmclon = np.where(k.level[s] >= 4, NEG, POS)
    # the clonality is not reported on some of these marrows (BMPC without BMCLON)
    clon_done = marrow & (other.random(m) >= P_NO_CLONALITY)

    parts = []

    def add(want, test, num, txt, entry=v.entry):
        idx = np.flatnonzero(want)
        parts.append(
            (
                s[idx],
                d[idx],
                np.full(idx.size, test),
                np.broadcast_to(num, (m,))[idx],
                np.broadcast_to(txt, (m,))[idx],
                entry[idx],
            )
        )

    nan, no_txt = np.full(m, np.nan), np.full(m, -1)
    add(np.ones(m, bool), SMPROT, sm, no_txt)
    add(urine_followed, UMPROT, um, no_txt)
    add(ife_done, SIFE, nan, np.where(adjudicated, POS, ife))
    add(uife_done, UIFE, nan, ife)
    add(np.ones(m, bool), KAPPA, kappa, no_txt)
    add(np.ones(m, bool), LAMBDA, lam, no_txt)
    add(marrow, BMPC, bmpc, no_txt)
    add(clon_done, BMCLON, nan, bmclon)
    add(adjudicated, SIFEADJ, nan, ife, v.entry + rows(lambda r, size: entry_lag(r, size, mean=14)))
    keep = np.flatnonzero(np.isin(lb10.cols["LBTESTCD"], (BMPC, BMCLON)))
    parts.append(
        (
            lb10.subj[keep],
            lb10.cols["LBDT"][keep],
            lb10.cols["LBTESTCD"][keep],
            lb10.cols["LBORRES"][keep],
            lb10.cols["LBORRES__txt"][keep],
            lb10.entry[keep],
        )
    )
    subj, date, test, num, txt, entry = (np.concatenate(x) for x in zip(*parts, strict=True))
    table = Table(
        "lb",
        subj,
        date * 16 + test,
        entry,
        {
            "LBDT": date,
            "LBTESTCD": test.astype(np.int16),
            "LBORRES": num.astype(np.float64),
            "LBORRES__txt": txt.astype(np.int16),
        },
    )

    # the latest marrow on or before each sample (IMWG does not repeat it), and the latest
    # clonality result, older when the latest marrow has none
    key = s * 10**6 + d
    clon_keys = lb10.subj[mrd_cl] * 10**6 + lb10.cols["LBDT"][mrd_cl]
    last_bmpc = _latest_since_consent(
        np.concatenate([mrd_keys, key[marrow]]),
        np.concatenate([lb10.cols["LBORRES"][mrd_pc], bmpc[marrow]]),
        key,
        c.icf[s],
    )
    last_clon_neg = (
        _latest_since_consent(
            np.concatenate([clon_keys, key[clon_done]]),
            np.concatenate([lb10.cols["LBORRES__txt"][mrd_cl], bmclon[clon_done]]),
            key,
            c.icf[s],
        )
        == NEG
    )
    ratio = kappa / np.maximum(lam, 0.1)
    plspd = plasmacytoma(k, s, d)
    sample = Sample(
        subj=s,
        smprot=sm,
        umprot=np.where(urine_followed, um, np.nan),
        dflc=inv - uninv,
        flcr_normal=(ratio >= 0.26) & (ratio <= 1.65),
        ife_neg=ife_done & uife_done & (ife == NEG),
        ife_pos=ife_done & (ife == POS),
        bmpc=last_bmpc,
        bmclon_neg=last_clon_neg,
        plasma_ok=~k.plasma0[s] | (plspd < 0.5),
        plasma_half=~k.plasma0[s] | (plspd <= 0.5 * k.plspd0[s]),
    )
    base = v.kind == KIND_BASE
    b = {}
    for name, val in (("serum", sm), ("urine", um), ("dflc", inv - uninv)):
        arr = np.full(n, np.nan)
        arr[s[base]] = val[base]
        b[name] = arr
    return {
        "table": table,
        "f": f,
        "sample": sample,
        "base": b,
        "true_pd": true_pd,
        "late_row": late_row,
        "marrow_at": marrow,
        "ife_gone": gone,
    }


def _latest_since_consent(
    keys: np.ndarray, values: np.ndarray, at: np.ndarray, icf: np.ndarray
) -> np.ndarray:
    """Per `at` (subject * 10**6 + day): the value of the latest `keys` on or before it and on
    or after the subject's consent `icf`; NaN when none."""
    if not keys.size:  # no value at all (a 1-subject trial without that test)
        return np.full(np.shape(at), np.nan)
    o = np.argsort(keys, kind="stable")
    keys, values = keys[o], values[o].astype(np.float64)
    i = np.searchsorted(keys, at, side="right") - 1
    i0 = np.maximum(i, 0)
    has = (i >= 0) & (keys[i0] // 10**6 == at // 10**6) & (keys[i0] % 10**6 >= icf)
    return np.where(has, values[i0], np.nan)


def _calls(
    rows: RowDraws, c: Cohort, k: Kinetics, v: Visits, lab: dict, nt2: np.ndarray
) -> tuple[Table, dict]:
    s, d = v.subj, v.date
    f, sample = lab["f"], lab["sample"]
    b = lab["base"]
    cat = category(k.measdis, b["serum"], b["urine"], b["dflc"], sample)
    none = k.measdis[s] == M_NONE
    by_burden = np.select(
        [lab["ife_gone"] & (sample.bmpc < 5), f <= 0.1, f <= 0.5], [R_CR, R_VGPR, R_PR], R_SD
    )
    truth = np.where(lab["true_pd"], R_PD, np.where(none, R_NE, cat))

    call = np.where(none, by_burden, cat)
    u_off, u_dir, u_cr = (rows(lambda r, size: r.random(size)) for _ in range(3))
    cr_no_marrow = (cat == R_VGPR) & sample.ife_neg & np.isnan(sample.bmpc) & (u_cr < 0.6)
    call = np.where(cr_no_marrow, R_CR, call)
    off = ~cr_no_marrow & (u_off < 0.12)
    step = np.where(u_dir < 0.5, -1, 1)
    step = np.where(call == 0, 1, np.where(call == R_SD, -1, step))
    call = np.where(off, call + step, call)
    call = np.where(lab["true_pd"] & ~lab["late_row"], R_PD, call)

    documented = c.documented_pd[s] & (c.t_prog[s] < c.cutoff)
    biochemical = np.isin(k.basis[s], (B_SERUM, B_URINE, B_FLC))
    sched = v.kind == KIND_SCHED
    before_pd = _last_before(v, sched & (d < c.t_prog[s]) & documented, c.n)
    early = before_pd & k.early[s] & ~k.late[s] & biochemical
    call = np.where(early, R_PD, call)
    missed = (v.kind == KIND_PD) & k.missed[s] & biochemical & (nt2[s] < FAR)
    call = np.where(missed, np.where(cat == R_PD, R_SD, cat), call)
    kept_10 = (v.kind == KIND_STRAY) | (sched & (v.rsorres == R_NE))
    call = np.where(kept_10, v.rsorres, call)

    rs_rows = np.flatnonzero((v.kind >= KIND_SCHED) & ~v.lab_only)
    imaging = (v.kind == KIND_PD) & np.isin(k.basis[s], (B_NEWLES, B_PLSPD))
    pdtyp = np.where(call == R_PD, np.where(imaging, IMAGING, BIOCHEMICAL), -1)
    r = rs_rows
    table = Table(
        "rs",
        s[r],
        d[r],
        v.entry[r],
        {
            "RSDT": d[r],
            "PHASE": v.phase[r],
            "RSORRES": call[r].astype(np.int16),
            "RSCOMPL": np.where(v.complete[r], 0, 1).astype(np.int16),  # codes (Y, N)
            "RSPDTYP": pdtyp[r].astype(np.int16),
        },
    )
    judged = sched[r] & (call[r] != R_NE) & (truth[r] != R_NE)
    realised = {
        "assessments_compared": int(judged.sum()),
        "calls_not_the_true_category": int((judged & (call[r] != truth[r])).sum()),
        "cr_calls_without_marrow": int(cr_no_marrow[r].sum()),
        "pd_written_early": int(early[r].sum()),
        "pd_written_late": int(lab["late_row"][r].sum()),
        "pd_never_called": int(missed[r].sum()),
        "confirming_pd_samples": int((v.kind[r] == KIND_CONFIRM).sum()),
        "samples_after_a_pd_never_called": int(v.lab_only.sum()),
    }
    return table, realised


def _imaging(
    c: Cohort,
    k: Kinetics,
    v: Visits,
    base_day: np.ndarray,
    scr_frac: np.ndarray,
    lags: tuple[np.ndarray, np.ndarray, np.ndarray],
    method: np.ndarray,
) -> Table:
    lag_base, lag_scr, lag_pd = lags
    n = c.n
    documented = c.documented_pd & (c.t_prog < c.cutoff)
    first_pd = np.where(documented, c.t_prog, FAR)
    base = np.arange(n, dtype=np.int64)
    scr_day = c.icf + 1 + np.floor(scr_frac * (c.elig - c.icf - 1)).astype(np.int64)
    scr = np.flatnonzero(c.itt & (scr_day < first_pd))
    sched = np.flatnonzero(v.kind == KIND_SCHED)
    first = np.r_[True, v.subj[sched][1:] != v.subj[sched][:-1]]
    starts = np.flatnonzero(first)
    pos = np.arange(sched.size) - np.repeat(starts, np.diff(np.r_[starts, sched.size]))
    per = sched[(pos % 6 == 5) & (v.date[sched] < first_pd[v.subj[sched]])]
    pd_s = np.flatnonzero(documented)

    subj = np.concatenate([base, scr, v.subj[per], pd_s])
    day = np.concatenate([base_day, scr_day[scr], v.date[per], c.t_prog[pd_s]])
    # the imaging of a progression is entered with its PD call (one assessment)
    pd_entry = c.t_prog + lag_pd
    at_pd_visit = v.kind == KIND_PD
    pd_entry[v.subj[at_pd_visit]] = v.entry[at_pd_visit]
    entry = np.concatenate(
        [c.icf + lag_base, scr_day[scr] + lag_scr[scr], v.entry[per], pd_entry[pd_s]]
    )
    at_pd = np.concatenate([np.zeros(subj.size - pd_s.size, bool), np.ones(pd_s.size, bool)])
    spd = np.round(plasmacytoma(k, subj, day), 2)
    present = k.plasma0[subj] & (spd >= 0.5)
    lowest = np.full(n, np.inf)
    np.minimum.at(lowest, subj[~at_pd], np.where(present, spd, 0.0)[~at_pd])
    basis = k.basis[subj]
    grows = at_pd & (basis == B_PLSPD) & (lowest[subj] > 0) & np.isfinite(lowest[subj])
    growth = 1.6 + 0.8 * ((subj * 7919) % 101) / 100  # 1.6-2.4, fixed per subject
    spd = np.where(grows, np.round(lowest[subj] * growth, 2), spd)
    present = present | grows
    newles = at_pd & ((basis == B_NEWLES) | ((basis == B_PLSPD) & ~grows))
    spd = np.where(present, spd, np.nan)
    return Table(
        "im",
        subj.astype(np.int64),
        day.astype(np.int64),
        entry.astype(np.int64),
        {
            "IMDT": day.astype(np.int64),
            "IMMETH": method[subj].astype(np.int16),
            "NEWLES": np.where(newles, Y, N).astype(np.int16),
            "PLASMFL": np.where(present, Y, N).astype(np.int16),
            "PLSPD": spd.astype(np.float64),
        },
    )


def _realised(c: Cohort, k: Kinetics, v: Visits, calls: dict) -> dict:
    itt = c.itt
    documented = c.documented_pd & (c.t_prog < c.cutoff)
    bases = ("SERUM", "URINE", "FLC", "NEW LESION", "PLASMACYTOMA GROWTH")
    return {
        "measdis_itt": {
            name: int((itt & (k.measdis == i)).sum()) for i, name in enumerate(MEASDIS)
        },
        "documented_pd_by_basis": {
            name: int((documented & (k.basis == i)).sum()) for i, name in enumerate(bases)
        },
        "plasmacytoma_at_baseline_itt": int((itt & k.plasma0).sum()),
        "minimal_responders_itt": int((itt & (k.level == 0)).sum()),
        **calls,
        "model": "kinetics.py: the relapse is on the 1.0 progression date",
    }
