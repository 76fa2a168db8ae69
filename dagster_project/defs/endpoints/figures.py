"""Figures F01-F03 as assets: read ADaM, call lib.reporting.figures, write PNGs to the report
directory's figures/ folder.

A figure is a function of the ADaM columns it reads and the code. Their fingerprint, the PNG's
SHA-256 and the figure's metadata are kept in ``<report>/.state/figures/<name>.json``; a run
that finds the same fingerprint and the PNG unaltered keeps the file instead of drawing it
again (metadata ``kept``). The PNG itself carries no metadata (same figure, same bytes).
"""

import base64
import io
import json
import sys
from pathlib import Path

import dagster as dg
from PIL import Image

from dagster_project.defs.resources import Warehouse
from dagster_project.lib import endpoints, reporting, stats
from dagster_project.lib.endpoints.discontinuation import ttdisc
from dagster_project.lib.endpoints.results import DAYS_PER_MONTH, population, time_to_event
from dagster_project.lib.endpoints.time_to_event import T03_PARAMS
from dagster_project.lib.fingerprint import fingerprint_of, table_fingerprint
from dagster_project.lib.provenance import source_version
from dagster_project.lib.reporting.figures import (
    FIGURES,
    KM_AXES,
    MRD_PARAMS,
    FigureSpec,
    cif_figure,
    km_figure,
    save_png,
    swimmer_figure,
)
from dagster_project.lib.stats import km_summary
from dagster_project.lib.transfer_writer import sha256_file

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


def _state_path(warehouse: Warehouse, spec: FigureSpec) -> Path:
    return warehouse.settings.work_report / ".state" / "figures" / f"{spec.name}.json"


def _contents(con, columns: dict[str, list[str]]) -> dict[str, str]:
    """Content fingerprints of those columns of those ADaM tables (whole tables)."""
    return {t: table_fingerprint(con, f"adam.{t}", c) for t, c in columns.items()}


def _inputs_fingerprint(spec: FigureSpec, contents: dict[str, str]) -> str:
    """The figure's inputs: the contents it reads (``_contents``) and the code."""
    return fingerprint_of({"figure": spec.name, "inputs": contents, "code": FIGURE_CODE})


def _kept(warehouse: Warehouse, spec: FigureSpec, fingerprint: str) -> dg.MaterializeResult | None:
    """The result of the PNG in place when it was drawn from inputs of this fingerprint and is
    unaltered since (same SHA-256); else None."""
    path = figures_dir(warehouse) / spec.filename
    try:
        state = json.loads(_state_path(warehouse, spec).read_text())
        if state["fingerprint"] != fingerprint or sha256_file(path) != state["png_sha256"]:
            return None
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return _described(spec, path, kept=True, **state["metadata"])


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
    warehouse: Warehouse, spec: FigureSpec, fig, fingerprint: str, **metadata
) -> dg.MaterializeResult:
    """Write the PNG, then its state (a crash between leaves a state that does not match)."""
    path = save_png(fig, figures_dir(warehouse) / spec.filename)
    state_path = _state_path(warehouse, spec)
    state_path.parent.mkdir(parents=True, exist_ok=True)
    state = {"fingerprint": fingerprint, "png_sha256": sha256_file(path), "metadata": metadata}
    state_path.write_text(json.dumps(state, indent=1) + "\n")
    return _described(spec, path, **metadata)


def _described(spec: FigureSpec, path: Path, **metadata) -> dg.MaterializeResult:
    return dg.MaterializeResult(
        asset_key=figure_key(spec),
        metadata={
            "path": dg.MetadataValue.path(str(path)),
            "bytes": path.stat().st_size,
            "preview": dg.MetadataValue.md(
                f"![{spec.id}](data:image/png;base64,{_thumbnail(path)})"
            ),
            **metadata,
        },
    )


@dg.multi_asset(
    code_version=source_version(reporting, stats),
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
        # Every KM figure reads the same columns: their contents are fingerprinted once.
        contents = _contents(
            con,
            {
                "adsl": ["USUBJID", "ITTFL", "RESPFL", "CUTOFFDT"],
                "adtte": ["USUBJID", "PARAMCD", "AVAL", "CNSR"],
            },
        )
        fingerprints = {
            p: _inputs_fingerprint(SPECS[f"f01_km_{p.lower()}"], contents) for p in wanted
        }
        kept = {p: _kept(warehouse, SPECS[f"f01_km_{p.lower()}"], fingerprints[p]) for p in wanted}
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
            fingerprints[p],
            N=len(tte),
            events=int(tte["event"].sum()),
            median_months=float(median.estimate) if median.estimate is not None else "not reached",
            cutoff=cutoff,
        )


F02 = SPECS["f02_cif_discontinuation"]
F03 = SPECS["f03_swimmer"]


@dg.asset(
    code_version=source_version(reporting, stats),
    key=figure_key(F02),
    deps=[ADSL, ADTTE],
    group_name="endpoints",
    owners=OWNERS,
    kinds=KINDS,
)
def f02_cif_discontinuation(warehouse: Warehouse) -> dg.MaterializeResult:
    """F02: cumulative incidence of discontinuation due to AE (ADTTE TTDISC, safety population)
    with the competing events' curve; one PNG."""
    with warehouse.connect(read_only=True) as con:
        fingerprint = _inputs_fingerprint(
            F02,
            _contents(
                con,
                {
                    "adsl": ["USUBJID", "SAFFL", "CUTOFFDT"],
                    "adtte": ["USUBJID", "PARAMCD", "AVAL", "CNSR", "CMPEVFL"],
                },
            ),
        )
        kept = _kept(warehouse, F02, fingerprint)
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
        fingerprint,
        N=len(d),
        events=int((d["cause"] == 1).sum()),
        competing=int((d["cause"] == 2).sum()),
        cutoff=cutoff,
    )


@dg.asset(
    code_version=source_version(reporting, stats),
    key=figure_key(F03),
    deps=[ADSL, ADRS],
    group_name="endpoints",
    owners=OWNERS,
    kinds=KINDS,
)
def f03_swimmer(warehouse: Warehouse) -> dg.MaterializeResult:
    """F03: swimmer plot, one bar per ITT subject from consent with phases, responses,
    MRD-negative results, progression and death; one PNG."""
    adsl_columns = [
        "USUBJID", "SUBJID", "ITTFL", "ICFDT", "TRTSDT", "MELDT", "MNTSDT", "EOTDT", "EOSDT",
        "DTHDT", "PDDT", "LSTALVDT", "CUTOFFDT",
    ]  # fmt: skip
    with warehouse.connect(read_only=True) as con:
        fingerprint = _inputs_fingerprint(
            F03,
            _contents(con, {"adsl": adsl_columns, "adrs": ["USUBJID", "PARAMCD", "AVALC", "ADT"]}),
        )
        kept = _kept(warehouse, F03, fingerprint)
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
    fig = swimmer_figure(adsl, adrs, f"{F03.title}, cut-off {cutoff}")
    n_itt = int((adsl["ITTFL"] == "Y").sum()) if not adsl.empty else 0
    return _result(warehouse, F03, fig, fingerprint, itt_subjects=n_itt, cutoff=cutoff)
