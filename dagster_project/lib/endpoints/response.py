"""T02: response by phase (ITT, IMWG, confirmed) for CBORIND, CBORASCT, CBOR and the computed
ALGCBOR (endpoints.md T02, response.md section 1).

Each category SCR..NE is n / N with N = ITT (a subject without a best-response row counts
as NE, adam.md; ALGCBOR comes from int_best_confirmed_computed_response_derived); the
cumulative rates >= CR, >= VGPR and ORR (>= PR) likewise, and for CBOR and
ALGCBOR the MRD-negative CR rate (>= CR and MRDANY = Y). Every proportion carries its exact
Clopper-Pearson 95% CI (R ``binom.test``).
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from dagster_project.lib.ingest.contract import RESPONSES

from ._adrs import avalc_by_subject
from .results import (
    CLOPPER_PEARSON,
    Lookup,
    Row,
    fmt_ci,
    fmt_n_pct,
    footnote,
    population,
    proportion_rows,
    to_frame,
)

# the confirmed best responses (response.md section 1), investigator then computed
PHASES = {
    "CBORIND": "After induction",
    "CBORASCT": "After ASCT",
    "CBOR": "Best on study",
    "ALGCBOR": "Best on study, computed",
}
# the parameters with an MRD-negative CR rate (endpoints.md T02)
MRD_NEGATIVE_CR_PHASES = ("CBOR", "ALGCBOR")
MRD_NEGATIVE_CR = "MRDNEGCR"
# every ADRS parameter build_t02 reads
ADRS_PARAMS = (*PHASES, "MRDANY")
# adam.md response order, best first: contract.RESPONSES, read from dbt_project.yml
CATEGORIES = list(RESPONSES)
CATEGORY_LABELS = {
    "SCR": "sCR",
    "CR": "CR",
    "VGPR": "VGPR",
    "PR": "PR",
    "MR": "MR",
    "SD": "SD",
    "PD": "PD",
    "NE": "NE",
}
# cumulative groups: the categories at least as good as the threshold
CUMULATIVE = {
    ">=CR": ("SCR", "CR"),
    ">=VGPR": ("SCR", "CR", "VGPR"),
    "ORR": ("SCR", "CR", "VGPR", "PR"),
}
CUMULATIVE_LABELS = {
    ">=CR": ">= CR",
    ">=VGPR": ">= VGPR",
    "ORR": "ORR (>= PR)",
    MRD_NEGATIVE_CR: "MRD-negative CR (>= CR, MRDANY = Y)",
}


def build_t02(adsl: pd.DataFrame, adrs: pd.DataFrame, cutoff: date) -> pd.DataFrame:
    """T02 tidy rows: PARAMCD CBORIND/CBORASCT/CBOR/ALGCBOR x GROUP1 category, cumulative group
    or (CBOR, ALGCBOR) MRDNEGCR."""
    itt = population(adsl, "ITTFL")
    mrd_negative = avalc_by_subject(adrs, "MRDANY", itt, missing="N").eq("Y")
    rows: list[Row] = []
    for paramcd in PHASES:
        best = avalc_by_subject(adrs, paramcd, itt, missing="NE")
        unknown = sorted(set(best) - set(CATEGORIES))
        if unknown:
            raise ValueError(f"ADRS {paramcd}: AVALC outside the IMWG categories: {unknown}")
        for category in CATEGORIES:
            rows += proportion_rows(
                "T02", paramcd, int(best.eq(category).sum()), len(itt), category
            )
        for group, members in CUMULATIVE.items():
            rows += proportion_rows("T02", paramcd, int(best.isin(members).sum()), len(itt), group)
        if paramcd in MRD_NEGATIVE_CR_PHASES:
            n = int((best.isin(CUMULATIVE[">=CR"]) & mrd_negative).sum())
            rows += proportion_rows("T02", paramcd, n, len(itt), MRD_NEGATIVE_CR)
    return to_frame(rows, cutoff)


def display_t02(results: pd.DataFrame) -> pd.DataFrame:
    """T02 as printed: categories then cumulative rates and the MRD-negative CR rate (each with
    its 95% CI row), one column per phase headed with its N; footnote_t02 goes under it."""
    lk = Lookup(results, "T02")
    phases = [p for p in PHASES if p in lk.paramcds()]
    columns = {p: f"{PHASES[p]} (N = {int(lk.get(p, 'N', 'SCR') or 0)})" for p in phases}
    out: list[dict[str, str]] = []
    for category in CATEGORIES:
        row = {"Response": CATEGORY_LABELS[category]}
        for p in phases:
            row[columns[p]] = fmt_n_pct(lk.get(p, "n", category), lk.get(p, "PCT", category))
        out.append(row)
    for group in [*CUMULATIVE, MRD_NEGATIVE_CR]:
        row = {"Response": CUMULATIVE_LABELS[group]}
        ci = {"Response": "  95% CI (%)"}
        for p in phases:
            if group == MRD_NEGATIVE_CR and p not in MRD_NEGATIVE_CR_PHASES:
                row[columns[p]] = ci[columns[p]] = ""
                continue
            row[columns[p]] = fmt_n_pct(lk.get(p, "n", group), lk.get(p, "PCT", group))
            ci[columns[p]] = fmt_ci(
                lk.get(p, "LCL", group), lk.get(p, "UCL", group), 100.0, missing="NE"
            )
        out += [row, ci]
    return pd.DataFrame(out, columns=["Response", *columns.values()])


def footnote_t02(results: pd.DataFrame) -> str:
    """T02's footnote: ITT N, the response definitions, Clopper-Pearson, sources, cut-off."""
    return footnote(
        results,
        "ITT population",
        Lookup(results, "T02").get("CBOR", "N", "SCR"),
        [
            "Best response confirmed (IMWG, response.md section 1): investigator (CBORIND, "
            "CBORASCT, CBOR) and computed (ALGCBOR); a subject without a row counts as NE.",
            "MRD-negative CR: >= CR and any NGF 1E-5 negative MRD result (MRDANY = Y).",
            CLOPPER_PEARSON,
        ],
        ["ADSL", "ADRS"],
    )
