"""T09: time to discontinuation due to an adverse event (or death from AE / SPM), with
competing risks, safety population.

ADTTE TTDISC (months = days / 30.4375): CNSR = 0 is the event of interest; CMPEVFL = Y
(CNSR = 8) is a competing event (discontinuation for progression, death from another
cause), never plain censoring; every other row is censored. Cumulative incidence by
Aalen-Johansen with Gray's variance and log(-log) CI (lib.stats.competing_risks, which
reproduces R ``cmprsk::cuminc``). The competing event's own cumulative incidence is given
too (GROUP1 COMPETING), as F02 draws it.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from dagster_project.lib.stats import cumulative_incidence_at
from dagster_project.lib.stats.competing_risks import CENSORED, COMPETING, EVENT

from .results import (
    BOUNDARY_NOTE,
    DAYS_PER_MONTH,
    NE,
    Lookup,
    Row,
    flag,
    fmt_est_ci,
    fmt_int,
    footnote,
    population,
    to_frame,
)

PARAMCD = "TTDISC"
LANDMARKS = (3, 6, 12, 24)
CURVES = {"": "Discontinuation due to AE or death from AE/SPM", "COMPETING": "Competing events"}


def ttdisc(adsl: pd.DataFrame, adtte: pd.DataFrame) -> pd.DataFrame:
    """USUBJID, time (months), cause (0 censored, 1 event of interest, 2 competing) of the
    safety population, sorted by USUBJID."""
    saf = population(adsl, "SAFFL")
    rows = adtte.loc[adtte["PARAMCD"].eq(PARAMCD) & adtte["USUBJID"].isin(saf)]
    if rows["USUBJID"].duplicated().any():
        raise ValueError(f"ADTTE {PARAMCD}: more than one row per subject")
    rows = rows.sort_values("USUBJID")
    cnsr = rows["CNSR"].astype(int).to_numpy()
    competing = flag(rows, "CMPEVFL").to_numpy() | (cnsr == 8)
    cause = np.where(cnsr == 0, EVENT, np.where(competing, COMPETING, CENSORED))
    return pd.DataFrame(
        {
            "USUBJID": rows["USUBJID"].astype(str).to_numpy(),
            "time": rows["AVAL"].astype(float).to_numpy() / DAYS_PER_MONTH,
            "cause": cause.astype(int),
        }
    )


def build_t09(adsl: pd.DataFrame, adtte: pd.DataFrame, cutoff: date) -> pd.DataFrame:
    """T09 tidy rows, PARAMCD TTDISC: N, EVENTS, COMPETING, CENSORED; CIF_<t>M (+_LCL/_UCL)
    at 3, 6, 12, 24 months for the event of interest (GROUP1 '') and for the competing
    event (GROUP1 COMPETING). NULL past the last observed time (as cmprsk ``timepoints``)."""
    d = ttdisc(adsl, adtte)
    time, cause = d["time"].to_numpy(), d["cause"].to_numpy()
    rows = [
        Row("T09", PARAMCD, "N", len(d)),
        Row("T09", PARAMCD, "EVENTS", int((cause == EVENT).sum())),
        Row("T09", PARAMCD, "COMPETING", int((cause == COMPETING).sum())),
        Row("T09", PARAMCD, "CENSORED", int((cause == CENSORED).sum())),
    ]
    # the competing curve is the same estimator with the two causes swapped
    swapped = np.select([cause == EVENT, cause == COMPETING], [COMPETING, EVENT], CENSORED)
    for group, codes in (("", cause), ("COMPETING", swapped)):
        for at in cumulative_incidence_at(time, codes, LANDMARKS):
            stat = f"CIF_{at.time:g}M"
            rows += [
                Row("T09", PARAMCD, stat, at.estimate, group),
                Row("T09", PARAMCD, f"{stat}_LCL", at.lower, group),
                Row("T09", PARAMCD, f"{stat}_UCL", at.upper, group),
            ]
    return to_frame(rows, cutoff)


def display_t09(results: pd.DataFrame) -> pd.DataFrame:
    """T09 as printed: counts, then the cumulative incidence (%) at each time point for the
    event of interest and the competing events."""
    lk = Lookup(results, "T09")
    columns = ["Statistic", *CURVES.values()]
    out = [
        {"Statistic": "Subjects (safety population)", CURVES[""]: fmt_int(lk.get(PARAMCD, "N"))},
        {
            "Statistic": "Events",
            CURVES[""]: fmt_int(lk.get(PARAMCD, "EVENTS")),
            CURVES["COMPETING"]: fmt_int(lk.get(PARAMCD, "COMPETING")),
        },
        {"Statistic": "Censored", CURVES[""]: fmt_int(lk.get(PARAMCD, "CENSORED"))},
    ]
    for t in LANDMARKS:
        row = {"Statistic": f"Cumulative incidence at {t} months, % (95% CI)"}
        for group, label in CURVES.items():
            stat = f"CIF_{t}M"
            row[label] = fmt_est_ci(
                lk.get(PARAMCD, stat, group),
                lk.get(PARAMCD, f"{stat}_LCL", group),
                lk.get(PARAMCD, f"{stat}_UCL", group),
                scale=100.0,
                missing=NE,
            )
        out.append(row)
    return pd.DataFrame(out, columns=columns).fillna("")


def footnote_t09(results: pd.DataFrame) -> str:
    """T09's footnote: safety N, methods, sources, cut-off."""
    return footnote(
        results,
        "Safety population",
        Lookup(results, "T09").get(PARAMCD, "N"),
        [
            "Event: discontinuation due to an AE or death from an AE or a second primary "
            "malignancy; competing events: discontinuation for progression, death from other "
            "causes. Months = days / 30.4375.",
            "Cumulative incidence by Aalen-Johansen, Gray's variance, 95% CI on the log(-log) "
            f"scale; NE past the last observed time. {BOUNDARY_NOTE}",
        ],
        ["ADSL", "ADTTE"],
    )
