"""Cox (Efron) hazard ratio and log-rank test against R coxph / survdiff (survival 3.5)."""

import numpy as np
import pandas as pd
import pytest

from dagster_project.lib.stats import compare_groups
from tests.reference.r_values import REF, REF_DIR


def _load(data: dict):
    if "csv" in data:
        frame = pd.read_csv(REF_DIR / "data" / data["csv"])
        return frame[data["time"]], frame[data["event"]], frame[data["group"]]
    return data["time"], data["event"], data["group"]


@pytest.mark.parametrize("case", REF["cox"], ids=lambda c: c["name"])
def test_matches_r(case):
    c = compare_groups(*_load(case["data"]))
    assert [c.n_n, c.n_y] == case["n"]
    assert [c.events_n, c.events_y] == case["events"]
    assert c.hr == pytest.approx(case["hr"], abs=1e-6)
    assert c.log_hr == pytest.approx(case["log_hr"], abs=1e-6)
    assert c.lower == pytest.approx(case["lower"], abs=1e-4)
    assert c.upper == pytest.approx(case["upper"], abs=1e-4)
    assert c.logrank_chisq == pytest.approx(case["logrank_chisq"], abs=1e-6)
    assert c.logrank_p == pytest.approx(case["logrank_p"], abs=1e-6)


def test_empty_group_gives_no_comparison():
    assert compare_groups([1, 2, 3], [1, 0, 1], ["N", "N", "N"]) is None
    assert compare_groups([], [], []) is None


def test_group_without_events_has_no_hr_but_a_log_rank():
    c = compare_groups([1, 2, 3, 4], [1, 0, 1, 0], ["N", "Y", "N", "Y"])
    assert (c.hr, c.lower, c.upper, c.log_hr, c.se) == (None, None, None, None, None)
    assert (c.events_y, c.events_n) == (0, 2)
    # by hand: t=1: 2 N of 4 at risk, E_N = 0.5, V = 0.25; t=3: 1 N of 2, E_N = 0.5,
    # V = 0.25 -> (O - E)^2 / V = (2 - 1)^2 / 0.5 = 2, p = P(chi2_1 > 2) = 0.157299
    assert c.logrank_chisq == pytest.approx(2.0, abs=1e-12)
    assert c.logrank_p == pytest.approx(0.1572992070502851, abs=1e-12)


def test_no_events_at_all():
    c = compare_groups([1, 2, 3, 4], [0, 0, 0, 0], ["Y", "N", "Y", "N"])
    assert c.hr is None and c.logrank_p is None


def test_other_labels_are_ignored():
    time, event, group = _load(REF["cox"][0]["data"])
    base = compare_groups(time, event, group)
    extra = compare_groups(
        np.append(time, 5.0), np.append(event, 1), np.append(np.asarray(group), "UNKNOWN")
    )
    assert extra.hr == pytest.approx(base.hr, abs=1e-9)


def test_an_infinite_hr_is_not_estimable_and_the_log_rank_stays():
    """Y dies at 1 and 2 while N is at risk; N's only death (5) comes when no Y is left: every
    event while both groups are at risk is in Y, so the partial likelihood rises for ever (R
    coxph: "coefficient may be infinite", HR ~1e10, CI (0, Inf); this gave HR 1.55e10 (0,
    inf)). No HR; the log-rank test is a test all the same."""
    c = compare_groups([1, 2, 3, 5], [1, 1, 0, 1], ["Y", "Y", "N", "N"])
    assert c.hr is None and c.lower is None and c.upper is None
    assert c.logrank_p is not None and 0 < c.logrank_p < 1
