"""T03 (time-to-event endpoints) and T04 (time to response).

Kaplan-Meier with Greenwood variance and log(-log) pointwise CIs; medians and quartiles by
R's ``quantile.survfit`` rule with Brookmeyer-Crowley CIs (lib.stats.km); median follow-up
by reverse Kaplan-Meier on OS (lib.stats.followup). Times in months: days / 30.4375 for
survival parameters, days / 30 for time to response (adam.md). The population is the
ADSL flag (ITT; responders for DOR), not whatever rows ADTTE happens to hold.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from dagster_project.lib.stats import median_followup

from .results import (
    BOUNDARY_NOTE,
    DAYS_PER_MONTH,
    DAYS_PER_MONTH_RESPONSE,
    KAPLAN_MEIER,
    LANDMARK_RATE,
    NE,
    Lookup,
    Row,
    count_rows,
    fmt_est_ci,
    fmt_int,
    footnote,
    km,
    not_estimable,
    population,
    quantile_rows,
    survival_at,
    time_to_event,
    to_frame,
)

# PARAMCD -> (population flag, label)
T03_PARAMS = {
    "PFS": ("ITTFL", "Progression-free survival"),
    "TTP": ("ITTFL", "Time to progression"),
    "OS": ("ITTFL", "Overall survival"),
    "TNT": ("ITTFL", "Time to next treatment"),
    "PFS2": ("ITTFL", "Progression-free survival 2"),
    "DOR": ("RESPFL", "Duration of response"),
}
# endpoints.md Methods: landmark rates at 6, 12, 24, 36, 48, 60 months
T03_LANDMARKS = (6, 12, 24, 36, 48, 60)
FOLLOWUP = "FOLLOWUP"

T04_PARAMS = {
    "TTPR": "Time to >= PR",
    "TTVGPR": "Time to >= VGPR",
    "TTCR": "Time to >= CR",
    "TTSCR": "Time to sCR",
}
T04_LANDMARKS = (3, 6, 12)
QUARTILES = {0.25: "Q1", 0.5: "MEDIAN", 0.75: "Q3"}


def build_t03(adsl: pd.DataFrame, adtte: pd.DataFrame, cutoff: date) -> pd.DataFrame:
    """T03 tidy rows: per PARAMCD N, EVENTS, CENSORED, MEDIAN (+_LCL/_UCL) and
    RATE_<t>M (+_LCL/_UCL) = S(t); then PARAMCD FOLLOWUP: N and MEDIAN (+_LCL/_UCL) of
    follow-up by reverse Kaplan-Meier on OS (ITT)."""
    rows: list[Row] = []
    for paramcd, (flag_column, _) in T03_PARAMS.items():
        tte = time_to_event(adtte, paramcd, population(adsl, flag_column), DAYS_PER_MONTH)
        summary = km(tte["time"], tte["event"], probs=(0.5,))
        rows += count_rows("T03", paramcd, summary)
        rows += quantile_rows("T03", paramcd, summary, QUARTILES)
        for at in survival_at(tte["time"], tte["event"], T03_LANDMARKS):
            stat = f"RATE_{at.time:g}M"
            rows += [
                Row("T03", paramcd, stat, at.surv),
                Row("T03", paramcd, f"{stat}_LCL", at.lower),
                Row("T03", paramcd, f"{stat}_UCL", at.upper),
            ]
    os_ = time_to_event(adtte, "OS", population(adsl, "ITTFL"), DAYS_PER_MONTH)
    follow = median_followup(os_["time"].to_numpy(), os_["event"].to_numpy()) if len(os_) else None
    rows += [
        Row("T03", FOLLOWUP, "N", len(os_)),
        Row("T03", FOLLOWUP, "MEDIAN", follow.estimate if follow else None),
        Row("T03", FOLLOWUP, "MEDIAN_LCL", follow.lower if follow else None),
        Row("T03", FOLLOWUP, "MEDIAN_UCL", follow.upper if follow else None),
    ]
    return to_frame(rows, cutoff)


def build_t04(adsl: pd.DataFrame, adtte: pd.DataFrame, cutoff: date) -> pd.DataFrame:
    """T04 tidy rows (ITT, 30-day months): per PARAMCD N, EVENTS (responders), CENSORED,
    Q1/MEDIAN/Q3 (+_LCL/_UCL), and CUMPROB_<t>M (+_LCL/_UCL) = 1 - S(t) at 3, 6, 12 months,
    whose bounds are 1 - the survival bounds (R ``summary(survfit, fun = "event")``); 1 with
    empty bounds once every subject has responded or been censored before t with S at 0."""
    itt = population(adsl, "ITTFL")
    rows: list[Row] = []
    for paramcd in T04_PARAMS:
        tte = time_to_event(adtte, paramcd, itt, DAYS_PER_MONTH_RESPONSE)
        summary = km(tte["time"], tte["event"], probs=tuple(QUARTILES))
        rows += count_rows("T04", paramcd, summary)
        rows += quantile_rows("T04", paramcd, summary, QUARTILES)
        for at in survival_at(tte["time"], tte["event"], T04_LANDMARKS):
            stat = f"CUMPROB_{at.time:g}M"
            rows += [
                Row("T04", paramcd, stat, None if at.surv is None else 1.0 - at.surv),
                Row("T04", paramcd, f"{stat}_LCL", None if at.upper is None else 1.0 - at.upper),
                Row("T04", paramcd, f"{stat}_UCL", None if at.lower is None else 1.0 - at.lower),
            ]
    return to_frame(rows, cutoff)


def _est(lk: Lookup, paramcd: str, stat: str, scale: float = 1.0, missing: str = "NR") -> str:
    if lk.get(paramcd, "N") == 0 and missing != NE:
        # an empty population (a cut-off before anyone qualified): a median is not "not
        # reached" (a rate is NE, as in any other row where it is not estimable)
        return not_estimable("no subject")
    return fmt_est_ci(
        lk.get(paramcd, stat),
        lk.get(paramcd, f"{stat}_LCL"),
        lk.get(paramcd, f"{stat}_UCL"),
        scale=scale,
        missing=missing,
    )


def display_t03(results: pd.DataFrame) -> pd.DataFrame:
    """T03 as printed: one row per endpoint (median in months, rates in %), then the
    median follow-up."""
    lk = Lookup(results, "T03")
    rate_cols = {t: f"{t}-month rate, % (95% CI)" for t in T03_LANDMARKS}
    columns = [
        "Endpoint",
        "N",
        "Events",
        "Censored",
        "Median, months (95% CI)",
        *rate_cols.values(),
    ]
    out = []
    for paramcd, (_, label) in T03_PARAMS.items():
        if not lk.has(paramcd, "N"):
            continue
        row = {
            "Endpoint": label,
            "N": fmt_int(lk.get(paramcd, "N")),
            "Events": fmt_int(lk.get(paramcd, "EVENTS")),
            "Censored": fmt_int(lk.get(paramcd, "CENSORED")),
            "Median, months (95% CI)": _est(lk, paramcd, "MEDIAN"),
        }
        for t, col in rate_cols.items():
            row[col] = _est(lk, paramcd, f"RATE_{t}M", scale=100.0, missing=NE)
        out.append(row)
    if lk.has(FOLLOWUP, "N"):
        out.append(
            {
                "Endpoint": "Median follow-up (reverse Kaplan-Meier)",
                "N": fmt_int(lk.get(FOLLOWUP, "N")),
                "Median, months (95% CI)": _est(lk, FOLLOWUP, "MEDIAN"),
            }
        )
    return pd.DataFrame(out, columns=columns).fillna("")


def display_t04(results: pd.DataFrame) -> pd.DataFrame:
    """T04 as printed: per response level, responders, quartiles of time to response
    (30-day months) and cumulative response probability (%) at 3, 6, 12 months."""
    lk = Lookup(results, "T04")
    prob_cols = {t: f"Cumulative response at {t} months, % (95% CI)" for t in T04_LANDMARKS}
    quart_cols = {
        "Q1": "Q1, months (95% CI)",
        "MEDIAN": "Median, months (95% CI)",
        "Q3": "Q3, months (95% CI)",
    }
    columns = ["Endpoint", "N", "Responders", *quart_cols.values(), *prob_cols.values()]
    out = []
    for paramcd, label in T04_PARAMS.items():
        if not lk.has(paramcd, "N"):
            continue
        row = {
            "Endpoint": label,
            "N": fmt_int(lk.get(paramcd, "N")),
            "Responders": fmt_int(lk.get(paramcd, "EVENTS")),
        }
        for stat, col in quart_cols.items():
            row[col] = _est(lk, paramcd, stat)
        for t, col in prob_cols.items():
            row[col] = _est(lk, paramcd, f"CUMPROB_{t}M", scale=100.0, missing=NE)
        out.append(row)
    return pd.DataFrame(out, columns=columns)


def footnote_t03(results: pd.DataFrame) -> str:
    """T03's footnote: ITT N (responders for DOR), methods, sources, cut-off."""
    lk = Lookup(results, "T03")
    dor = lk.get("DOR", "N")
    return footnote(
        results,
        "ITT population",
        lk.get("PFS", "N"),
        [
            *([] if dor is None else [f"Duration of response: responders, N = {fmt_int(dor)}."]),
            f"Months = days / 30.4375. {KAPLAN_MEIER} {LANDMARK_RATE} {BOUNDARY_NOTE}",
            "Median follow-up: reverse Kaplan-Meier on OS (censoring as the event).",
        ],
        ["ADSL", "ADTTE"],
    )


def footnote_t04(results: pd.DataFrame) -> str:
    """T04's footnote: ITT N, methods, sources, cut-off."""
    return footnote(
        results,
        "ITT population",
        Lookup(results, "T04").get("TTPR", "N"),
        [
            f"Months of 30 days. {KAPLAN_MEIER}",
            "Cumulative response at t months: 1 - S(t), its CI 1 - the log(-log) CI of S(t); "
            "NE past the last observed time, except that once every subject still followed "
            f"has responded (S(t) = 0) it is 100% at every later t. {BOUNDARY_NOTE}",
        ],
        ["ADSL", "ADTTE"],
    )
