"""Disease kinetics of a contract 1.1 trial: labs that drive the truth (issue 29).

Pure functions on per-subject and per-sample numpy arrays; contract_1_1.py switches them on.

Model (days; F is the tumour burden as a fraction of the burden at relapse):

* Measurable disease at relapse (response.md section 2): light-chain myeloma is urine (50%),
  FLC (38%) or not measurable (12%); the other types are serum (70%), serum and urine (16%),
  urine (5%), FLC (4%) or not measurable (5%). Baselines: serum M-protein lognormal around
  3 g/dL (>= 1.05), urine lognormal around 700 mg/24h (>= 220), involved-minus-uninvolved free
  light chain (DFLC) lognormal around 600 mg/L (>= 120) with an abnormal ratio; the
  components that are not measurable sit below the IMWG thresholds.
* F = exp(0.004 (t - REINDSDT)) before the re-induction (the disease is growing at relapse),
  then exponential decay toward the re-induction nadir f1 (half-life 12-30 days), and from
  C1D1 toward the subject's nadir f2 <= f1 (half-life 20-60 days). The nadir follows the
  depth: PR 0.12-0.42, VGPR 0.012-0.07, CR and sCR 0 (the depth is the re-induction response
  or deeper; class D, model.py, reaches CR or sCR). Minimal responders (30% of the
  serum-measurable subjects outside class D whose relapse, if any, starts regrowing more than
  90 days after C1D1; drawn from a stream of their own so no other subject's values move):
  the re-induction and the study treatment only reach MR, F = f1 = f2 0.55-0.68 (SMPROT
  0.5-0.75 x baseline); their urine M-protein, when measurable, follows
  F ** e with e set so it ends at 0.2-0.4 x baseline (MR in both components). The
  M-protein is truly gone (both immunofixations NEG) when F < GONE; serum M-protein below
  0.1 g/dL reads 0 (not quantifiable) while immunofixation is still positive. In CR the
  involved chain returns to normal (sCR: ratio normal) or stays 4-6 times the uninvolved
  (CR: ratio abnormal).
* Relapse: the existing event dates are kept (model.py's progression date), and the kinetics
  make the PD land on it. Each progressor has a basis: its measurable component (serum, urine
  or FLC), or imaging (a new lesion, 12%, and every progressor without measurable disease;
  or growth of a baseline plasmacytoma, 60% of progressors whose plasmacytoma persists).
  For a biochemical basis the component regrows exponentially over the 60-150 days before the
  PD from its observed nadir N to 1.1-1.4 times the IMWG threshold T (>= 1.25 N and >= N +
  0.5 g/dL serum, 1.0 when N >= 5; + 200 mg/24h urine; + 100 mg/L DFLC), held below
  N + 0.85 (T - N) at every earlier sample, so the PD is at the progression date exactly;
  an imaging basis leaves the labs on their decay (PD without biochemical progression).
* A plasmacytoma (15% at baseline, PLSPD lognormal around 8 cm2) shrinks with the burden and
  is gone under 0.5 cm2, except one that makes the PD: it keeps >= 30% of its size, and grows
  to 1.6-2.4 times its lowest earlier size on the progression date.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .vec import FAR, choice, uniform_int

MEASDIS = ("SERUM", "URINE", "SERUM AND URINE", "FLC", "NONE")
M_SERUM, M_URINE, M_BOTH, M_FLC, M_NONE = range(5)
B_SERUM, B_URINE, B_FLC, B_NEWLES, B_PLSPD = range(5)  # basis of a progression
GONE = 0.004  # F below which no immunofixation detects the M-protein
# categories, best first (disease.py's R_* codes)
R_SCR, R_CR, R_VGPR, R_PR, R_MR, R_SD, R_PD, R_NE = range(8)


@dataclass
class Kinetics:
    """Per-subject parameters (length n)."""

    measdis: np.ndarray
    level: np.ndarray  # deepest response: 0 MR, 1 PR, 2 VGPR, 3 CR, 4 sCR
    b_serum: np.ndarray
    b_urine: np.ndarray
    b_dflc: np.ndarray
    uninv: np.ndarray
    r_inv: np.ndarray  # involved chain / uninvolved once the disease is gone
    r0: np.ndarray  # REINDSDT
    c1d1: np.ndarray
    f1: np.ndarray
    k1: np.ndarray
    f2: np.ndarray
    k2: np.ndarray
    t_prog: np.ndarray
    t_grow: np.ndarray
    g: np.ndarray  # regrowth rate per day
    u_pd: np.ndarray
    basis: np.ndarray
    plasma0: np.ndarray
    plspd0: np.ndarray
    late: np.ndarray  # the labs show the PD one sample before the investigator's PD
    early: np.ndarray  # the investigator writes PD one sample before the labs show it
    confirm: np.ndarray  # a confirming sample 7-14 days after the PD
    confirm_gap: np.ndarray
    missed: np.ndarray  # the PD is never called: next-line therapy without a PD call
    urine_exp: np.ndarray  # the urine M-protein follows F ** urine_exp (1 but for MR subjects)


def _level_fraction(rng: np.random.Generator, level: np.ndarray) -> np.ndarray:
    n = level.size
    return np.select(
        [level >= 3, level == 2],
        [np.zeros(n), rng.uniform(0.012, 0.07, n)],
        rng.uniform(0.12, 0.42, n),
    )


def draw_kinetics(
    rng: np.random.Generator,
    mmtype: np.ndarray,
    deep: np.ndarray,
    reind_level: np.ndarray,
    r0: np.ndarray,
    c1d1: np.ndarray,
    t_prog: np.ndarray,
) -> Kinetics:
    """Every subject's parameters, drawn up front so no record count shifts a later draw."""
    n = mmtype.size
    lc = mmtype == 2
    lc_type = choice(rng, [0.50, 0.38, 0.12], n)
    other_type = choice(rng, [0.70, 0.16, 0.05, 0.04, 0.05], n)
    measdis = np.where(lc, np.array([M_URINE, M_FLC, M_NONE])[lc_type], other_type)
    serum_meas = np.isin(measdis, (M_SERUM, M_BOTH))
    urine_meas = np.isin(measdis, (M_URINE, M_BOTH))
    b_serum = np.where(
        serum_meas,
        np.maximum(rng.lognormal(np.log(3.0), 0.4, n), 1.05),
        np.where(lc, 0.0, rng.uniform(0.2, 0.9, n)),
    )
    b_urine = np.where(
        urine_meas, np.maximum(rng.lognormal(np.log(700), 0.7, n), 220), rng.uniform(20, 180, n)
    )
    b_dflc = np.select(
        [measdis == M_FLC, measdis == M_NONE],
        [np.maximum(rng.lognormal(np.log(600), 0.7, n), 120), rng.uniform(20, 80, n)],
        rng.lognormal(np.log(150), 0.8, n),
    )
    uninv = rng.lognormal(np.log(10), 0.25, n)
    level = np.where(
        deep,
        3 + (rng.random(n) < 0.6),
        np.maximum(reind_level, 1 + choice(rng, [0.25, 0.40, 0.25, 0.10], n)),
    ).astype(np.int64)
    r_inv = np.where(level >= 4, rng.uniform(0.7, 1.3, n), rng.uniform(4.0, 6.0, n))
    f2 = _level_fraction(rng, level)
    f1 = np.maximum(_level_fraction(rng, reind_level), f2)
    k1 = np.log(2) / rng.uniform(12, 30, n)
    k2 = np.log(2) / rng.uniform(20, 60, n)

    plasma0 = rng.random(n) < 0.15
    plspd0 = np.round(rng.lognormal(np.log(8.0), 0.6, n), 2)
    u_basis, u_both = rng.random(n), rng.random(n)
    biochemical = np.select(
        [measdis == M_FLC, measdis == M_URINE, measdis == M_BOTH],
        [B_FLC, B_URINE, np.where(u_both < 0.4, B_URINE, B_SERUM)],
        B_SERUM,
    )
    basis = np.select(
        [measdis == M_NONE, plasma0 & (level == 1) & (u_basis < 0.6), u_basis > 0.88],
        [B_NEWLES, B_PLSPD, B_NEWLES],
        biochemical,
    )
    t_grow = t_prog - uniform_int(rng, 60, 150, n)
    g = np.log(2) / rng.uniform(15, 40, n)
    u_pd = rng.uniform(1.1, 1.4, n)
    late, early, confirm, missed = (rng.random(n) < p for p in (0.10, 0.08, 0.80, 0.10))
    confirm_gap = uniform_int(rng, 7, 14, n)
    return Kinetics(
        measdis, level, b_serum, b_urine, b_dflc, uninv, r_inv, r0, c1d1, f1, k1, f2, k2,
        t_prog, t_grow, g, u_pd, basis, plasma0, plspd0, late, early, confirm, confirm_gap,
        missed, np.ones(n),
    )  # fmt: skip


P_MR = 0.3  # minimal responders among the candidates (module docstring)


def draw_minimal_responders(rng: np.random.Generator, k: Kinetics, deep: np.ndarray) -> None:
    """Make some serum-measurable subjects minimal responders (module docstring), in place.
    `rng` is a stream of its own: the other subjects' parameters are the ones already drawn."""
    n = k.level.size
    u, f, fu = rng.random(n), rng.uniform(0.55, 0.68, n), rng.uniform(0.2, 0.4, n)
    # a subject regrowing from (about) C1D1 would show no response: not a candidate
    candidate = np.isin(k.measdis, (M_SERUM, M_BOTH)) & ~deep & (k.t_grow > k.c1d1 + 90)
    mr = candidate & (u < P_MR)
    k.level = np.where(mr, 0, k.level)
    k.f1, k.f2 = np.where(mr, f, k.f1), np.where(mr, f, k.f2)
    k.urine_exp = np.where(mr & (k.measdis == M_BOTH), np.log(fu) / np.log(f), 1.0)


def urine_burden(k: Kinetics, subj: np.ndarray, f: np.ndarray) -> np.ndarray:
    """The urine M-protein's fraction of its baseline: F, or F ** e for a minimal responder."""
    e = k.urine_exp[subj]
    return np.where(e == 1.0, f, np.power(np.maximum(f, 0.0), e))


def burden(k: Kinetics, subj: np.ndarray, day: np.ndarray) -> np.ndarray:
    """F on `day` without relapse: growth before REINDSDT, then the two exponential decays."""
    r0, c1 = k.r0[subj], k.c1d1[subj]
    f1, f2 = k.f1[subj], k.f2[subj]
    t = day.astype(np.float64)
    pre = np.exp(0.004 * np.minimum(t - r0, 0))
    reind = f1 + (1 - f1) * np.exp(-k.k1[subj] * np.clip(t - r0, 0, None))
    at_c1 = f1 + (1 - f1) * np.exp(-k.k1[subj] * np.clip(c1 - r0, 0, None))
    study = f2 + (at_c1 - f2) * np.exp(-k.k2[subj] * np.clip(t - c1, 0, None))
    return np.where(t < r0, pre, np.where(t < c1, reind, study))


def plasmacytoma(k: Kinetics, subj: np.ndarray, day: np.ndarray) -> np.ndarray:
    """PLSPD (cm2, unrounded; 0 without one at baseline): the baseline size times the burden,
    except that a plasmacytoma that will make the PD keeps at least 30% of its size."""
    floor = np.where(k.basis[subj] == B_PLSPD, 0.3, 0.0)
    return np.where(k.plasma0[subj], k.plspd0[subj] * np.maximum(burden(k, subj, day), floor), 0)


def pd_threshold(basis: np.ndarray, nadir: np.ndarray) -> np.ndarray:
    """The smallest value that is PD above `nadir` (response.md section 3), a hair above."""
    rise = np.select(
        [basis == B_SERUM, basis == B_URINE], [np.where(nadir >= 5, 1.0, 0.5), 200.0], 100.0
    )
    return np.maximum(1.25 * nadir, nadir + rise) + np.where(basis == B_SERUM, 0.01, 1.0)


def group_min(values: np.ndarray, subj: np.ndarray, mask: np.ndarray, n: int) -> np.ndarray:
    out = np.full(n, np.inf)
    np.minimum.at(out, subj[mask], values[mask])
    return out


def regrow(
    k: Kinetics,
    subj: np.ndarray,
    day: np.ndarray,
    observed: np.ndarray,
    basis: int,
    late_row: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """The basis component's values with the relapse put in: PD exactly from the progression
    date (or from `late_row`, one sample earlier), never before. Returns values and a mask of
    the regrowing samples. `observed` are the decay values as written (the nadir is theirs)."""
    n = k.basis.size
    mine = (k.basis[subj] == basis) & (k.t_prog[subj] < FAR)
    before = mine & (day < k.t_grow[subj])
    nadir = group_min(observed, subj, before, n)
    nadir = np.where(np.isfinite(nadir), nadir, 0.0)[subj]
    thr = pd_threshold(np.full(subj.size, basis), nadir)
    v_pd = thr * k.u_pd[subj]
    d = (k.t_prog - k.t_grow)[subj].astype(np.float64)
    t = (day - k.t_grow[subj]).astype(np.float64)
    g = k.g[subj]
    ramp = np.expm1(g * np.clip(t, 0, None)) / np.expm1(g * d)
    v = nadir + (v_pd - nadir) * ramp
    v = np.where(day < k.t_prog[subj], np.minimum(v, nadir + 0.85 * (thr - nadir)), v)
    v = np.where(late_row | (day >= k.t_prog[subj]), np.maximum(v, v_pd), v)
    growing = mine & (day >= k.t_grow[subj])
    return np.where(growing, v, observed), growing


@dataclass
class Sample:
    """What an assessment's labs say, per row (the inputs of the IMWG categories)."""

    subj: np.ndarray
    smprot: np.ndarray
    umprot: np.ndarray  # NaN: not measured
    dflc: np.ndarray
    flcr_normal: np.ndarray
    ife_neg: np.ndarray  # serum (adjudicated) and urine immunofixation both NEG
    ife_pos: np.ndarray  # serum or urine immunofixation POS
    bmpc: np.ndarray  # latest marrow on or before the sample, NaN none
    bmclon_neg: np.ndarray
    plasma_ok: np.ndarray  # no plasmacytoma left, or none at baseline
    plasma_half: np.ndarray  # plasmacytoma <= half its baseline, or none at baseline


def category(
    measdis: np.ndarray,
    base_serum: np.ndarray,
    base_urine: np.ndarray,
    base_dflc: np.ndarray,
    s: Sample,
) -> np.ndarray:
    """IMWG category SCR..SD of each sample (response.md section 3, without PD and NE: the
    generator knows where its PDs are), with the missing-value fall-through (no marrow: no CR).
    `measdis` and the baselines are per subject."""
    md = measdis[s.subj]
    serum = np.isin(md, (M_SERUM, M_BOTH))
    urine = np.isin(md, (M_URINE, M_BOTH))
    flc = md == M_FLC
    bs, bu, bf = base_serum[s.subj], base_urine[s.subj], base_dflc[s.subj]
    um = np.nan_to_num(s.umprot, nan=np.inf)
    cr = s.ife_neg & (s.bmpc < 5) & s.plasma_ok & (~flc | s.flcr_normal)
    scr = cr & s.flcr_normal & s.bmclon_neg
    zero = (~serum | (s.smprot == 0)) & (~urine | (um == 0))
    vgpr = np.select(
        [serum, urine, flc],
        [(s.smprot <= 0.1 * bs) & (~urine | (um < 100)), um < 100, s.dflc <= 0.1 * bf],
        False,
    ) | (zero & ~flc & s.ife_pos)
    pr = (
        (~serum | (s.smprot <= 0.5 * bs))
        & (~urine | (um <= 0.1 * bu) | (um < 200))
        & (~flc | (s.dflc <= 0.5 * bf))
        & s.plasma_half
        & (md != M_NONE)
    )
    mr = serum & (s.smprot <= 0.75 * bs) & (~urine | (um <= 0.5 * bu))
    return np.select([scr, cr, vgpr, pr, mr], [R_SCR, R_CR, R_VGPR, R_PR, R_MR], R_SD)
