"""T07: treatment-emergent adverse events, safety population.

Denominator N = SAFFL subjects; only ADAE rows with TRTEMFL = Y of those subjects count.
Overview: subjects with at least one TEAE of each kind. By SOC and PT: each subject is
counted once per term at the worst grade (max ATOXGR) of that term's TEAEs, so the
grade 3-4 and grade 5 columns partition the subjects by worst grade and a subject with a
grade 3 and a grade 5 event of one term appears only under grade 5. Sorted by descending
any-grade frequency (SOC, then PT within SOC), ties alphabetically; the order is stored
as STAT ORDER so SQL readers can reproduce the printed table.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from .results import (
    Lookup,
    Row,
    flag,
    fmt_int,
    fmt_n_pct,
    footnote,
    population,
    proportion_rows,
    to_frame,
)

OVERVIEW = "OVERVIEW"
# GROUP1 code -> (label, predicate on TEAE rows)
OVERVIEW_ITEMS = {
    "ANY": "Any TEAE",
    "GR3PLUS": "TEAE of grade >= 3",
    "SERIOUS": "Serious TEAE",
    "DOSERED": "TEAE leading to dose reduction",
    "DISC": "TEAE leading to discontinuation",
    "FATAL": "TEAE with fatal outcome (grade 5)",
}
GRADE_BLOCKS = {"GRANY": "Any grade", "GR3_4": "Grade 3-4", "GR5": "Grade 5"}
UNCODED = "UNCODED"


def _teae(adsl: pd.DataFrame, adae: pd.DataFrame) -> tuple[pd.Index, pd.DataFrame]:
    saf = population(adsl, "SAFFL")
    ae = adae.loc[flag(adae, "TRTEMFL") & adae["USUBJID"].isin(saf)].copy()
    ae["USUBJID"] = ae["USUBJID"].astype(str)
    ae["SOC"] = ae["AEBODSYS"].where(ae["AEBODSYS"].notna() & ae["AEBODSYS"].ne(""), UNCODED)
    ae["PT"] = ae["AEDECOD"].where(ae["AEDECOD"].notna() & ae["AEDECOD"].ne(""), UNCODED)
    ae["GRADE"] = pd.to_numeric(ae["ATOXGR"], errors="coerce")
    return saf, ae


def _overview_subjects(ae: pd.DataFrame) -> dict[str, set[str]]:
    masks = {
        "ANY": pd.Series(True, index=ae.index),
        "GR3PLUS": ae["GRADE"].ge(3),
        "SERIOUS": flag(ae, "AESER"),
        "DOSERED": ae["AEACN"].astype(object).eq("DOSE REDUCED"),
        "DISC": ae["AEACN"].astype(object).eq("DRUG WITHDRAWN"),
        "FATAL": ae["GRADE"].eq(5),
    }
    return {code: set(ae.loc[mask, "USUBJID"]) for code, mask in masks.items()}


def _worst_grade_counts(ae: pd.DataFrame) -> dict[str, int]:
    """Subjects by worst grade in a set of TEAE rows: any, grade 3-4, grade 5."""
    worst = ae.groupby("USUBJID")["GRADE"].max()
    return {
        "GRANY": int(worst.size),
        "GR3_4": int(worst.isin([3, 4]).sum()),
        "GR5": int(worst.eq(5).sum()),
    }


def _block(soc: str, pt: str, order: int, counts: dict[str, int], N: int) -> list[Row]:
    rows: list[Row] = []
    for paramcd in GRADE_BLOCKS:
        rows += proportion_rows("T07", paramcd, counts[paramcd], N, soc, pt, ci=False)
        if paramcd == "GRANY":
            rows.append(Row("T07", paramcd, "ORDER", order, soc, pt))
    return rows


def _by_frequency(ae: pd.DataFrame, column: str) -> list[str]:
    """Terms by descending number of subjects, ties alphabetically."""
    n = ae.groupby(column)["USUBJID"].nunique()
    return sorted(n.index, key=lambda term: (-int(n[term]), term))


def build_t07(adsl: pd.DataFrame, adae: pd.DataFrame, cutoff: date) -> pd.DataFrame:
    """T07 tidy rows: PARAMCD OVERVIEW (GROUP1 ANY, GR3PLUS, SERIOUS, DOSERED, DISC, FATAL;
    n, N, PCT); then PARAMCD GRANY / GR3_4 / GR5 with GROUP1 = SOC and GROUP2 = PT ('' for
    the SOC row; both '' for the all-TEAE row): n, N, PCT, and ORDER (GRANY only)."""
    saf, ae = _teae(adsl, adae)
    N = len(saf)
    rows: list[Row] = []
    for code, subjects in _overview_subjects(ae).items():
        rows += proportion_rows("T07", OVERVIEW, len(subjects), N, code, ci=False)
    rows += _block("", "", 0, _worst_grade_counts(ae), N)
    order = 0
    # one pass per level instead of a scan per SOC and PT (rows keep their order)
    by_soc = dict(tuple(ae.groupby("SOC", sort=False)))
    for soc in _by_frequency(ae, "SOC"):
        in_soc = by_soc[soc]
        order += 1
        rows += _block(soc, "", order, _worst_grade_counts(in_soc), N)
        by_pt = dict(tuple(in_soc.groupby("PT", sort=False)))
        for pt in _by_frequency(in_soc, "PT"):
            order += 1
            rows += _block(soc, pt, order, _worst_grade_counts(by_pt[pt]), N)
    return to_frame(rows, cutoff)


def display_t07_overview(results: pd.DataFrame) -> pd.DataFrame:
    """T07 overview as printed: subjects with at least one TEAE of each kind, n (%)."""
    lk = Lookup(results, "T07")
    N = lk.get(OVERVIEW, "N", "ANY")
    return pd.DataFrame(
        [
            {
                "Category": label,
                f"N = {fmt_int(N)}": fmt_n_pct(
                    lk.get(OVERVIEW, "n", code), lk.get(OVERVIEW, "PCT", code)
                ),
            }
            for code, label in OVERVIEW_ITEMS.items()
            if lk.has(OVERVIEW, "n", code)
        ],
        columns=["Category", f"N = {fmt_int(N)}"],
    )


def display_t07(results: pd.DataFrame) -> pd.DataFrame:
    """T07 by SOC and PT as printed: the all-TEAE row, then each SOC followed by its PTs
    (indented), in the stored ORDER, with n (%) by worst grade."""
    lk = Lookup(results, "T07")
    f = lk.frame
    keys = f.loc[f["PARAMCD"].eq("GRANY") & f["STAT"].eq("ORDER"), ["GROUP1", "GROUP2", "VALUE"]]
    keys = keys.sort_values("VALUE", kind="stable")
    out = []
    for soc, pt, _ in keys.itertuples(index=False):
        term = "Any TEAE" if soc == "" else (soc if pt == "" else f"  {pt}")
        row = {"System organ class / Preferred term": term}
        for paramcd, label in GRADE_BLOCKS.items():
            row[label] = fmt_n_pct(lk.get(paramcd, "n", soc, pt), lk.get(paramcd, "PCT", soc, pt))
        out.append(row)
    return pd.DataFrame(
        out, columns=["System organ class / Preferred term", *GRADE_BLOCKS.values()]
    )


def footnote_t07(results: pd.DataFrame) -> str:
    """T07's footnote: safety N, counting rules, sources, cut-off."""
    return footnote(
        results,
        "Safety population",
        Lookup(results, "T07").get(OVERVIEW, "N", "ANY"),
        [
            "Treatment-emergent adverse events (TRTEMFL = Y). A subject is counted once per "
            "category, and once per SOC and PT at the worst grade (ATOXGR) of its events of "
            "that term; percentages of N. SOCs and PTs by descending any-grade frequency.",
        ],
        ["ADSL", "ADAE"],
    )
