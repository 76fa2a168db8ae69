"""T01 (primary endpoint, MRD12) and T05 (MRD negativity rates), ITT.

n = ITT subjects with AVALC = Y, N = all ITT subjects (a subject without an assessment is
MRD-positive for the rate, adam.md), exact Clopper-Pearson 95% CI (R ``binom.test``).

At an interim cut-off many subjects have not reached the end of their MRD12 / MRD24 window and
count as MRD-positive in the ITT rate. T05 therefore adds, for those two parameters
(endpoints.md), the rate among the ITT subjects whose window is complete (ADRS WINCMPFL = Y;
GROUP1 ``COMPLETE``, the same n, N, PCT, LCL, UCL) and the number of ITT subjects whose window is
not complete at the cut-off (GROUP1 '', STAT ``OPEN``): transplanted and still on study and alive
before the window's end, or still on study without ASCT. N(ITT) = N(COMPLETE) + OPEN.
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
# the parameters with a window that may still be open at the cut-off (adam.md WINCMPFL)
WINDOWED = ("MRD12", "MRD24")
COMPLETE = "COMPLETE"  # GROUP1 of the rate among subjects with a complete window
OPEN = "OPEN"  # STAT: ITT subjects whose window is not complete at the cut-off
COMPLETE_LABEL = "  among subjects with a complete window"
OPEN_COLUMN = "Window open at cut-off, n"
# T05's complete-window companion rate (issue 30, adam.md WINCMPFL)
COMPLETE_WINDOW_NOTE = (
    "Complete window (MRD12, MRD24; ADRS WINCMPFL = Y): MRD-negative in the window, or the "
    "window (ASCT + 365 / + 730 days) ended on or before the cut-off, or the subject left the "
    "study or died before its end (without ASCT: left the study or died). The rate among "
    "subjects with a complete window leaves out the subjects whose window is not complete at "
    "the cut-off (still on study and alive before the window's end, or still on study "
    "without ASCT), who count as MRD-positive in the ITT rate."
)


def _mrd_rows(
    tableid: str,
    adsl: pd.DataFrame,
    adrs: pd.DataFrame,
    params: list[str],
    windows: bool = False,
) -> list[Row]:
    """The ITT rate of each parameter; with ``windows``, for MRD12 and MRD24 also OPEN and the
    rate among the subjects with a complete window (GROUP1 COMPLETE)."""
    itt = population(adsl, "ITTFL")
    rows: list[Row] = []
    for paramcd in params:
        status = avalc_by_subject(adrs, paramcd, itt, missing="N")
        rows += proportion_rows(tableid, paramcd, int(status.eq("Y").sum()), len(itt))
        if windows and paramcd in WINDOWED:
            complete = _window_complete(adrs, paramcd, itt)
            rows.append(Row(tableid, paramcd, OPEN, int((~complete).sum())))
            rows += proportion_rows(
                tableid,
                paramcd,
                int((status.eq("Y") & complete).sum()),
                int(complete.sum()),
                group1=COMPLETE,
            )
    return rows


def _window_complete(adrs: pd.DataFrame, paramcd: str, subjects: pd.Index) -> pd.Series:
    """WINCMPFL = Y of each subject of the population; a subject without the row (adam.md gives
    every ITT subject one) is not known to have a complete window."""
    rows = adrs.loc[adrs["PARAMCD"].eq(paramcd) & adrs["USUBJID"].isin(subjects)]
    if rows["USUBJID"].duplicated().any():
        raise ValueError(f"ADRS {paramcd}: more than one row per subject")
    complete = rows.set_index("USUBJID")["WINCMPFL"].astype(object).eq("Y")
    return complete.reindex(subjects, fill_value=False).astype(bool)


def build_t01(adsl: pd.DataFrame, adrs: pd.DataFrame, cutoff: date) -> pd.DataFrame:
    """T01 primary endpoint: MRD12 n, N, PCT, LCL, UCL (ITT)."""
    return to_frame(_mrd_rows("T01", adsl, adrs, ["MRD12"]), cutoff)


def build_t05(adsl: pd.DataFrame, adrs: pd.DataFrame, cutoff: date) -> pd.DataFrame:
    """T05: MRD12, MRD24, MRDSUS, MRDANY, each n, N, PCT, LCL, UCL (ITT); MRD12 and MRD24 also
    OPEN and n, N, PCT, LCL, UCL among the subjects with a complete window (GROUP1 COMPLETE)."""
    return to_frame(_mrd_rows("T05", adsl, adrs, list(MRD_PARAMS), windows=True), cutoff)


def _rate(lk: Lookup, paramcd: str, label: str, group1: str = "") -> dict[str, str]:
    return {
        "Endpoint": label,
        "N": fmt_int(lk.get(paramcd, "N", group1)),
        "MRD-negative, n (%)": fmt_n_pct(
            lk.get(paramcd, "n", group1), lk.get(paramcd, "PCT", group1)
        ),
        "95% CI (%)": fmt_ci(
            lk.get(paramcd, "LCL", group1), lk.get(paramcd, "UCL", group1), 100.0, missing="NE"
        ),
    }


def _display(results: pd.DataFrame, tableid: str) -> pd.DataFrame:
    """One row per parameter (ITT); where the table has them, the window columns: OPEN on the
    ITT row and, under it, the rate among the subjects with a complete window."""
    lk = Lookup(results, tableid)
    columns = ["Endpoint", "N", "MRD-negative, n (%)", "95% CI (%)"]
    windows = any(lk.has(p, OPEN) for p in lk.paramcds())
    out: list[dict[str, str]] = []
    for p in lk.paramcds():
        row = _rate(lk, p, MRD_PARAMS.get(p, p))
        if windows:
            row[OPEN_COLUMN] = fmt_int(lk.get(p, OPEN)) if lk.has(p, OPEN) else ""
        out.append(row)
        if lk.has(p, "N", COMPLETE):
            complete = _rate(lk, p, COMPLETE_LABEL, COMPLETE)
            out.append(complete | {OPEN_COLUMN: ""} if windows else complete)
    return pd.DataFrame(out, columns=[*columns, OPEN_COLUMN] if windows else columns)


def display_t01(results: pd.DataFrame) -> pd.DataFrame:
    """T01 as printed: one row, n (%) and the exact 95% CI in percent."""
    return _display(results, "T01")


def display_t05(results: pd.DataFrame) -> pd.DataFrame:
    """T05 as printed: one row per MRD parameter (ITT) with, for MRD12 and MRD24, the number of
    subjects whose window is not complete at the cut-off and a row under it with the rate among
    the subjects with a complete window; footnote_t05 goes under it."""
    return _display(results, "T05")


def _footnote(results: pd.DataFrame, tableid: str, what: str, notes: tuple[str, ...] = ()) -> str:
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
            *notes,
        ],
        ["ADSL", "ADRS"],
    )


def footnote_t01(results: pd.DataFrame) -> str:
    """T01's footnote: ITT N, the MRD12 definition, Clopper-Pearson, sources, cut-off."""
    return _footnote(results, "T01", "within 12 months after ASCT (MRD12)")


def footnote_t05(results: pd.DataFrame) -> str:
    """T05's footnote: ITT N, the MRD definitions, Clopper-Pearson, sources, cut-off."""
    return _footnote(
        results, "T05", "each parameter in its window (adam.md)", (COMPLETE_WINDOW_NOTE,)
    )
