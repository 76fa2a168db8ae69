"""The HTML report of the cut-off: read the display tables, the transfers in force, the
validation outcome and the figure files; render with lib.reporting.report; write it."""

from datetime import UTC, date, datetime

import dagster as dg
import duckdb
import pandas as pd

from dagster_project.defs import reuse
from dagster_project.defs.endpoints.figures import figure_key, figure_pages, figures_dir
from dagster_project.defs.resources import Warehouse
from dagster_project.lib import endpoints, reporting
from dagster_project.lib.endpoints import COLUMNS, TABLES
from dagster_project.lib.export.package import PACKAGE_FILES
from dagster_project.lib.ingest.contract import STUDY_ID
from dagster_project.lib.reporting.figures import FIGURES
from dagster_project.lib.reporting.report import (
    FigureImage,
    ReportContext,
    Table,
    checks_from_frame,
    render_report,
    transfers_from_frames,
    write_report,
)
from dagster_project.lib.validation.results import relation_exists
from dagster_project.lib.warehouse.fingerprint import sha256_file
from dagster_project.lib.warehouse.provenance import code_version, source_version

TABLE_KEYS = [dg.AssetKey(["endpoints", spec.tableid.lower()]) for spec in TABLES]
REPORT_KEY = dg.AssetKey(["endpoints", "report"])
# lib.endpoints too: the footnotes and which columns are shown are decided there, at render time
REPORT_CODE = source_version(reporting, endpoints)
# The ADaM datasets too: the report shows their validation, whose outcome is a function of them.
DEPS = [
    *(dg.AssetKey(["adam", name]) for name in ("adsl", "adrs", "adtte", "adae", "adex", "adlb")),
    *TABLE_KEYS,
    dg.AssetKey(["endpoints", "results"]),
    *(figure_key(f) for f in FIGURES),
    dg.AssetKey(["raw", "transfers"]),
    dg.AssetKey(["staging", "stg_transfers_in_force"]),
    dg.AssetKey(["quality", "findings"]),
    dg.AssetKey(["quality", "findings_by_site"]),
    dg.AssetKey(["quality", "response_discordance"]),
]
CHECK_RESULTS = ("quality", "check_results")


def _results(con, tableid: str) -> pd.DataFrame:
    """The table's tidy rows (endpoints.tNN_results), which its footnote reads (the N, the
    cut-off); no rows when the table was not written."""
    name = f"{tableid.lower()}_results"
    if not relation_exists(con, "endpoints", name):
        return pd.DataFrame(columns=COLUMNS)
    return con.execute(f"select * from endpoints.{name}").df()


def _display_tables(con) -> tuple[list[Table], list[str]]:
    """Each endpoint table's display frames in table order (an overview before its detail),
    as printed (TableSpec.present: empty columns left out, the footnote); a missing or
    unreadable one becomes a visible note, never an error."""
    tables, missing = [], []
    for spec in TABLES:
        results = _results(con, spec.tableid)
        names = sorted(spec.displays, key=lambda n: (not n.endswith("_overview"), n))
        for name in names:
            # a table's further displays (t07_overview, t15_agreement) are named after it
            part = name[len(spec.tableid) :].lstrip("_").replace("_", " ")
            title = spec.title + (f": {part}" if part else "")
            label = spec.tableid + (f" {part}" if part else "")
            if not relation_exists(con, "endpoints", name):
                tables.append(Table(label, title, missing=f"endpoints.{name} does not exist"))
                missing.append(label)
                continue
            try:
                frame = con.execute(f"select * from endpoints.{name}").df()
            except duckdb.Error as exc:
                tables.append(Table(label, title, missing=f"endpoints.{name}: {exc}"))
                missing.append(label)
                continue
            shown, footnote = spec.present(frame, results)
            tables.append(Table.from_frame(label, title, shown, footnote=footnote))
    return tables, missing


def _checks(con):
    if not relation_exists(con, *CHECK_RESULTS):
        return None
    return checks_from_frame(con.execute("select * from quality.check_results").df())


MAX_FINDINGS_LISTED = 500


def _findings(con) -> tuple[Table | None, Table | None]:
    """Findings per site and the findings themselves (most severe first), when recorded."""
    if not relation_exists(con, "quality", "findings_by_site"):
        return None, None
    by_site = con.execute("select * from quality.findings_by_site order by SITEID").df()
    listed = con.execute(
        "select SITEID, USUBJID, FORM, RULE, SEVERITY, DETAIL, FIRST_SEEN_TRANSFER "
        "from quality.findings order by SEVERITY, SITEID, USUBJID, RULE, DETAIL "
        f"limit {MAX_FINDINGS_LISTED + 1}"
    ).df()
    note = (
        f"The first {MAX_FINDINGS_LISTED} are listed; query quality.findings for all."
        if len(listed) > MAX_FINDINGS_LISTED
        else ""
    )
    return (
        Table.from_frame("QF1", "Findings by site", by_site),
        Table.from_frame("QF2", "Findings", listed.head(MAX_FINDINGS_LISTED), footnote=note),
    )


def _response_discordance(con) -> Table | None:
    """The discordant subjects for medical review (quality.response_discordance), when built."""
    if not relation_exists(con, "quality", "response_discordance"):
        return None
    listed = con.execute("select * from quality.response_discordance order by SITEID, USUBJID").df()
    return Table.from_frame(
        "QF3",
        "Investigator and computed response differ: for medical review",
        listed,
        footnote=(
            "ITT subjects whose best confirmed response by the investigator (CBOR) and computed "
            "from the labs (ALGCBOR) differ (response.md section 4; T15 counts them). Not a "
            "query to the site: a physician reviews the labs beside the investigator's call. A "
            "subject without a computed time point (no labs baseline, a contract 1.0 transfer) "
            "has ALGCBOR NE."
        ),
    )


def _cutoff(con) -> date:
    value = con.execute("select max(CUTOFFDT) from adam.adsl").fetchone()[0]
    if value is None:
        value = con.execute("select cutoff_date from staging.stg_data_cut").fetchone()[0]
    return pd.Timestamp(value).date()


@dg.asset(
    code_version=REPORT_CODE,
    key=REPORT_KEY,
    deps=DEPS,
    group_name="reporting",
    owners=["team:biostatistics"],
    kinds={"html"},
)
def endpoint_report(context: dg.AssetExecutionContext, warehouse: Warehouse):
    """The self-contained HTML report of one cut-off (report_<YYYYMMDD>.html and index.html):
    transfers in force with checksums, code version, validation outcome, the endpoint
    tables and figures (F01-F05)."""
    index = warehouse.settings.work_report / "index.html"
    kept = reuse.still_in_place(
        reuse.reusable(context, REPORT_KEY, REPORT_CODE), lambda: sha256_file(index)
    )
    if kept is not None:
        return reuse.reused_result(kept)
    with warehouse.connect(read_only=True) as con:
        cutoff = _cutoff(con)
        study = con.execute("select min(STUDYID) from adam.adsl").fetchone()[0] or STUDY_ID
        transfers = con.execute("select * from raw.transfers").df()
        in_force = con.execute("select transfer_id from staging.stg_transfers_in_force").df()[
            "transfer_id"
        ]
        as_of = con.execute("select as_of from staging.stg_data_cut").fetchone()[0]
        tables, missing_tables = _display_tables(con)
        checks = _checks(con)
        findings_by_site, findings = _findings(con)
        response_discordance = _response_discordance(con)

    figures, missing_figures = [], []
    for spec in FIGURES:
        path = figures_dir(warehouse) / spec.filename
        pages = figure_pages(warehouse, spec)  # [path], or F03's parts
        if pages:
            first, *more = (p.read_bytes() for p in pages)
            figures.append(
                FigureImage(spec.id, spec.title, first, spec.caption, continued=tuple(more))
            )
        else:
            figures.append(
                FigureImage(
                    spec.id, spec.title, caption=spec.caption, missing=f"{path} was not written"
                )
            )
            missing_figures.append(spec.id)

    report = ReportContext(
        study=study,
        cutoff=cutoff,
        code_version=code_version(),
        transfers=transfers_from_frames(transfers, list(in_force)),
        checks=checks,
        tables=tables,
        figures=figures,
        as_of=None if as_of is None else str(as_of),
        generated_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        run_id=context.run.run_id,
        findings_by_site=findings_by_site,
        findings=findings,
        response_discordance=response_discordance,
        # Published with the report, all or nothing (defs/export/submission.py).
        submission_files=[f"submission/{name}" for name in PACKAGE_FILES],
    )
    path = write_report(render_report(report), warehouse.settings.work_report, cutoff)
    for label in missing_tables + missing_figures:
        context.log.warning(f"report: {label} missing, shown as a note")
    return reuse.versioned(
        REPORT_KEY,
        sha256_file(path.with_name("index.html")),
        {
            "path": dg.MetadataValue.path(str(path)),
            "index": dg.MetadataValue.path(str(path.with_name("index.html"))),
            "bytes": path.stat().st_size,
            "cutoff": str(cutoff),
            "tables_missing": ", ".join(missing_tables) or "none",
            "figures_missing": ", ".join(missing_figures) or "none",
            "validation": "not recorded"
            if checks is None
            else f"{sum(c.outcome == 'fail' for c in checks)} failed, "
            f"{sum(c.outcome == 'warn' for c in checks)} warnings, {len(checks)} checks",
        },
    )
