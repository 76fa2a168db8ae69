"""The tidy endpoint row and the helpers every table builder shares.

One row per statistic: ``TABLEID, PARAMCD, GROUP1, GROUP2, STAT, VALUE, CUTOFFDT``
(spec README, ``endpoints.results``). GROUP1/GROUP2 are '' when a table has no sub-row,
never NULL, so (TABLEID, PARAMCD, GROUP1, GROUP2, STAT) is a key. Every row a table's
design defines is always present; VALUE is NULL (NaN in pandas) when the number is not
estimable: median or CI bound not reached, rate past the last observed time, PCT of an
empty population, HR when a group is empty or has no events. Units: months for times,
fractions 0-1 for rates, probabilities, RDI and every CI bound, percent for PCT.
docs/endpoints_results.md lists the codes per table.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from dagster_project.lib.stats import (
    KMSummary,
    SurvivalAt,
    km_summary,
    km_survival_at,
    proportion_ci,
)

COLUMNS = ["TABLEID", "PARAMCD", "GROUP1", "GROUP2", "STAT", "VALUE", "CUTOFFDT"]
KEY = ["TABLEID", "PARAMCD", "GROUP1", "GROUP2", "STAT"]

# adam.md: survival parameters in months of 30.4375 days, time-to-response in 30-day months.
DAYS_PER_MONTH = 30.4375
DAYS_PER_MONTH_RESPONSE = 30.0


@dataclass(frozen=True)
class Row:
    """One statistic before the cut-off is attached; ``value`` None = not estimable."""

    tableid: str
    paramcd: str
    stat: str
    value: float | None
    group1: str = ""
    group2: str = ""


def to_frame(rows: Iterable[Row], cutoff: date) -> pd.DataFrame:
    """Rows, in the order given (the CSR order), as the tidy frame with the contract's types:
    strings for the keys ('' for no group), float64 VALUE (NaN = NULL), CUTOFFDT a date."""
    rows = list(rows)
    frame = pd.DataFrame(
        {
            "TABLEID": pd.Series([r.tableid for r in rows], dtype=object),
            "PARAMCD": pd.Series([r.paramcd for r in rows], dtype=object),
            "GROUP1": pd.Series([r.group1 for r in rows], dtype=object),
            "GROUP2": pd.Series([r.group2 for r in rows], dtype=object),
            "STAT": pd.Series([r.stat for r in rows], dtype=object),
            "VALUE": pd.Series(
                [np.nan if r.value is None else float(r.value) for r in rows], dtype="float64"
            ),
            "CUTOFFDT": pd.Series([cutoff] * len(rows), dtype=object),
        },
        columns=COLUMNS,
    )
    duplicated = frame.duplicated(KEY)
    if duplicated.any():
        raise ValueError(f"duplicate result keys: {frame.loc[duplicated, KEY].values.tolist()}")
    return frame


# ---------------------------------------------------------------------------- populations


def flag(frame: pd.DataFrame, column: str) -> pd.Series:
    """ADaM Y/empty flag as booleans (anything but 'Y' is false)."""
    return frame[column].astype(object).eq("Y")


def population(adsl: pd.DataFrame, flag_column: str) -> pd.Index:
    """USUBJIDs with the population flag = Y, sorted (so row order never depends on input)."""
    return pd.Index(sorted(adsl.loc[flag(adsl, flag_column), "USUBJID"].astype(str)))


def as_dates(values: pd.Series) -> pd.Series:
    """DATE columns as datetime64 whether they arrive as dates, timestamps or strings."""
    return pd.to_datetime(values, errors="raise")


def time_to_event(
    adtte: pd.DataFrame, paramcd: str, subjects: pd.Index, days_per_month: float
) -> pd.DataFrame:
    """One ADTTE parameter restricted to a population: USUBJID, months, event (CNSR = 0).

    The population flag of ADSL decides who is analysed (the ADTTE rows of other subjects,
    if any, are ignored). Duplicate subjects would double-count and are refused.
    """
    rows = adtte.loc[adtte["PARAMCD"].eq(paramcd) & adtte["USUBJID"].isin(subjects)]
    if rows["USUBJID"].duplicated().any():
        raise ValueError(f"ADTTE {paramcd}: more than one row per subject")
    rows = rows.sort_values("USUBJID")
    return pd.DataFrame(
        {
            "USUBJID": rows["USUBJID"].astype(str).to_numpy(),
            "time": rows["AVAL"].astype(float).to_numpy() / days_per_month,
            "event": (rows["CNSR"].astype(int) == 0).astype(int).to_numpy(),
        }
    )


# ---------------------------------------------------------------------------- row builders


def proportion_rows(
    tableid: str,
    paramcd: str,
    n: int,
    N: int,
    group1: str = "",
    group2: str = "",
    ci: bool = True,
) -> list[Row]:
    """n, N, PCT (percent) and, with ``ci``, the exact Clopper-Pearson LCL/UCL (fractions)."""
    p = proportion_ci(n, N)
    rows = [
        Row(tableid, paramcd, "n", n, group1, group2),
        Row(tableid, paramcd, "N", N, group1, group2),
        Row(tableid, paramcd, "PCT", p.percent, group1, group2),
    ]
    if ci:
        rows += [
            Row(tableid, paramcd, "LCL", p.lower, group1, group2),
            Row(tableid, paramcd, "UCL", p.upper, group1, group2),
        ]
    return rows


def quantile_rows(
    tableid: str,
    paramcd: str,
    summary: KMSummary,
    names: dict[float, str],
    g1: str = "",
    g2: str = "",
) -> list[Row]:
    """For each requested quantile, ``NAME``, ``NAME_LCL``, ``NAME_UCL`` (months)."""
    rows: list[Row] = []
    for q in summary.quantiles:
        name = names[q.prob]
        rows += [
            Row(tableid, paramcd, name, q.estimate, g1, g2),
            Row(tableid, paramcd, f"{name}_LCL", q.lower, g1, g2),
            Row(tableid, paramcd, f"{name}_UCL", q.upper, g1, g2),
        ]
    return rows


def count_rows(
    tableid: str, paramcd: str, summary: KMSummary, g1: str = "", g2: str = ""
) -> list[Row]:
    """N, EVENTS, CENSORED of a Kaplan-Meier analysis."""
    return [
        Row(tableid, paramcd, "N", summary.n, g1, g2),
        Row(tableid, paramcd, "EVENTS", summary.events, g1, g2),
        Row(tableid, paramcd, "CENSORED", summary.censored, g1, g2),
    ]


def km(time: Sequence[float], event: Sequence[int], probs: Sequence[float]) -> KMSummary:
    """Kaplan-Meier summary (lib.stats.km_summary, R quantile.survfit log-log)."""
    return km_summary(np.asarray(time, float), np.asarray(event, int), probs=tuple(probs))


def survival_at(
    time: Sequence[float], event: Sequence[int], months: Sequence[float]
) -> tuple[SurvivalAt, ...]:
    """S(t) with log(-log) CI at landmark months (lib.stats.km_survival_at)."""
    return km_survival_at(np.asarray(time, float), np.asarray(event, int), list(months))


# ---------------------------------------------------------------------------- display helpers


class Lookup:
    """Read access to one table's tidy rows by (PARAMCD, GROUP1, GROUP2, STAT)."""

    def __init__(self, results: pd.DataFrame, tableid: str):
        own = results.loc[results["TABLEID"].eq(tableid)]
        self.frame = own.reset_index(drop=True)
        self._values: dict[tuple[str, str, str, str], float | None] = {}
        for p, g1, g2, s, v in own[["PARAMCD", "GROUP1", "GROUP2", "STAT", "VALUE"]].itertuples(
            index=False
        ):
            value = None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)
            self._values[(p, _blank(g1), _blank(g2), s)] = value

    def get(self, paramcd: str, stat: str, g1: str = "", g2: str = "") -> float | None:
        return self._values.get((paramcd, g1, g2, stat))

    def has(self, paramcd: str, stat: str, g1: str = "", g2: str = "") -> bool:
        return (paramcd, g1, g2, stat) in self._values

    def paramcds(self) -> list[str]:
        return list(dict.fromkeys(self.frame["PARAMCD"]))

    def groups1(self, paramcd: str) -> list[str]:
        rows = self.frame.loc[self.frame["PARAMCD"].eq(paramcd), "GROUP1"]
        return list(dict.fromkeys(_blank(g) for g in rows))


def _blank(value: object) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


NR = "NR"  # not reached (median, CI bound)
NE = "NE"  # not estimable (past follow-up, empty population)


def fmt_num(value: float | None, digits: int = 1, missing: str = NR) -> str:
    return missing if value is None else f"{value:.{digits}f}"


def fmt_int(value: float | None) -> str:
    return "0" if value is None else str(int(round(value)))


def fmt_n_pct(n: float | None, pct: float | None) -> str:
    """``12 (20.0%)``; a percentage of an empty population shows as ``0``."""
    if pct is None:
        return fmt_int(n)
    return f"{fmt_int(n)} ({pct:.1f}%)"


def fmt_ci(
    lower: float | None,
    upper: float | None,
    scale: float = 1.0,
    digits: int = 1,
    missing: str = NR,
) -> str:
    """``(6.1, 11.0)``; a missing bound shows as ``missing`` (NR for quantiles, NE for rates)."""
    lo = None if lower is None else lower * scale
    up = None if upper is None else upper * scale
    return f"({fmt_num(lo, digits, missing)}, {fmt_num(up, digits, missing)})"


def fmt_est_ci(
    est: float | None,
    lower: float | None,
    upper: float | None,
    scale: float = 1.0,
    digits: int = 1,
    missing: str = NR,
) -> str:
    """``8.3 (6.1, 11.0)``; an estimate that is missing shows as ``missing`` alone when its
    whole interval is missing too (NR or NE), else with the interval."""
    if est is None and lower is None and upper is None:
        return missing
    e = None if est is None else est * scale
    return f"{fmt_num(e, digits, missing)} {fmt_ci(lower, upper, scale, digits, missing)}"


def fmt_p(p: float | None) -> str:
    if p is None:
        return NE
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def months_label(months: float) -> str:
    return f"{months:g}M"
