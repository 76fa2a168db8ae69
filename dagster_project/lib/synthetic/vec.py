"""Vectorised helpers shared by the generator modules (no per-subject Python loops).

Dates are int64 day numbers since 1970-01-01; `NA` marks a missing int or date.
"""

from __future__ import annotations

import numpy as np

NA = np.iinfo(np.int64).min
FAR = np.int64(10**7)  # a day number beyond any horizon: "never" for latent event times


def rng_for(seed: int, stream: int) -> np.random.Generator:
    """An independent PCG64 stream per generator module, so changing one module's draws
    never shifts another module's values for the same seed."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, stream])))


def explode(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For counts [2, 0, 3] return owner [0, 0, 2, 2, 2] and position [0, 1, 0, 1, 2]."""
    counts = np.asarray(counts, dtype=np.int64)
    counts = np.maximum(counts, 0)
    owner = np.repeat(np.arange(counts.size, dtype=np.int64), counts)
    starts = np.cumsum(counts) - counts
    pos = np.arange(owner.size, dtype=np.int64) - np.repeat(starts, counts)
    return owner, pos


def group_cumsum(values: np.ndarray, owner: np.ndarray) -> np.ndarray:
    """Cumulative sum restarting at every new owner; rows must be grouped by owner."""
    values = np.asarray(values, dtype=np.int64)
    if values.size == 0:
        return values.copy()
    cs = np.cumsum(values)
    first = np.r_[True, owner[1:] != owner[:-1]]
    starts = np.flatnonzero(first)
    base = cs[starts] - values[starts]
    grp = np.cumsum(first) - 1
    return cs - base[grp]


def choice(rng: np.random.Generator, probs: list[float] | np.ndarray, n: int) -> np.ndarray:
    """Category codes 0..k-1 drawn with the given probabilities (inverse-CDF, int16)."""
    cdf = np.cumsum(np.asarray(probs, dtype=float))
    cdf /= cdf[-1]
    return np.minimum(np.searchsorted(cdf, rng.random(n), side="right"), cdf.size - 1).astype(
        np.int16
    )


def uniform_int(rng: np.random.Generator, low: int, high: int, n: int) -> np.ndarray:
    """Integers in [low, high], both ends included."""
    return rng.integers(low, high + 1, n, dtype=np.int64)


def entry_lag(rng: np.random.Generator, n: int, mean: float = 7.0, cap: int = 60) -> np.ndarray:
    """Days between an event and its entry in the EDC: geometric, >= 1 (a record dated
    on an extract's day is never in that extract), capped."""
    return np.minimum(rng.geometric(1.0 / mean, n).astype(np.int64), cap)


def day_of(iso: str) -> int:
    return int(np.datetime64(iso, "D").astype(np.int64))


def iso_of(day: int) -> str:
    return str(np.datetime64(int(day), "D"))


def year_month_day(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    d = np.asarray(days, dtype=np.int64).astype("datetime64[D]")
    y = d.astype("datetime64[Y]")
    m = d.astype("datetime64[M]")
    year = y.astype(np.int64) + 1970
    month = (m - y.astype("datetime64[M]")).astype(np.int64) + 1
    day = (d - m.astype("datetime64[D]")).astype(np.int64) + 1
    return year, month, day


def sort_rows(*keys: np.ndarray) -> np.ndarray:
    """Stable order by keys, the first key most significant."""
    return np.lexsort(tuple(reversed(keys)))
