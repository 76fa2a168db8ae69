"""Cumulative incidence with competing risks against R cmprsk 2.2-11 (cuminc, timepoints).

Reference: tests/reference/make_reference.R; the log(-log) CI there is computed in R
from cmprsk's variance with the formula of the module docstring.
"""

import numpy as np
import pandas as pd
import pytest
from sksurv.nonparametric import cumulative_incidence_competing_risks

from dagster_project.lib.stats import cumulative_incidence_at, cumulative_incidence_curve
from tests.reference.r_values import REF, REF_DIR, assert_same


def _load(data: dict) -> tuple[np.ndarray, np.ndarray]:
    if "csv" in data:
        frame = pd.read_csv(REF_DIR / "data" / data["csv"])
        return frame[data["time"]].to_numpy(), frame[data["cause"]].to_numpy()
    return np.asarray(data["time"], float), np.asarray(data["cause"], int)


@pytest.mark.parametrize("case", REF["cuminc"], ids=lambda c: c["name"])
def test_matches_cmprsk(case):
    time, cause = _load(case["data"])
    res = cumulative_incidence_at(time, cause, case["times"])
    assert_same([r.estimate for r in res], case["est"], 1e-6)
    assert_same([r.variance for r in res], case["var"], 1e-8)
    assert_same([r.lower for r in res], case["lower"], 1e-3)
    assert_same([r.upper for r in res], case["upper"], 1e-3)


@pytest.mark.parametrize(
    "case", [c for c in REF["cuminc"] if c["est_competing"][0] is not None], ids=lambda c: c["name"]
)
def test_competing_cause_by_swapping_codes(case):
    # the competing event's CIF is the same estimator with codes 1 and 2 exchanged
    time, cause = _load(case["data"])
    swapped = np.where(cause == 1, 2, np.where(cause == 2, 1, 0))
    res = cumulative_incidence_at(time, swapped, case["times"])
    assert_same([r.estimate for r in res], case["est_competing"], 1e-6)
    assert_same([r.variance for r in res], case["var_competing"], 1e-8)


def test_spec_library_note_value():
    # endpoints.md: mgus2 CIF of progression at 60 months 0.03410 (lifelines: 0.03337)
    time, cause = _load({"csv": "mgus2_cr.csv", "time": "time", "cause": "cause"})
    (r,) = cumulative_incidence_at(time, cause, [60])
    assert round(r.estimate, 5) == 0.03410


def test_hand_derived_without_censoring():
    # 4 subjects: cause 1 at 1, cause 2 at 2, cause 1 at 3, cause 2 at 4 -> F1 = 1/4, 1/2
    res = cumulative_incidence_at([1, 2, 3, 4], [1, 2, 1, 2], [0.5, 1, 2.5, 3, 4])
    assert [r.estimate for r in res] == pytest.approx([0, 0.25, 0.25, 0.5, 0.5])
    # no CI where F = 0
    assert (res[0].lower, res[0].upper) == (None, None)


def test_no_events_of_interest():
    res = cumulative_incidence_at([1, 2, 3], [0, 2, 0], [1, 2, 3, 4])
    assert [r.estimate for r in res[:3]] == [0.0, 0.0, 0.0]
    assert all(r.lower is None and r.upper is None for r in res)
    assert res[3].estimate is None  # past the last observed time
    # the competing curve is still drawn: 1 of 2 at risk at t = 2
    assert cumulative_incidence_curve([1, 2, 3], [0, 2, 0]).cif_competing.tolist() == [
        0.0,
        0.0,
        0.5,
        0.5,
    ]


def test_all_censored_and_empty():
    assert [r.estimate for r in cumulative_incidence_at([1, 2], [0, 0], [1, 2])] == [0.0, 0.0]
    assert cumulative_incidence_at([], [], [3])[0].estimate is None
    assert cumulative_incidence_curve([], []).empty


def test_single_subject_event():
    (r,) = cumulative_incidence_at([5], [1], [5])
    assert (r.estimate, r.lower, r.upper) == (1.0, None, None)


def test_curve_matches_sksurv_and_starts_at_origin():
    time, cause = _load({"csv": "mgus2_cr.csv", "time": "time", "cause": "cause"})
    curve = cumulative_incidence_curve(time, cause)
    x, cif = cumulative_incidence_competing_risks(cause, time)
    assert curve.iloc[0].tolist() == [0.0, 0.0, 0.0]
    assert np.allclose(curve.cif_event.to_numpy()[1:], cif[1])
    assert np.allclose(curve.cif_competing.to_numpy()[1:], cif[2])


def test_invalid_cause_raises():
    with pytest.raises(ValueError):
        cumulative_incidence_at([1, 2], [0, 3], [1])
