"""Figures F01-F05 as assets: read ADaM, call lib.reporting.figures, write PNGs to the report
directory's figures/ folder.

A figure is a function of its ADaM inputs and the code: its code version is the code's version,
its data version the PNG's SHA-256, and a run whose inputs and code are those of the figure's
last materialization, with that PNG still in place, keeps it (defs/reuse.py). The PNG itself
carries no metadata (same figure, same bytes).
"""

import base64
import hashlib
import io
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import dagster as dg
import pandas as pd
from PIL import Image

from dagster_project.defs import reuse
from dagster_project.defs.resources import Warehouse
from dagster_project.lib import endpoints, reporting, stats
from dagster_project.lib.endpoints import disposition, subgroups
from dagster_project.lib.endpoints.discontinuation import ttdisc
from dagster_project.lib.endpoints.results import DAYS_PER_MONTH, population, time_to_event
from dagster_project.lib.endpoints.time_to_event import T03_PARAMS
from dagster_project.lib.reporting.figures import (
    FIGURES,
    KM_AXES,
    MRD_PARAMS,
    FigureSpec,
    cif_figure,
    consort_figure,
    consort_steps,
    forest_figure,
    forest_rows,
    km_figure,
    save_png,
    swimmer_pages,
)
from dagster_project.lib.stats import km_summary
from dagster_project.lib.warehouse.fingerprint import sha256_file
from dagster_project.lib.warehouse.provenance import source_version

if TYPE_CHECKING:  # matplotlib is imported where a figure is drawn (lib.reporting.figures)
    from matplotlib.figure import Figure

OWNERS = ["team:biostatistics"]
KINDS = {"python", "matplotlib"}
PREVIEW_WIDTH = 360  # px of the thumbnail in the event log; the full figure is the file
ADSL, ADRS, ADTTE = (dg.AssetKey(["adam", n]) for n in ("adsl", "adrs", "adtte"))
SPECS = {f.name: f for f in FIGURES}
KM_PARAMS = tuple(KM_AXES)


def figure_key(spec: FigureSpec) -> dg.AssetKey:
    return dg.AssetKey(["endpoints", spec.name])


# The figures draw with lib.reporting, compute with lib.stats and lib.endpoints, and read with
# the queries of this module.
FIGURE_CODE = source_version(reporting, stats, endpoints, sys.modules[__name__])


def figures_dir(warehouse: Warehouse) -> Path:
    return warehouse.settings.work_report / "figures"


def figure_pages(warehouse: Warehouse, spec: FigureSpec) -> list[Path]:
    """The PNG files of a figure in order: ``<name>.png``, then ``<name>_p2.png``, ... as long
    as they follow on (one file for every figure but a swimmer plot drawn in parts)."""
    folder, pages = figures_dir(warehouse), []
    while (path := folder / spec.page_filename(len(pages) + 1)).exists():
        pages.append(path)
    return pages


def figure_fingerprint(pages: list[Path]) -> str:
    """A figure's data version: its PNG's SHA-256, or for a figure in parts the SHA-256 of the
    parts' SHA-256s in order. No file: FileNotFoundError."""
    if not pages:
        raise FileNotFoundError("no PNG of the figure")
    if len(pages) == 1:
        return sha256_file(pages[0])
    return hashlib.sha256("\n".join(sha256_file(p) for p in pages).encode()).hexdigest()


def _kept(
    context, warehouse: Warehouse, spec: FigureSpec, found: reuse.Reusable | None = None
) -> dg.MaterializeResult | None:
    """The figure materialized again without drawing it, when its code and inputs are those of
    its last materialization (``found``, else looked up) and its PNGs are in place unaltered;
    else None."""
    if found is None:
        found = reuse.reusable(context, figure_key(spec), FIGURE_CODE)
    kept = reuse.still_in_place(found, lambda: figure_fingerprint(figure_pages(warehouse, spec)))
    return None if kept is None else reuse.reused_result(kept)


def _cutoff(con) -> str:
    value = con.execute("select max(CUTOFFDT) from adam.adsl").fetchone()[0]
    return "" if value is None else str(value)


def _thumbnail(path: Path, width: int = PREVIEW_WIDTH) -> str:
    """A small base64 PNG of the written file for the event log (Pillow ships with
    matplotlib; resizing the file costs far less than rendering the figure again)."""
    with Image.open(path) as image:
        image.thumbnail((width, width * 4))
        buf = io.BytesIO()
        image.save(buf, format="PNG", optimize=True)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _result(
    warehouse: Warehouse, spec: FigureSpec, fig: "Figure | list[Figure]", **metadata
) -> dg.MaterializeResult:
    """Write the PNG (one per part for a list of figures: ``spec.page_filename``), remove the
    parts of an earlier, longer drawing; the PNGs' fingerprint is the figure's data version."""
    figs = fig if isinstance(fig, list) else [fig]
    folder = figures_dir(warehouse)
    pages = [save_png(f, folder / spec.page_filename(i)) for i, f in enumerate(figs, start=1)]
    part = re.compile(rf"{re.escape(spec.name)}_p\d+\.png")
    for stale in folder.glob(f"{spec.name}_p*.png"):
        if part.fullmatch(stale.name) and stale not in pages:
            stale.unlink()
    if len(pages) > 1:
        metadata = {"parts": len(pages), **metadata}
    return reuse.versioned(
        figure_key(spec),
        figure_fingerprint(pages),
        {
            "path": dg.MetadataValue.path(str(pages[0])),
            "bytes": sum(p.stat().st_size for p in pages),
            "preview": dg.MetadataValue.md(
                f"![{spec.id}](data:image/png;base64,{_thumbnail(pages[0])})"
            ),
            **metadata,
        },
    )


@dg.multi_asset(
    code_version=FIGURE_CODE,
    specs=[
        dg.AssetSpec(
            figure_key(SPECS[f"f01_km_{p.lower()}"]),
            description=f"F01 {p}: Kaplan-Meier curve of ADTTE {p} ({T03_PARAMS[p][1]}) with "
            "95% CI, censoring ticks, the median and numbers at risk; one PNG.",
            deps=[ADSL, ADTTE],
            group_name="endpoints",
            owners=OWNERS,
            kinds=KINDS,
        )
        for p in KM_PARAMS
    ],
    can_subset=True,
)
def f01_km(context: dg.AssetExecutionContext, warehouse: Warehouse):
    """F01: one Kaplan-Meier figure per time-to-event parameter (population as T03)."""
    wanted = [
        p
        for p in KM_PARAMS
        if figure_key(SPECS[f"f01_km_{p.lower()}"]) in context.selected_asset_keys
    ]
    with warehouse.connect(read_only=True) as con:
        specs = {p: SPECS[f"f01_km_{p.lower()}"] for p in wanted}
        found = reuse.reusable_many(context, {figure_key(s): FIGURE_CODE for s in specs.values()})
        kept = {p: _kept(context, warehouse, s, found[figure_key(s)]) for p, s in specs.items()}
        wanted = [p for p in wanted if kept[p] is None]
        adsl = con.execute("select USUBJID, ITTFL, RESPFL from adam.adsl").df()
        adtte = (
            con.execute(
                "select USUBJID, PARAMCD, AVAL, CNSR from adam.adtte where PARAMCD in "
                f"({', '.join('?' for _ in wanted)})",
                wanted,
            ).df()
            if wanted
            else None
        )
        cutoff = _cutoff(con)
    yield from (result for result in kept.values() if result is not None)
    for p in wanted:
        spec = SPECS[f"f01_km_{p.lower()}"]
        flag, _ = T03_PARAMS[p]
        tte = time_to_event(adtte, p, population(adsl, flag), DAYS_PER_MONTH)
        xlabel, ylabel = KM_AXES[p]
        fig = km_figure(
            tte["time"], tte["event"], spec.title, xlabel, ylabel, note=f"cut-off {cutoff}"
        )
        median = km_summary(tte["time"], tte["event"]).median
        yield _result(
            warehouse,
            spec,
            fig,
            N=len(tte),
            events=int(tte["event"].sum()),
            median_months=float(median.estimate) if median.estimate is not None else "not reached",
            cutoff=cutoff,
        )


F02 = SPECS["f02_cif_discontinuation"]
F03 = SPECS["f03_swimmer"]


@dg.asset(
    code_version=FIGURE_CODE,
    key=figure_key(F02),
    deps=[ADSL, ADTTE],
    group_name="endpoints",
    owners=OWNERS,
    kinds=KINDS,
)
def f02_cif_discontinuation(
    context: dg.AssetExecutionContext, warehouse: Warehouse
) -> dg.MaterializeResult:
    """F02: cumulative incidence of discontinuation due to AE (ADTTE TTDISC, safety population)
    with the competing events' curve; one PNG."""
    with warehouse.connect(read_only=True) as con:
        kept = _kept(context, warehouse, F02)
        if kept is not None:
            return kept
        adsl = con.execute("select USUBJID, SAFFL from adam.adsl").df()
        adtte = con.execute(
            "select USUBJID, PARAMCD, AVAL, CNSR, CMPEVFL from adam.adtte where PARAMCD = 'TTDISC'"
        ).df()
        cutoff = _cutoff(con)
    d = ttdisc(adsl, adtte)
    fig = cif_figure(
        d["time"], d["cause"], F02.title, "Months from first dose", note=f"cut-off {cutoff}"
    )
    return _result(
        warehouse,
        F02,
        fig,
        N=len(d),
        events=int((d["cause"] == 1).sum()),
        competing=int((d["cause"] == 2).sum()),
        cutoff=cutoff,
    )


@dg.asset(
    code_version=FIGURE_CODE,
    key=figure_key(F03),
    deps=[ADSL, ADRS],
    group_name="endpoints",
    owners=OWNERS,
    kinds=KINDS,
)
def f03_swimmer(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
    """F03: swimmer plot, one bar per ITT subject from consent with phases, responses,
    MRD-negative results, progression and death; one PNG per 20 subjects (f03_swimmer.png,
    f03_swimmer_p2.png, ...), so each part prints readably on a page."""
    adsl_columns = [
        "USUBJID", "SUBJID", "ITTFL", "ICFDT", "TRTSDT", "MELDT", "MNTSDT", "EOTDT", "EOSDT",
        "DTHDT", "PDDT", "LSTALVDT", "CUTOFFDT",
    ]  # fmt: skip
    with warehouse.connect(read_only=True) as con:
        kept = _kept(context, warehouse, F03)
        if kept is not None:
            return kept
        adsl = con.execute(f"select {', '.join(adsl_columns)} from adam.adsl").df()
        params = ["OVRLRESP", *MRD_PARAMS]
        adrs = con.execute(
            "select USUBJID, PARAMCD, AVALC, ADT from adam.adrs where PARAMCD in "
            f"({', '.join('?' for _ in params)})",
            params,
        ).df()
        cutoff = _cutoff(con)
    # in parts of at most SWIMMER_LANES_PER_PAGE subjects, each readable on a printed page
    figs = swimmer_pages(adsl, adrs, f"{F03.title}, cut-off {cutoff}")
    n_itt = int((adsl["ITTFL"] == "Y").sum()) if not adsl.empty else 0
    return _result(warehouse, F03, figs, itt_subjects=n_itt, cutoff=cutoff)


F04 = SPECS["f04_consort"]
F05 = SPECS["f05_forest_mrd12"]


def _cutoff_date(cutoff: str):
    return pd.Timestamp(cutoff).date() if cutoff else None


@dg.asset(
    code_version=FIGURE_CODE,
    key=figure_key(F04),
    deps=[ADSL],
    group_name="endpoints",
    owners=OWNERS,
    kinds=KINDS,
)
def f04_consort(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
    """F04: CONSORT flow of all screened subjects (T12's numbers: screened, enrolled, treated,
    transplanted, maintenance, and who left at each step and why); one PNG."""
    with warehouse.connect(read_only=True) as con:
        kept = _kept(context, warehouse, F04)
        if kept is not None:
            return kept
        adsl = con.execute(f"select {', '.join(disposition.ADSL_COLUMNS)} from adam.adsl").df()
        cutoff = _cutoff(con)
    # the table's own builder: the figure draws T12's rows, so it cannot disagree with T12
    t12 = disposition.build_t12(adsl, _cutoff_date(cutoff))
    fig = consort_figure(t12, F04.title, note=f"cut-off {cutoff}")
    counts = {r.step: r.n for r in consort_steps(t12)}
    return _result(warehouse, F04, fig, **{k.lower(): v for k, v in counts.items()}, cutoff=cutoff)


@dg.asset(
    code_version=FIGURE_CODE,
    key=figure_key(F05),
    deps=[ADSL, ADRS],
    group_name="endpoints",
    owners=OWNERS,
    kinds=KINDS,
)
def f05_forest_mrd12(
    context: dg.AssetExecutionContext, warehouse: Warehouse
) -> dg.MaterializeResult:
    """F05: forest plot of T14, the MRD12 rate with its exact 95% CI per subgroup level (ITT),
    the overall rate as a vertical line, n/N beside each line; one PNG."""
    with warehouse.connect(read_only=True) as con:
        kept = _kept(context, warehouse, F05)
        if kept is not None:
            return kept
        adsl = con.execute(f"select {', '.join(subgroups.ADSL_COLUMNS)} from adam.adsl").df()
        adrs = con.execute(
            "select USUBJID, PARAMCD, AVALC from adam.adrs where PARAMCD = ?", [subgroups.PARAMCD]
        ).df()
        cutoff = _cutoff(con)
    t14 = subgroups.build_t14(adsl, adrs, _cutoff_date(cutoff))
    fig = forest_figure(t14, F05.title, note=f"cut-off {cutoff}")
    rows = forest_rows(t14)
    overall = next((r for r in rows if not r.group1), None)
    return _result(
        warehouse,
        F05,
        fig,
        subgroup_levels=sum(1 for r in rows if r.group2),
        itt_subjects=0 if overall is None else int(overall.N or 0),
        mrd12_negative=0 if overall is None else int(overall.n or 0),
        cutoff=cutoff,
    )
