"""T06: MRD status and outcome (endpoints.md T06), three analyses per outcome (PFS, OS).

(a) GROUP1 ``MRD12``: landmark at L = ASCTDT + 365 days by MRD12. (c) GROUP1 ``MRDSUS LM24``:
landmark at L = ASCTDT + 730 days by MRDSUS. Landmark population: ITT subjects with an ASCT
whose PFS and OS dates (ADTTE ADT, event or censoring) are both after L, i.e. known alive and
progression-free beyond L; a subject with an event or censoring on L itself has no follow-up
after the landmark and is not selected. PFS and OS are re-based to L (ADT - L days,
/ 30.4375). MRD status is Y only when ADRS AVALC = Y *and* its ADT (the result that made it
Y) is on or before L: a status reached after L would classify a subject by the future and
credit the MRD-negative group with the time survived to reach it (immortal-time bias). MRD12
is decided by L by definition (its window ends on L), so the rule changes nothing for (a).
Per status: N, EVENTS, CENSORED, median (95% CI); Cox HR of Y versus the reference N (Efron
ties, Wald CI) and the log-rank p (lib.stats.compare_groups).

(b) GROUP1 ``MRDSUS TD``: sustained MRD negativity as a time-dependent covariate. Transplanted
ITT subjects with follow-up after ASCTDT (ADT > ASCTDT, per outcome); time from ASCTDT in days
to the PFS / OS ADT; x switches from 0 to 1 on MRDSUS's ADT (x = 1 from the start when it is
on or before ASCTDT, never when it is on or after the end of follow-up). Cox model on the
counting-process rows (lib.stats.counting_process, cox_time_dependent: R coxph on tmerge
data). Per state: N = subjects with follow-up in it (a subject who converts is in both),
EVENTS = events that happened in it; HR of x = 1 versus 0, Wald CI and Wald p.

HR and p are NULL when a group is empty, HR (and for (b) the Wald p) also when a group has no
event (not estimable); the display says which.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from dagster_project.lib.stats import compare_groups, counting_process, cox_time_dependent

from .results import (
    DAYS_PER_MONTH,
    NE,
    Lookup,
    Row,
    as_dates,
    count_rows,
    fmt_est_ci,
    fmt_int,
    fmt_num,
    fmt_p,
    footnote,
    km,
    not_estimable,
    population,
    quantile_rows,
    to_frame,
)

LANDMARK_DAYS = 365
OUTCOMES = {"PFS": "Progression-free survival", "OS": "Overall survival"}
STATUS = {"Y": "MRD-negative", "N": "MRD-positive"}


@dataclass(frozen=True)
class Analysis:
    """One T06 analysis: its GROUP1, the ADRS parameter that classifies, and the landmark in
    days after ASCTDT (None: the time-dependent model from ASCTDT)."""

    group1: str
    paramcd: str
    landmark_days: int | None
    label: str


ANALYSES = (
    Analysis("MRD12", "MRD12", LANDMARK_DAYS, "Landmark ASCT + 365 days, by MRD12"),
    Analysis("MRDSUS TD", "MRDSUS", None, "From ASCT, MRDSUS as a time-dependent covariate"),
    Analysis("MRDSUS LM24", "MRDSUS", 730, "Landmark ASCT + 730 days, by MRDSUS"),
)
# the ADRS parameters T06 reads (TableSpec.params)
ADRS_PARAMS = tuple(dict.fromkeys(a.paramcd for a in ANALYSES))
PARAM_LABELS = {"MRD12": "MRD negativity within 12 months", "MRDSUS": "Sustained MRD negativity"}

METHODS = [
    "(a) and (c): landmark analyses at ASCT + 365 days by MRD12 and at ASCT + 730 days by "
    "sustained MRD negativity (MRDSUS); subjects alive and progression-free beyond the "
    "landmark, PFS and OS measured from it (months = days / 30.4375); MRD-negative only when "
    "reached on or before the landmark, no row: MRD-positive. Median: Kaplan-Meier, 95% CI by "
    "Brookmeyer-Crowley on the log(-log) scale; NR: not reached; two-sided log-rank p.",
    "(b) From ASCT, MRDSUS as a time-dependent covariate switching from MRD-positive to "
    "MRD-negative on the date it is reached (counting-process Cox model); N is the number of "
    "subjects with follow-up in each state (a subject who converts is counted in both), events "
    "are counted in the state the subject was in; Wald p.",
    "HR: Cox proportional hazards, Efron ties, 95% Wald CI, MRD-negative versus MRD-positive "
    "(reference). An HR or p that cannot be estimated says why.",
]


def _asct_dates(adsl: pd.DataFrame) -> pd.Series:
    """ASCTDT of the transplanted ITT subjects, indexed by USUBJID."""
    itt = population(adsl, "ITTFL")
    base = adsl.loc[adsl["USUBJID"].isin(itt), ["USUBJID", "ASCTDT"]]
    asct = as_dates(base["ASCTDT"]).set_axis(base["USUBJID"].astype(str))
    return asct.loc[asct.notna()]


def _outcome(adtte: pd.DataFrame, paramcd: str, subjects: pd.Index) -> pd.DataFrame:
    """ADT and event (CNSR = 0) of one ADTTE parameter for ``subjects`` (NaT: no row)."""
    rows = adtte.loc[adtte["PARAMCD"].eq(paramcd) & adtte["USUBJID"].isin(subjects)]
    if rows["USUBJID"].duplicated().any():
        raise ValueError(f"ADTTE {paramcd}: more than one row per subject")
    rows = rows.set_index(rows["USUBJID"].astype(str))
    return pd.DataFrame(
        {
            "ADT": as_dates(rows["ADT"]).reindex(subjects),
            "event": (rows["CNSR"].reindex(subjects) == 0).astype(int),
        },
        index=subjects,
    )


def mrd_dates(adrs: pd.DataFrame, paramcd: str, subjects: pd.Index) -> pd.Series:
    """The date an MRD parameter was reached (ADRS ADT of AVALC = Y), NaT when N or no row.

    A Y row without ADT is refused: without the date the status cannot be placed in time.
    """
    rows = adrs.loc[adrs["PARAMCD"].eq(paramcd) & adrs["USUBJID"].isin(subjects)]
    if rows["USUBJID"].duplicated().any():
        raise ValueError(f"ADRS {paramcd}: more than one row per subject")
    rows = rows.loc[rows["AVALC"].eq("Y")]
    reached = as_dates(rows["ADT"]) if "ADT" in rows else pd.Series(pd.NaT, index=rows.index)
    if reached.isna().any():
        raise ValueError(f"ADRS {paramcd}: AVALC = Y without ADT")
    return reached.set_axis(rows["USUBJID"].astype(str)).reindex(subjects)


def status_at(reached: pd.Series, when: pd.Series) -> np.ndarray:
    """Y when the status was reached on or before ``when`` (per subject), else N."""
    known = reached.notna() & (reached <= when.reindex(reached.index))
    return np.where(known.to_numpy(), "Y", "N")


def landmark_times(
    adsl: pd.DataFrame, adtte: pd.DataFrame, days: int = LANDMARK_DAYS
) -> pd.DataFrame:
    """The landmark population with PFS and OS re-based to ASCTDT + ``days``.

    Columns USUBJID, LMDT (the landmark date), PFS_time, PFS_event, OS_time, OS_event (months
    from the landmark), sorted by USUBJID.
    """
    asct = _asct_dates(adsl)
    lmdt = asct + pd.Timedelta(days=days)
    outcomes = {p: _outcome(adtte, p, asct.index) for p in OUTCOMES}
    after = np.ones(len(asct), dtype=bool)
    for frame in outcomes.values():
        after &= (frame["ADT"] > lmdt).to_numpy()
    keep = asct.index[after].sort_values()
    out = pd.DataFrame({"USUBJID": keep.astype(str), "LMDT": lmdt.reindex(keep).to_numpy()})
    for paramcd, frame in outcomes.items():
        days_after = (frame["ADT"].reindex(keep) - lmdt.reindex(keep)).dt.days.to_numpy()
        out[f"{paramcd}_time"] = days_after / DAYS_PER_MONTH
        out[f"{paramcd}_event"] = frame["event"].reindex(keep).to_numpy()
    return out


def time_dependent_rows(
    adsl: pd.DataFrame, adrs: pd.DataFrame, adtte: pd.DataFrame, outcome: str, paramcd: str
) -> pd.DataFrame:
    """Counting-process rows (id, tstart, tstop, event, x) in days from ASCTDT of one outcome,
    x switching to 1 on the ADT of ``paramcd``: transplanted ITT subjects with the outcome's
    ADT after ASCTDT, sorted by USUBJID."""
    asct = _asct_dates(adsl).sort_index()
    end = _outcome(adtte, outcome, asct.index)
    follow = (end["ADT"] > asct).to_numpy()
    asct, end = asct.loc[follow], end.loc[follow]
    reached = mrd_dates(adrs, paramcd, asct.index)
    return counting_process(
        (end["ADT"] - asct).dt.days.to_numpy(),
        end["event"].to_numpy(),
        (reached - asct).dt.days.astype(float).to_numpy(),
        asct.index.to_numpy(),
    )


def _landmark_rows(
    adsl: pd.DataFrame, adrs: pd.DataFrame, adtte: pd.DataFrame, analysis: Analysis
) -> dict[str, list[Row]]:
    lm = landmark_times(adsl, adtte, analysis.landmark_days)
    subjects = pd.Index(lm["USUBJID"])
    reached = mrd_dates(adrs, analysis.paramcd, subjects)
    status = status_at(reached, pd.Series(lm["LMDT"].to_numpy(), index=subjects))
    out: dict[str, list[Row]] = {}
    for paramcd in OUTCOMES:
        time = lm[f"{paramcd}_time"].to_numpy()
        event = lm[f"{paramcd}_event"].to_numpy()
        rows: list[Row] = []
        g1 = analysis.group1
        for level in STATUS:
            sel = status == level
            summary = km(time[sel], event[sel], probs=(0.5,))
            rows += count_rows("T06", paramcd, summary, g1, level)
            rows += quantile_rows("T06", paramcd, summary, {0.5: "MEDIAN"}, g1, level)
        cmp = compare_groups(time, event, status, treated="Y", reference="N")
        rows += [
            Row("T06", paramcd, "HR", cmp.hr if cmp else None, g1),
            Row("T06", paramcd, "HR_LCL", cmp.lower if cmp else None, g1),
            Row("T06", paramcd, "HR_UCL", cmp.upper if cmp else None, g1),
            Row("T06", paramcd, "P_LOGRANK", cmp.logrank_p if cmp else None, g1),
        ]
        out[paramcd] = rows
    return out


def _time_dependent_rows(
    adsl: pd.DataFrame, adrs: pd.DataFrame, adtte: pd.DataFrame, analysis: Analysis
) -> dict[str, list[Row]]:
    out: dict[str, list[Row]] = {}
    g1 = analysis.group1
    for paramcd in OUTCOMES:
        cp = time_dependent_rows(adsl, adrs, adtte, paramcd, analysis.paramcd)
        rows: list[Row] = []
        for level, x in (("Y", 1), ("N", 0)):
            state = cp.loc[cp["x"].eq(x)]
            rows += [
                Row("T06", paramcd, "N", float(state["id"].nunique()), g1, level),
                Row("T06", paramcd, "EVENTS", float(state["event"].sum()), g1, level),
            ]
        fit = None
        if cp["x"].eq(1).any() and cp["x"].eq(0).any():
            fit = cox_time_dependent(cp["tstart"], cp["tstop"], cp["event"], cp["x"])
        rows += [
            Row("T06", paramcd, "HR", fit.hr if fit else None, g1),
            Row("T06", paramcd, "HR_LCL", fit.lower if fit else None, g1),
            Row("T06", paramcd, "HR_UCL", fit.upper if fit else None, g1),
            Row("T06", paramcd, "P_WALD", fit.wald_p if fit else None, g1),
        ]
        out[paramcd] = rows
    return out


def build_t06(
    adsl: pd.DataFrame, adrs: pd.DataFrame, adtte: pd.DataFrame, cutoff: date
) -> pd.DataFrame:
    """T06 tidy rows, per PARAMCD PFS/OS and GROUP1 MRD12, MRDSUS TD, MRDSUS LM24 (in that
    order): GROUP2 Y/N per-group rows (landmarks: N, EVENTS, CENSORED, MEDIAN +_LCL/_UCL;
    time-dependent: N, EVENTS), then GROUP2 '' HR, HR_LCL, HR_UCL and P_LOGRANK (landmarks)
    or P_WALD (time-dependent)."""
    per_analysis = [
        (_time_dependent_rows if a.landmark_days is None else _landmark_rows)(adsl, adrs, adtte, a)
        for a in ANALYSES
    ]
    rows = [row for paramcd in OUTCOMES for rows in per_analysis for row in rows[paramcd]]
    return to_frame(rows, cutoff)


def _not_estimable(lk: Lookup, paramcd: str, g1: str, time_dependent: bool) -> str:
    """Why a T06 HR or p is missing, from the per-group rows (endpoints.md Presentation)."""
    counts = {level: lk.get(paramcd, "N", g1, level) or 0 for level in STATUS}
    events = {level: lk.get(paramcd, "EVENTS", g1, level) or 0 for level in STATUS}
    for level, label in STATUS.items():
        if counts[level] == 0:
            return not_estimable(f"no {label} subject")
    if sum(events.values()) == 0:
        return not_estimable("no event")
    for level, label in STATUS.items():
        if events[level] == 0:
            return not_estimable(f"no event {'while' if time_dependent else 'among'} {label}")
    # each group has events, but none while both were at risk tells them apart: the Cox
    # estimate is infinite or the likelihood flat (stats.cox.events_tell_groups_apart)
    return not_estimable("no event in each group while both were at risk")


def display_t06(results: pd.DataFrame) -> pd.DataFrame:
    """T06 as printed: per outcome and analysis, the MRD-negative and MRD-positive rows (N,
    events, median from the landmark) with the HR and p on the first; a missing HR or p says
    why."""
    lk = Lookup(results, "T06")
    columns = [
        "Outcome",
        "Analysis",
        "MRD status",
        "N",
        "Events",
        "Median, months (95% CI)",
        "HR (95% CI)",
        "Log-rank p",
        "Wald p",
    ]
    out = []
    for paramcd, label in OUTCOMES.items():
        for analysis in ANALYSES:
            g1 = analysis.group1
            if not lk.has(paramcd, "N", g1, "Y"):
                continue
            td = analysis.landmark_days is None
            why = _not_estimable(lk, paramcd, g1, td)
            hr = lk.get(paramcd, "HR", g1)
            hr_text = (
                why
                if hr is None
                else f"{fmt_num(hr, 2)} ({fmt_num(lk.get(paramcd, 'HR_LCL', g1), 2)}, "
                f"{fmt_num(lk.get(paramcd, 'HR_UCL', g1), 2)})"
            )
            p = lk.get(paramcd, "P_WALD" if td else "P_LOGRANK", g1)
            p_text = why if p is None else fmt_p(p)
            no_event_group = min(lk.get(paramcd, "EVENTS", g1, lv) or 0 for lv in STATUS) == 0
            if p == 1.0 and not td and no_event_group:
                # one group without an event: it had nobody at risk at any event time, so the
                # log-rank test has 0 degrees of freedom (R survdiff prints p = 1): not a p-value
                p_text = not_estimable("no event while both groups were at risk")
            for i, (level, slabel) in enumerate(STATUS.items()):
                first = i == 0
                out.append(
                    {
                        "Outcome": label,
                        "Analysis": analysis.label,
                        "MRD status": f"{PARAM_LABELS[analysis.paramcd]}: {slabel} ({level})",
                        "N": fmt_int(lk.get(paramcd, "N", g1, level)),
                        "Events": fmt_int(lk.get(paramcd, "EVENTS", g1, level)),
                        "Median, months (95% CI)": ""
                        if td
                        else NE
                        if not lk.get(paramcd, "N", g1, level)
                        else fmt_est_ci(
                            lk.get(paramcd, "MEDIAN", g1, level),
                            lk.get(paramcd, "MEDIAN_LCL", g1, level),
                            lk.get(paramcd, "MEDIAN_UCL", g1, level),
                        ),
                        "HR (95% CI)": hr_text if first else "1 (reference)",
                        "Log-rank p": p_text if first and not td else "",
                        "Wald p": p_text if first and td else "",
                    }
                )
    return pd.DataFrame(out, columns=columns)


def footnote_t06(results: pd.DataFrame) -> str:
    """T06's footnote: the transplanted ITT population, the methods of (a), (b), (c), the
    sources and the cut-off."""
    return footnote(
        results,
        "ITT subjects with an ASCT; the landmark analyses keep those alive and progression-free "
        "at the landmark",
        None,
        METHODS,
        ["ADSL", "ADRS", "ADTTE"],
    )
