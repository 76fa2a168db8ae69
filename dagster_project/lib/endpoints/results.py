"""The tidy endpoint row and the helpers every table builder shares.

One row per statistic: ``TABLEID, PARAMCD, GROUP1, GROUP2, STAT, VALUE, CUTOFFDT``
(spec README, ``endpoints.results``). GROUP1/GROUP2 are '' when a table has no sub-row,
never NULL, so (TABLEID, PARAMCD, GROUP1, GROUP2, STAT) is a key. Every row a table's
design defines is always present; VALUE is NULL (NaN in pandas) when the number is not
estimable: median or CI bound not reached, rate past the last observed time, PCT of an
empty population, HR when a group is empty or has no events. Units: months for times,
fractions 0-1 for rates, probabilities, RDI and every CI bound, percent for PCT; a continuous
variable's statistics in its own unit (years, cm, kg, m2, months, doses as the schedule's).
docs/endpoints_results.md lists the codes per table.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Context, Decimal

import numpy as np
import pandas as pd

from dagster_project.lib.stats import (
    KMSummary,
    SurvivalAt,
    km_summary,
    km_survival_at,
    proportion,
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
    p = proportion_ci(n, N) if ci else proportion(n, N)
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


# the statistics of a continuous variable (endpoints.md, T11 and T13), in print order
SUMMARY_STATS = ("N", "MEAN", "SD", "MEDIAN", "MIN", "MAX")


def summary_rows(
    tableid: str,
    paramcd: str,
    values: Iterable[float | None],
    group1: str = "",
    group2: str = "",
    total: bool = False,
) -> list[Row]:
    """N, MEAN, SD, MEDIAN, MIN, MAX of a continuous variable over its non-missing values
    (N counts those); with ``total`` also SUM. SD is the sample SD (n - 1 divisor, as SAS
    PROC MEANS and R ``sd``), empty with fewer than two values; the rest empty with none."""
    x = pd.to_numeric(pd.Series(list(values), dtype=object), errors="raise")
    x = x.astype(float).dropna().to_numpy()
    n = int(x.size)
    stats: dict[str, float | None] = {
        "N": n,
        "MEAN": float(x.mean()) if n else None,
        "SD": float(x.std(ddof=1)) if n > 1 else None,
        "MEDIAN": float(np.median(x)) if n else None,
        "MIN": float(x.min()) if n else None,
        "MAX": float(x.max()) if n else None,
    }
    if total:
        stats["SUM"] = float(x.sum())
    return [Row(tableid, paramcd, stat, value, group1, group2) for stat, value in stats.items()]


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

# A double holds 15 significant decimal digits exactly (DBL_DIG); the digits after those are
# the noise of the computation (100 * 0.145 is 14.499999999999998), dropped before rounding
# so that a half stays a half, as SAS's ROUND does with its fuzz.
_SIGNIFICANT = 15


def round_half_away(value: float, digits: int = 1) -> str:
    """``value`` with ``digits`` decimals, a half rounded away from zero (endpoints.md,
    Presentation: 5/16 = 31.3%, as SAS prints it; Python's round() and format() round half
    to even and on the binary value: f"{31.25:.1f}" is 31.2, f"{0.125:.2f}" 0.12).

    Every number a display table prints goes through here. A result that rounds to zero
    prints without a sign ("0.0", not "-0.0").
    """
    value = float(value)
    if not math.isfinite(value):
        return str(value)
    exact = Decimal(f"{value:.{_SIGNIFICANT}g}")
    rounded = exact.quantize(
        Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP, context=Context(prec=400)
    )
    if rounded.is_zero():
        rounded = abs(rounded)
    return f"{rounded:f}"


def fmt_num(value: float | None, digits: int = 1, missing: str = NR) -> str:
    return missing if value is None else round_half_away(value, digits)


def fmt_int(value: float | None) -> str:
    return "0" if value is None else round_half_away(value, 0)


def fmt_n_pct(n: float | None, pct: float | None) -> str:
    """``12 (20.0%)``; a percentage of an empty population shows as ``0``."""
    if pct is None:
        return fmt_int(n)
    return f"{fmt_int(n)} ({round_half_away(pct, 1)}%)"


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
    whole interval is missing too (NR or NE), else with the interval. An estimate whose
    interval is empty on both sides is printed alone: a rate of 0 or 1 (S(t) = 0 once the
    curve has reached 0, a cumulative incidence of 0 before the first event) has no
    log(-log) interval, which the table's footnote says (BOUNDARY_NOTE), rather than
    ``(NE, NE)`` beside a number that is known."""
    if est is None and lower is None and upper is None:
        return missing
    e = None if est is None else est * scale
    if est is not None and lower is None and upper is None:
        return fmt_num(e, digits, missing)
    return f"{fmt_num(e, digits, missing)} {fmt_ci(lower, upper, scale, digits, missing)}"


def summary_cells(
    lk: Lookup, paramcd: str, digits: int, g1: str = "", g2: str = ""
) -> list[tuple[str, str]]:
    """A continuous variable as printed (``summary_rows``): n, mean (SD), median, min-max. Min
    and max with the variable's ``digits``, mean and median with one more, SD with two more
    (the usual CSR convention); NE where the value is not estimable."""

    def num(stat: str, extra: int) -> str:
        return fmt_num(lk.get(paramcd, stat, g1, g2), digits + extra, NE)

    if lk.get(paramcd, "MEAN", g1, g2) is None:  # no value at all
        return [("n", fmt_int(lk.get(paramcd, "N", g1, g2))), *((s, NE) for s in _SUMMARY[1:])]
    return [
        ("n", fmt_int(lk.get(paramcd, "N", g1, g2))),
        ("Mean (SD)", f"{num('MEAN', 1)} ({num('SD', 2)})"),
        ("Median", num("MEDIAN", 1)),
        ("Min-max", f"{num('MIN', 0)}-{num('MAX', 0)}"),
    ]


_SUMMARY = ("n", "Mean (SD)", "Median", "Min-max")


# Under every table printing a log(-log) interval (T03, T04, T09): why some estimates have
# none.
BOUNDARY_NOTE = (
    "An estimate of 0% or 100% is shown without a CI, the log(-log) interval not being defined "
    "there, except before a Kaplan-Meier curve's first event, where R gives the one-point "
    "interval 100.0 (100.0, 100.0) (T04: 0.0 (0.0, 0.0))."
)


# Method sentences shared by the footnotes (endpoints.md, Methods).
CLOPPER_PEARSON = "Percentages of N; exact Clopper-Pearson 95% CI."
KAPLAN_MEIER = (
    "Kaplan-Meier; 95% CI on the log(-log) scale (Greenwood variance); median and quartiles "
    "by Brookmeyer-Crowley on the same scale. NR: not reached."
)
LANDMARK_RATE = (
    "Rate at t months: S(t), NE past the last observed time, except that once the curve has "
    "reached 0 it is 0 at every later t."
)


def fmt_p(p: float | None, why: str = "") -> str:
    """``0.042``, ``<0.001``; a p-value that cannot be estimated is ``NE (why)``."""
    if p is None:
        return not_estimable(why)
    return "<0.001" if p < 0.001 else round_half_away(p, 3)


def not_estimable(why: str) -> str:
    """``NE (why)``: endpoints.md, Presentation, never a bare NE for an HR or a p-value."""
    return f"{NE} ({why or 'not estimable'})"


# ---------------------------------------------------------------------------- presentation


def cutoff_of(results: pd.DataFrame) -> str:
    """The cut-off the rows carry (CUTOFFDT), ISO; '' when there are none."""
    values = sorted({pd.Timestamp(v).date() for v in results["CUTOFFDT"].dropna()})
    if len(values) > 1:
        raise ValueError(f"rows of more than one cut-off: {values}")
    return values[0].isoformat() if values else ""


def footnote(
    results: pd.DataFrame,
    population: str,
    n: float | None,
    methods: Sequence[str],
    sources: Sequence[str],
) -> str:
    """A table's footnote (endpoints.md, Presentation): the population and its N, the method
    of each statistic, the source datasets and the cut-off (CUTOFFDT of ``results``)."""
    parts = [f"{population}, N = {fmt_int(n)}." if n is not None else f"{population}."]
    parts += list(methods)
    parts.append(f"Source: {', '.join(sources)}.")
    cutoff = cutoff_of(results)
    if cutoff:
        parts.append(f"Data cut-off: {cutoff}.")
    return " ".join(parts)


# A cell that says nothing but "not estimable": the rate columns past every endpoint's
# follow-up (T03 at 36-60 months with 24 months of it) hold only these.
_EMPTY_CELLS = {"", NE, f"({NE}, {NE})"}


def drop_empty_columns(display: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """The display without the columns empty for every row (endpoints.md, Presentation),
    and the names of those left out. Empty: blank, NULL, ``NE`` or ``(NE, NE)``; ``NR``
    (not reached) and ``NE (why)`` say something and are kept. The first column (the row
    labels) is always kept, and a display without rows is returned whole."""
    if display.empty:
        return display, []
    dropped = [
        column
        for column in display.columns[1:]
        if all(
            (
                v is None
                or (isinstance(v, float) and math.isnan(v))
                or str(v).strip() in _EMPTY_CELLS
            )
            for v in display[column]
        )
    ]
    return display.drop(columns=dropped), [str(c) for c in dropped]


def months_label(months: float) -> str:
    return f"{months:g}M"
