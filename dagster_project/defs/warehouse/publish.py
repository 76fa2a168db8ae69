"""The publication: the warehouse cut, report, figures, transport files and define metadata of
one run, switched in together after a good run, read-only, and recorded in the ledger."""

import os
from pathlib import Path

import dagster as dg
import duckdb

from dagster_project.defs import reuse
from dagster_project.defs.resources import WRITER_POOL, Warehouse
from dagster_project.lib.warehouse import ledger, provenance, publish
from dagster_project.lib.warehouse.provenance import (
    RunRecord,
    code_version,
    forget_unpublished,
    record_run,
    source_version,
    transfers_in_force,
)
from dagster_project.lib.warehouse.publish import publish as publish_run
from dagster_project.lib.warehouse.raw_scrub import scrub_extra_columns

# Publication waits for everything a reader would read; endpoint and report assets join here.
PUBLISH_AFTER = [
    dg.AssetKey(["raw", "quarantine"]),
    dg.AssetKey(["raw", "deletions"]),
    *(dg.AssetKey(["adam", name]) for name in ("adsl", "adrs", "adtte", "adae", "adex", "adlb")),
    dg.AssetKey(["endpoints", "results"]),
    dg.AssetKey(["endpoints", "report"]),
    dg.AssetKey(["export", "adam_xpt"]),
    dg.AssetKey(["quality", "findings"]),
    dg.AssetKey(["quality", "findings_by_site"]),
    dg.AssetKey(["quality", "response_discordance"]),
]


def fit_to_publish(db: Path) -> int:
    """Make the staged copy of the working file fit for readers: no value of a column the
    contract does not name (site_extracts.md: kept in the working file for audit, never
    published). When any was removed, the copy is written again as a new file (COPY FROM
    DATABASE), because DuckDB leaves a removed value's old bytes in the file's free blocks
    (lib/warehouse/raw_scrub.py). Returns how many values were removed."""
    con = duckdb.connect(str(db))
    try:
        removed = scrub_extra_columns(con)
        con.execute("checkpoint")
    finally:
        con.close()
    if removed:
        fresh = db.with_name(db.name + ".fresh")
        con = duckdb.connect()
        try:
            con.execute(f"attach '{db}' as scrubbed (read_only)")
            con.execute(f"attach '{fresh}' as fresh")
            con.execute("copy from database scrubbed to fresh")
        finally:
            con.close()
        os.replace(fresh, db)
    return removed


PUBLISHED_KEY = dg.AssetKey(["published", "warehouse"])
PUBLISH_CODE = source_version(provenance, publish)


def _current_publication(layout) -> str | None:
    """The ledger hash of the publication the stable names lead to now (None: none yet)."""
    if not layout.ledger.exists():
        return None
    last = list(ledger.publications(ledger.records(layout.ledger)))
    if not last or layout.current.resolve() != layout.publication(last[-1]["cut"]).resolve():
        return None
    return last[-1]["hash"]


@dg.asset(
    code_version=PUBLISH_CODE,
    key=PUBLISHED_KEY,
    deps=PUBLISH_AFTER,
    group_name="publication",
    owners=["team:clinical-data-engineering"],
    kinds={"duckdb"},
    pool=WRITER_POOL,
)
def published_warehouse(context: dg.AssetExecutionContext, warehouse: Warehouse):
    """One publication: the read-only warehouse cut with its report, figures, transport files
    and define metadata, switched in together under the stable names and recorded in the
    hash-chained ledger beside the warehouse."""
    settings = warehouse.settings
    layout = settings.layout
    # Nothing a reader reads changed since the current publication: it stays current, and the
    # ledger gains no record.
    kept = reuse.still_in_place(
        reuse.reusable(context, PUBLISHED_KEY, PUBLISH_CODE), lambda: _current_publication(layout)
    )
    if kept is not None:
        return reuse.reused_result(kept)
    run_id = context.run.run_id
    code = code_version()  # a `git describe`: once for the run record and the ledger
    with warehouse.connect() as con:
        cutoff, as_of = con.execute(
            "select cutoff_date, as_of from staging.stg_data_cut"
        ).fetchone()
        cut = f"cut_{cutoff:%Y%m%d}_{run_id[:8]}"
        transfers = transfers_in_force(con)
        invocation = con.execute(
            "select INVOCATION_ID from quality.dbt_invocations where RUN_ID = ?", [run_id]
        ).fetchone()
        # quality.runs lists publications: a run that recorded itself and then failed before its
        # switch never published, so its row goes (the Dagster instance keeps its run).
        published = ledger.records(layout.ledger) if layout.ledger.exists() else []
        forget_unpublished(con, [r["run_id"] for r in ledger.publications(published)])
        # The run record goes into the file it describes, before the copy is published.
        record_run(
            con,
            RunRecord(
                run_id=run_id,
                cutoff=cutoff,
                as_of=as_of,
                transfers=transfers,
                code_version=code,
                dbt_invocation_id=invocation[0] if invocation else None,
                validation=validation_summary(con),
                published_file=str(layout.publication(cut) / layout.db_name),
            ),
        )
    removed: list[int] = []
    publication = publish_run(
        layout,
        cut,
        {
            "run_id": run_id,
            "cutoff": str(cutoff),
            "as_of": str(as_of) if as_of else None,
            "transfers": transfers,
            "code_version": code,
        },
        prepare_db=lambda db: removed.append(fit_to_publish(db)),
    )
    files = publication.record["files"]
    return reuse.versioned(
        PUBLISHED_KEY,
        publication.record["hash"],
        {
            "path": dg.MetadataValue.path(str(settings.warehouse)),
            "publication": dg.MetadataValue.path(str(publication.folder)),
            "report": dg.MetadataValue.path(str(settings.report_path)),
            "ledger": dg.MetadataValue.path(str(layout.ledger)),
            "ledger_record": publication.record["seq"],
            "ledger_hash": publication.record["hash"],
            "cutoff": str(cutoff),
            "files": len(files),
            # values of columns the contract does not name, kept in the working file only
            "extra_values_not_published": sum(removed),
            "bytes": sum((publication.folder / f).stat().st_size for f in files),
            "transfers_in_force": dg.MetadataValue.json(
                {t["transfer_id"]: t["manifest_sha256"] for t in transfers}
            ),
        },
    )


def validation_summary(con) -> dict:
    """Counts of this run's check outcomes by severity, from quality.check_results when present."""
    exists = con.execute(
        "select count(*) from information_schema.tables "
        "where table_schema = 'quality' and table_name = 'check_results'"
    ).fetchone()[0]
    if not exists:
        return {"recorded": False}
    rows = con.execute(
        "select SEVERITY, PASSED, count(*) from quality.check_results group by all order by all"
    ).fetchall()
    return {"recorded": True, "by_severity": [list(r) for r in rows]}
