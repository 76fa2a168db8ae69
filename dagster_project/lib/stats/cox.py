"""Cox hazard ratios (Efron ties, Wald CI): two groups with the log-rank test, and a 0/1
time-dependent covariate on counting-process data with the Wald test."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from ._common import as_time_event, z_value


@dataclass(frozen=True)
class GroupComparison:
    """Group ``Y`` (e.g. MRD-negative) versus the reference ``N``.

    ``hr``/``lower``/``upper``/``log_hr``/``se`` are None when the Cox model is not
    estimable (a group without events: the partial-likelihood maximum is at HR = 0 or
    infinity); ``logrank_chisq``/``logrank_p`` are None when there is no event at all.
    """

    n_y: int
    n_n: int
    events_y: int
    events_n: int
    hr: float | None
    lower: float | None
    upper: float | None
    log_hr: float | None
    se: float | None
    logrank_chisq: float | None
    logrank_p: float | None


def compare_groups(
    time: ArrayLike,
    event: ArrayLike,
    group: ArrayLike,
    treated: str = "Y",
    reference: str = "N",
    conf_level: float = 0.95,
) -> GroupComparison | None:
    """Hazard ratio of ``treated`` versus ``reference`` and the log-rank p-value.

    Cox proportional hazards with one binary covariate (1 = treated), Efron ties, Wald CI
    exp(b +- z se): lifelines ``CoxPHFitter`` (Efron is its only tie method). Log-rank:
    lifelines ``logrank_test`` (chi-square, 1 df, no continuity correction). Rows whose
    group is neither label are ignored. Returns None when either group is empty (no
    comparison, as the endpoint tables require); the HR is None when a group has no event, or
    when every event while both groups are at risk is in one group (``events_tell_groups_apart``:
    the estimate is infinite), and the log-rank test is kept.

    Reproduces R ``coxph(Surv(time, event) ~ factor(group, c("N", "Y")), ties = "efron")``
    and ``survdiff``; checked on survival::lung by sex (HR female vs male 0.588003, CI
    0.423718-0.815985, log-rank p 0.0013112), survival::veteran by treatment,
    survival::mgus2 OS by sex and hand-made tied data (tests/reference/r_reference.json,
    section ``cox``).
    """
    from lifelines import CoxPHFitter  # imported on use: lib/runtime/warm_imports.py
    from lifelines.statistics import logrank_test

    t, e = as_time_event(time, event)
    g = np.asarray(group, dtype=object).ravel()
    if g.shape != t.shape:
        raise ValueError(f"group differs in length from time: {g.size} != {t.size}")
    is_y, is_n = g == treated, g == reference
    n_y, n_n = int(is_y.sum()), int(is_n.sum())
    if n_y == 0 or n_n == 0:
        return None
    ev_y, ev_n = int(e[is_y].sum()), int(e[is_n].sum())

    chisq = p = None
    if ev_y + ev_n > 0:
        lr = logrank_test(t[is_y], t[is_n], e[is_y], e[is_n])
        chisq, p = float(lr.test_statistic), float(lr.p_value)

    hr = lower = upper = log_hr = se = None
    keep = is_y | is_n
    time_kept, event_kept, x_kept = t[keep], e[keep], is_y[keep].astype(float)
    # (false too when a group has no event at all)
    if events_tell_groups_apart(np.full(time_kept.size, -np.inf), time_kept, event_kept, x_kept):
        frame = pd.DataFrame({"time": time_kept, "event": event_kept, "x": x_kept})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # convergence chatter; the fit is checked below
            cph = CoxPHFitter().fit(
                frame, duration_col="time", event_col="event", fit_options={"precision": 1e-12}
            )
        log_hr = float(cph.params_["x"])
        se = float(cph.standard_errors_["x"])
        z = z_value(conf_level)
        hr, lower, upper = np.exp(log_hr), np.exp(log_hr - z * se), np.exp(log_hr + z * se)
        hr, lower, upper = float(hr), float(lower), float(upper)

    return GroupComparison(n_y, n_n, ev_y, ev_n, hr, lower, upper, log_hr, se, chisq, p)


def events_tell_groups_apart(
    start: np.ndarray, stop: np.ndarray, event: np.ndarray, x: np.ndarray
) -> bool:
    """Whether the Cox partial likelihood of a 0/1 covariate has a finite maximum: some event
    at a time when rows of both groups are at risk (start < t <= stop) is in x = 1 and some
    in x = 0. Each such event adds x_i - E[x] to the score, positive for x = 1 and negative
    for x = 0 whatever the coefficient; events while only one group is at risk add 0. So when
    every one of them is in one group the likelihood rises for ever, towards HR 0 or infinity
    (R coxph warns that the "coefficient may be infinite" and prints a huge HR with the CI (0,
    Inf)), and with none it is flat (statsmodels' PHReg raised "Singular matrix"): no HR."""
    times = np.unique(stop[event == 1])

    def at_risk(group: np.ndarray) -> np.ndarray:
        # rows with start < t, less those that already stopped (stop < t)
        starts, stops = np.sort(start[group]), np.sort(stop[group])
        return np.searchsorted(starts, times, "left") - np.searchsorted(stops, times, "left")

    both = times[(at_risk(x == 1) > 0) & (at_risk(x == 0) > 0)]
    telling = (event == 1) & np.isin(stop, both)
    return bool((x[telling] == 1).any() and (x[telling] == 0).any())


@dataclass(frozen=True)
class TimeDependentCox:
    """Hazard ratio of a 0/1 time-dependent covariate (x = 1 versus x = 0).

    ``events_x1``/``events_x0`` count the events that happened while x was 1 / 0.
    ``hr``/``lower``/``upper``/``log_hr``/``se``/``wald_z``/``wald_p`` are None when the model
    is not estimable: no event in one state, or no event in one state while both are at risk
    (the partial-likelihood maximum is at HR = 0 or infinity), or none in either (a flat
    partial likelihood; ``events_tell_groups_apart``).
    """

    events_x1: int
    events_x0: int
    hr: float | None
    lower: float | None
    upper: float | None
    log_hr: float | None
    se: float | None
    wald_z: float | None
    wald_p: float | None


def counting_process(
    time: ArrayLike, event: ArrayLike, switch: ArrayLike, ids: ArrayLike | None = None
) -> pd.DataFrame:
    """Counting-process rows (tstart, tstop] of a covariate that switches once from 0 to 1.

    One subject per element: follow-up from 0 to ``time`` (> 0) ending in ``event`` (1) or a
    censoring (0); ``switch`` the time x turns 1 (NaN = never). x = 1 from the start when
    switch <= 0 (reached before or on the time origin); two rows (0, switch] with x = 0 and
    (switch, time] with x = 1 when 0 < switch < time, the event on the second; x = 0
    throughout when switch >= time (reached on or after the end: too late to count). Columns
    id, tstart, tstop, event, x, in input order.

    The rows R ``survival::tmerge(..., event = event(time, status), x = tdc(switch))`` builds;
    checked row for row on survival::jasa (transplant) and an MRD-shaped synthetic set
    (tests/reference/td_cox_reference.R -> data/td_*_tmerge.csv).
    """
    t, e = as_time_event(time, event)
    s = np.asarray(switch, dtype=float).ravel()
    if s.shape != t.shape:
        raise ValueError(f"switch differs in length from time: {s.size} != {t.size}")
    if (t <= 0).any():
        raise ValueError("time must be > 0: a subject needs follow-up after the time origin")
    subject = np.arange(1, t.size + 1) if ids is None else np.asarray(ids, dtype=object).ravel()
    if subject.shape != t.shape:
        raise ValueError(f"ids differ in length from time: {subject.size} != {t.size}")
    split = ~np.isnan(s) & (s > 0) & (s < t)
    from_start = ~np.isnan(s) & (s <= 0)
    first = pd.DataFrame(
        {
            "id": subject,
            "tstart": 0.0,
            "tstop": np.where(split, s, t),
            "event": np.where(split, 0, e),
            "x": from_start.astype(int),
            "_order": np.arange(t.size) * 2,
        }
    )
    second = pd.DataFrame(
        {
            "id": subject[split],
            "tstart": s[split],
            "tstop": t[split],
            "event": e[split],
            "x": 1,
            "_order": np.flatnonzero(split) * 2 + 1,
        }
    )
    rows = pd.concat([first, second], ignore_index=True).sort_values("_order")
    return rows.drop(columns="_order").reset_index(drop=True)


def cox_time_dependent(
    start: ArrayLike,
    stop: ArrayLike,
    event: ArrayLike,
    x: ArrayLike,
    conf_level: float = 0.95,
) -> TimeDependentCox:
    """Cox model with one 0/1 time-dependent covariate on counting-process data.

    Rows (start, stop] with the event at ``stop`` (counting_process builds them); at each
    event time t the risk set is every row with start < t <= stop. Efron ties, HR exp(b),
    Wald CI exp(b -+ z se) and Wald p 2 (1 - Phi(|b / se|)) with the model-based SE.

    Method: statsmodels ``PHReg(stop, x, status, entry=..., ties="efron")``. statsmodels puts
    a row in the risk set at t when entry <= t (left truncation), R's counting process when
    start < t: the entry given is start moved half the smallest gap between two distinct
    times of the data forward, which is strictly between start and the next time anything
    happens, so both give the same risk sets at every event time. lifelines'
    ``CoxTimeVaryingFitter`` gives the same numbers but took 188 s per fit at 100,000 subjects
    (its Newton step grows with rows x event times); PHReg takes about 2 s.

    Reproduces R ``coxph(Surv(tstart, tstop, event) ~ x, ties = "efron")`` on ``tmerge``
    data; checked on survival::jasa with transplant as the covariate (HR 1.133320, CI
    0.628525-2.043535, Wald p 0.677352) and on MRD-shaped synthetic data with tied event
    times (tests/reference/td_cox_reference.R -> td_cox_reference.json).
    """
    from scipy.stats import norm
    from statsmodels.duration.hazard_regression import PHReg

    t0 = np.asarray(start, dtype=float).ravel()
    t1, e = as_time_event(stop, event)
    xv = np.asarray(x, dtype=float).ravel()
    if not (t0.shape == t1.shape == xv.shape):
        raise ValueError("start, stop, event and x must have the same length")
    if np.isnan(t0).any() or not np.isin(xv, (0.0, 1.0)).all():
        raise ValueError("start must not be missing and x must be coded 0 or 1")
    if (t1 <= t0).any():
        raise ValueError("every row needs stop > start")
    ev_1, ev_0 = int(e[xv == 1].sum()), int(e[xv == 0].sum())
    none = TimeDependentCox(ev_1, ev_0, None, None, None, None, None, None, None)
    if not events_tell_groups_apart(t0, t1, e, xv):  # (as when a state has no event at all)
        return none

    times = np.unique(np.concatenate([t0, t1]))
    half_gap = float(np.diff(times).min()) / 2.0 if times.size > 1 else 0.5
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence chatter; the fit is checked below
        fit = PHReg(t1, xv[:, None], status=e, entry=t0 + half_gap, ties="efron").fit()
    log_hr = float(fit.params[0])
    se = float(fit.bse[0])
    if not (np.isfinite(log_hr) and np.isfinite(se) and se > 0):
        return none
    z = z_value(conf_level)
    wald_z = log_hr / se
    return TimeDependentCox(
        ev_1,
        ev_0,
        float(np.exp(log_hr)),
        float(np.exp(log_hr - z * se)),
        float(np.exp(log_hr + z * se)),
        log_hr,
        se,
        float(wald_z),
        float(2.0 * norm.sf(abs(wald_z))),
    )
