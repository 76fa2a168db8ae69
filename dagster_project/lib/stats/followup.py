"""Median follow-up by the reverse Kaplan-Meier method."""

from __future__ import annotations

from numpy.typing import ArrayLike

from ._common import as_time_event
from .km import Quantile, km_quantiles


def median_followup(time: ArrayLike, event: ArrayLike, conf_level: float = 0.95) -> Quantile:
    """Median follow-up: the median of the Kaplan-Meier curve with censoring as the event.

    Pass the OS times and OS event flags (1 = death); deaths become censored observations.
    Same quantile rule and log(-log) CI as :func:`km.km_quantiles`. Reproduces R
    ``quantile(survfit(Surv(time, 1 - status) ~ 1, conf.type = "log-log"), 0.5)``; checked
    on survival::lung (days: 588, CI 511-821), veteran (not reached: None) and mgus2
    (months: 185, CI 175-191) in tests/reference/r_reference.json, section ``followup``.
    """
    t, e = as_time_event(time, event)
    return km_quantiles(t, 1 - e, probs=(0.5,), conf_level=conf_level)[0]
