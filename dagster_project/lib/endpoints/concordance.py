"""T15: concordance of the investigator's and the computed IMWG response (response.md
section 4).

Investigator ``CBOR`` against computed ``ALGCBOR`` for the ITT subjects (a subject without a
row is NE, as in T02): the 8 x 8 cross-table, the percentage agreement and Cohen's kappa
with its asymptotic 95% CI (lib.stats.cohens_kappa), and the same for responder status
(>= PR) and for >= CR. Then PFS against PFSALG: subjects with an event in both, in the
investigator's only, in the algorithm's only, in neither, and the median of (PFSALG event
date - PFS event date) in days over the subjects with both.

Tidy rows: PARAMCD ``BOR`` / ``RESP`` / ``CR`` with GROUP1 = investigator, GROUP2 = computed,
STAT ``n`` for each cell, and with empty groups the agreement statistics ``N``, ``AGREE``,
``AGREE_PCT``, ``KAPPA``, ``KAPPA_SE``, ``KAPPA_LCL``, ``KAPPA_UCL``; PARAMCD ``PFS`` with
STAT ``N``, ``EVENT_BOTH``, ``EVENT_INV_ONLY``, ``EVENT_ALG_ONLY``, ``EVENT_NEITHER``,
``MEDIAN_DIFF_DAYS``.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from dagster_project.lib.stats.agreement import Agreement, cohens_kappa

from ._adrs import avalc_by_subject
from .response import CATEGORIES, CATEGORY_LABELS
from .results import (
    Lookup,
    Row,
    as_dates,
    fmt_int,
    fmt_num,
    footnote,
    not_estimable,
    population,
    to_frame,
)

TABLEID = "T15"
INVESTIGATOR = "CBOR"
COMPUTED = "ALGCBOR"
PFS, PFSALG = "PFS", "PFSALG"
ADRS_PARAMS = (INVESTIGATOR, COMPUTED)
ADTTE_PARAMS = (PFS, PFSALG)

# Dichotomies of the best response: the categories that count as "yes".
DICHOTOMIES = {
    "RESP": ("Responder (>= PR)", ("SCR", "CR", "VGPR", "PR")),
    "CR": (">= CR", ("SCR", "CR")),
}
YES_NO = ("Y", "N")


def best_responses(adsl: pd.DataFrame, adrs: pd.DataFrame) -> pd.DataFrame:
    """USUBJID, CBOR, ALGCBOR of every ITT subject (NE when the row is missing)."""
    itt = population(adsl, "ITTFL")
    return pd.DataFrame(
        {
            "USUBJID": list(itt),
            INVESTIGATOR: avalc_by_subject(adrs, INVESTIGATOR, itt, missing="NE").to_numpy(),
            COMPUTED: avalc_by_subject(adrs, COMPUTED, itt, missing="NE").to_numpy(),
        }
    )


def discordant_subjects(adsl: pd.DataFrame, adrs: pd.DataFrame) -> pd.DataFrame:
    """The ITT subjects whose investigator and computed best confirmed responses differ,
    for medical review: USUBJID, CBOR, ALGCBOR, sorted by subject."""
    both = best_responses(adsl, adrs)
    return both.loc[both[INVESTIGATOR].ne(both[COMPUTED])].reset_index(drop=True)


def _agreement_rows(paramcd: str, agreement: Agreement) -> list[Row]:
    rows = [
        Row(TABLEID, paramcd, "n", int(agreement.table[i, j]), a, b)
        for i, a in enumerate(agreement.categories)
        for j, b in enumerate(agreement.categories)
    ]
    pct = None if agreement.observed is None else 100.0 * agreement.observed
    return rows + [
        Row(TABLEID, paramcd, "N", agreement.n),
        Row(TABLEID, paramcd, "AGREE", agreement.agree),
        Row(TABLEID, paramcd, "AGREE_PCT", pct),
        Row(TABLEID, paramcd, "KAPPA", agreement.kappa),
        Row(TABLEID, paramcd, "KAPPA_SE", agreement.se),
        Row(TABLEID, paramcd, "KAPPA_LCL", agreement.lower),
        Row(TABLEID, paramcd, "KAPPA_UCL", agreement.upper),
    ]


def _events(adtte: pd.DataFrame, paramcd: str, subjects: pd.Index) -> pd.Series:
    """The event date of each subject with an event (CNSR = 0) in ``paramcd``."""
    rows = adtte.loc[
        adtte["PARAMCD"].eq(paramcd) & adtte["USUBJID"].isin(subjects) & adtte["CNSR"].eq(0)
    ]
    if rows["USUBJID"].duplicated().any():
        raise ValueError(f"ADTTE {paramcd}: more than one row per subject")
    return pd.Series(as_dates(rows["ADT"]).to_numpy(), index=rows["USUBJID"].astype(str))


def _pfs_rows(adsl: pd.DataFrame, adtte: pd.DataFrame) -> list[Row]:
    itt = population(adsl, "ITTFL")
    inv, alg = _events(adtte, PFS, itt), _events(adtte, PFSALG, itt)
    both = inv.index.intersection(alg.index)
    differences = (alg[both] - inv[both]).dt.days if len(both) else pd.Series(dtype=float)
    median = None if differences.empty else float(differences.median())
    return [
        Row(TABLEID, "PFS", "N", len(itt)),
        Row(TABLEID, "PFS", "EVENT_BOTH", len(both)),
        Row(TABLEID, "PFS", "EVENT_INV_ONLY", len(inv.index.difference(alg.index))),
        Row(TABLEID, "PFS", "EVENT_ALG_ONLY", len(alg.index.difference(inv.index))),
        Row(TABLEID, "PFS", "EVENT_NEITHER", len(itt.difference(inv.index.union(alg.index)))),
        Row(TABLEID, "PFS", "MEDIAN_DIFF_DAYS", median),
    ]


def build_t15(
    adsl: pd.DataFrame, adrs: pd.DataFrame, adtte: pd.DataFrame, cutoff: date
) -> pd.DataFrame:
    """T15 tidy rows (module docstring)."""
    both = best_responses(adsl, adrs)
    inv, alg = both[INVESTIGATOR].tolist(), both[COMPUTED].tolist()
    rows = _agreement_rows("BOR", cohens_kappa(inv, alg, CATEGORIES))
    for paramcd, (_, members) in DICHOTOMIES.items():
        yes = set(members)
        rows += _agreement_rows(
            paramcd,
            cohens_kappa(
                ["Y" if v in yes else "N" for v in inv],
                ["Y" if v in yes else "N" for v in alg],
                YES_NO,
            ),
        )
    return to_frame(rows + _pfs_rows(adsl, adtte), cutoff)


def _kappa_text(lk: Lookup, paramcd: str) -> str:
    if not lk.get(paramcd, "N"):
        return not_estimable("no subject")
    kappa = lk.get(paramcd, "KAPPA")
    if kappa is None:
        return "NE (chance agreement is 1: both gave every subject one category)"
    lcl, ucl = lk.get(paramcd, "KAPPA_LCL"), lk.get(paramcd, "KAPPA_UCL")
    return f"{fmt_num(kappa, 3)} ({fmt_num(lcl, 3, 'NE')}, {fmt_num(ucl, 3, 'NE')})"


def _summary_row(lk: Lookup, paramcd: str, label: str) -> dict[str, str]:
    n, agree, pct = lk.get(paramcd, "N"), lk.get(paramcd, "AGREE"), lk.get(paramcd, "AGREE_PCT")
    return {
        "Comparison": label,
        "N": fmt_int(n),
        "Agreement n (%)": f"{fmt_int(agree)} ({fmt_num(pct, 1, 'NE')}%)" if n else fmt_int(agree),
        "Cohen's kappa (95% CI)": _kappa_text(lk, paramcd),
    }


def display_t15(results: pd.DataFrame) -> pd.DataFrame:
    """The 8 x 8 cross-table: investigator rows, computed columns, with row totals."""
    lk = Lookup(results, TABLEID)
    out = []
    for a in CATEGORIES:
        row = {"Investigator (CBOR)": CATEGORY_LABELS[a]}
        for b in CATEGORIES:
            row[f"Computed {CATEGORY_LABELS[b]}"] = fmt_int(lk.get("BOR", "n", a, b))
        row["Total"] = fmt_int(sum(lk.get("BOR", "n", a, b) or 0 for b in CATEGORIES))
        out.append(row)
    return pd.DataFrame(out)


def display_t15_dichotomies(results: pd.DataFrame) -> pd.DataFrame:
    """The 2 x 2 cross-tables of responder status (>= PR) and of >= CR ("the same for
    responder status and for >= CR", response.md section 4): investigator rows, computed
    columns, with row totals."""
    lk = Lookup(results, TABLEID)
    answers = {"Y": "Yes", "N": "No"}
    out = []
    for paramcd, (label, _) in DICHOTOMIES.items():
        for a in YES_NO:
            row = {"Comparison": label, "Investigator": answers[a]}
            for b in YES_NO:
                row[f"Computed {answers[b]}"] = fmt_int(lk.get(paramcd, "n", a, b))
            row["Total"] = fmt_int(sum(lk.get(paramcd, "n", a, b) or 0 for b in YES_NO))
            out.append(row)
    return pd.DataFrame(out)


def display_t15_agreement(results: pd.DataFrame) -> pd.DataFrame:
    """Agreement and kappa for the best response (8 categories), responders and >= CR."""
    lk = Lookup(results, TABLEID)
    rows = [_summary_row(lk, "BOR", "Best confirmed response (8 categories)")]
    rows += [_summary_row(lk, p, label) for p, (label, _) in DICHOTOMIES.items()]
    return pd.DataFrame(rows)


def display_t15_pfs(results: pd.DataFrame) -> pd.DataFrame:
    """PFS (investigator PD) against PFSALG (computed PD): who has an event in which."""
    lk = Lookup(results, TABLEID)
    median = lk.get("PFS", "MEDIAN_DIFF_DAYS")
    rows = [
        ("ITT subjects", fmt_int(lk.get("PFS", "N"))),
        ("Event in both", fmt_int(lk.get("PFS", "EVENT_BOTH"))),
        ("Event by the investigator only (PFS)", fmt_int(lk.get("PFS", "EVENT_INV_ONLY"))),
        ("Event by the algorithm only (PFSALG)", fmt_int(lk.get("PFS", "EVENT_ALG_ONLY"))),
        ("Event in neither", fmt_int(lk.get("PFS", "EVENT_NEITHER"))),
        (
            "Median of PFSALG - PFS event date, days (both events)",
            "NE" if median is None else f"{median:g}",
        ),
    ]
    return pd.DataFrame(rows, columns=["PFS against PFSALG", "Value"])


def footnote_t15(results: pd.DataFrame) -> str:
    """T15's footnote: ITT N, definitions, kappa method, sources, cut-off."""
    return footnote(
        results,
        "ITT population",
        Lookup(results, TABLEID).get("BOR", "N"),
        [
            "A subject without a best confirmed response row is NE. Investigator: CBOR, the "
            "best confirmed investigator response (IMWG, response.md section 1); computed: "
            "ALGCBOR, the best confirmed response computed from the labs and imaging "
            "(section 3).",
            "Agreement is the percentage of subjects on the diagonal; Cohen's kappa "
            "unweighted, asymptotic SE (Fleiss, Cohen and Everitt 1969), 95% Wald CI.",
            "PFS event: the first investigator PD (PDDT) or death; PFSALG event: the first "
            "confirmed computed PD or death.",
        ],
        ["ADSL", "ADRS", "ADTTE"],
    )
