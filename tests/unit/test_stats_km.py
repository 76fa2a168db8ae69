"""Kaplan-Meier quantiles, landmark rates and reverse-KM follow-up against R survival 3.5.

Reference: tests/reference/make_reference.R (survfit conf.type = "log-log", quantile,
summary(times =), survival:::findq); the datasets are exported to tests/reference/data.
"""

import numpy as np
import pandas as pd
import pytest

from dagster_project.lib.stats import (
    km_curve,
    km_quantiles,
    km_summary,
    km_survival_at,
    median_followup,
    numbers_at_risk,
)
from dagster_project.lib.stats.km import _findq
from tests.reference.r_values import REF, REF_DIR, assert_same

POINT, CI = 1e-6, 1e-4


def _load(data: dict) -> tuple[np.ndarray, np.ndarray]:
    if "csv" in data:
        frame = pd.read_csv(REF_DIR / "data" / data["csv"])
        return frame[data["time"]].to_numpy() / data["scale"], frame[data["event"]].to_numpy()
    return np.asarray(data["time"], float), np.asarray(data["event"], int)


@pytest.mark.parametrize("case", REF["km"], ids=lambda c: c["name"])
def test_quantiles_match_r(case):
    time, event = _load(case["data"])
    q = km_quantiles(time, event, case["probs"])
    assert_same([x.estimate for x in q], case["quantile"], POINT)
    assert_same([x.lower for x in q], case["lower"], CI)
    assert_same([x.upper for x in q], case["upper"], CI)


@pytest.mark.parametrize("case", REF["km"], ids=lambda c: c["name"])
def test_landmarks_match_r(case):
    time, event = _load(case["data"])
    lm = case["landmarks"]
    s = km_survival_at(time, event, lm["times"])
    assert_same([x.surv for x in s], lm["surv"], POINT)
    assert_same([x.lower for x in s], lm["lower"], CI)
    assert_same([x.upper for x in s], lm["upper"], CI)
    assert_same([x.n_risk for x in s], lm["n_risk"], 0)


@pytest.mark.parametrize("case", REF["km"], ids=lambda c: c["name"])
def test_summary_counts(case):
    time, event = _load(case["data"])
    s = km_summary(time, event)
    assert (s.n, s.events, s.censored) == (case["n"], case["events"], case["n"] - case["events"])
    assert_same([s.median.estimate], [case["quantile"][1]], POINT)


@pytest.mark.parametrize("case", REF["followup"], ids=lambda c: c["name"])
def test_median_followup_matches_r(case):
    time, event = _load(case["data"])
    m = median_followup(time, event)
    assert_same([m.estimate], [case["median"]], POINT)
    assert_same([m.lower, m.upper], [case["lower"], case["upper"]], CI)


@pytest.mark.parametrize("case", REF["findq"], ids=lambda c: str(c["y"]))
def test_quantile_rule_matches_r_findq(case):
    # the rule applied to the curve and to both bands, on curves that hit the level exactly
    y = np.array([np.nan if v is None else v for v in case["y"]])
    assert_same(_findq(np.array(case["x"], float), y, case["probs"]), case["quantile"], 1e-12)


def test_spec_library_note_values():
    # endpoints.md: lung median 310 days (284-361); S(365.25) = 0.4092 (0.3387-0.4784)
    frame = pd.read_csv(REF_DIR / "data" / "lung.csv")
    med = km_summary(frame.time, frame.event).median
    assert (med.estimate, med.lower, med.upper) == (310, 284, 361)
    (s,) = km_survival_at(frame.time, frame.event, [365.25])
    assert (round(s.surv, 4), round(s.lower, 4), round(s.upper, 4)) == (0.4092, 0.3387, 0.4784)


# ---- hand-derived edge cases ----------------------------------------------------------


def test_plateau_midpoint_rule():
    # 1..8 all events: S = 0.5 on [4, 5) -> median 4.5 (lifelines' own median says 4)
    q = km_quantiles(np.arange(1, 9), np.ones(8))
    assert [x.estimate for x in q] == [2.5, 4.5, 6.5]


def test_plateau_to_last_time_takes_midpoint_with_last_time():
    # S = 0.5 from t = 2 until the last (censored) time 4 -> (2 + 4) / 2
    assert km_quantiles([1, 2, 3, 4], [1, 1, 0, 0], (0.5,))[0].estimate == 3.0


def test_ci_band_midpoint_rule():
    # band 1 - S = 0, 0.25, 0.5, 0.5, 0.75 at 0..4 (3 is a censoring time, no step):
    # the level holds on [2, 4) -> 3; crossing without a plateau: the crossing time
    x = np.array([0.0, 1, 2, 3, 4])
    assert _findq(x, np.array([0, 0.25, 0.5, 0.5, 0.75]), (0.5,)) == [3.0]
    assert _findq(x, np.array([0, 0.25, 0.4, 0.6, 0.75]), (0.5,)) == [3.0]
    # band ending on the level: midpoint of its start and the last time
    assert _findq(x, np.array([0, 0.25, 0.4, 0.5, 0.5]), (0.5,)) == [3.5]
    # a band that never reaches the level gives no limit
    assert _findq(x, np.array([0, 0.1, 0.2, 0.3, 0.4]), (0.5,)) == [None]


def test_median_not_reached():
    s = km_summary([1, 2, 3, 4, 5, 6], [1, 0, 0, 0, 0, 0])
    assert s.median.estimate is None and s.median.upper is None


def test_no_events_all_censored():
    s = km_summary([3, 5, 8], [0, 0, 0])
    assert (s.n, s.events, s.censored) == (3, 0, 3)
    assert all(q.estimate is q.lower is q.upper is None for q in s.quantiles)
    before, at, after = km_survival_at([3, 5, 8], [0, 0, 0], [1, 5, 9])
    assert (before.surv, before.lower, before.upper) == (1.0, 1.0, 1.0)
    assert (at.surv, at.lower, at.upper, at.n_risk) == (1.0, None, None, 2)
    assert after == type(after)(9.0, None, None, None, None)


def test_single_subject():
    q = km_quantiles([5], [1], (0.5,))[0]
    assert (q.estimate, q.lower, q.upper) == (5.0, None, None)
    (s,) = km_survival_at([5], [1], [5])
    assert (s.surv, s.lower, s.upper, s.n_risk) == (0.0, None, None, 1)
    assert km_summary([5], [0]).median.estimate is None


def test_empty_input():
    s = km_summary([], [])
    assert (s.n, s.events, s.censored) == (0, 0, 0)
    assert s.median.estimate is None
    assert km_survival_at([], [], [12])[0].surv is None
    assert km_curve([], []).empty
    assert median_followup([], []).estimate is None


def test_ties_at_landmark():
    # 2 deaths and 1 censoring tied at t = 2, 5 at risk -> S = 3/5
    time, event = [2, 2, 2, 4, 6], [1, 1, 0, 1, 0]
    (s,) = km_survival_at(time, event, [2])
    assert s.surv == pytest.approx(0.6) and s.n_risk == 5
    # Greenwood: var(log S) = 2 / (5 * 3); log(-log) CI by hand
    se = np.sqrt(2 / 15) / np.log(0.6)
    z = 1.959963984540054
    assert s.lower == pytest.approx(np.exp(-np.exp(np.log(-np.log(0.6)) - z * se)), abs=1e-12)
    assert s.upper == pytest.approx(np.exp(-np.exp(np.log(-np.log(0.6)) + z * se)), abs=1e-12)


def test_landmark_past_last_time_is_empty_and_at_last_time_kept():
    time, event = [1, 3, 7], [1, 0, 0]
    at_last, past = km_survival_at(time, event, [7, 7.0001])
    assert at_last.surv == pytest.approx(2 / 3)
    assert (past.surv, past.lower, past.upper, past.n_risk) == (None, None, None, None)


def test_landmark_past_a_curve_that_reached_zero_is_zero():
    """endpoints.md, rate at a landmark: once S(t) is 0 it is 0 at every later t, CI empty
    (R summary(survfit, times, extend = TRUE): surv 0, lower/upper NA, n.risk 0)."""
    # 3 subjects, all with the event: S(1) = 2/3, S(2) = 2/3 * (1 - 2/2) = 0
    at_end, past, far = km_survival_at([1, 2, 2], [1, 1, 1], [2, 2.5, 60])
    assert (at_end.surv, at_end.lower, at_end.upper, at_end.n_risk) == (0.0, None, None, 2)
    assert (past.surv, past.lower, past.upper, past.n_risk) == (0.0, None, None, 0)
    assert (far.surv, far.lower, far.upper, far.n_risk) == (0.0, None, None, 0)
    # a censoring tied with the last event keeps the curve above 0 (S(2) = 2/3 * 1/2):
    # unknown past its end, as before
    (past,) = km_survival_at([1, 2, 2], [1, 1, 0], [2.5])
    assert (past.surv, past.lower, past.upper, past.n_risk) == (None, None, None, None)


def test_curve_and_numbers_at_risk():
    curve = km_curve([2, 2, 3, 5], [1, 0, 1, 0])
    assert curve.time.tolist() == [0, 2, 3, 5]
    assert curve.n_risk.tolist() == [4, 4, 2, 1]
    assert curve.n_event.tolist() == [0, 1, 1, 0]
    assert curve.n_censor.tolist() == [0, 1, 0, 1]
    assert curve.surv.tolist() == pytest.approx([1, 0.75, 0.375, 0.375])
    assert numbers_at_risk([2, 2, 3, 5], [0, 2, 2.5, 5, 6]) == (4, 4, 2, 1, 0)


def test_months_are_a_plain_rescaling():
    frame = pd.read_csv(REF_DIR / "data" / "lung.csv")
    days = km_summary(frame.time, frame.event).median
    months = km_summary(frame.time / 30.4375, frame.event).median
    assert months.estimate == pytest.approx(days.estimate / 30.4375)


def test_invalid_input_raises():
    with pytest.raises(ValueError):
        km_summary([1, 2], [1])
    with pytest.raises(ValueError):
        km_summary([1, 2], [1, 2])
    with pytest.raises(ValueError):
        km_summary([np.inf, 2], [1, 1])


def test_negative_time_is_kept_as_r_keeps_it():
    """An event dated before STARTDT (death before consent at a site) gives AVAL < 1; R keeps it:
    survfit(Surv(c(-3, 5, 8, 10, 12), c(1, 1, 0, 1, 0)) ~ 1, conf.type = "log-log") prints
    S = 0.8 at -3, 0.6 at 5, 0.3 at 10; median 10, 0.95LCL -3, 0.95UCL NA
    (R 4.2.2, survival 3.5.3)."""
    summary = km_summary([-3, 5, 8, 10, 12], [1, 1, 0, 1, 0])
    assert (summary.n, summary.events) == (5, 3)
    assert summary.median.estimate == 10
    assert summary.median.lower == -3
    assert summary.median.upper is None
    at = km_survival_at([-3, 5, 8, 10, 12], [1, 1, 0, 1, 0], [-3, 5, 10])
    assert [round(a.surv, 6) for a in at] == [0.8, 0.6, 0.3]
