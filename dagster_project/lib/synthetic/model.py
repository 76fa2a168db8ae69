"""The generating model's parameters and the true values they imply.

Latent model (all times in days; a month is 30.4375 days):

* Each ITT subject belongs to one of two latent classes. Class D ("deep responders",
  probability `mrd12` among ITT) are mobilised, transplanted and reach an NGF 10^-5
  MRD-negative result at the day-100 or the first 6-monthly post-ASCT assessment, i.e.
  inside (ASCTDT, ASCTDT + 365]; class N never has an NGF 10^-5 negative result inside
  that window (some convert later). So the true MRD12 probability is exactly `mrd12`.
* Class D is event-free for its first `d_guard_days` after ICFDT (no progression,
  death, withdrawal, loss to follow-up or discontinuation: the window in which the
  MRD result must be observed); after that progression and death hazards restart.
* Progression: exponential from ICFDT (class N, median `ttp_median_n`) or from
  ICFDT + `d_guard_days` (class D, median `ttp_median_d`). Progression is
  documented by an unscheduled assessment on the day it happens (RSDT = the latent
  date), except for a fraction `undocumented_pd_death` of progressions, which are
  deaths from progressive disease on that day with no PD assessment.
* Death before progression: exponential, median `death_pre_pd_median`, same origin
  as progression; causes ADVERSE EVENT / SECOND PRIMARY MALIGNANCY / OTHER.
  Death after progression: progression date + exponential, median
  `post_pd_survival_median`; cause PROGRESSIVE DISEASE (90%) or OTHER.
* Withdrawal of consent and loss to follow-up are independent exponential
  censoring processes (same origin as the class's events), so Kaplan-Meier on the
  generated data estimates the latent curves below without bias (apart from the
  discreteness of the last-assessment censoring dates, partial death dates and
  entry lag at the last transfer, all small).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

MONTH = 30.4375


@dataclass(frozen=True)
class Parameters:
    screen_fail: float = 0.08
    mobilised: float = 0.93  # MOBFL = Y among ITT
    asct_intent_n: float = 0.88  # class N, mobilised: planned for ASCT
    mrd12: float = 0.42  # P(class D) among ITT = true MRD12 probability
    d_guard_days: int = 480
    ttp_median_n: float = 22.0  # months from ICFDT
    ttp_median_d: float = 60.0  # months from ICFDT + d_guard_days
    death_pre_pd_median: float = 250.0  # months
    post_pd_survival_median: float = 30.0  # months
    undocumented_pd_death: float = 0.04
    withdrawal_per_year: float = 0.03
    lost_per_year: float = 0.015
    tox_discontinuation_per_year: float = 0.06  # from first dose
    physician_decision_per_year: float = 0.02  # from first dose
    second_pd_median: float = 10.0  # months from the start of NTLINE 2
    third_pd_median: float = 7.0  # months from the start of NTLINE 3

    def rate(self, median_months: float) -> float:
        """Exponential hazard per day for a median in months."""
        return math.log(2.0) / (median_months * MONTH)

    def yearly(self, probability_per_year: float) -> float:
        """Exponential hazard per day for a probability of the event within a year."""
        return -math.log(1.0 - probability_per_year) / 365.25


def _class_survival(
    t: float, lam_p: float, lam_d: float, lam_pp: float, u: float, kind: str
) -> float:
    """Survival of one class from its own origin, closed form.

    PFS: exp(-(lp + ld) t). TTP: exp(-lp t) (deaths without progression are an
    independent censoring, so the net curve is what Kaplan-Meier estimates).
    OS: exp(-a t) + lp (1 - u) (exp(-b t) - exp(-a t)) / (a - b), a = lp + ld, b = lpp:
    no event yet, or progressed at x <= t without immediate death and survived t - x.
    """
    if t <= 0:
        return 1.0
    if kind == "PFS":
        return math.exp(-(lam_p + lam_d) * t)
    if kind == "TTP":
        return math.exp(-lam_p * t)
    a, b = lam_p + lam_d, lam_pp
    return math.exp(-a * t) + lam_p * (1 - u) * (math.exp(-b * t) - math.exp(-a * t)) / (a - b)


def true_survival(p: Parameters, kind: str, t_days: float) -> float:
    """Marginal survival over the two classes at t days from ICFDT."""
    lam_d, lam_pp = p.rate(p.death_pre_pd_median), p.rate(p.post_pd_survival_median)
    u = p.undocumented_pd_death
    s_n = _class_survival(t_days, p.rate(p.ttp_median_n), lam_d, lam_pp, u, kind)
    s_d = _class_survival(t_days - p.d_guard_days, p.rate(p.ttp_median_d), lam_d, lam_pp, u, kind)
    return (1 - p.mrd12) * s_n + p.mrd12 * s_d


def true_median_days(p: Parameters, kind: str) -> float:
    """Smallest t with S(t) <= 0.5, by bisection (S is continuous and decreasing)."""
    lo, hi = 0.0, 100 * 365.25
    for _ in range(200):
        mid = (lo + hi) / 2
        if true_survival(p, kind, mid) > 0.5:
            lo = mid
        else:
            hi = mid
    return hi


def truth_values(p: Parameters) -> dict:
    out: dict = {}
    for kind in ("PFS", "TTP", "OS"):
        med = true_median_days(p, kind)
        out[kind] = {
            "median_months": round(med / MONTH, 4),
            **{f"rate_{m}m": round(true_survival(p, kind, m * MONTH), 5) for m in (12, 24, 36)},
        }
    out["MRD12"] = {"probability": p.mrd12}
    return out


def parameters_dict(p: Parameters) -> dict:
    return asdict(p)
