"""Cohen's kappa (lib.stats.cohens_kappa) against the value worked by hand, an independent
implementation of the Fleiss, Cohen and Everitt (1969) variance, and R psych::cohen.kappa
(tests/reference/kappa_reference.R -> kappa_reference.json)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from dagster_project.lib.stats.agreement import cohens_kappa, cross_table

REFERENCE = Path(__file__).parents[1] / "reference"


def _ratings(table: list[list[int]], categories: list[str]) -> tuple[list[str], list[str]]:
    first, second = [], []
    for i, a in enumerate(categories):
        for j, b in enumerate(categories):
            first += [a] * table[i][j]
            second += [b] * table[i][j]
    return first, second


def _fleiss_cohen_everitt(table: np.ndarray) -> tuple[float, float]:
    """Kappa and its asymptotic SE written out from Fleiss, Cohen and Everitt (1969), eq. 13,
    with loops, independently of statsmodels."""
    n = table.sum()
    p = table / n
    rows, cols = p.sum(axis=1), p.sum(axis=0)
    po = sum(p[i, i] for i in range(len(p)))
    pe = sum(rows[i] * cols[i] for i in range(len(p)))
    k = (po - pe) / (1 - pe)
    a = sum(p[i, i] * (1 - (rows[i] + cols[i]) * (1 - k)) ** 2 for i in range(len(p)))
    b = (1 - k) ** 2 * sum(
        p[i, j] * (cols[i] + rows[j]) ** 2 for i in range(len(p)) for j in range(len(p)) if i != j
    )
    c = (k - pe * (1 - k)) ** 2
    return k, float(np.sqrt((a + b - c) / (n * (1 - pe) ** 2)))


def test_two_by_two_worked_by_hand():
    # [[20, 5], [10, 15]], n = 50: po = 35/50 = 0.7; rows 0.5/0.5, columns 0.6/0.4 so
    # pe = 0.5*0.6 + 0.5*0.4 = 0.5; kappa = (0.7 - 0.5) / (1 - 0.5) = 0.4.
    # Variance: A = 0.4*(1 - 1.1*0.6)^2 + 0.3*(1 - 0.9*0.6)^2 = 0.04624 + 0.06348 = 0.10972;
    # B = 0.6^2 * (0.1*(0.6+0.5)^2 + 0.2*(0.4+0.5)^2) = 0.36 * 0.283 = 0.10188;
    # C = (0.4 - 0.5*0.6)^2 = 0.01; var = (A + B - C) / (50 * 0.5^2) = 0.2016 / 12.5
    # = 0.016128, SE = 0.126996; CI 0.4 -/+ 1.959964 * SE = 0.151092 - 0.648908.
    first, second = _ratings([[20, 5], [10, 15]], ["Y", "N"])
    result = cohens_kappa(first, second, ["Y", "N"])
    assert (result.n, result.agree) == (50, 35)
    assert result.observed == pytest.approx(0.7)
    assert result.expected == pytest.approx(0.5)
    assert result.kappa == pytest.approx(0.4)
    assert result.se == pytest.approx(0.126996, abs=1e-6)
    assert result.lower == pytest.approx(0.151092, abs=1e-6)
    assert result.upper == pytest.approx(0.648908, abs=1e-6)


def test_eight_categories_match_the_written_out_formula():
    rng = np.random.default_rng(29)
    categories = ["SCR", "CR", "VGPR", "PR", "MR", "SD", "PD", "NE"]
    # mostly on the diagonal, as two raters of the same disease are
    table = rng.integers(0, 3, size=(8, 8)) + np.diag(rng.integers(3, 12, size=8))
    first, second = _ratings(table.tolist(), categories)
    result = cohens_kappa(first, second, categories)
    kappa, se = _fleiss_cohen_everitt(table)
    np.testing.assert_array_equal(result.table, table)
    assert result.kappa == pytest.approx(kappa, abs=1e-12)
    assert result.se == pytest.approx(se, abs=1e-12)


@pytest.mark.parametrize("case", json.loads((REFERENCE / "kappa_reference.json").read_text()))
def test_matches_r_psych_cohen_kappa(case):
    categories = case["categories"]
    first, second = _ratings(case["table"], categories)
    result = cohens_kappa(first, second, categories)
    assert result.kappa == pytest.approx(case["kappa"], abs=1e-6)
    assert result.se == pytest.approx(case["se"], abs=1e-6)
    assert result.lower == pytest.approx(case["lower"], abs=1e-6)
    assert result.upper == pytest.approx(case["upper"], abs=1e-6)


@pytest.mark.parametrize("table", [[[7, 0], [4, 0]], [[57, 0], [3, 0]], [[10, 0], [1, 0]]])
def test_one_rater_with_one_category_gives_kappa_0_with_se_0(table):
    """One rater (the computed response) calls every subject a responder: po = pe, kappa 0, and
    the FCE variance is exactly 0 ([[7, 0], [4, 0]]: A = 343/1331, B = 196/1331, C = 539/1331,
    worked by hand). Binary rounding left it at about -1e-16, whose square root statsmodels
    gives as NaN: T15 printed no SE or CI (found by fuzzing); or at +2e-15, an SE of 5e-8."""
    first, second = _ratings(table, ["Y", "N"])
    result = cohens_kappa(first, second, ["Y", "N"])
    assert (result.kappa, result.se, result.lower, result.upper) == (0.0, 0.0, 0.0, 0.0)


def test_unused_categories_change_nothing():
    first, second = _ratings([[20, 5], [10, 15]], ["Y", "N"])
    wide = cohens_kappa(first, second, ["Y", "N", "NE"])
    assert wide.table.shape == (3, 3)
    assert wide.kappa == pytest.approx(0.4)
    assert wide.se == pytest.approx(0.126996, abs=1e-6)


def test_not_estimable_says_why():
    same = cohens_kappa(["NE"] * 5, ["NE"] * 5, ["CR", "NE"])
    assert same.kappa is None and same.observed == 1.0
    assert "same one category" in same.why
    empty = cohens_kappa([], [], ["CR", "NE"])
    assert empty.kappa is None and empty.n == 0 and empty.why == "no subject"


def test_refuses_a_category_outside_the_scale():
    with pytest.raises(ValueError, match="outside the categories"):
        cross_table(["CR", "XX"], ["CR", "CR"], ["CR", "NE"])
