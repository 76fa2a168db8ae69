"""The estimates recover the truth the generator simulated from (truth.json).

A statistical test of the whole chain (generator -> ingestion -> ADaM -> endpoints): with 1,000
subjects the 95% confidence intervals in endpoints.results must contain the true landmark
survival rates and the true MRD12 probability. The seed is fixed, so the outcome is
deterministic; a failure means a biased derivation or estimator, not bad luck.
"""

from __future__ import annotations

import json

import duckdb
import pytest

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def results(trial_1000):
    run, landing, warehouse = trial_1000
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    truth = json.loads((landing / "truth.json").read_text())
    con = duckdb.connect(str(warehouse), read_only=True)
    rows = con.execute(
        "select TABLEID, PARAMCD, GROUP1, GROUP2, STAT, VALUE from endpoints.results"
    ).fetchall()
    con.close()
    return truth, {(t, p, g1, g2, s): v for t, p, g1, g2, s, v in rows}


@pytest.mark.parametrize("param", ["PFS", "TTP", "OS"])
@pytest.mark.parametrize("months", [12, 24])
def test_landmark_rate_ci_contains_the_true_rate(results, param, months):
    truth, values = results
    true_rate = truth["true"][param][f"rate_{months}m"]
    key = ("T03", param, "", "")
    estimate = values[(*key, f"RATE_{months}M")]
    lower = values[(*key, f"RATE_{months}M_LCL")]
    upper = values[(*key, f"RATE_{months}M_UCL")]
    assert estimate is not None and lower is not None and upper is not None
    assert lower <= true_rate <= upper, (param, months, lower, estimate, upper, true_rate)


def test_mrd12_ci_contains_the_true_probability(results):
    truth, values = results
    true_p = truth["true"]["MRD12"]["probability"]
    key = ("T01", "MRD12", "", "")
    lower, upper = values[(*key, "LCL")], values[(*key, "UCL")]
    assert lower <= true_p <= upper, (lower, upper, true_p)
