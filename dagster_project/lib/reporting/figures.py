"""Figures F01-F05 (endpoints.md): Kaplan-Meier, cumulative incidence, swimmer, CONSORT flow,
forest plot.

Pure rendering: numbers in, a matplotlib ``Figure`` out. No Dagster, no database, no pyplot
(figures are built on ``matplotlib.figure.Figure`` with the Agg canvas, so nothing global is
touched and nothing leaks between renders). Every estimate drawn comes from
``dagster_project.lib.stats`` (the functions checked against R), never from matplotlib or
from a second implementation here, so a figure cannot disagree with its table.

``save_png`` / ``png_bytes`` are deterministic: fixed size and dpi, the bundled DejaVu font,
and the PNG text chunks (matplotlib writes its version as "Software") stripped, so the same
data gives the same bytes.
"""

from __future__ import annotations

import io
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from dagster_project.lib.endpoints import disposition, subgroups
from dagster_project.lib.endpoints.results import (
    DAYS_PER_MONTH,
    Lookup,
    fmt_ci,
    fmt_int,
    round_half_away,
)
from dagster_project.lib.ingest.contract import RESPONSES
from dagster_project.lib.stats import (
    cumulative_incidence_at,
    cumulative_incidence_curve,
    km_curve,
    km_summary,
    numbers_at_risk,
)
from dagster_project.lib.stats.competing_risks import COMPETING, EVENT

# matplotlib is imported where a figure is drawn, not when the definitions load:
# lib/runtime/warm_imports.py imports it while dbt builds.
if TYPE_CHECKING:
    from matplotlib.figure import Figure

DPI = 150
# The tallest figure the printed report shows at its drawn size: the report's print style sheet
# gives a figure at most 150 mm of the A4 landscape page (its title and caption need the rest).
PRINTED_FIGURE_MAX_IN = 150 / 25.4
# Okabe-Ito palette: distinguishable with the common colour-vision deficiencies.
BLUE, VERMILION, GREEN, PURPLE, ORANGE, SKY, GREY = (
    "#0072B2",
    "#D55E00",
    "#009E73",
    "#CC79A7",
    "#E69F00",
    "#56B4E9",
    "#999999",
)
RISK_AXES_LABEL = "numbers_at_risk"  # lets tests and readers find the risk table axes
_FONT = {"family": "DejaVu Sans"}
_CURVE_MARGINS = {
    "left": 0.085,
    "right": 0.975,
    "top": 0.94,
    "bottom": 0.02,
    "hspace": 0.16,
}  # shipped with matplotlib: identical glyphs everywhere


# --------------------------------------------------------------------------- output


def png_bytes(fig: Figure, dpi: int = DPI) -> bytes:
    """The figure as PNG bytes, without metadata (same data and dpi -> same bytes)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    buf = io.BytesIO()
    FigureCanvasAgg(fig)  # attach Agg explicitly: no dependence on the configured backend
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    return buf.getvalue()


def save_png(fig: Figure, path: str | os.PathLike[str]) -> Path:
    """Write the figure as a deterministic PNG (see :func:`png_bytes`); returns the path.

    Written to a temporary name and renamed, so a reader never sees half a file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(png_bytes(fig))
    tmp.replace(path)
    return path


# --------------------------------------------------------------------------- shared layout


def time_ticks(t_max: float, max_ticks: int = 10) -> np.ndarray:
    """x ticks at a clinical step (1, 2, 3, 6, 12 or 24 months) covering [0, t_max]."""
    t_max = max(float(t_max), 1.0)
    step = next((s for s in (1, 2, 3, 6, 12, 24) if t_max / s <= max_ticks), 48)
    return np.arange(0.0, math.ceil(t_max / step) * step + step / 2, step)


def _fmt_months(x: float | None) -> str:
    # NR (not reached), as the endpoint tables print it
    return "NR" if x is None else round_half_away(x, 1)


def _no_data(ax, what: str) -> None:
    ax.text(
        0.5,
        0.5,
        f"No {what} at this cut-off",
        transform=ax.transAxes,
        ha="center",
        va="center",
        fontsize=11,
        color="#555555",
        **_FONT,
    )


def _new_figure(width: float, height: float, layout: str | None = None) -> Figure:
    # Curve figures use fixed margins (constrained layout costs time on every figure, which a
    # short run notices); the swimmer, whose height varies, uses constrained.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=DPI, layout=layout)
    FigureCanvasAgg(fig)
    return fig


def _style_axes(ax) -> None:
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="y", color="#e5e5e5", linewidth=0.6)
    ax.set_axisbelow(True)


def _risk_table(
    fig: Figure,
    ax,
    grid,
    time: np.ndarray,
    ticks: np.ndarray,
    note: str | None = None,
):
    """Numbers at risk (``stats.numbers_at_risk``) printed under each x tick of ``ax``; the
    optional note (the cut-off) on the same header line, right-aligned."""
    from matplotlib.transforms import blended_transform_factory

    risk = fig.add_subplot(grid, sharex=ax)
    risk.set_label(RISK_AXES_LABEL)
    counts = numbers_at_risk(time, ticks)
    trans = blended_transform_factory(risk.transData, risk.transAxes)
    for x, n in zip(ticks, counts, strict=True):
        risk.text(x, 0.3, f"{n}", transform=trans, ha="center", va="center", fontsize=8, **_FONT)
    risk.text(
        0.0,
        1.0,
        "Number at risk",
        transform=risk.transAxes,
        ha="left",
        va="top",
        fontsize=8,
        style="italic",
        **_FONT,
    )
    if note:
        risk.text(
            1.0,
            1.0,
            note,
            transform=risk.transAxes,
            ha="right",
            va="top",
            fontsize=8,
            color="#555555",
            **_FONT,
        )
    risk.set_yticks([])
    risk.tick_params(axis="x", which="both", length=0, labelbottom=False)
    for side in ("top", "right", "left", "bottom"):
        risk.spines[side].set_visible(False)
    return risk


# --------------------------------------------------------------------------- F01 Kaplan-Meier


def km_figure(
    time_months: ArrayLike,
    event: ArrayLike,
    title: str,
    xlabel: str,
    ylabel: str = "Probability without event",
    curve_label: str = "Kaplan-Meier estimate",
    note: str | None = None,
) -> Figure:
    """F01: one Kaplan-Meier curve with its 95% CI, censoring ticks, median and numbers at risk.

    Estimate and pointwise 95% CI: ``stats.km_curve`` (Greenwood, log(-log), as R
    ``survfit(conf.type = "log-log")``); the band is drawn as the step function it is, and
    where R has no interval (S = 1 after the origin) the band collapses onto the curve.
    Median and its Brookmeyer-Crowley CI: ``stats.km_summary`` (R's midpoint rule), marked
    by dashed lines from S = 0.5 to the curve and down to the time axis; "not reached" and
    open limits are written "NE". Censoring ticks: '+' at every time with a censored
    observation, at the height of the curve. Numbers at risk: ``stats.numbers_at_risk``
    (time >= t) at each x tick, printed under the axis.
    """
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    t = np.asarray(time_months, dtype=float).ravel()
    e = np.asarray(event, dtype=float).ravel()
    curve = km_curve(t, e)
    summary = km_summary(t, e)
    fig = _new_figure(8.0, 6.0)
    grid = fig.add_gridspec(2, 1, height_ratios=[6.0, 0.7], **_CURVE_MARGINS)
    ax = fig.add_subplot(grid[0])
    _style_axes(ax)
    ticks = time_ticks(t.max() if t.size else 1.0)

    handles: list = []
    if curve.empty:
        _no_data(ax, "subjects in the analysis population")
    else:
        x = curve["time"].to_numpy(float)
        s = curve["surv"].to_numpy(float)
        lower = np.where(np.isnan(curve["lower"]), s, curve["lower"])
        upper = np.where(np.isnan(curve["upper"]), s, curve["upper"])
        ax.fill_between(x, lower, upper, step="post", color=BLUE, alpha=0.18, linewidth=0)
        (line,) = ax.step(x, s, where="post", color=BLUE, linewidth=1.8, gid="km_curve")
        handles.append(
            Line2D(
                [],
                [],
                color=BLUE,
                linewidth=1.8,
                label=f"{curve_label} (N = {summary.n}, events = {summary.events})",
            )
        )
        handles.append(Patch(color=BLUE, alpha=0.18, label="95% CI (log-log)"))
        cens = curve[curve["n_censor"] > 0]
        if not cens.empty:
            ax.plot(
                cens["time"],
                cens["surv"],
                linestyle="none",
                marker="|",
                markersize=7,
                markeredgewidth=1.2,
                color=BLUE,
                gid="censoring_ticks",
            )
            handles.append(
                Line2D(
                    [],
                    [],
                    linestyle="none",
                    marker="|",
                    markersize=7,
                    markeredgewidth=1.2,
                    color=BLUE,
                    label=f"Censored (n = {summary.censored})",
                )
            )

    med = summary.median
    ci = f"95% CI {_fmt_months(med.lower)}, {_fmt_months(med.upper)}"
    if med.estimate is not None:
        ax.plot(
            [0.0, med.estimate],
            [0.5, 0.5],
            linestyle="--",
            color="#444444",
            linewidth=1.0,
            gid="median_horizontal",
        )
        ax.plot(
            [med.estimate, med.estimate],
            [0.0, 0.5],
            linestyle="--",
            color="#444444",
            linewidth=1.0,
            gid="median_vertical",
        )
        label, style = f"Median {_fmt_months(med.estimate)} months ({ci})", ("--", "#444444")
    else:
        ax.axhline(0.5, linestyle=":", color="#888888", linewidth=0.8, gid="median_horizontal")
        label, style = f"Median not reached ({ci})", (":", "#888888")
    handles.append(Line2D([], [], linestyle=style[0], color=style[1], linewidth=1.0, label=label))

    ax.set_xlim(ticks[0], ticks[-1])
    ax.set_xticks(ticks)
    ax.set_ylim(0.0, 1.02)
    ax.set_yticks(np.linspace(0.0, 1.0, 6))
    ax.set_xlabel(xlabel, **_FONT)
    ax.set_ylabel(ylabel, **_FONT)
    ax.set_title(title, loc="left", fontsize=11, fontweight="bold", **_FONT)
    ax.legend(handles=handles, loc="best", fontsize=8, frameon=True, framealpha=0.92)
    _risk_table(fig, ax, grid[1], t, ticks, note)
    return fig


# ----------------------------------------------------------------------- F02 cumulative incidence


def cif_figure(
    time_months: ArrayLike,
    cause: ArrayLike,
    title: str,
    xlabel: str,
    event_label: str = "Discontinuation due to AE (or death from AE / SPM)",
    competing_label: str = "Competing: discontinuation for progression, death from other causes",
    note: str | None = None,
) -> Figure:
    """F02: Aalen-Johansen cumulative incidence of the event and of its competing event.

    ``cause``: 0 censored, 1 event of interest, 2 competing event (ADTTE TTDISC: CNSR = 0 ->
    1, CMPEVFL = Y (CNSR = 8) -> 2, any other CNSR -> 0). Curves: ``stats.
    cumulative_incidence_curve`` (= R ``cmprsk::cuminc``); the 95% band of the event of
    interest: ``stats.cumulative_incidence_at`` at every curve time (Gray variance, log(-log),
    none where the incidence is 0). The competing curve is drawn without a band. The y axis
    runs to the smallest tenth above both curves and the band, so low incidences stay
    readable; the axis label says so. Numbers at risk (time >= t) under the axis.
    """
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    t = np.asarray(time_months, dtype=float).ravel()
    c = np.asarray(cause, dtype=float).ravel()
    fig = _new_figure(8.0, 6.0)
    grid = fig.add_gridspec(2, 1, height_ratios=[6.0, 0.7], **_CURVE_MARGINS)
    ax = fig.add_subplot(grid[0])
    _style_axes(ax)
    ticks = time_ticks(t.max() if t.size else 1.0)
    n_event, n_comp = int((c == EVENT).sum()), int((c == COMPETING).sum())
    top = 0.1
    handles: list = []
    if not t.size:
        _no_data(ax, "subjects in the analysis population")
    else:
        curve = cumulative_incidence_curve(t, c)
        x = curve["time"].to_numpy(float)
        ev = curve["cif_event"].to_numpy(float)
        comp = curve["cif_competing"].to_numpy(float)
        at = cumulative_incidence_at(t, c, x)
        lower = np.array([ev[i] if a.lower is None else a.lower for i, a in enumerate(at)])
        upper = np.array([ev[i] if a.upper is None else a.upper for i, a in enumerate(at)])
        ax.fill_between(x, lower, upper, step="post", color=VERMILION, alpha=0.18, linewidth=0)
        ax.step(x, ev, where="post", color=VERMILION, linewidth=1.8, gid="cif_event")
        ax.step(
            x, comp, where="post", color=BLUE, linewidth=1.5, linestyle="--", gid="cif_competing"
        )
        top = max(top, float(np.nanmax(upper)), float(comp.max()))
        handles += [
            Line2D(
                [], [], color=VERMILION, linewidth=1.8, label=f"{event_label} (events = {n_event})"
            ),
            Patch(color=VERMILION, alpha=0.18, label="95% CI (log-log, Gray variance)"),
            Line2D(
                [],
                [],
                color=BLUE,
                linewidth=1.5,
                linestyle="--",
                label=f"{competing_label} (events = {n_comp})",
            ),
        ]
    ymax = min(1.0, math.ceil(top * 10.0 + 1e-9) / 10.0)
    ax.set_xlim(ticks[0], ticks[-1])
    ax.set_xticks(ticks)
    ax.set_ylim(0.0, ymax)
    ax.set_xlabel(xlabel, **_FONT)
    ylabel = "Cumulative incidence"
    ax.set_ylabel(
        ylabel if ymax >= 1.0 else f"{ylabel} (axis to {round_half_away(ymax, 1)})", **_FONT
    )
    ax.set_title(title, loc="left", fontsize=11, fontweight="bold", **_FONT)
    censored = int(t.size - n_event - n_comp)
    handles.append(Line2D([], [], linestyle="none", label=f"Censored: {censored} of N = {t.size}"))
    ax.legend(handles=handles, loc="upper left", fontsize=8, frameon=True, framealpha=0.92)
    _risk_table(fig, ax, grid[1], t, ticks, note)
    return fig


# --------------------------------------------------------------------------- F03 swimmer

# adam.md response order, best first; only PR or better is a response marker.
RESPONSE_RANK = {code: rank for rank, code in enumerate(RESPONSES, start=1)}
RESPONSE_MARKERS = {  # level -> (label, marker, face colour, edge colour, size)
    "PR": ("First PR", "^", "white", GREEN, 5.5),
    "VGPR": ("First VGPR", "^", GREEN, GREEN, 5.5),
    "CR": ("First CR", "o", "#00684A", "#00684A", 5.5),
    "SCR": ("First sCR", "*", "#003B2A", "#003B2A", 9.0),
}
PHASES = (  # name, colour
    ("Screening", "#DDDDDD"),
    ("Induction", SKY),
    ("ASCT", ORANGE),
    ("Maintenance", BLUE),
    ("Follow-up off treatment", "#BBBBBB"),
)
MRD_PARAMS = ("MRDANY", "MRD12", "MRD24", "MRDSUS")
_DATE_COLS = (
    "ICFDT",
    "TRTSDT",
    "MELDT",
    "MNTSDT",
    "EOTDT",
    "EOSDT",
    "DTHDT",
    "PDDT",
    "LSTALVDT",
    "CUTOFFDT",
)


@dataclass(frozen=True)
class SwimmerLane:
    """One subject's bar: phase segments and event times, in months from ICFDT."""

    usubjid: str
    label: str
    end: float
    ongoing: bool
    segments: tuple[tuple[str, float, float], ...]  # (phase, start, stop)
    responses: tuple[tuple[str, float], ...]  # (level, time of first reaching it)
    mrd_negative: tuple[float, ...]
    progression: float | None
    death: float | None


def _months(d, origin) -> float | None:
    if pd.isna(d) or pd.isna(origin):
        return None
    return (pd.Timestamp(d) - pd.Timestamp(origin)).days / DAYS_PER_MONTH


def _response_improvements(rs: pd.DataFrame, pddt) -> list[tuple[str, pd.Timestamp]]:
    """Each date on which the running best response improved to PR or better.

    adam.md: assessments after the first PD are ignored (a response after progression is not
    a response), so only OVRLRESP rows dated before PDDT count.
    """
    rows = rs.sort_values("ADT")
    if not pd.isna(pddt):
        rows = rows[rows["ADT"] < pd.Timestamp(pddt)]
    best, out = RESPONSE_RANK["PR"] + 1, []
    for adt, avalc in zip(rows["ADT"], rows["AVALC"], strict=True):
        rank = RESPONSE_RANK.get(str(avalc).upper(), 99)
        if rank < best:
            best = rank
            level = next(k for k, v in RESPONSE_RANK.items() if v == rank)
            out.append((level, adt))
    return out


def _itt_frame(adsl: pd.DataFrame) -> pd.DataFrame:
    """ITT rows with typed dates and END (months from ICFDT to the bar's end), sorted."""
    sl = adsl.copy()
    if "ITTFL" in sl.columns:
        sl = sl[sl["ITTFL"] == "Y"]
    for col in _DATE_COLS:
        sl[col] = pd.to_datetime(sl[col]) if col in sl.columns else pd.NaT
    sl = sl[sl["ICFDT"].notna()]
    end = sl["DTHDT"].fillna(sl["LSTALVDT"]).fillna(sl["CUTOFFDT"]).fillna(sl["ICFDT"])
    end = end.where(sl["CUTOFFDT"].isna() | (end <= sl["CUTOFFDT"]), sl["CUTOFFDT"])
    sl["SWIMEND"] = ((end - sl["ICFDT"]).dt.days / DAYS_PER_MONTH).clip(lower=0.0)
    # longest first; the subject id breaks ties so the order is reproducible
    return sl.sort_values(["SWIMEND", "USUBJID"], ascending=[False, True], kind="mergesort")


def _lane(r, ovr: pd.DataFrame, mrd_dates: Sequence[pd.Timestamp]) -> SwimmerLane:
    icf, end = r.ICFDT, float(r.SWIMEND)

    def clip(d) -> float | None:
        m = _months(d, icf)
        return None if m is None else min(max(m, 0.0), end)

    trt, mel, mnt, eot = clip(r.TRTSDT), clip(r.MELDT), clip(r.MNTSDT), clip(r.EOTDT)
    bounds = [
        ("Screening", 0.0, trt if trt is not None else end),
        ("Induction", trt, next((x for x in (mel, eot) if x is not None), end)),
        ("ASCT", mel, next((x for x in (mnt, eot) if x is not None), end)),
        ("Maintenance", mnt, eot if eot is not None else end),
        ("Follow-up off treatment", eot, end),
    ]
    return SwimmerLane(
        usubjid=str(r.USUBJID),
        label=str(getattr(r, "SUBJID", r.USUBJID)),
        end=end,
        ongoing=bool(pd.isna(r.EOSDT) and pd.isna(r.DTHDT)),
        segments=tuple((p, a, b) for p, a, b in bounds if a is not None and b > a),
        responses=tuple((lv, clip(adt)) for lv, adt in _response_improvements(ovr, r.PDDT)),
        mrd_negative=tuple(clip(d) for d in mrd_dates),
        progression=clip(r.PDDT),
        death=clip(r.DTHDT),
    )


def swimmer_lanes(
    adsl: pd.DataFrame, adrs: pd.DataFrame, max_subjects: int | None = None
) -> tuple[list[SwimmerLane], int]:
    """ITT subjects (ITTFL = Y) as swimmer lanes, longest time on study first.

    Returns the lanes drawn and the number of ITT subjects. Bar: ICFDT to DTHDT, else
    LSTALVDT, else CUTOFFDT (never past CUTOFFDT). Phases (adam.md ADSL/ADAE): screening
    ICFDT-TRTSDT; induction TRTSDT-MELDT; ASCT MELDT-MNTSDT; maintenance MNTSDT-EOTDT;
    follow-up off treatment EOTDT-end. A phase without its closing date runs to EOTDT, else
    to the bar's end. Ongoing: no END OF STUDY record and alive. Responses: ADRS OVRLRESP,
    each improvement of the running best to PR/VGPR/CR/sCR before the first PD.
    MRD-negative: the ADT of the ADRS MRD parameters (MRDANY, MRD12, MRD24, MRDSUS) with
    AVALC = Y, i.e. the first negative result and the results that made a window or
    sustained negativity; progression PDDT; death DTHDT. With ``max_subjects`` set and
    exceeded, only :func:`select_rows` of the sorted subjects become lanes (the ADRS work is
    done for those only, so thousands of subjects cost little).
    """
    itt = _itt_frame(adsl)
    keep = select_rows(len(itt), max_subjects) if max_subjects else np.arange(len(itt))
    chosen = itt.iloc[keep]
    rs = adrs[adrs["USUBJID"].isin(chosen["USUBJID"])].copy()
    rs["ADT"] = pd.to_datetime(rs["ADT"])
    ovr = rs[(rs["PARAMCD"] == "OVRLRESP") & rs["ADT"].notna()]
    mrd = rs[rs["PARAMCD"].isin(MRD_PARAMS) & (rs["AVALC"] == "Y") & rs["ADT"].notna()]
    ovr_by = dict(tuple(ovr.groupby("USUBJID")))
    mrd_by = {k: sorted(set(v["ADT"])) for k, v in mrd.groupby("USUBJID")}
    lanes = [
        _lane(r, ovr_by.get(r.USUBJID, ovr.iloc[:0]), mrd_by.get(r.USUBJID, []))
        for r in chosen.itertuples(index=False)
    ]
    return lanes, len(itt)


def select_rows(n: int, max_subjects: int | None) -> np.ndarray:
    """Positions of at most ``max_subjects`` of ``n`` sorted lanes, evenly spaced.

    Deterministic (no random sampling: the figure must be reproducible) and keeps the first
    and the last (the longest and the shortest time on study), so the spread stays visible.
    """
    if max_subjects is None or n <= max_subjects:
        return np.arange(n)
    return np.unique(np.round(np.linspace(0, n - 1, max_subjects)).astype(int))


# F03 in print (endpoints.md, Presentation): at most this many lanes on one figure, so that a
# page of the swimmer plot fits an A4 landscape page with its caption at about its drawn size
# (9 x 5.8 in), lane labels 8 pt. More subjects make more pages, each its own figure.
SWIMMER_LANES_PER_PAGE = 20


def swimmer_figure(
    adsl: pd.DataFrame,
    adrs: pd.DataFrame,
    title: str,
    xlabel: str = "Months from informed consent",
    max_subjects: int = 100,
) -> Figure:
    """F03 on one figure: one horizontal bar per ITT subject from ICF, phases coloured, with
    markers (the whole plot at once; the report prints it in pages, :func:`swimmer_pages`).

    Lanes and their rules: :func:`swimmer_lanes`. With more than ``max_subjects`` subjects
    an evenly spaced subset along time on study is drawn (:func:`select_rows`) and a note
    under the title says how many of how many are shown. Markers: open/filled triangles first
    PR / VGPR, circle first CR, star first sCR, purple diamond (above the bar) MRD-negative,
    vermilion bar progression, black cross death, arrow: on study at the cut-off.
    """
    shown, n_itt = swimmer_lanes(adsl, adrs, max_subjects)
    return _swimmer_page(shown, title, xlabel, _swimmer_note(len(shown), n_itt))


def swimmer_pages(
    adsl: pd.DataFrame,
    adrs: pd.DataFrame,
    title: str,
    xlabel: str = "Months from informed consent",
    max_subjects: int = 100,
    per_page: int = SWIMMER_LANES_PER_PAGE,
) -> list[Figure]:
    """F03 as the report prints it: the lanes of :func:`swimmer_figure`, in the same order,
    ``per_page`` to a figure, each figure readable on its own printed page (its own legend,
    axis and title, and a note naming the subjects it shows, e.g. "Subjects 21-40 of 58").

    Every page has the same time axis (that of the longest lane), so bars compare across
    pages. Up to ``per_page`` lanes give one figure, identical to :func:`swimmer_figure`.
    """
    shown, n_itt = swimmer_lanes(adsl, adrs, max_subjects)
    n = len(shown)
    if n <= per_page:
        return [_swimmer_page(shown, title, xlabel, _swimmer_note(n, n_itt))]
    t_max = max(ln.end for ln in shown)
    pages = math.ceil(n / per_page)
    figures = []
    for page in range(pages):
        first = page * per_page
        lanes = shown[first : first + per_page]
        note = (
            f"Subjects {first + 1}-{first + len(lanes)} of the {n} shown, longest time on "
            f"study first (part {page + 1} of {pages})."
        )
        subset = _swimmer_note(n, n_itt)
        note = f"{note}\n{subset}" if subset else note
        figures.append(_swimmer_page(lanes, title, xlabel, note, t_max=t_max))
    return figures


def _swimmer_note(n: int, n_itt: int) -> str:
    """The subset note of a swimmer plot drawing ``n`` of ``n_itt`` subjects ("" if all)."""
    if n_itt <= n:
        return ""
    return (
        f"Showing {n} of {n_itt:,} ITT subjects, evenly spaced along "
        "time on study (shortest and longest kept); the full data are in adam.adsl "
        "and adam.adrs."
    )


def _swimmer_page(
    shown: Sequence[SwimmerLane],
    title: str,
    xlabel: str,
    note: str = "",
    t_max: float | None = None,
) -> Figure:
    """One swimmer figure of the lanes ``shown``, first at the top; ``note`` in small type
    between the title and the plot; the time axis to ``t_max`` (default: the longest lane)."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    n = len(shown)
    height = max(4.0, 0.16 * n + 2.6)
    fig = _new_figure(9.0, height, layout="constrained")
    ax = fig.add_subplot(1, 1, 1)
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="x", color="#e5e5e5", linewidth=0.6)
    ax.set_axisbelow(True)
    colours = dict(PHASES)
    for y, lane in enumerate(shown):
        for phase, a, b in lane.segments:
            ax.barh(y, b - a, left=a, height=0.62, color=colours[phase], linewidth=0)
    marker_kw = {"linestyle": "none", "zorder": 3}

    def plot_points(xs, ys, gid, **kw):
        if xs:
            ax.plot(xs, ys, gid=gid, **marker_kw, **kw)

    for level, (_, marker, face, edge, size) in RESPONSE_MARKERS.items():
        pts = [(x, y) for y, ln in enumerate(shown) for lv, x in ln.responses if lv == level]
        plot_points(
            [p[0] for p in pts],
            [p[1] for p in pts],
            f"response_{level}",
            marker=marker,
            markerfacecolor=face,
            markeredgecolor=edge,
            markersize=size,
        )
    mrd = [(x, y - 0.32) for y, ln in enumerate(shown) for x in ln.mrd_negative]
    plot_points(
        [p[0] for p in mrd],
        [p[1] for p in mrd],
        "mrd_negative",
        marker="D",
        markersize=3.6,
        color=PURPLE,
        markeredgecolor="#7A3B62",
        markeredgewidth=0.5,
    )
    pd_pts = [(ln.progression, y) for y, ln in enumerate(shown) if ln.progression is not None]
    plot_points(
        [p[0] for p in pd_pts],
        [p[1] for p in pd_pts],
        "progression",
        marker="|",
        markersize=9,
        markeredgewidth=2.2,
        color=VERMILION,
    )
    dth = [(ln.death, y) for y, ln in enumerate(shown) if ln.death is not None]
    plot_points(
        [p[0] for p in dth], [p[1] for p in dth], "death", marker="X", markersize=6, color="black"
    )
    ong = [(ln.end, y) for y, ln in enumerate(shown) if ln.ongoing]
    plot_points(
        [p[0] + 0.15 for p in ong],
        [p[1] for p in ong],
        "ongoing",
        marker=">",
        markersize=4,
        color="#555555",
    )

    if t_max is None:
        t_max = max((ln.end for ln in shown), default=1.0)
    ticks = time_ticks(t_max + 0.5)
    ax.set_xlim(0.0, ticks[-1])
    ax.set_xticks(ticks)
    ax.set_ylim(max(n, 1) - 0.4, -0.6)  # first lane at the top
    ax.set_yticks(range(n))
    ax.set_yticklabels([ln.label for ln in shown], fontsize=6 if n > 40 else 8, **_FONT)
    ax.set_ylabel("Subject (longest time on study first)", **_FONT)
    ax.set_xlabel(xlabel, **_FONT)
    # the note's lines (7 pt) sit between the title and the axes
    pad = 6 + 10 * (note.count("\n") + 1) if note else 6
    ax.set_title(title, loc="left", fontsize=11, fontweight="bold", pad=pad, **_FONT)
    if n == 0:
        _no_data(ax, "ITT subjects")
    if note:
        ax.text(
            0.0,
            1.005,
            note,
            transform=ax.transAxes,
            ha="left",
            va="bottom",
            fontsize=7,
            color="#555555",
            **_FONT,
        )

    handles = [Patch(color=c, label=p) for p, c in PHASES]
    handles += [
        Line2D(
            [],
            [],
            linestyle="none",
            marker=m,
            markerfacecolor=f,
            markeredgecolor=e,
            markersize=s,
            label=label,
        )
        for label, m, f, e, s in RESPONSE_MARKERS.values()
    ]
    handles += [
        Line2D(
            [],
            [],
            linestyle="none",
            marker="D",
            markersize=4,
            color=PURPLE,
            markeredgecolor="#7A3B62",
            label="MRD-negative (NGF 10\u207b\u2075)",
        ),
        Line2D(
            [],
            [],
            linestyle="none",
            marker="|",
            markersize=9,
            markeredgewidth=2.2,
            color=VERMILION,
            label="Progression",
        ),
        Line2D([], [], linestyle="none", marker="X", markersize=6, color="black", label="Death"),
        Line2D(
            [],
            [],
            linestyle="none",
            marker=">",
            markersize=4,
            color="#555555",
            label="On study at cut-off",
        ),
    ]
    fig.legend(handles=handles, loc="outside lower center", ncol=5, fontsize=7.5, frameon=False)
    return fig


# --------------------------------------------------------------------------- F04 CONSORT flow


@dataclass(frozen=True)
class FlowStep:
    """One box of the CONSORT flow and the subjects who left before reaching it."""

    step: str
    label: str
    n: int
    leaving: int
    reasons: tuple[tuple[str, int], ...]  # (reason as printed, n), n > 0, T12's order


def consort_steps(t12: pd.DataFrame) -> list[FlowStep]:
    """The F04 boxes from T12's rows (lib.endpoints.disposition): SCREENED n, then ITT, SAFFL,
    ASCTFL, MNTFL n, each with the EXIT rows of its step (the subjects who reached the step
    before it and not this one) and their reasons with n > 0."""
    lk = Lookup(t12, disposition.TABLEID)
    exits = lk.frame.loc[lk.frame["PARAMCD"].eq(disposition.EXIT)]
    steps = []
    for step, column, label in disposition.FLOW:
        n = fmt_int(lk.get(column or "SCREENED", "n"))
        mine = exits.loc[exits["GROUP1"].eq(step)]
        reasons = tuple(
            (_reason_label(str(r)), int(v))
            for r, v in zip(mine["GROUP2"], mine["VALUE"].fillna(0), strict=True)
            if v > 0
        )
        steps.append(FlowStep(step, label, int(n), sum(c for _, c in reasons), reasons))
    return steps


_FLOW_REASONS = {
    disposition.ONGOING: "Not reached by the cut-off (ongoing)",
    disposition.NOT_ENROLLED: "Not enrolled or eligibility after the cut-off",
}


def _reason_label(reason: str) -> str:
    return _FLOW_REASONS.get(reason, disposition.reason_label(reason))


def consort_figure(t12: pd.DataFrame, title: str, note: str | None = None) -> Figure:
    """F04: the CONSORT flow of T12: one box per step (screened, enrolled, treated,
    transplanted, maintenance) with its n, and beside each arrow a box with the subjects
    leaving before the next step and why (:func:`consort_steps`). Every number is read from
    T12's rows, so the figure cannot disagree with the table."""
    steps = consort_steps(t12)
    fig = _new_figure(9.0, PRINTED_FIGURE_MAX_IN)
    ax = fig.add_axes((0.02, 0.02, 0.96, 0.9))
    # The arrows stop short of a step box by its half height (two 10 pt lines and the pad).
    half_box = 0.26 / (0.9 * PRINTED_FIGURE_MAX_IN)
    ax.set_axis_off()
    ax.set_xlim(0.0, 1.0)
    ax.set_ylim(0.0, 1.0)
    box = {"boxstyle": "round,pad=0.5", "facecolor": "#EAF2F8", "edgecolor": BLUE}
    side = {"boxstyle": "round,pad=0.4", "facecolor": "#FBEEE6", "edgecolor": VERMILION}
    top, bottom = 0.95, 0.06
    gap = (top - bottom) / max(len(steps) - 1, 1)
    ys = [top - i * gap for i in range(len(steps))]
    for i, (s, y) in enumerate(zip(steps, ys, strict=True)):
        ax.text(
            0.28, y, f"{s.label}\nn = {s.n}", ha="center", va="center", fontsize=10,
            bbox=box, gid=f"consort_{s.step}", **_FONT,
        )  # fmt: skip
        if i == 0:
            continue
        ax.annotate(
            "", xy=(0.28, y + half_box), xytext=(0.28, ys[i - 1] - half_box),
            arrowprops={"arrowstyle": "-|>", "color": "#444444", "linewidth": 1.2},
        )  # fmt: skip
        lines = [f"Not {s.label[0].lower() + s.label[1:]}: n = {s.leaving}"]
        lines += [f"  {reason}: {n}" for reason, n in s.reasons]
        mid = (y + ys[i - 1]) / 2
        ax.plot([0.28, 0.52], [mid, mid], color="#444444", linewidth=1.0)
        ax.text(
            0.53, mid, "\n".join(lines), ha="left", va="center", fontsize=8, bbox=side,
            gid=f"consort_exit_{s.step}", **_FONT,
        )  # fmt: skip
    fig.suptitle(title, x=0.02, ha="left", fontsize=11, fontweight="bold", **_FONT)
    if note:
        fig.text(0.98, 0.01, note, ha="right", va="bottom", fontsize=8, color="#555555", **_FONT)
    return fig


# --------------------------------------------------------------------------- F05 forest plot


@dataclass(frozen=True)
class ForestRow:
    """One line of the forest plot: a heading (no numbers) or a subgroup level."""

    label: str
    group1: str
    group2: str
    n: int | None
    N: int | None
    pct: float | None
    lower: float | None  # percent
    upper: float | None

    @property
    def heading(self) -> bool:
        return bool(self.group1) and not self.group2


def forest_rows(t14: pd.DataFrame) -> list[ForestRow]:
    """The F05 lines from T14's rows, in T14's order (lib.endpoints.subgroups.subgroup_lines):
    the overall rate, then each variable's heading and levels; rates and bounds in percent."""
    lk = Lookup(t14, subgroups.TABLEID)
    p = subgroups.PARAMCD
    out = []
    for label, g1, g2 in subgroups.subgroup_lines(t14):
        if g1 and not g2:
            out.append(ForestRow(label.strip(), g1, g2, None, None, None, None, None))
            continue

        def pct(stat: str, g1=g1, g2=g2) -> float | None:
            value = lk.get(p, stat, g1, g2)
            return None if value is None else value * (1.0 if stat == "PCT" else 100.0)

        n, N = lk.get(p, "n", g1, g2), lk.get(p, "N", g1, g2)
        out.append(
            ForestRow(
                label.strip(), g1, g2, int(n or 0), int(N or 0), pct("PCT"), pct("LCL"), pct("UCL")
            )
        )
    return out


def forest_figure(t14: pd.DataFrame, title: str, note: str | None = None) -> Figure:
    """F05: the forest plot of T14: one line per subgroup level with the MRD12 rate (square)
    and its exact 95% CI (horizontal line), the overall ITT rate as a dashed vertical line,
    and n/N and the rate with its CI beside each line. A level without subjects has no point
    (n/N 0/0). Numbers from T14's rows (:func:`forest_rows`)."""
    from matplotlib.transforms import blended_transform_factory

    rows = forest_rows(t14)
    # 0.145 in (10.4 pt) a line for 8 pt text: T14's 32 lines print at their drawn size
    # (PRINTED_FIGURE_MAX_IN); more lines make a taller figure that print scales down.
    height = max(4.0, 0.145 * len(rows) + 1.2)
    fig = _new_figure(9.0, height)
    ax = fig.add_axes((0.27, 0.7 / height, 0.43, 1.0 - 1.2 / height))
    ax.spines[["top", "right", "left"]].set_visible(False)
    ax.grid(axis="x", color="#e5e5e5", linewidth=0.6)
    ax.set_axisbelow(True)
    left = blended_transform_factory(ax.transAxes, ax.transData)
    for y, r in enumerate(rows):
        weight = "bold" if r.heading or not r.group1 else "normal"
        indent = "    " if r.group2 else ""
        ax.text(
            -0.02, y, indent + r.label, transform=left, ha="right", va="center", fontsize=8,
            fontweight=weight, gid=f"forest_label_{r.group1}_{r.group2}", **_FONT,
        )  # fmt: skip
        if r.heading:
            continue
        ax.text(
            1.03, y, f"{r.n}/{r.N}", transform=left, ha="left", va="center", fontsize=8,
            gid=f"forest_nN_{r.group1}_{r.group2}", **_FONT,
        )  # fmt: skip
        rate = "NE" if r.pct is None else round_half_away(r.pct, 1)
        ci = fmt_ci(r.lower, r.upper, missing="NE")
        ax.text(
            1.2, y, f"{rate} {ci}", transform=left, ha="left", va="center", fontsize=8,
            gid=f"forest_rate_{r.group1}_{r.group2}", **_FONT,
        )  # fmt: skip
        if r.pct is None:
            continue
        colour = "black" if not r.group1 else BLUE
        ax.plot(
            [r.lower, r.upper], [y, y], color=colour, linewidth=1.3,
            gid=f"forest_ci_{r.group1}_{r.group2}",
        )  # fmt: skip
        ax.plot(
            [r.pct], [y], marker="D" if not r.group1 else "s", markersize=5, color=colour,
            linestyle="none", clip_on=False, gid=f"forest_point_{r.group1}_{r.group2}",
        )  # fmt: skip
    overall = next((r for r in rows if not r.group1), None)
    if overall is not None and overall.pct is not None:
        ax.axvline(overall.pct, color=VERMILION, linestyle="--", linewidth=1.0, gid="overall_rate")
    if not rows:
        _no_data(ax, "ITT subjects")
    ax.set_xlim(0.0, 100.0)
    ax.set_xticks(np.arange(0.0, 101.0, 20.0))
    ax.set_ylim(max(len(rows), 1) - 0.5, -0.8)
    ax.set_yticks([])
    ax.set_xlabel("MRD-negative within 12 months after ASCT, % (exact 95% CI)", **_FONT)
    head = blended_transform_factory(ax.transAxes, ax.transAxes)
    for x, text in ((1.03, "n/N"), (1.2, "% (95% CI)")):
        ax.text(x, 1.0, text, transform=head, ha="left", va="bottom", fontsize=8,
                fontweight="bold", **_FONT)  # fmt: skip
    fig.suptitle(title, x=0.02, ha="left", fontsize=11, fontweight="bold", **_FONT)
    if note:
        fig.text(0.98, 0.01, note, ha="right", va="bottom", fontsize=8, color="#555555", **_FONT)
    return fig


# --------------------------------------------------------------------------- catalogue

_KM_CAPTION = (
    "Kaplan-Meier estimate (solid) with its pointwise 95% confidence band (Greenwood variance, "
    "log(-log) transform, as R survfit conf.type = \"log-log\"); '|' marks censored "
    "observations; dashed lines mark the median (R quantile.survfit rule, Brookmeyer-Crowley "
    "95% CI, NR = not reached). Numbers at risk (time >= t) under the axis. Months = days / "
    "30.4375. Event and censoring rules: ADTTE PARAMCD {param} (adam.md)."
)


@dataclass(frozen=True)
class FigureSpec:
    """One figure file of the report: id, the asset name and file stem, title, caption."""

    id: str
    name: str
    title: str
    caption: str

    @property
    def filename(self) -> str:
        return f"{self.name}.png"

    def page_filename(self, page: int) -> str:
        """The file of part ``page`` (from 1) of a figure drawn in parts (F03): the first is
        ``filename``, the next ``<name>_p2.png``, ``<name>_p3.png``, ..."""
        return self.filename if page == 1 else f"{self.name}_p{page}.png"


# PARAMCD -> (x label, y label); start dates and populations as ADTTE defines them
KM_AXES = {
    "PFS": ("Months from informed consent", "Probability of progression-free survival"),
    "OS": ("Months from informed consent", "Probability of survival"),
    "TTP": ("Months from informed consent", "Probability free of progression"),
    "TNT": ("Months from eligibility", "Probability free of next treatment"),
    "PFS2": ("Months from informed consent", "Probability of PFS2 (free of 2nd progression)"),
    "DOR": ("Months from first response (PR or better)", "Probability of remaining in response"),
}
KM_TITLES = {
    "PFS": "Progression-free survival (ITT)",
    "OS": "Overall survival (ITT)",
    "TTP": "Time to progression (ITT)",
    "TNT": "Time to next treatment (ITT)",
    "PFS2": "Progression-free survival 2 (ITT)",
    "DOR": "Duration of response (responders)",
}
FIGURES: tuple[FigureSpec, ...] = (
    *(
        FigureSpec(
            f"F01 {p}",
            f"f01_km_{p.lower()}",
            f"Kaplan-Meier: {KM_TITLES[p]}",
            _KM_CAPTION.format(param=p),
        )
        for p in KM_AXES
    ),
    FigureSpec(
        "F02",
        "f02_cif_discontinuation",
        "Cumulative incidence of discontinuation due to AE (safety population)",
        "Aalen-Johansen cumulative incidence (R cmprsk::cuminc) from first dose (ADTTE TTDISC): "
        "discontinuation due to an AE or death from AE / second primary malignancy (solid, "
        "95% band: Gray variance, log(-log)), and the competing events, discontinuation for "
        "progression or death from another cause (dashed), which are never treated as "
        "censoring. Numbers at risk under the axis. Months = days / 30.4375.",
    ),
    FigureSpec(
        "F03",
        "f03_swimmer",
        "Swimmer plot: treatment phases, responses, MRD and outcome (ITT)",
        "One bar per ITT subject from informed consent to death, else last date known alive "
        "(never past the cut-off), longest first; colour = phase (screening, induction, ASCT "
        "from melphalan, maintenance, off-treatment follow-up). Markers: each improvement of "
        "the best response to PR, VGPR, CR, sCR before progression; MRD-negative results "
        "(NGF 10^-5) that made MRDANY, MRD12, MRD24 or MRDSUS; progression; death; arrow = "
        "still on study at the cut-off.",
    ),
    FigureSpec(
        "F04",
        "f04_consort",
        "CONSORT flow: screened, enrolled, treated, transplanted, maintenance",
        "Numbers of T12 (ADSL): each box the subjects at that step (ITT, safety population, "
        "ASCTFL, MNTFL); beside each arrow the ITT subjects who reached the step before it but "
        "not this one, by reason for ending treatment, else for leaving the study; ongoing: on "
        "treatment and not yet at the step at the cut-off. Screened subjects not in ITT were not "
        "enrolled or had eligibility confirmed after the cut-off.",
    ),
    FigureSpec(
        "F05",
        "f05_forest_mrd12",
        "Forest plot: MRD negativity within 12 months after ASCT by subgroup (ITT)",
        "Numbers of T14: for the ITT population (diamond) and each subgroup level (square), "
        "the MRD12 rate with its exact Clopper-Pearson 95% CI; dashed line: the overall ITT "
        "rate; n/N beside each line. A subject without an MRD assessment counts as "
        "MRD-positive; a level without subjects has no point.",
    ),
)


__all__ = [
    "DAYS_PER_MONTH",
    "DPI",
    "FIGURES",
    "FigureSpec",
    "KM_AXES",
    "KM_TITLES",
    "RISK_AXES_LABEL",
    "SWIMMER_LANES_PER_PAGE",
    "SwimmerLane",
    "cif_figure",
    "consort_figure",
    "consort_steps",
    "forest_figure",
    "forest_rows",
    "km_figure",
    "png_bytes",
    "save_png",
    "select_rows",
    "swimmer_figure",
    "swimmer_lanes",
    "swimmer_pages",
    "time_ticks",
]
