"""Shared helpers of the statistics library: input coercion and small numeric utilities."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike


def as_time_event(time: ArrayLike, event: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Validate and coerce (time, event 0/1) to float and int arrays of equal length."""
    t = np.asarray(time, dtype=float).ravel()
    e = np.asarray(event, dtype=float).ravel()
    if t.shape != e.shape:
        raise ValueError(f"time and event differ in length: {t.size} != {e.size}")
    if np.isnan(t).any() or np.isnan(e).any():
        raise ValueError("time and event must not contain missing values")
    # Negative times are kept, as R's survfit keeps them: in ADTTE they arise only from a
    # site's inconsistent dates (an event before STARTDT), which validation reports as a
    # finding; the analysis must still run and agree with R on the same data.
    if not np.isfinite(t).all():
        raise ValueError("time must be finite")
    if not np.isin(e, (0.0, 1.0)).all():
        raise ValueError("event must be coded 0 (censored) or 1 (event)")
    return t, e.astype(int)


def z_value(conf_level: float) -> float:
    """Two-sided normal quantile, e.g. 1.959964 for 0.95 (R: qnorm(0.975))."""
    if not 0.0 < conf_level < 1.0:
        raise ValueError(f"conf_level must be in (0, 1), got {conf_level}")
    from scipy.stats import norm  # imported on use: lib/runtime/warm_imports.py

    return float(norm.ppf(1.0 - (1.0 - conf_level) / 2.0))


def opt(x: float) -> float | None:
    """A float, or None when it is missing (NaN): the library's 'not estimable'."""
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)
