"""Two-group comparison: Cox hazard ratio (Efron ties, Wald CI) and the log-rank test."""

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
    comparison, as the endpoint tables require).

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
    if ev_y > 0 and ev_n > 0:
        keep = is_y | is_n
        frame = pd.DataFrame({"time": t[keep], "event": e[keep], "x": is_y[keep].astype(float)})
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
