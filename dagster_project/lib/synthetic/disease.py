"""mrd, rs, lb: disease assessments consistent with each subject's latent course.

MRD (NGF) is sampled on day ASCT+100 and then every 186 days (+0..6) while the
subject is on study and progression-free. Class D's first NGF 10^-5 negative is
the day-100 (60%) or the next sample (both inside ASCT+365); class N converts, if
ever, from the third sample (> ASCT+465). After the first negative each sample
stays negative with probability 0.88 until a loss (then positive). Before it:
POSITIVE 88%, NOT EVALUABLE 7%, NEGATIVE at only 1E-4 5% (not a 10^-5 negative).

Responses (IMWG level 1 PR .. 4 sCR) start at the re-induction response and
deepen by one level with probability 0.3 at each scheduled assessment up to a
subject maximum (class D: CR or sCR); from the first 10^-5 MRD-negative sample
the response is at least CR. Progression is an unscheduled PD assessment on the
latent date; 5% of progressors get one stray PR/VGPR assessment afterwards (to be
ignored by the ADaM). 7% of scheduled assessments are incomplete (RSCOMPL = N,
60% of them NE, and no urine M-protein that day; urine is followed only in
subjects with >= 400 mg/24h at baseline). Laboratory values follow the
level: M-protein 0 and immunofixation NEG from CR, immunofixation POS at VGPR,
fractions of the subject's baseline burden below.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dagster_project.lib.ingest.contract import RESPONSES

from .cohort import PROGRESSIVE, Cohort
from .table import Table
from .treatment import IND, Exposure
from .vec import FAR, choice, entry_lag, explode, group_cumsum, rng_for, uniform_int

NEGATIVE, POSITIVE, NOT_EVALUABLE = 0, 1, 2
SENS = ("1E-5", "1E-4")
# rs RSORRES codes: positions in the contract's code list, which is the IMWG order
# (dbt_project.yml imwg_response_order); `4 - state` below relies on SCR..PR being 0..3.
R_SCR, R_CR, R_VGPR, R_PR, R_MR, R_SD, R_PD, R_NE = (
    RESPONSES.index(c) for c in ("SCR", "CR", "VGPR", "PR", "MR", "SD", "PD", "NE")
)
P_IND, P_ASCT, P_MNT, P_FU = range(4)
SMPROT, UMPROT, SIFE, UIFE, KAPPA, LAMBDA, BMPC, BMCLON = range(8)


@dataclass
class Mrd:
    table: Table
    first_neg: np.ndarray  # per subject: first NGF 1E-5 negative date (FAR none)


def mrd_table(seed: int, c: Cohort) -> Mrd:
    rng = rng_for(seed, 5)
    n = c.n
    lim = np.minimum(np.minimum(c.t_prog, c.exit_day), c.cutoff)
    subj_a = np.flatnonzero(c.asct)
    nk = np.maximum((lim[subj_a] - c.asct_day[subj_a] - 100 - 1) // 186 + 1, 0)
    own, k = explode(nk)
    subj = subj_a[own]
    date = c.asct_day[subj] + 100 + 186 * k + uniform_int(rng, 0, 6, subj.size)
    keep = date < lim[subj]
    subj, k, date = subj[keep], k[keep], date[keep]

    k_first = np.where(c.deep, np.where(rng.random(n) < 0.6, 0, 1), 1 + rng.geometric(0.15, n))
    k_loss = k_first + rng.geometric(0.12, n)
    kf, kl = k_first[subj], k_loss[subj]
    m = subj.size
    pre = np.array([POSITIVE, NOT_EVALUABLE, NEGATIVE])[choice(rng, [0.88, 0.07, 0.05], m)]
    pre_sens = np.where(pre == NEGATIVE, 1, np.where(rng.random(m) < 0.9, 0, 1))
    sus = np.array([NEGATIVE, NEGATIVE, NOT_EVALUABLE])[choice(rng, [0.88, 0.07, 0.05], m)]
    sus_sens = np.where(rng.random(m) < 0.88 / 0.95, 0, 1)  # 1E-4 among negatives ~7%
    res = np.where(k < kf, pre, np.where(k == kf, NEGATIVE, np.where(k < kl, sus, POSITIVE)))
    sens = np.where(k < kf, pre_sens, np.where(k == kf, 0, np.where(k < kl, sus_sens, 0)))
    sens = np.where(res == NOT_EVALUABLE, -1, sens).astype(np.int16)
    # an NGF sample that only reached 1E-4 cannot be called negative at 1E-5: before the first
    # negative 1E-4 negatives stay as drawn; after it a 1E-4 sample is still NEGATIVE (at 1E-4)

    neg5 = (res == NEGATIVE) & (sens == 0)
    first_neg = np.full(n, FAR, dtype=np.int64)
    np.minimum.at(first_neg, subj[neg5], date[neg5])
    table = Table(
        "mrd",
        subj,
        date,
        date + entry_lag(rng, m, mean=14),
        {
            "MRDDT": date,
            "MRDMETH": np.zeros(m, np.int16),
            "MRDSENS": sens,
            "MRDRES": res.astype(np.int16),
        },
        cats={"MRDSENS": SENS},
    )
    return Mrd(table, first_neg)


@dataclass
class Assessments:
    subj: np.ndarray
    date: np.ndarray
    state: np.ndarray  # 4 sCR, 3 CR, 2 VGPR, 1 PR, 0 MR, -1 SD, -2 PD
    complete: np.ndarray
    entry: np.ndarray


def rs_table(
    seed: int, c: Cohort, ex: Exposure, first_neg: np.ndarray
) -> tuple[Table, Assessments]:
    rng = rng_for(seed, 6)
    n = c.n
    lim = np.minimum(np.minimum(c.t_prog, c.exit_day), c.cutoff)
    on_lim = np.minimum(c.eot, lim)
    cs, cp, _, cst = ex.cycles
    d_a = cst + 27
    k_a = d_a < on_lim[cs]
    s_a, d_a, p_a = cs[k_a], d_a[k_a], np.where(cp[k_a] == IND, P_IND, P_MNT)

    s_b = np.flatnonzero(c.asct)
    d_b = c.asct_day[s_b] + uniform_int(rng, 28, 42, s_b.size)
    k_b = d_b < np.minimum(np.where(c.mnt, c.mnt1, FAR), on_lim)[s_b]
    s_b, d_b = s_b[k_b], d_b[k_b]

    s_c0 = np.flatnonzero(c.itt & (c.eot < lim))
    own, k = explode((lim[s_c0] - c.eot[s_c0] - 1) // 56)
    s_c = s_c0[own]
    d_c = c.eot[s_c] + 56 * (k + 1)

    s_d = np.flatnonzero(c.documented_pd & (c.t_prog < c.cutoff))
    d_d = c.t_prog[s_d]
    tp = d_d
    on_trt = (c.eot[s_d] == tp) & (c.eot_reason[s_d] == PROGRESSIVE)
    p_d = np.where(
        ~on_trt,
        P_FU,
        np.where(
            c.mnt[s_d] & (tp >= c.mnt1[s_d]),
            P_MNT,
            np.where(c.asct[s_d] & (tp >= c.mel[s_d]), P_ASCT, P_IND),
        ),
    )
    stray = rng.random(s_d.size) < 0.05
    s_e = s_d[stray]
    d_e = c.t_prog[s_e] + uniform_int(rng, 21, 35, s_e.size)
    k_e = d_e < np.minimum(c.exit_day, c.cutoff)[s_e]
    s_e, d_e = s_e[k_e], d_e[k_e]

    subj = np.concatenate([s_a, s_b, s_c, s_d, s_e])
    date = np.concatenate([d_a, d_b, d_c, d_d, d_e])
    phase = np.concatenate(
        [p_a, np.full(s_b.size, P_ASCT), np.full(s_c.size, P_FU), p_d, np.full(s_e.size, P_FU)]
    )
    kind = np.concatenate(
        [
            np.zeros(s_a.size + s_b.size + s_c.size, np.int8),
            np.ones(s_d.size, np.int8),
            np.full(s_e.size, 2, np.int8),
        ]
    )
    o = np.lexsort((kind, date, subj))
    subj, date, phase, kind = subj[o], date[o], phase[o], kind[o]
    dup = np.zeros(subj.size, bool)  # (np.r_[False, ...] is one long when there is no row)
    dup[1:] = (subj[1:] == subj[:-1]) & (date[1:] == date[:-1])
    subj, date, phase, kind = subj[~dup], date[~dup], phase[~dup], kind[~dup]
    m = subj.size

    lvl0 = c.reind_level
    lmax = np.where(
        c.deep,
        np.maximum(lvl0, 3 + (rng.random(n) < 0.6)),
        np.maximum(lvl0, 1 + choice(rng, [0.25, 0.40, 0.25, 0.10], n)),
    )
    sched = kind == 0
    inc = (sched & (rng.random(m) < 0.3)).astype(np.int64)
    lvl = np.minimum(lvl0[subj] + group_cumsum(inc, subj), lmax[subj])
    lvl = np.where(date >= first_neg[subj], np.maximum(lvl, 3), lvl)
    state = lvl.copy()
    wobble = sched & (lvl == 1) & ~c.deep[subj] & (rng.random(m) < 0.05)
    state = np.where(wobble, np.where(rng.random(m) < 0.5, 0, -1), state)
    state = np.where(kind == 1, -2, state)
    state = np.where(kind == 2, np.where(rng.random(m) < 0.6, 1, 2), state)
    res = np.select([state == -2, state == -1, state == 0], [R_PD, R_SD, R_MR], 4 - state)
    incomplete = sched & (rng.random(m) < 0.07)
    res = np.where(incomplete & (rng.random(m) < 0.6), R_NE, res)
    entry = date + entry_lag(rng, m)
    table = Table(
        "rs",
        subj,
        date,
        entry,
        {
            "RSDT": date,
            "PHASE": phase.astype(np.int16),
            "RSORRES": res.astype(np.int16),
            "RSCOMPL": incomplete.astype(np.int16),  # codes (Y, N)
        },
    )
    return table, Assessments(subj, date, state, ~incomplete, entry)


def lb_table(seed: int, c: Cohort, a: Assessments, mrd: Table) -> Table:
    rng = rng_for(seed, 7)
    n = c.n
    b_serum = rng.lognormal(np.log(3.0), 0.4, n)
    b_urine = rng.lognormal(np.log(400), 0.8, n)
    b_flc = rng.lognormal(np.log(600), 0.7, n)

    scr = np.flatnonzero(c.itt)
    subj = np.concatenate([scr, a.subj])
    date = np.concatenate([c.elig[scr], a.date])
    state = np.concatenate([c.reind_level[scr], a.state])
    complete = np.concatenate([np.ones(scr.size, bool), a.complete])
    entry = np.concatenate([c.elig[scr] + entry_lag(rng, scr.size), a.entry])
    m = subj.size
    frac = np.select(
        [state >= 3, state == 2, state == 1, state == 0, state == -1],
        [
            np.zeros(m),
            rng.uniform(0.02, 0.09, m),
            rng.uniform(0.15, 0.45, m),
            rng.uniform(0.5, 0.7, m),
            rng.uniform(0.75, 0.95, m),
        ],
        rng.uniform(0.8, 1.3, m),
    )
    pd = state == -2
    lc = c.mmtype[subj] == 2
    kappa_type = c.lctype[subj] == 0
    normal_flc = rng.uniform(5, 20, m)
    involved = np.where(state >= 3, normal_flc, np.maximum(b_flc[subj] * frac, normal_flc))
    involved = involved + np.where(pd, 100.0, 0.0)
    uninvolved = rng.lognormal(np.log(10), 0.3, m)
    values = {
        SMPROT: np.round(b_serum[subj] * frac + np.where(pd, 0.5, 0.0), 2),
        UMPROT: np.round(b_urine[subj] * frac + np.where(pd, 200.0, 0.0)),
        KAPPA: np.round(np.where(kappa_type, involved, uninvolved), 1),
        LAMBDA: np.round(np.where(kappa_type, uninvolved, involved), 1),
    }
    ife = np.where(state >= 3, 1, 0)  # NEG from CR, else POS
    urine = b_urine[subj] >= 400  # urine followed only when measurable at baseline
    wanted = {
        SMPROT: ~lc,
        UMPROT: complete & urine,
        SIFE: (state >= 2),
        UIFE: (state >= 2) & complete & urine,
        KAPPA: lc,
        LAMBDA: lc,
    }
    parts = []
    for test, want in wanted.items():
        idx = np.flatnonzero(want)
        num = values[test][idx] if test in values else np.full(idx.size, np.nan)
        txt = ife[idx] if test in (SIFE, UIFE) else np.full(idx.size, -1)
        parts.append((subj[idx], date[idx], np.full(idx.size, test), num, txt, entry[idx]))

    mr_subj, mr_date = mrd.subj, mrd.cols["MRDDT"]
    neg = mrd.cols["MRDRES"] == NEGATIVE
    k = mr_subj.size
    bmpc = np.round(np.where(neg, rng.uniform(0.2, 3.0, k), rng.uniform(3.0, 20.0, k)), 1)
    mr_entry = mr_date + entry_lag(rng, k, mean=10)
    parts.append((mr_subj, mr_date, np.full(k, BMPC), bmpc, np.full(k, -1), mr_entry))
    parts.append(
        (mr_subj, mr_date, np.full(k, BMCLON), np.full(k, np.nan), np.where(neg, 1, 0), mr_entry)
    )

    subj, date, test, num, txt, entry = (np.concatenate(x) for x in zip(*parts, strict=True))
    return Table(
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
