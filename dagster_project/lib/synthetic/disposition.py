"""ds, dth, fu, nt: disposition, death, follow-up contacts, subsequent therapy.

END OF TREATMENT on the end-of-treatment day with its reason; END OF STUDY at
death, withdrawal of consent or loss to follow-up (DSDT = last contact), and for
screen failures (OTHER). Death dates are partial in 8% (YYYY-MM) and 2% (YYYY).
Follow-up contacts every 91 +- 7 days after the end of treatment (ALIVE) and one
DEAD contact 1-21 days after a death. After a documented progression 85% start
NTLINE 2 (14-60 days later); its progression is exponential (median
`second_pd_median`); 75% of those start NTLINE 3, and for 15% of them the line-2
progression date is never reported (PD2DT then comes from NTLINE 3's start).
"""

from __future__ import annotations

import numpy as np

from .cohort import DEATH, LOST, OTHER, WITHDRAWAL, Cohort
from .model import MONTH, Parameters
from .table import Table, concat
from .vec import FAR, NA, choice, entry_lag, explode, rng_for, uniform_int

EOT_CAT, EOS_CAT = 0, 1
ALIVE, DEAD = 0, 1
REGIMENS_2 = (
    "Daratumumab, pomalidomide, dexamethasone",
    "Pomalidomide-bortezomib-dexamethasone",
    "Elotuzumab, pomalidomide, dexamethasone",
    "Selinexor-bortezomib-dexamethasone",
    "Teclistamab",
)
REGIMENS_3 = (
    "Teclistamab",
    "Elranatamab",
    "Ciltacabtagene autoleucel (CAR-T)",
    "Belantamab mafodotin",
    "Talquetamab",
)
REGIMENS = tuple(dict.fromkeys(REGIMENS_2 + REGIMENS_3))


def ds_table(seed: int, c: Cohort) -> Table:
    rng = rng_for(seed, 9)
    eot_s = np.flatnonzero(c.itt & (c.eot < FAR))
    exit_reason = np.array([0, DEATH, WITHDRAWAL, LOST])
    eos_s = np.flatnonzero(c.itt & (c.exit_day < FAR))
    sf = np.flatnonzero(~c.itt)
    subj = np.concatenate([eot_s, eos_s, sf])
    cat = np.concatenate([np.full(eot_s.size, EOT_CAT), np.full(eos_s.size + sf.size, EOS_CAT)])
    date = np.concatenate([c.eot[eot_s], c.exit_day[eos_s], c.sf_end[sf]])
    reason = np.concatenate(
        [c.eot_reason[eot_s], exit_reason[c.exit_kind[eos_s]], np.full(sf.size, OTHER)]
    )
    return Table(
        "ds",
        subj,
        cat.astype(np.int64),
        date + entry_lag(rng, subj.size, mean=14),
        {
            "DSCAT": cat.astype(np.int16),
            "DSDT": date,
            "DSDECOD": reason.astype(np.int16),
        },
    )


def dth_table(seed: int, c: Cohort) -> Table:
    rng = rng_for(seed, 10)
    subj = np.flatnonzero(c.itt & (c.exit_kind == 1))
    date = c.t_death[subj]
    return Table(
        "dth",
        subj,
        np.zeros(subj.size, np.int64),
        date + entry_lag(rng, subj.size, mean=14),
        {
            "DTHDT": date,
            "DTHDT__prec": choice(rng, [0.90, 0.08, 0.02], subj.size),
            "DTHCAUS": c.death_cause[subj].astype(np.int16),
        },
    )


def fu_table(seed: int, c: Cohort) -> Table:
    rng = rng_for(seed, 11)
    lim = np.minimum(c.exit_day, c.cutoff)
    s0 = np.flatnonzero(c.itt & (c.eot < lim))
    own, k = explode((lim[s0] - c.eot[s0] - 8) // 91)
    s_a = s0[own]
    d_a = c.eot[s_a] + 91 * (k + 1) + uniform_int(rng, -7, 7, s_a.size)
    keep = d_a < lim[s_a]
    s_a, d_a = s_a[keep], d_a[keep]
    s_d = np.flatnonzero(c.itt & (c.exit_kind == 1))
    d_d = c.t_death[s_d] + uniform_int(rng, 1, 21, s_d.size)
    subj = np.concatenate([s_a, s_d])
    date = np.concatenate([d_a, d_d])
    stat = np.concatenate([np.full(s_a.size, ALIVE), np.full(s_d.size, DEAD)])
    return Table(
        "fu",
        subj,
        date,
        date + entry_lag(rng, subj.size),
        {
            "FUDT": date,
            "FUSTAT": stat.astype(np.int16),
        },
    )


def nt_table(seed: int, c: Cohort, p: Parameters) -> Table:
    rng = rng_for(seed, 12)
    n = c.n
    start2 = c.t_prog + uniform_int(rng, 14, 60, n)
    has2 = c.documented_pd & (rng.random(n) < 0.85) & (start2 < c.exit_day)
    pd2 = (
        start2
        + 1
        + np.floor(rng.exponential(1.0, n) * p.second_pd_median * MONTH / np.log(2)).astype(
            np.int64
        )
    )
    pd2_seen = has2 & (pd2 < c.exit_day)
    start3 = pd2 + uniform_int(rng, 7, 45, n)
    has3 = pd2_seen & (rng.random(n) < 0.75) & (start3 < c.exit_day)
    pd3 = (
        start3
        + 1
        + np.floor(rng.exponential(1.0, n) * p.third_pd_median * MONTH / np.log(2)).astype(np.int64)
    )
    pd3_seen = has3 & (pd3 < c.exit_day)
    unreported = has3 & (rng.random(n) < 0.15)

    s2, s3 = np.flatnonzero(has2), np.flatnonzero(has3)
    reg2 = np.array([REGIMENS.index(r) for r in REGIMENS_2])[
        choice(rng, [0.35, 0.2, 0.15, 0.15, 0.15], s2.size)
    ]
    reg3 = np.array([REGIMENS.index(r) for r in REGIMENS_3])[
        choice(rng, [0.3, 0.2, 0.2, 0.15, 0.15], s3.size)
    ]
    line = np.concatenate([np.full(s2.size, 2), np.full(s3.size, 3)])
    subj = np.concatenate([s2, s3])
    start = np.concatenate([start2[s2], start3[s3]])
    pdd = np.concatenate(
        [np.where(pd2_seen[s2] & ~unreported[s2], pd2[s2], NA), np.where(pd3_seen[s3], pd3[s3], NA)]
    )
    reg = np.concatenate([reg2, reg3]).astype(np.int16)
    e1 = start + entry_lag(rng, subj.size, mean=14)
    e2 = np.where(pdd == NA, FAR, pdd + entry_lag(rng, subj.size, mean=14))
    one = e2 <= e1
    cols = {"NTLINE": line.astype(np.int64), "NTSTDT": start, "NTREG": reg, "NTPDDT": pdd}
    cats = {"NTREG": REGIMENS}
    final = Table("nt", subj, line.astype(np.int64), np.where(one, e1, e2), cols, cats=cats)
    final = final.take(np.flatnonzero((pdd != NA) | one))
    v1 = np.flatnonzero(~one)
    early = {k: v[v1] for k, v in cols.items()}
    early["NTPDDT"] = np.full(v1.size, NA)
    before = Table("nt", subj[v1], line[v1].astype(np.int64), e1[v1], early, to=e2[v1], cats=cats)
    return concat([final, before])
