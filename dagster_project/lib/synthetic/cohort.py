"""Sites, subjects, baseline characteristics and each subject's latent timeline.

One row per screened subject, in landing order (site, then subject number). Every
later form is derived from these arrays, so records agree with each other
(no dose after progression, no assessment after death, ...).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .model import MONTH, Parameters
from .vec import FAR, choice, rng_for, uniform_int, year_month_day

MAX_PER_SITE = 900  # well under the 999 a 3-digit SUBJID allows
_FIRST_SITES = ("IT", "IT", "FR", "ES", "DE", "NL")
_MORE_COUNTRIES = (
    "BE",
    "AT",
    "PT",
    "GR",
    "IE",
    "DK",
    "SE",
    "NO",
    "FI",
    "PL",
    "CZ",
    "CH",
    "HU",
    "IT",
    "FR",
    "ES",
    "DE",
    "NL",
)

# REINDRSP / on-study response depth: 1 PR, 2 VGPR, 3 CR, 4 SCR
LEVEL_CODE = {1: "PR", 2: "VGPR", 3: "CR", 4: "SCR"}


def site_ids(n: int) -> list[str]:
    """IT01, IT02, FR01, ES01, DE01, NL01, then round-robin over more countries."""
    seen: dict[str, int] = {}
    out = []
    for i in range(n):
        cc = (
            _FIRST_SITES[i]
            if i < len(_FIRST_SITES)
            else _MORE_COUNTRIES[(i - len(_FIRST_SITES)) % len(_MORE_COUNTRIES)]
        )
        seen[cc] = seen.get(cc, 0) + 1
        out.append(f"{cc}{seen[cc]:02d}")
    return out


def n_sites_for(subjects: int, sites: int) -> int:
    return max(sites, math.ceil(subjects / MAX_PER_SITE), 1)


def allocate(rng: np.random.Generator, subjects: int, sites: int) -> np.ndarray:
    """Uneven site sizes (weights U(0.5, 1.5)), largest remainder, capped at 999."""
    w = rng.uniform(0.5, 1.5, sites)
    raw = w / w.sum() * subjects
    counts = np.floor(raw).astype(np.int64)
    rest = subjects - counts.sum()
    counts[np.argsort(-(raw - counts), kind="stable")[:rest]] += 1
    while counts.max() > 999:
        over = counts.max() - 999
        counts[np.argmax(counts)] -= over
        counts[np.argmin(counts)] += over
    return counts


@dataclass
class Cohort:
    """Per-subject arrays (length n); days since 1970-01-01; FAR = never/not applicable."""

    site_ids: list[str]
    subj_ids: list[str]
    site: np.ndarray
    cutoff: int
    study_start: int
    enrol_end: int
    icf: np.ndarray
    itt: np.ndarray
    # baseline
    age: np.ndarray
    brthyr: np.ndarray
    sex: np.ndarray
    race: np.ndarray
    height: np.ndarray
    weight: np.ndarray
    reind: np.ndarray
    reind_level: np.ndarray
    mobilised: np.ndarray
    diag: np.ndarray
    diag_prec: np.ndarray
    mmtype: np.ndarray  # 0 IGG 1 IGA 2 LIGHT CHAIN 3 OTHER
    lctype: np.ndarray
    iss: np.ndarray
    hrcyto: np.ndarray
    priorln: np.ndarray
    # schedule
    elig: np.ndarray
    c1d1: np.ndarray
    ind_start: np.ndarray  # (n, 3) cycle starts
    ind_end: np.ndarray
    mel: np.ndarray
    asct_day: np.ndarray
    mnt1: np.ndarray
    asct: np.ndarray  # transplanted (MELDT before end of treatment)
    mnt: np.ndarray  # maintenance started
    # latent events
    deep: np.ndarray  # class D
    t_prog: np.ndarray
    documented_pd: np.ndarray  # progression is recorded as an rs PD row
    t_death: np.ndarray
    death_cause: np.ndarray  # codes into dth DTHCAUS
    exit_day: np.ndarray  # end of observation: death, withdrawal or loss (FAR = none)
    exit_kind: np.ndarray  # 0 none, 1 death, 2 withdrawal, 3 lost
    eot: np.ndarray  # end of treatment day (FAR = none)
    eot_reason: np.ndarray  # codes into ds DSDECOD
    sf_end: np.ndarray  # screen failures: END OF STUDY date

    @property
    def n(self) -> int:
        return self.icf.size


# ds DSDECOD codes (contract order)
COMPLETED, PROGRESSIVE, ADVERSE, DEATH, WITHDRAWAL, LOST, PHYSICIAN, OTHER = range(8)
# dth DTHCAUS codes
C_PD, C_AE, C_SPM, C_OTHER = range(4)


def build_cohort(seed: int, subjects: int, sites: int, cutoff: int, p: Parameters) -> Cohort:
    rng = rng_for(seed, 1)
    n_sites = n_sites_for(subjects, sites)
    ids = site_ids(n_sites)
    counts = allocate(rng, subjects, n_sites)
    site = np.repeat(np.arange(n_sites), counts)
    n = subjects

    study_start = cutoff - 1096  # ~36 months of follow-up for the first subject
    enrol_end = study_start + 548  # ~18 months of enrolment
    site_open = study_start + uniform_int(rng, 0, 120, n_sites)
    icf_raw = site_open[site] + np.floor(rng.random(n) * (enrol_end - site_open[site] + 1)).astype(
        np.int64
    )
    order = np.lexsort((icf_raw, site))  # subject numbers follow consent order in a site
    icf = icf_raw[order]
    pos = np.arange(n) - np.repeat(np.cumsum(counts) - counts, counts)
    subj_ids = [f"{ids[s]}-{k + 1:03d}" for s, k in zip(site.tolist(), pos.tolist(), strict=True)]

    itt = rng.random(n) >= p.screen_fail
    sex = choice(rng, [0.58, 0.42], n)  # M, F
    race = choice(rng, [0.86, 0.04, 0.03, 0.03, 0.04], n)
    age = np.clip(np.round(rng.normal(63, 8.5, n)), 38, 84).astype(np.int64)
    y, m, _ = year_month_day(icf)
    # AGE is completed years from 1 July of BRTHYR (adam.md): choose BRTHYR so it is `age`
    brthyr = y - age - (m < 7).astype(np.int64)
    male = sex == 0
    height = np.round(np.where(male, rng.normal(176, 7, n), rng.normal(163, 6.5, n)))
    weight = np.round(
        np.clip(np.where(male, rng.normal(82, 13, n), rng.normal(68, 12, n)), 40, 150), 1
    )
    reind = choice(rng, [0.62, 0.28, 0.10], n)
    reind_level = (4 - choice(rng, [0.15, 0.15, 0.35, 0.35], n)).astype(np.int64)
    mobilised = rng.random(n) < p.mobilised
    diag = icf - uniform_int(rng, 400, 2500, n)
    diag_prec = choice(rng, [0.85, 0.11, 0.04], n)
    mmtype = choice(rng, [0.55, 0.22, 0.20, 0.03], n)
    lctype = choice(rng, [0.65, 0.35], n)
    iss = choice(rng, [0.38, 0.37, 0.25], n)
    hrcyto = choice(rng, [0.24, 0.76], n)  # Y, N
    priorln = 1 + choice(rng, [0.72, 0.20, 0.08], n).astype(np.int64)

    # protocol schedule (planned dates, with realistic slippage)
    elig = icf + uniform_int(rng, 7, 21, n)
    c1d1 = elig + uniform_int(rng, 1, 7, n)
    delay = np.where(rng.random((n, 2)) < 0.8, 0, rng.integers(1, 8, (n, 2)))
    ind_start = np.stack(
        [c1d1, c1d1 + 28 + delay[:, 0], c1d1 + 56 + delay[:, 0] + delay[:, 1]], axis=1
    )
    ind_end = ind_start[:, 2] + 28
    mel = ind_end + uniform_int(rng, 14, 35, n)
    asct_day = mel + 2
    mnt1 = asct_day + uniform_int(rng, 50, 70, n)

    # latent class and event times
    deep = itt & mobilised & (rng.random(n) < p.mrd12 / p.mobilised)
    shift = np.where(deep, p.d_guard_days, 0)

    def exp_days(rate: np.ndarray | float, origin: np.ndarray) -> np.ndarray:
        return origin + 1 + np.floor(rng.exponential(1.0, n) / rate).astype(np.int64)

    lam_p = np.where(deep, p.rate(p.ttp_median_d), p.rate(p.ttp_median_n))
    t_prog = exp_days(lam_p, icf + shift)
    t_d0 = exp_days(p.rate(p.death_pre_pd_median), icf + shift)
    t_pp = exp_days(p.rate(p.post_pd_survival_median), np.zeros(n, np.int64)) - 1
    undocumented = rng.random(n) < p.undocumented_pd_death
    t_wd = exp_days(p.yearly(p.withdrawal_per_year), icf + shift)
    t_lost = exp_days(p.yearly(p.lost_per_year), icf + shift)
    t_tox = exp_days(p.yearly(p.tox_discontinuation_per_year), c1d1 + shift)
    t_phys = exp_days(p.yearly(p.physician_decision_per_year), c1d1 + shift)

    pre_pd_death = t_d0 < t_prog
    t_death = np.where(pre_pd_death, t_d0, np.where(undocumented, t_prog, t_prog + t_pp))
    pre_cause = np.array([C_AE, C_SPM, C_OTHER])[choice(rng, [0.45, 0.15, 0.40], n)]
    post_cause = np.where(rng.random(n) < 0.9, C_PD, C_OTHER)
    death_cause = np.where(pre_pd_death, pre_cause, np.where(undocumented, C_PD, post_cause))

    exits = np.stack([t_death, t_wd, t_lost], axis=1)
    exit_kind = np.argmin(exits, axis=1) + 1
    exit_day = exits.min(axis=1)
    documented_pd = (t_prog < exit_day) & ~undocumented
    t_prog = np.where(t_prog < exit_day, t_prog, FAR)  # progression unseen after exit

    # end of treatment: the first of progression, exit, toxicity, physician decision,
    # or (not planned for transplant) the end of induction
    no_asct_plan = ~(deep | (mobilised & (rng.random(n) < p.asct_intent_n)))
    t_noasct = np.where(no_asct_plan, ind_end + uniform_int(rng, 0, 14, n), FAR)
    noasct_reason = np.where(rng.random(n) < 0.6, PHYSICIAN, OTHER)
    exit_reason = np.array([0, DEATH, WITHDRAWAL, LOST])[exit_kind]
    cands = np.stack([exit_day, t_prog, t_tox, t_phys, t_noasct], axis=1)
    reasons = np.stack(
        [
            exit_reason,
            np.full(n, PROGRESSIVE),
            np.full(n, ADVERSE),
            np.full(n, PHYSICIAN),
            noasct_reason,
        ],
        axis=1,
    )
    which = np.argmin(cands, axis=1)  # ties go to exit first (death on the day of PD)
    eot = cands[np.arange(n), which]
    eot_reason = reasons[np.arange(n), which]
    asct = itt & ~no_asct_plan & (mel < eot)
    mnt = asct & (mnt1 < eot)

    never = ~itt
    for arr in (elig, c1d1, mel, asct_day, mnt1, t_prog, t_death, exit_day, eot, ind_end):
        arr[never] = FAR
    ind_start[never] = FAR
    sf_end = np.where(never, icf + uniform_int(rng, 7, 28, n), FAR)

    return Cohort(
        site_ids=ids,
        subj_ids=subj_ids,
        site=site,
        cutoff=cutoff,
        study_start=study_start,
        enrol_end=enrol_end,
        icf=icf,
        itt=itt,
        age=age,
        brthyr=brthyr,
        sex=sex,
        race=race,
        height=height,
        weight=weight,
        reind=reind,
        reind_level=reind_level,
        mobilised=mobilised,
        diag=diag,
        diag_prec=diag_prec,
        mmtype=mmtype,
        lctype=lctype,
        iss=iss,
        hrcyto=hrcyto,
        priorln=priorln,
        elig=elig,
        c1d1=c1d1,
        ind_start=ind_start,
        ind_end=ind_end,
        mel=mel,
        asct_day=asct_day,
        mnt1=mnt1,
        asct=asct,
        mnt=mnt,
        deep=deep,
        t_prog=t_prog,
        documented_pd=documented_pd & itt,
        t_death=t_death,
        death_cause=death_cause,
        exit_day=exit_day,
        exit_kind=np.where(never, 0, exit_kind),
        eot=eot,
        eot_reason=eot_reason,
        sf_end=sf_end,
    )


def months(days: float) -> float:
    return days / MONTH
