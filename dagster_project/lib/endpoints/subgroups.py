"""T14: the primary endpoint (MRD12) by subgroup, the numbers of the forest plot F05
(endpoints.md T14).

For the ITT population and each level of AGEGR1, SEX, ISS, HRCYTO, MMTYPE, REIND, MEASDIS
(ADSL): n MRD12-negative (ADRS MRD12 AVALC = Y; a subject without the row is MRD-positive, as in
T01), N ITT subjects with that level, PCT, exact Clopper-Pearson 95% CI (R ``binom.test``).
The overall row is GROUP1 ''; a subgroup row GROUP1 the variable, GROUP2 the level. Every level
of a variable's code list (ADSL accepted values) has its rows, N = 0 included (PCT and CI NULL);
subjects whose value is missing form the level ``MISSING``, and a value outside the code list
its own level after the code list, so the levels of a variable always add up to the ITT N.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from ._adrs import avalc_by_subject
from .results import (
    CLOPPER_PEARSON,
    Lookup,
    Row,
    fmt_ci,
    fmt_int,
    fmt_n_pct,
    footnote,
    population,
    proportion_rows,
    to_frame,
)

TABLEID = "T14"
PARAMCD = "MRD12"
MISSING = "MISSING"
# ADSL accepted values (dbt/models/adam/_adsl.yml), in their printed order
SUBGROUPS: dict[str, tuple[str, tuple[str, ...]]] = {
    "AGEGR1": ("Age group (years)", ("<65", "65-74", ">=75")),
    "SEX": ("Sex", ("M", "F")),
    "ISS": ("ISS stage", ("I", "II", "III")),
    "HRCYTO": ("High-risk cytogenetics", ("Y", "N")),
    "MMTYPE": ("Myeloma type", ("IGG", "IGA", "LIGHT CHAIN", "OTHER")),
    "REIND": ("Re-induction regimen", ("KRD", "KD", "OTHER")),
    "MEASDIS": ("Measurable disease", ("SERUM", "URINE", "SERUM AND URINE", "FLC", "NONE")),
}
LEVEL_LABELS = {
    "AGEGR1": {"<65": "<65", "65-74": "65-74", ">=75": ">=75"},
    "SEX": {"M": "Male", "F": "Female"},
    "HRCYTO": {"Y": "Yes", "N": "No"},
    "MMTYPE": {"IGG": "IgG", "IGA": "IgA", "LIGHT CHAIN": "Light chain", "OTHER": "Other"},
    "REIND": {"KRD": "KRd", "KD": "Kd", "OTHER": "Other"},
    "MEASDIS": {
        "SERUM": "Serum M-protein",
        "URINE": "Urine M-protein",
        "SERUM AND URINE": "Serum and urine",
        "FLC": "Free light chain",
        "NONE": "None",
    },
}
ADSL_COLUMNS = ("USUBJID", "ITTFL", *SUBGROUPS)
OVERALL_LABEL = "All ITT subjects"
INDENT = "  "


def _levels(variable: str, values: pd.Series) -> list[str]:
    known = SUBGROUPS[variable][1]
    extra = sorted(set(values) - set(known) - {MISSING})
    return [*known, *extra, *([MISSING] if values.eq(MISSING).any() else [])]


def build_t14(adsl: pd.DataFrame, adrs: pd.DataFrame, cutoff: date) -> pd.DataFrame:
    """T14: MRD12 n, N, PCT, LCL, UCL for the ITT population (GROUP1 '') and for each level
    (GROUP2) of each subgroup variable (GROUP1)."""
    itt = population(adsl, "ITTFL")
    negative = avalc_by_subject(adrs, PARAMCD, itt, missing="N").eq("Y")
    subjects = adsl.loc[adsl["USUBJID"].astype(str).isin(itt)].copy()
    subjects["USUBJID"] = subjects["USUBJID"].astype(str)
    subjects = subjects.set_index("USUBJID").reindex(itt)
    rows: list[Row] = proportion_rows(TABLEID, PARAMCD, int(negative.sum()), len(itt))
    for variable in SUBGROUPS:
        raw = subjects[variable].astype(object)
        values = raw.where(raw.notna(), "").astype(str).str.strip().replace("", MISSING)
        for level in _levels(variable, values):
            members = values.eq(level)
            rows += proportion_rows(
                TABLEID,
                PARAMCD,
                int((negative & members).sum()),
                int(members.sum()),
                group1=variable,
                group2=level,
            )
    return to_frame(rows, cutoff)


def level_label(variable: str, level: str) -> str:
    if level == MISSING:
        return "Missing"
    return LEVEL_LABELS.get(variable, {}).get(level, level)


def subgroup_lines(results: pd.DataFrame) -> list[tuple[str, str, str]]:
    """The rows T14 prints and F05 draws, in the builder's order: (label, GROUP1, GROUP2). The
    overall row has GROUP1 ''; a variable's heading has GROUP1 the variable, GROUP2 '' and no
    numbers; a level has both."""
    lk = Lookup(results, TABLEID)
    lines: list[tuple[str, str, str]] = []
    if lk.has(PARAMCD, "N"):
        lines.append((OVERALL_LABEL, "", ""))
    for variable, (title, _) in SUBGROUPS.items():
        levels = dict.fromkeys(lk.frame.loc[lk.frame["GROUP1"].eq(variable), "GROUP2"])
        if levels:
            lines.append((title, variable, ""))
            lines += [(INDENT + level_label(variable, lv), variable, lv) for lv in levels]
    return lines


def display_t14(results: pd.DataFrame) -> pd.DataFrame:
    """T14 as printed: the ITT rate, then each subgroup variable with its levels indented under
    it: N, MRD-negative n (%), exact 95% CI in percent."""
    lk = Lookup(results, TABLEID)
    out: list[dict[str, str]] = []
    for label, g1, g2 in subgroup_lines(results):
        if g1 and not g2:
            out.append({"Subgroup": label, "N": "", "MRD-negative, n (%)": "", "95% CI (%)": ""})
            continue
        out.append(
            {
                "Subgroup": label,
                "N": fmt_int(lk.get(PARAMCD, "N", g1, g2)),
                "MRD-negative, n (%)": fmt_n_pct(
                    lk.get(PARAMCD, "n", g1, g2), lk.get(PARAMCD, "PCT", g1, g2)
                ),
                "95% CI (%)": fmt_ci(
                    lk.get(PARAMCD, "LCL", g1, g2),
                    lk.get(PARAMCD, "UCL", g1, g2),
                    100.0,
                    missing="NE",
                ),
            }
        )
    return pd.DataFrame(out, columns=["Subgroup", "N", "MRD-negative, n (%)", "95% CI (%)"])


def footnote_t14(results: pd.DataFrame) -> str:
    """T14's footnote: ITT N, the MRD12 definition, Clopper-Pearson, subgroups, sources,
    cut-off."""
    lk = Lookup(results, TABLEID)
    return footnote(
        results,
        "ITT population",
        lk.get(PARAMCD, "N"),
        [
            "MRD-negative: NGF at 1E-5 within 12 months after ASCT (MRD12); a subject without "
            "an assessment counts as MRD-positive.",
            "N: ITT subjects in the subgroup; Missing: no value recorded.",
            CLOPPER_PEARSON,
            "NE: no subject in the subgroup.",
        ],
        ["ADSL", "ADRS"],
    )
