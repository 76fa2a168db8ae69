"""Exact binomial proportions against R binom.test (tests/reference/r_reference.json)."""

import pytest

from dagster_project.lib.stats import proportion, proportion_ci
from tests.reference.r_values import REF


@pytest.mark.parametrize("case", REF["binom"], ids=lambda c: f"{c['x']}of{c['n']}")
def test_matches_r_binom_test(case):
    p = proportion_ci(case["x"], case["n"])
    assert p.estimate == pytest.approx(case["estimate"], abs=1e-6)
    assert p.lower == pytest.approx(case["lower"], abs=1e-4)
    assert p.upper == pytest.approx(case["upper"], abs=1e-4)


def test_hand_derived_bounds():
    # x = 0: lower 0, upper 1 - 0.025^(1/n); x = n: upper 1, lower 0.025^(1/n)
    assert proportion_ci(0, 10).lower == 0.0
    assert proportion_ci(0, 10).upper == pytest.approx(1 - 0.025 ** (1 / 10), abs=1e-10)
    assert proportion_ci(10, 10).lower == pytest.approx(0.025 ** (1 / 10), abs=1e-10)
    assert proportion_ci(10, 10).upper == 1.0
    assert proportion_ci(3, 60).percent == pytest.approx(5.0)


def test_empty_denominator_is_empty_not_an_error():
    p = proportion_ci(0, 0)
    assert (p.n, p.N, p.estimate, p.lower, p.upper, p.percent) == (0, 0, None, None, None, None)


@pytest.mark.parametrize("n,N", [(-1, 5), (6, 5), (1, -1)])
def test_invalid_counts_raise(n, N):
    with pytest.raises(ValueError):
        proportion_ci(n, N)


@pytest.mark.parametrize("n,N", [(0, 10), (3, 60), (10, 10), (0, 0), (7, 100000)])
def test_proportion_without_ci_is_the_estimate_of_proportion_ci(n, N):
    """A table row that shows n (%) only (T07) takes the estimate without the beta quantiles
    of the exact CI; the estimate is the one proportion_ci gives."""
    with_ci, without = proportion_ci(n, N), proportion(n, N)
    assert (without.n, without.N, without.estimate, without.percent) == (
        with_ci.n,
        with_ci.N,
        with_ci.estimate,
        with_ci.percent,
    )
    assert (without.lower, without.upper) == (None, None)


@pytest.mark.parametrize("n,N", [(-1, 5), (6, 5), (1, -1)])
def test_invalid_counts_raise_without_ci_too(n, N):
    with pytest.raises(ValueError):
        proportion(n, N)
