"""ex and sct: study drug given on the protocol schedule (adam.md, ADEX table).

INDUCTION C1 isatuximab 10 MG/KG D1, 8, 15, 22; C2-3 D1, 15; dexamethasone
40 MG (20 MG when AGE >= 75) D1, 8, 15, 22; ASCT melphalan 200 MG/M2 on day -2
(MELDT), reinfusion 2 days later; MAINTENANCE C1-12 isatuximab D1, 15 and
dexamethasone 20 MG D1, 8, 15, 22; C13+ isatuximab D1 alone. Administrations
stop at the end of treatment (progression, toxicity, ...) and at the cut-off.
Deviations: 20% of subjects have dexamethasone halved from a random day on
(EXADJ mostly ADVERSE EVENT); 2.5% of administrations are skipped (EXDOSE 0);
0.6% of isatuximab infusions are partial (5 MG/KG, ADVERSE EVENT); 8% of
melphalan doses are 140 MG/M2 (OTHER).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .cohort import Cohort
from .table import Table
from .vec import FAR, choice, entry_lag, explode, group_cumsum, rng_for, uniform_int

ISA, DEX, MEL = 0, 1, 2
IND, ASCT_PHASE, MNT = 0, 1, 2
ADJ_AE, ADJ_OTHER = 0, 1

# template id -> (drug, day) pairs; ids: 0 IND C1, 1 IND C2-3, 2 MNT C1-12, 3 MNT C13+
_TEMPLATES = (
    [(ISA, 1), (ISA, 8), (ISA, 15), (ISA, 22), (DEX, 1), (DEX, 8), (DEX, 15), (DEX, 22)],
    [(ISA, 1), (ISA, 15), (DEX, 1), (DEX, 8), (DEX, 15), (DEX, 22)],
    [(ISA, 1), (ISA, 15), (DEX, 1), (DEX, 8), (DEX, 15), (DEX, 22)],
    [(ISA, 1)],
)
_T_LEN = np.array([len(t) for t in _TEMPLATES])
_T_OFF = np.cumsum(_T_LEN) - _T_LEN
_T_DRUG = np.array([d for t in _TEMPLATES for d, _ in t])
_T_DAY = np.array([day for t in _TEMPLATES for _, day in t])


@dataclass
class Exposure:
    """Per subject: first/last dose > 0 (FAR when none) and the dexamethasone reduction."""

    trt_start: np.ndarray
    trt_end: np.ndarray
    red_day: np.ndarray  # first reduced dexamethasone administration (FAR when none)
    red_reason: np.ndarray  # EXADJ code of the reduction (-1 empty)
    cycles: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # subj, phase, cycle, start


def _cycles(rng: np.random.Generator, c: Cohort, stop: np.ndarray):
    ind_subj = np.flatnonzero(c.itt & (c.c1d1 < stop))
    s_i = np.repeat(ind_subj, 3)
    cyc_i = np.tile(np.arange(1, 4), ind_subj.size)
    start_i = c.ind_start[ind_subj].ravel()
    keep = start_i < stop[s_i]
    s_i, cyc_i, start_i = s_i[keep], cyc_i[keep], start_i[keep]

    m_subj = np.flatnonzero(c.mnt & (c.mnt1 < stop))
    nmax = (stop[m_subj] - c.mnt1[m_subj] - 1) // 28 + 1
    own, pos = explode(nmax)
    s_m = m_subj[own]
    delay = np.where((pos > 0) & (rng.random(pos.size) < 0.15), rng.integers(1, 8, pos.size), 0)
    start_m = c.mnt1[s_m] + 28 * pos + group_cumsum(delay, s_m)
    keep = start_m < stop[s_m]
    s_m, cyc_m, start_m = s_m[keep], pos[keep] + 1, start_m[keep]

    subj = np.concatenate([s_i, s_m])
    phase = np.concatenate([np.full(s_i.size, IND), np.full(s_m.size, MNT)])
    cycle = np.concatenate([cyc_i, cyc_m])
    start = np.concatenate([start_i, start_m])
    return subj, phase, cycle, start


def ex_table(seed: int, c: Cohort) -> tuple[Table, Exposure]:
    rng = rng_for(seed, 3)
    n = c.n
    stop = np.minimum(c.eot, c.cutoff)
    cyc_subj, cyc_phase, cyc_no, cyc_start = _cycles(rng, c, stop)

    tid = np.where(cyc_phase == IND, np.where(cyc_no == 1, 0, 1), np.where(cyc_no <= 12, 2, 3))
    own, pos = explode(_T_LEN[tid])
    flat = _T_OFF[tid[own]] + pos
    subj = cyc_subj[own]
    drug = _T_DRUG[flat]
    day = _T_DAY[flat]
    phase = cyc_phase[own]
    cycle = cyc_no[own]
    date = cyc_start[own] + day - 1
    keep = date < stop[subj]
    subj, drug, day, phase, cycle, date = (a[keep] for a in (subj, drug, day, phase, cycle, date))

    dex_planned = np.where(phase == MNT, 20.0, np.where(c.age[subj] >= 75, 20.0, 40.0))
    dose = np.where(drug == ISA, 10.0, dex_planned)
    adj = np.full(subj.size, -1, dtype=np.int16)

    red_subj = rng.random(n) < 0.20
    red_from = np.where(red_subj, c.c1d1 + uniform_int(rng, 20, 300, n), FAR)
    reason_subj = np.array([ADJ_AE, ADJ_OTHER, -1], dtype=np.int16)[
        choice(rng, [0.80, 0.15, 0.05], n)
    ]
    reduced = (drug == DEX) & (date >= red_from[subj])
    dose = np.where(reduced, dose / 2, dose)
    adj = np.where(reduced, reason_subj[subj], adj)

    skip = rng.random(subj.size) < 0.025
    skip_reason = np.array([ADJ_AE, ADJ_OTHER, -1], dtype=np.int16)[
        choice(rng, [0.70, 0.25, 0.05], subj.size)
    ]
    partial = (drug == ISA) & ~skip & (rng.random(subj.size) < 0.006)
    dose = np.where(skip, 0.0, np.where(partial, 5.0, dose))
    adj = np.where(skip, skip_reason, np.where(partial, ADJ_AE, adj)).astype(np.int16)

    mel_subj = np.flatnonzero(c.asct & (c.mel < c.cutoff))
    mel_red = rng.random(mel_subj.size) < 0.08
    subj = np.concatenate([subj, mel_subj])
    drug = np.concatenate([drug, np.full(mel_subj.size, MEL)])
    phase = np.concatenate([phase, np.full(mel_subj.size, ASCT_PHASE)])
    cycle = np.concatenate([cycle, np.ones(mel_subj.size, np.int64)])
    day = np.concatenate([day, np.full(mel_subj.size, -2)])
    date = np.concatenate([date, c.mel[mel_subj]])
    dose = np.concatenate([dose, np.where(mel_red, 140.0, 200.0)])
    adj = np.concatenate([adj, np.where(mel_red, ADJ_OTHER, -1).astype(np.int16)])

    given = dose > 0
    trt_start = np.full(n, FAR, dtype=np.int64)
    trt_end = np.full(n, -FAR, dtype=np.int64)
    np.minimum.at(trt_start, subj[given], date[given])
    np.maximum.at(trt_end, subj[given], date[given])
    trt_end = np.where(trt_end < 0, FAR, trt_end)
    red_day = np.full(n, FAR, dtype=np.int64)
    is_red = (drug == DEX) & (dose > 0) & (date >= red_from[subj])
    np.minimum.at(red_day, subj[is_red], date[is_red])

    order = drug.astype(np.int64) * 10**8 + date
    table = Table(
        "ex",
        subj,
        order,
        date + entry_lag(rng, subj.size),
        {
            "EXTRT": drug.astype(np.int16),
            "PHASE": phase.astype(np.int16),
            "CYCLE": cycle.astype(np.int64),
            "DAY": day.astype(np.int64),
            "EXSTDT": date,
            "EXDOSE": dose,
            "EXDOSU": drug.astype(np.int16),  # MG/KG, MG, MG/M2 in drug order
            "EXADJ": adj,
        },
    )
    return table, Exposure(
        trt_start, trt_end, red_day, reason_subj, (cyc_subj, cyc_phase, cyc_no, cyc_start)
    )


def sct_table(seed: int, c: Cohort) -> Table:
    rng = rng_for(seed, 4)
    subj = np.flatnonzero(c.asct)
    cd34 = np.round(np.clip(rng.lognormal(np.log(4.5), 0.35, subj.size), 2.0, 15.0), 1)
    return Table(
        "sct",
        subj,
        np.zeros(subj.size, np.int64),
        c.asct_day[subj] + entry_lag(rng, subj.size),
        {
            "MELDT": c.mel[subj],
            "ASCTDT": c.asct_day[subj],
            "CD34": cd34,
        },
    )
