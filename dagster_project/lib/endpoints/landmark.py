"""T06: MRD status and outcome, landmark analysis at ASCTDT + 365 days.

Landmark population: ITT subjects with an ASCT whose PFS and OS dates (ADTTE ADT, event or
censoring) are both after the landmark date L = ASCTDT + 365, i.e. known alive and
progression-free beyond L. A subject with an event or censoring on L itself has no
follow-up after the landmark and is not selected. PFS and OS are re-based to the landmark
(ADT - L days, / 30.4375), so no time before L is counted (no immortal-time bias). By MRD12
and MRDSUS status (ADRS AVALC; no row = N): N, EVENTS, CENSORED, median (95% CI); Cox HR of
Y versus the reference N (Efron ties, Wald CI) and the log-rank p (lib.stats.cox). HR and p
are NULL when a group is empty, HR also when a group has no event (not estimable).
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from dagster_project.lib.stats import compare_groups

from ._adrs import avalc_by_subject
from .results import (
    DAYS_PER_MONTH,
    Lookup,
    Row,
    as_dates,
    comparison_texts,
    count_rows,
    fmt_est_ci,
    fmt_int,
    footnote,
    km,
    population,
    quantile_rows,
    to_frame,
)

LANDMARK_DAYS = 365
OUTCOMES = {"PFS": "Progression-free survival", "OS": "Overall survival"}
GROUPINGS = {"MRD12": "MRD negativity within 12 months", "MRDSUS": "Sustained MRD negativity"}
STATUS = {"Y": "MRD-negative", "N": "MRD-positive"}


def landmark_times(adsl: pd.DataFrame, adtte: pd.DataFrame) -> pd.DataFrame:
    """The landmark population with PFS and OS re-based to ASCTDT + 365 days.

    Columns USUBJID, PFS_time, PFS_event, OS_time, OS_event (months from the landmark),
    sorted by USUBJID.
    """
    itt = population(adsl, "ITTFL")
    base = adsl.loc[adsl["USUBJID"].isin(itt), ["USUBJID", "ASCTDT"]].copy()
    base["LMDT"] = as_dates(base["ASCTDT"]) + pd.Timedelta(days=LANDMARK_DAYS)
    base = base.loc[base["LMDT"].notna()].set_index("USUBJID")
    for paramcd in OUTCOMES:
        rows = adtte.loc[adtte["PARAMCD"].eq(paramcd) & adtte["USUBJID"].isin(base.index)]
        if rows["USUBJID"].duplicated().any():
            raise ValueError(f"ADTTE {paramcd}: more than one row per subject")
        rows = rows.set_index("USUBJID")
        base[f"{paramcd}_ADT"] = as_dates(rows["ADT"]).reindex(base.index)
        base[f"{paramcd}_event"] = (rows["CNSR"].reindex(base.index) == 0).astype(int)
    after = np.ones(len(base), dtype=bool)
    for paramcd in OUTCOMES:
        after &= (base[f"{paramcd}_ADT"] > base["LMDT"]).to_numpy()
    base = base.loc[after].sort_index()
    out = pd.DataFrame({"USUBJID": base.index.astype(str)})
    for paramcd in OUTCOMES:
        days = (base[f"{paramcd}_ADT"] - base["LMDT"]).dt.days.to_numpy()
        out[f"{paramcd}_time"] = days / DAYS_PER_MONTH
        out[f"{paramcd}_event"] = base[f"{paramcd}_event"].to_numpy()
    return out


def build_t06(
    adsl: pd.DataFrame, adrs: pd.DataFrame, adtte: pd.DataFrame, cutoff: date
) -> pd.DataFrame:
    """T06 tidy rows: PARAMCD PFS/OS x GROUP1 MRD12/MRDSUS x GROUP2 Y/N (N, EVENTS,
    CENSORED, MEDIAN +_LCL/_UCL); GROUP2 '' carries HR, HR_LCL, HR_UCL, P_LOGRANK."""
    lm = landmark_times(adsl, adtte)
    subjects = pd.Index(lm["USUBJID"])
    rows: list[Row] = []
    for paramcd in OUTCOMES:
        time = lm[f"{paramcd}_time"].to_numpy()
        event = lm[f"{paramcd}_event"].to_numpy()
        for grouping in GROUPINGS:
            status = avalc_by_subject(adrs, grouping, subjects, missing="N").to_numpy()
            for level in STATUS:
                sel = status == level
                summary = km(time[sel], event[sel], probs=(0.5,))
                rows += count_rows("T06", paramcd, summary, grouping, level)
                rows += quantile_rows("T06", paramcd, summary, {0.5: "MEDIAN"}, grouping, level)
            cmp = compare_groups(time, event, status, treated="Y", reference="N")
            rows += [
                Row("T06", paramcd, "HR", cmp.hr if cmp else None, grouping),
                Row("T06", paramcd, "HR_LCL", cmp.lower if cmp else None, grouping),
                Row("T06", paramcd, "HR_UCL", cmp.upper if cmp else None, grouping),
                Row("T06", paramcd, "P_LOGRANK", cmp.logrank_p if cmp else None, grouping),
            ]
    return to_frame(rows, cutoff)


def display_t06(results: pd.DataFrame) -> pd.DataFrame:
    """T06 as printed: per outcome and MRD grouping, the MRD-negative and MRD-positive rows
    (N, events, median from the landmark) with the HR and log-rank p on the first."""
    lk = Lookup(results, "T06")
    columns = [
        "Outcome from landmark",
        "MRD status",
        "N",
        "Events",
        "Median, months (95% CI)",
        "HR (95% CI)",
        "Log-rank p",
    ]
    out = []
    for paramcd, label in OUTCOMES.items():
        for grouping, glabel in GROUPINGS.items():
            if not lk.has(paramcd, "N", grouping, "Y"):
                continue
            hr_text, p_text = comparison_texts(lk, paramcd, grouping)
            for i, (level, slabel) in enumerate(STATUS.items()):
                out.append(
                    {
                        "Outcome from landmark": label,
                        "MRD status": f"{glabel}: {slabel} ({level})",
                        "N": fmt_int(lk.get(paramcd, "N", grouping, level)),
                        "Events": fmt_int(lk.get(paramcd, "EVENTS", grouping, level)),
                        "Median, months (95% CI)": fmt_est_ci(
                            lk.get(paramcd, "MEDIAN", grouping, level),
                            lk.get(paramcd, "MEDIAN_LCL", grouping, level),
                            lk.get(paramcd, "MEDIAN_UCL", grouping, level),
                        ),
                        "HR (95% CI)": hr_text if i == 0 else "1 (reference)",
                        "Log-rank p": p_text if i == 0 else "",
                    }
                )
    return pd.DataFrame(out, columns=columns)


def footnote_t06(results: pd.DataFrame) -> str:
    """T06's footnote: landmark population N, methods, sources, cut-off."""
    lk = Lookup(results, "T06")
    groups = [lk.get("PFS", "N", "MRD12", level) for level in STATUS]
    return footnote(
        results,
        "Landmark population: ITT subjects transplanted, alive and progression-free at ASCT + "
        f"{LANDMARK_DAYS} days",
        None if None in groups else sum(groups),
        [
            "PFS and OS from the landmark, months = days / 30.4375. MRD status: ADRS MRD12 "
            "and MRDSUS, no row: MRD-positive.",
            "Median: Kaplan-Meier, 95% CI by Brookmeyer-Crowley on the log(-log) scale; NR: "
            "not reached. HR of MRD-negative versus MRD-positive (reference): Cox proportional "
            "hazards, Efron ties, 95% Wald CI; p: two-sided log-rank test. An HR or p that "
            "cannot be estimated says why.",
        ],
        ["ADSL", "ADRS", "ADTTE"],
    )
