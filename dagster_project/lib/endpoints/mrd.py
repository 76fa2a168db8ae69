"""T01 (primary endpoint, MRD12) and T05 (MRD negativity rates), ITT.

n = ITT subjects with AVALC = Y, N = all ITT subjects (a subject without an assessment is
MRD-positive for the rate, adam.md), exact Clopper-Pearson 95% CI (R ``binom.test``).
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

MRD_PARAMS = {
    "MRD12": "MRD negativity within 12 months after ASCT",
    "MRD24": "MRD negativity 12-24 months after ASCT",
    "MRDSUS": "Sustained MRD negativity (>= 1 year)",
    "MRDANY": "MRD negativity at any time on study",
}


def _mrd_rows(tableid: str, adsl: pd.DataFrame, adrs: pd.DataFrame, params: list[str]) -> list[Row]:
    itt = population(adsl, "ITTFL")
    rows: list[Row] = []
    for paramcd in params:
        status = avalc_by_subject(adrs, paramcd, itt, missing="N")
        rows += proportion_rows(tableid, paramcd, int(status.eq("Y").sum()), len(itt))
    return rows


def build_t01(adsl: pd.DataFrame, adrs: pd.DataFrame, cutoff: date) -> pd.DataFrame:
    """T01 primary endpoint: MRD12 n, N, PCT, LCL, UCL (ITT)."""
    return to_frame(_mrd_rows("T01", adsl, adrs, ["MRD12"]), cutoff)


def build_t05(adsl: pd.DataFrame, adrs: pd.DataFrame, cutoff: date) -> pd.DataFrame:
    """T05: MRD12, MRD24, MRDSUS, MRDANY, each n, N, PCT, LCL, UCL (ITT)."""
    return to_frame(_mrd_rows("T05", adsl, adrs, list(MRD_PARAMS)), cutoff)


def _display(results: pd.DataFrame, tableid: str) -> pd.DataFrame:
    lk = Lookup(results, tableid)
    return pd.DataFrame(
        [
            {
                "Endpoint": MRD_PARAMS.get(p, p),
                "N": fmt_int(lk.get(p, "N")),
                "MRD-negative, n (%)": fmt_n_pct(lk.get(p, "n"), lk.get(p, "PCT")),
                "95% CI (%)": fmt_ci(lk.get(p, "LCL"), lk.get(p, "UCL"), 100.0, missing="NE"),
            }
            for p in lk.paramcds()
        ],
        columns=["Endpoint", "N", "MRD-negative, n (%)", "95% CI (%)"],
    )


def display_t01(results: pd.DataFrame) -> pd.DataFrame:
    """T01 as printed: one row, n (%) and the exact 95% CI in percent."""
    return _display(results, "T01")


def display_t05(results: pd.DataFrame) -> pd.DataFrame:
    """T05 as printed: one row per MRD parameter."""
    return _display(results, "T05")


def _footnote(results: pd.DataFrame, tableid: str, what: str) -> str:
    lk = Lookup(results, tableid)
    first = next(iter(lk.paramcds()), None)
    return footnote(
        results,
        "ITT population",
        None if first is None else lk.get(first, "N"),
        [
            f"MRD-negative: NGF at 1E-5, {what}; a subject without an assessment counts as "
            "MRD-positive.",
            CLOPPER_PEARSON,
        ],
        ["ADSL", "ADRS"],
    )


def footnote_t01(results: pd.DataFrame) -> str:
    """T01's footnote: ITT N, the MRD12 definition, Clopper-Pearson, sources, cut-off."""
    return _footnote(results, "T01", "within 12 months after ASCT (MRD12)")


def footnote_t05(results: pd.DataFrame) -> str:
    """T05's footnote: ITT N, the MRD definitions, Clopper-Pearson, sources, cut-off."""
    return _footnote(results, "T05", "each parameter in its window (adam.md)")
