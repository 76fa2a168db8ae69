"""Agreement of two raters on one categorical scale: Cohen's kappa.

Used by T15 (response.md section 4): the investigator's confirmed best response against
the one computed from the labs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Agreement:
    """Agreement of two ratings of the same N subjects.

    ``table`` is the cross-table (rows the first rater, columns the second, in the order of
    ``categories``); ``observed`` the proportion of subjects on the diagonal; ``kappa`` with
    its asymptotic standard error and 95% Wald CI, None when not estimable (``why`` says
    why: no subject, or both raters used one and the same category, so the chance
    agreement is 1 and kappa is 0 / 0).
    """

    categories: tuple[str, ...]
    table: np.ndarray
    n: int
    agree: int
    observed: float | None
    expected: float | None
    kappa: float | None
    se: float | None
    lower: float | None
    upper: float | None
    why: str = ""


def cross_table(
    first: Sequence[str], second: Sequence[str], categories: Sequence[str]
) -> np.ndarray:
    """Counts of (first, second) pairs: rows ``first``, columns ``second``, in the order of
    ``categories``; a value outside ``categories`` is refused rather than dropped."""
    if len(first) != len(second):
        raise ValueError(f"two ratings of different length: {len(first)} and {len(second)}")
    index = {c: i for i, c in enumerate(categories)}
    unknown = sorted({v for v in (*first, *second) if v not in index})
    if unknown:
        raise ValueError(f"ratings outside the categories {list(categories)}: {unknown}")
    table = np.zeros((len(categories), len(categories)), dtype=int)
    for a, b in zip(first, second, strict=True):
        table[index[a], index[b]] += 1
    return table


def cohens_kappa(
    first: Sequence[str],
    second: Sequence[str],
    categories: Sequence[str],
    conf_level: float = 0.95,
) -> Agreement:
    """Unweighted Cohen's kappa of two ratings with its asymptotic SE and Wald CI.

    Method: statsmodels ``cohens_kappa(table)`` (kappa = (po - pe) / (1 - pe); the standard
    error of Fleiss, Cohen and Everitt 1969, ``std_kappa``, not the one under the null
    hypothesis); CI = kappa -/+ z * SE (endpoints.md, agreement). Categories neither rater
    used stay in the table and change nothing.

    Checked against R ``psych::cohen.kappa`` and against the closed form worked by hand
    (tests/unit/test_stats_agreement.py, tests/reference/kappa_reference.R): the 2 x 2 table
    [[20, 5], [10, 15]] gives kappa 0.4, SE 0.12700, CI 0.1511-0.6489.
    """
    from scipy.stats import norm
    from statsmodels.stats.inter_rater import cohens_kappa as sm_cohens_kappa

    categories = tuple(categories)
    table = cross_table(first, second, categories)
    n = int(table.sum())
    agree = int(np.trace(table))
    if n == 0:
        return Agreement(categories, table, 0, 0, None, None, None, None, None, None, "no subject")
    observed = agree / n
    p = table / n
    expected = float(p.sum(axis=1) @ p.sum(axis=0))
    if np.isclose(expected, 1.0):
        return Agreement(
            categories,
            table,
            n,
            agree,
            observed,
            expected,
            None,
            None,
            None,
            None,
            "both raters gave every subject the same one category (chance agreement 1)",
        )
    result = sm_cohens_kappa(table)
    # The FCE variance is a difference of terms of order 1: where it is exactly 0 (one rater used
    # a single category, so kappa is 0 whatever the table) binary rounding leaves about +/-1e-16,
    # and statsmodels' square root of a negative one is NaN (found by fuzzing: T15 printed no
    # SE or CI). Rounded at 12 decimals, far below any SE a table of subjects gives.
    kappa = float(result.kappa)
    se = float(np.sqrt(max(round(float(result.var_kappa), 12), 0.0)))
    z = float(norm.ppf(0.5 + conf_level / 2))
    return Agreement(
        categories, table, n, agree, observed, expected, kappa, se, kappa - z * se, kappa + z * se
    )
