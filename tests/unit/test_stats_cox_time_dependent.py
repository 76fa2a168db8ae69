"""Cox model with a time-dependent covariate (lib.stats.cox_time_dependent) and the counting-
process rows it is fitted on (lib.stats.counting_process), against R survival 3.5
(tests/reference/td_cox_reference.R -> td_cox_reference.json: tmerge builds the rows,
coxph(Surv(tstart, tstop, event) ~ x, ties = "efron") fits them)."""

import json

import numpy as np
import pandas as pd
import pytest

from dagster_project.lib.stats import counting_process, cox_time_dependent
from tests.reference.r_values import REF_DIR

TD_REF = json.loads((REF_DIR / "td_cox_reference.json").read_text())
CASES = TD_REF["cases"]


def _rows(case: dict) -> pd.DataFrame:
    spec = case["data"]
    data = pd.read_csv(REF_DIR / "data" / spec["csv"])
    return counting_process(
        data[spec["time"]], data[spec["status"]], data[spec["switch"]], data[spec["id"]]
    )


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["name"])
def test_counting_process_rows_are_tmerges(case):
    ours = _rows(case)
    theirs = pd.read_csv(REF_DIR / "data" / case["tmerge_csv"])
    assert len(ours) == case["n_rows"] == len(theirs)
    assert ours["id"].astype(int).tolist() == theirs["id"].tolist()
    for column in ("tstart", "tstop", "event", "x"):
        np.testing.assert_allclose(ours[column].astype(float), theirs[column], atol=1e-12)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["name"])
def test_matches_r_coxph(case):
    rows = _rows(case)
    fit = cox_time_dependent(rows["tstart"], rows["tstop"], rows["event"], rows["x"])
    assert (fit.events_x1, fit.events_x0) == (case["events_x1"], case["events_x0"])
    assert fit.log_hr == pytest.approx(case["coef"], abs=1e-6)
    assert fit.se == pytest.approx(case["se"], abs=1e-6)
    assert fit.hr == pytest.approx(case["hr"], abs=1e-6)
    assert fit.lower == pytest.approx(case["lower"], abs=1e-6)
    assert fit.upper == pytest.approx(case["upper"], abs=1e-6)
    assert fit.wald_z == pytest.approx(case["wald_z"], abs=1e-6)
    assert fit.wald_p == pytest.approx(case["wald_p"], abs=1e-6)


def test_switch_before_on_inside_and_after_follow_up():
    # five subjects followed to t = 10: switch before the origin and on it -> x = 1 from 0;
    # at 4 -> split (0, 4] x = 0, (4, 10] x = 1 with the event on the second row; on the last
    # day and never -> x = 0 throughout (tmerge tdc, checked in R)
    rows = counting_process(
        [10, 10, 10, 10, 10], [1, 1, 0, 1, 1], [-3, 0, 4, 10, np.nan], ["A", "B", "C", "D", "E"]
    )
    assert rows.to_dict("list") == {
        "id": ["A", "B", "C", "C", "D", "E"],
        "tstart": [0.0, 0.0, 0.0, 4.0, 0.0, 0.0],
        "tstop": [10.0, 10.0, 4.0, 10.0, 10.0, 10.0],
        "event": [1, 1, 0, 0, 1, 1],
        "x": [1, 1, 0, 1, 0, 0],
    }


def test_follow_up_must_be_after_the_origin():
    with pytest.raises(ValueError, match="time must be > 0"):
        counting_process([5, 0], [1, 1], [np.nan, np.nan])


def test_hand_worked_partial_likelihood_without_ties():
    # A switches at 2 and dies at 5; B dies at 3 (x = 0); C censored at 6 (x = 0); D switches
    # at 1 and dies at 4. Risk sets (start < t <= stop): t = 3: A (x 1), B, C, D (x 1);
    # t = 4: A (1), C (0), D (1); t = 5: A (1), C (0). With r = e^b the partial likelihood
    # is 1/(2r + 2) * r/(2r + 1) * r/(r + 1); the score d log L/db
    # = 2 - 2r/(2r + 2) - 2r/(2r + 1) - r/(r + 1) is solved by bisection, and the
    # information is 4r/(2r + 2)^2 + 2r/(2r + 1)^2 + r/(r + 1)^2 (no ties: Efron = Breslow).
    rows = counting_process([5, 3, 6, 4], [1, 1, 0, 1], [2, np.nan, np.nan, 1])
    fit = cox_time_dependent(rows["tstart"], rows["tstop"], rows["event"], rows["x"])
    assert (fit.events_x1, fit.events_x0) == (2, 1)

    def score(b):
        r = np.exp(b)
        return 2 - 2 * r / (2 * r + 2) - 2 * r / (2 * r + 1) - r / (r + 1)

    lo, hi = -5.0, 5.0
    for _ in range(200):  # bisection: score decreases in b
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if score(mid) > 0 else (lo, mid)
    b = (lo + hi) / 2
    r = np.exp(b)
    info = 2 * 2 * r / (2 * r + 2) ** 2 + 2 * r / (2 * r + 1) ** 2 + r / (r + 1) ** 2
    assert fit.log_hr == pytest.approx(b, abs=1e-8)
    assert fit.se == pytest.approx(1 / np.sqrt(info), abs=1e-8)


def test_no_event_in_one_state_is_not_estimable():
    rows = counting_process([5, 3, 6, 4], [0, 1, 0, 1], [2, np.nan, np.nan, 5])
    fit = cox_time_dependent(rows["tstart"], rows["tstop"], rows["event"], rows["x"])
    assert (fit.events_x1, fit.events_x0) == (0, 2)
    assert (fit.hr, fit.lower, fit.upper, fit.wald_p) == (None, None, None, None)


def test_no_event_while_both_states_are_at_risk_is_not_estimable():
    """A 3-subject trial failed the run (numpy LinAlgError, "Singular matrix", from PHReg):
    x = 0 dies at 39 while no x = 1 row is at risk, x = 1 dies at 484 while no x = 0 row is;
    each state has an event but none tells the states apart, so the likelihood is flat."""
    fit = cox_time_dependent([0, 0, 477], [39, 477, 484], [1, 0, 1], [0, 0, 1])
    assert (fit.events_x1, fit.events_x0) == (1, 1)
    assert fit.hr is None and fit.wald_p is None


def test_every_event_in_one_state_while_both_are_at_risk_is_not_estimable():
    """The demo-shaped case published HR 1.7e11 (0.00, inf): the only death while both states
    are at risk is in x = 1 (x = 0's death comes when no x = 1 row is left)."""
    fit = cox_time_dependent([0, 0, 0, 100], [50, 701, 800, 701], [1, 0, 1, 1], [0, 0, 0, 1])
    assert (fit.events_x1, fit.events_x0) == (1, 2)
    assert fit.hr is None and fit.lower is None and fit.wald_p is None
