"""T11: demographics and baseline characteristics of the ITT population, from ADSL.

Every variable is an ADSL column (adam.md, ADSL; HEIGHT, WEIGHT, BSA (Mosteller), DURDIS
(months from diagnosis to consent) and MOBFL were added to ADSL for this table, derived in
dbt: a baseline value is a subject's property, not a table statistic).
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from .results import (
    Lookup,
    Row,
    fmt_n_pct,
    footnote,
    population,
    summary_cells,
    summary_rows,
    to_frame,
)

# GROUP1 of the subjects without a value of a categorical variable (always present, so the
# categories of a variable add up to the ITT N)
MISSING = "MISSING"

# variable -> (label, the code list in print order); a value outside the list is appended
CATEGORICAL: dict[str, tuple[str, tuple[str, ...]]] = {
    "AGEGR1": ("Age group (years)", ("<65", "65-74", ">=75")),
    "SEX": ("Sex", ("M", "F")),
    "RACE": ("Race", ("WHITE", "BLACK OR AFRICAN AMERICAN", "ASIAN", "OTHER", "NOT REPORTED")),
    "ISS": ("ISS stage", ("I", "II", "III")),
    "HRCYTO": ("High-risk cytogenetics", ("Y", "N")),
    "MMTYPE": ("Myeloma type", ("IGG", "IGA", "LIGHT CHAIN", "OTHER")),
    "LCTYPE": ("Light chain type", ("KAPPA", "LAMBDA")),
    "MEASDIS": ("Measurable disease", ("SERUM", "URINE", "SERUM AND URINE", "FLC", "NONE")),
    "REIND": ("Re-induction regimen", ("KRD", "KD", "OTHER")),
    "REINDRSP": ("Response to re-induction", ("SCR", "CR", "VGPR", "PR")),
    "MOBFL": ("Stem cells mobilised", ("Y", "N")),
}
# variable -> (label, decimals of its raw values: min and max; mean and median get one more,
# SD two more)
CONTINUOUS: dict[str, tuple[str, int]] = {
    "AGE": ("Age (years)", 0),
    "PRIORLN": ("Prior lines of therapy", 0),
    "DURDIS": ("Time from diagnosis to consent (months)", 1),
    "HEIGHT": ("Height (cm)", 1),
    "WEIGHT": ("Weight (kg)", 1),
    "BSA": ("Body surface area, Mosteller (m2)", 2),
}
# endpoints.md, T11, in its order
VARIABLES = (
    "AGE",
    "AGEGR1",
    "SEX",
    "RACE",
    "ISS",
    "HRCYTO",
    "MMTYPE",
    "LCTYPE",
    "MEASDIS",
    "REIND",
    "REINDRSP",
    "MOBFL",
    "PRIORLN",
    "DURDIS",
    "HEIGHT",
    "WEIGHT",
    "BSA",
)
_YES_NO = {"Y": "Yes", "N": "No"}


def _category(value: object) -> str:
    """A categorical value as its code; empty (NULL, NaN, '') is MISSING."""
    if value is None or pd.isna(value) or str(value).strip() == "":
        return MISSING
    return str(value).strip()


def build_t11(adsl: pd.DataFrame, cutoff: date) -> pd.DataFrame:
    """T11 tidy rows over the ITT population. PARAMCD = the ADSL variable. A continuous one
    (AGE, PRIORLN, DURDIS, HEIGHT, WEIGHT, BSA): GROUP1 '', N (subjects with a value), MEAN,
    SD, MEDIAN, MIN, MAX. A categorical one: GROUP1 = the category (every code of the list,
    then any other value, then MISSING), n and PCT (percent of the ITT N)."""
    itt = population(adsl, "ITTFL")
    subjects = adsl.assign(USUBJID=adsl["USUBJID"].astype(str)).set_index("USUBJID")
    subjects = subjects.loc[list(itt)]
    N = len(itt)
    rows: list[Row] = []
    for variable in VARIABLES:
        if variable in CONTINUOUS:
            rows += summary_rows("T11", variable, subjects[variable])
            continue
        counts = subjects[variable].map(_category).value_counts()
        codes = CATEGORICAL[variable][1]
        others = sorted(set(counts.index) - set(codes) - {MISSING})
        for category in (*codes, *others, MISSING):
            n = int(counts.get(category, 0))
            rows += [
                Row("T11", variable, "n", n, category),
                Row("T11", variable, "PCT", 100.0 * n / N if N else None, category),
            ]
    return to_frame(rows, cutoff)


def itt_n(lk: Lookup) -> int:
    """The ITT N of T11's rows: the categories of a categorical variable, MISSING included,
    add up to it."""
    return int(sum(lk.get("SEX", "n", g) or 0 for g in lk.groups1("SEX")))


def display_t11(results: pd.DataFrame) -> pd.DataFrame:
    """T11 as printed: a heading line per variable, then n, mean (SD), median, min-max for a
    continuous one and n (%) per category for a categorical one (Missing only when some)."""
    lk = Lookup(results, "T11")
    column = f"ITT (N = {itt_n(lk)})"
    out: list[dict[str, str]] = []
    for variable in lk.paramcds():
        if variable in CONTINUOUS:
            label, digits = CONTINUOUS[variable]
            out.append({"Characteristic": label, column: ""})
            out += [
                {"Characteristic": f"  {stat}", column: text}
                for stat, text in summary_cells(lk, variable, digits)
            ]
            continue
        label = CATEGORICAL.get(variable, (variable, ()))[0]
        out.append({"Characteristic": label, column: ""})
        for category in lk.groups1(variable):
            n = lk.get(variable, "n", category)
            if category == MISSING and not n:
                continue
            shown = "Missing" if category == MISSING else _YES_NO.get(category, category)
            out.append(
                {
                    "Characteristic": f"  {shown}",
                    column: fmt_n_pct(n, lk.get(variable, "PCT", category)),
                }
            )
    return pd.DataFrame(out, columns=["Characteristic", column])


def footnote_t11(results: pd.DataFrame) -> str:
    """T11's footnote: ITT N, the statistics, BSA and time since diagnosis, source, cut-off."""
    lk = Lookup(results, "T11")
    return footnote(
        results,
        "ITT population",
        itt_n(lk) if len(lk.frame) else None,
        [
            "Continuous variables: n (subjects with a value), mean (SD, n - 1 divisor), "
            "median, min-max; categories: n (%) with percentages of N.",
            "BSA by Mosteller, sqrt(height (cm) x weight (kg) / 3600); time from diagnosis "
            "to consent (ICFDT - DIAGDT + 1) / 30.4375 months, a partial diagnosis date "
            "imputed to the first day of its month or year.",
        ],
        ["ADSL"],
    )
