"""Kaplan-Meier estimation reproducing R ``survfit(..., conf.type = "log-log")``.

The estimate, Greenwood variance and pointwise log(-log) interval come from lifelines'
``KaplanMeierFitter`` (its default interval is R's log-log interval). Two R conventions are
applied on top, because lifelines differs from R there:

* where S(t) = 1 or S(t) = 0 the log(-log) interval is undefined; R returns NA (None here),
  lifelines returns 1 or 0. Only the origin (times before the first observation) carries
  the interval (1, 1), as R's ``summary.survfit`` does.
* quantiles follow R ``quantile.survfit`` (the port is ``_findq``): the smallest time with
  S(t) <= 1 - p, except that where S(t) equals 1 - p (within sqrt(machine eps)) over an
  interval the midpoint of that interval is taken; a curve that ends on the level takes the
  midpoint between the start of the plateau and the last observed time. The same rule is
  applied to the lower and upper confidence bands (Brookmeyer-Crowley limits).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from ._common import as_time_event, opt

# R: sqrt(.Machine$double.eps), the default `tolerance` of quantile.survfit
QUANTILE_TOLERANCE = float(np.sqrt(np.finfo(float).eps))
DEFAULT_PROBS = (0.25, 0.5, 0.75)


@dataclass(frozen=True)
class Quantile:
    """Time by which a fraction ``prob`` has had the event (S(t) <= 1 - prob), with its CI.

    ``estimate`` None: not reached. ``lower``/``upper`` None: the band never reaches the level.
    """

    prob: float
    estimate: float | None
    lower: float | None
    upper: float | None


@dataclass(frozen=True)
class KMSummary:
    """N, events, censored, and the quantiles (default 25%, 50%, 75%) of a KM curve."""

    n: int
    events: int
    censored: int
    quantiles: tuple[Quantile, ...]

    @property
    def median(self) -> Quantile:
        for q in self.quantiles:
            if q.prob == 0.5:
                return q
        raise KeyError("the median (prob 0.5) was not requested")


@dataclass(frozen=True)
class SurvivalAt:
    """S(t) with its log(-log) CI and the number at risk at a landmark time t.

    All of surv/lower/upper/n_risk are None when t is past the last observed time, unless
    the curve has reached 0 (then S = 0, n_risk 0); lower and upper are None where S(t) is 1
    (after the first observed time) or 0, as in R.
    """

    time: float
    surv: float | None
    lower: float | None
    upper: float | None
    n_risk: int | None


@dataclass(frozen=True)
class _Fit:
    """The survfit object's columns: one row per distinct observed time (no origin row)."""

    time: np.ndarray
    n_risk: np.ndarray
    n_event: np.ndarray
    n_censor: np.ndarray
    surv: np.ndarray
    lower: np.ndarray  # NaN where R has NA
    upper: np.ndarray


def _fit(time: np.ndarray, event: np.ndarray, conf_level: float) -> _Fit:
    from lifelines import KaplanMeierFitter  # imported on use: lib/runtime/warm_imports.py

    times = np.unique(time)
    kmf = KaplanMeierFitter(alpha=1.0 - conf_level).fit(time, event, timeline=times)
    surv = kmf.survival_function_.to_numpy()[:, 0]
    ci = kmf.confidence_interval_.to_numpy()
    undefined = (surv >= 1.0) | (surv <= 0.0)
    lower = np.where(undefined, np.nan, ci[:, 0])
    upper = np.where(undefined, np.nan, ci[:, 1])
    # Counts per distinct time in one pass (a scan per time was quadratic: 100,000 subjects
    # have thousands of distinct times).
    at = np.searchsorted(times, time)
    n_event = np.bincount(at, weights=event, minlength=times.size).round().astype(int)
    n_obs = np.bincount(at, minlength=times.size).astype(int)
    n_risk = time.size - np.concatenate(([0], np.cumsum(n_obs)[:-1]))
    return _Fit(times, n_risk, n_event, n_obs - n_event, surv, lower, upper)


def _approx_index(y: np.ndarray, p: float) -> int | None:
    """R ``approx(y, seq_along(y), p, method = "constant", f = 1)``: index of the smallest
    non-missing y >= p, None when p lies outside [min(y), max(y)]."""
    ok = ~np.isnan(y)
    if not ok.any():
        return None
    vals, idx = y[ok], np.flatnonzero(ok)
    if p < vals.min() or p > vals.max():
        return None
    cand = vals >= p
    return int(idx[cand][np.argmin(vals[cand])])


def _findq(
    x: np.ndarray, y: np.ndarray, probs: Sequence[float], tol: float = QUANTILE_TOLERANCE
) -> list[float | None]:
    """Port of R survival:::findq (survival 3.5): quantiles of a cumulative curve y = 1 - S.

    x starts with the origin and y with 0; y may hold NaN (R's NA bands) and need not be
    monotone (confidence bands), in which case R's approx() semantics are kept.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if np.isnan(y).all() or np.nanmax(y) < min(probs):
        return [None] * len(probs)
    xmax = x[-1]
    keep, seen, seen_nan = [], set(), False
    for i, v in enumerate(y):  # R duplicated(): first occurrence kept, NA equal to NA
        if math.isnan(v):
            if not seen_nan:
                keep.append(i)
            seen_nan = True
        elif v not in seen:
            seen.add(v)
            keep.append(i)
    x, y = x[keep], y[keep]
    out: list[float | None] = []
    for p in probs:
        i1 = _approx_index(y + tol, p)
        i2 = _approx_index(y - tol, p)
        q = None if i1 is None or i2 is None else (x[i1] + x[i2]) / 2.0
        if p == 0:
            q = x[0]
        if not math.isnan(y[-1]) and abs(p - y[-1]) < tol:
            q = None if i1 is None else (x[i1] + xmax) / 2.0
        out.append(opt(q))
    return out


def _quantiles(fit: _Fit, probs: Sequence[float]) -> tuple[Quantile, ...]:
    x = np.r_[0.0, fit.time]
    est = _findq(x, np.r_[0.0, 1.0 - fit.surv], probs)
    # the lower survival band reaches the level first: it gives the lower time limit
    low = _findq(x, np.r_[0.0, 1.0 - fit.lower], probs)
    up = _findq(x, np.r_[0.0, 1.0 - fit.upper], probs)
    return tuple(
        Quantile(float(p), e, lo, u) for p, e, lo, u in zip(probs, est, low, up, strict=True)
    )


def km_quantiles(
    time: ArrayLike,
    event: ArrayLike,
    probs: Sequence[float] = DEFAULT_PROBS,
    conf_level: float = 0.95,
) -> tuple[Quantile, ...]:
    """Kaplan-Meier quantiles with Brookmeyer-Crowley CIs on the log(-log) scale.

    Reproduces R ``quantile(survfit(Surv(time, event) ~ 1, conf.type = "log-log"), probs)``
    including its midpoint rule (see the module docstring). Checked against R on
    survival::lung (days: median 310, CI 284-361; quartiles 170 (144-194), 550 (457-643)),
    survival::veteran, survival::mgus2 and hand-made plateaus (1..8 all events: quartiles
    2.5, 4.5, 6.5) in tests/reference/r_reference.json, section ``km``.
    """
    t, e = as_time_event(time, event)
    if t.size == 0 or e.sum() == 0:
        return tuple(Quantile(float(p), None, None, None) for p in probs)
    return _quantiles(_fit(t, e, conf_level), probs)


def km_summary(
    time: ArrayLike,
    event: ArrayLike,
    probs: Sequence[float] = DEFAULT_PROBS,
    conf_level: float = 0.95,
) -> KMSummary:
    """N, events, censored and quantiles (median, quartiles) of a Kaplan-Meier curve.

    Quantiles as :func:`km_quantiles` (R ``quantile.survfit``, log-log CI); checked against
    R on survival::lung, veteran, mgus2 and hand-made vectors. Empty input gives N = 0 and
    all quantiles None.
    """
    t, e = as_time_event(time, event)
    return KMSummary(
        n=int(t.size),
        events=int(e.sum()),
        censored=int(t.size - e.sum()),
        quantiles=km_quantiles(t, e, probs, conf_level),
    )


def km_survival_at(
    time: ArrayLike,
    event: ArrayLike,
    times: Sequence[float],
    conf_level: float = 0.95,
) -> tuple[SurvivalAt, ...]:
    """S(t) with its pointwise log(-log) CI (Greenwood) at landmark times.

    Reproduces R ``summary(survfit(..., conf.type = "log-log"), times = t, extend = TRUE)``
    with endpoints.md's landmark rule: the value of the step function at the last observed
    time <= t; t past the last observed time (event or censoring) is empty (all None),
    unless the estimate has reached 0, which it then stays at every later t (S = 0, CI None,
    ``n_risk`` 0: no subject is left whose event is unknown); t equal to the last time is
    kept; t before the first observed time gives S = 1 with CI (1, 1); elsewhere S = 1 or
    S = 0 has CI None. ``n_risk`` is the number with time >= t. Checked against R on
    survival::lung (S(365.25 days) = 0.409242, CI 0.338714-0.478381), veteran (0 at 1000
    days, past the last death at 999), mgus2 and hand-made ties.
    """
    t, e = as_time_event(time, event)
    if t.size == 0:
        return tuple(SurvivalAt(float(x), None, None, None, None) for x in times)
    fit = _fit(t, e, conf_level)
    out = []
    for x in times:
        x = float(x)
        if x > fit.time[-1]:
            # a curve that has reached 0 is 0 from then on; any other is unknown past its end
            reached_zero = fit.surv[-1] <= 0.0
            out.append(
                SurvivalAt(x, 0.0, None, None, 0)
                if reached_zero
                else SurvivalAt(x, None, None, None, None)
            )
            continue
        n_risk = int((t >= x).sum())
        i = int(np.searchsorted(fit.time, x, side="right")) - 1
        if i < 0:
            out.append(SurvivalAt(x, 1.0, 1.0, 1.0, n_risk))
        else:
            out.append(
                SurvivalAt(x, float(fit.surv[i]), opt(fit.lower[i]), opt(fit.upper[i]), n_risk)
            )
    return tuple(out)


def km_curve(time: ArrayLike, event: ArrayLike, conf_level: float = 0.95) -> pd.DataFrame:
    """The Kaplan-Meier step function for plotting: one row per distinct observed time.

    Columns ``time, n_risk, n_event, n_censor, surv, lower, upper`` (lower/upper NaN where R
    has NA), preceded by the origin row (time 0, S = 1, CI 1-1) unless an observation is at
    0. Censoring ticks are the rows with ``n_censor > 0``. Same estimator as
    :func:`km_survival_at`.
    """
    t, e = as_time_event(time, event)
    cols = ["time", "n_risk", "n_event", "n_censor", "surv", "lower", "upper"]
    if t.size == 0:
        return pd.DataFrame(columns=cols)
    fit = _fit(t, e, conf_level)
    frame = pd.DataFrame(
        {
            "time": fit.time,
            "n_risk": fit.n_risk,
            "n_event": fit.n_event,
            "n_censor": fit.n_censor,
            "surv": fit.surv,
            "lower": fit.lower,
            "upper": fit.upper,
        }
    )
    if fit.time[0] > 0:
        origin = pd.DataFrame([[0.0, t.size, 0, 0, 1.0, 1.0, 1.0]], columns=cols)
        frame = pd.concat([origin, frame], ignore_index=True)
    return frame


def numbers_at_risk(time: ArrayLike, at: Sequence[float]) -> tuple[int, ...]:
    """Numbers at risk under a KM plot: subjects with time >= t, for each t in ``at``.

    Same count as R ``summary(survfit(...), times = t)$n.risk`` for t within follow-up; 0
    past the last observed time (R drops those times).
    """
    t = np.asarray(time, dtype=float).ravel()
    return tuple(int((t >= float(x)).sum()) for x in at)
