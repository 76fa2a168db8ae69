"""Proportions n / N with the exact (Clopper-Pearson) confidence interval."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Proportion:
    """n of N with its exact CI; estimate and bounds are fractions, None when N = 0."""

    n: int
    N: int
    estimate: float | None
    lower: float | None
    upper: float | None

    @property
    def percent(self) -> float | None:
        return None if self.estimate is None else 100.0 * self.estimate


def proportion_ci(n: int, N: int, conf_level: float = 0.95) -> Proportion:
    """Proportion n / N with the exact Clopper-Pearson CI (beta quantiles).

    N is the population size (the ITT denominator), so non-evaluable subjects count as
    failures. N = 0 gives an empty result (estimate and CI None), not an error, because a
    table row may legitimately have no subjects.

    Method: SciPy ``binomtest(n, N).proportion_ci(conf_level, method="exact")``.
    Checked against R ``binom.test(x, n)$conf.int`` (tests/reference/r_reference.json,
    section ``binom``), e.g. x = 3, n = 60: 0.010440 - 0.139160; x = 0, n = 10: 0 - 0.308497.
    """
    p = proportion(n, N)
    if p.N == 0:
        return p
    from scipy.stats import binomtest  # imported on use: lib/runtime/warm_imports.py

    ci = binomtest(p.n, p.N).proportion_ci(confidence_level=conf_level, method="exact")
    return Proportion(n=p.n, N=p.N, estimate=p.estimate, lower=float(ci.low), upper=float(ci.high))


def proportion(n: int, N: int) -> Proportion:
    """n / N without a confidence interval (lower and upper None), for a row that shows n (%)
    only: T07 has such a row per SOC, PT and grade, and the exact CI's beta quantiles are most
    of a call's cost (bench/results.md). Same checks and estimate as :func:`proportion_ci`."""
    n, N = int(n), int(N)
    if N < 0 or n < 0 or n > N:
        raise ValueError(f"need 0 <= n <= N, got n={n}, N={N}")
    if N == 0:
        return Proportion(n=0, N=0, estimate=None, lower=None, upper=None)
    return Proportion(n=n, N=N, estimate=n / N, lower=None, upper=None)
