"""Statistics for the endpoint tables: pure functions, no Dagster, checked against R.

Reference values: tests/reference/make_reference.R -> tests/reference/r_reference.json.
"""

from .competing_risks import CumIncAt, cumulative_incidence_at, cumulative_incidence_curve
from .cox import (
    GroupComparison,
    TimeDependentCox,
    compare_groups,
    counting_process,
    cox_time_dependent,
)
from .followup import median_followup
from .km import (
    KMSummary,
    Quantile,
    SurvivalAt,
    km_curve,
    km_quantiles,
    km_summary,
    km_survival_at,
    numbers_at_risk,
)
from .proportions import Proportion, proportion, proportion_ci

__all__ = [
    "CumIncAt",
    "GroupComparison",
    "KMSummary",
    "Proportion",
    "Quantile",
    "SurvivalAt",
    "TimeDependentCox",
    "compare_groups",
    "counting_process",
    "cox_time_dependent",
    "cumulative_incidence_at",
    "cumulative_incidence_curve",
    "km_curve",
    "km_quantiles",
    "km_summary",
    "km_survival_at",
    "median_followup",
    "numbers_at_risk",
    "proportion",
    "proportion_ci",
]
