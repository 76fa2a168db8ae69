"""The published warehouse: the file statisticians open, swapped atomically after a good run."""

import dagster as dg

from dagster_project.defs.resources import WRITER_POOL, Warehouse
from dagster_project.lib import provenance
from dagster_project.lib import publish as publish_module
from dagster_project.lib.provenance import (
    RunRecord,
    code_version,
    record_run,
    source_version,
    transfers_in_force,
)
from dagster_project.lib.publish import publish

# Publication waits for everything a reader would read; endpoint and report assets join here.
PUBLISH_AFTER = [
    dg.AssetKey(["raw", "quarantine"]),
    dg.AssetKey(["raw", "deletions"]),
    *(dg.AssetKey(["adam", name]) for name in ("adsl", "adrs", "adtte", "adae", "adex")),
    dg.AssetKey(["endpoints", "results"]),
    dg.AssetKey(["endpoints", "report"]),
    dg.AssetKey(["export", "adam_xpt"]),
    dg.AssetKey(["quality", "findings"]),
    dg.AssetKey(["quality", "findings_by_site"]),
]


@dg.asset(
    code_version=source_version(provenance, publish_module),
    key=["published", "warehouse"],
    deps=PUBLISH_AFTER,
    group_name="publication",
    owners=["team:clinical-data-engineering"],
    kinds={"duckdb"},
    pool=WRITER_POOL,
)
def published_warehouse(context: dg.AssetExecutionContext, warehouse: Warehouse):
    """The read-only DuckDB file of one cut-off, published under the stable warehouse name."""
    settings = warehouse.settings
    with warehouse.connect() as con:
        cutoff, as_of = con.execute(
            "select cutoff_date, as_of from staging.stg_data_cut"
        ).fetchone()
        cut_name = f"cut_{cutoff:%Y%m%d}_{context.run.run_id[:8]}"
        transfers = transfers_in_force(con)
        invocation = con.execute(
            "select INVOCATION_ID from quality.dbt_invocations where RUN_ID = ?",
            [context.run.run_id],
        ).fetchone()
        # The run record goes into the file it describes, before the copy is published.
        record_run(
            con,
            RunRecord(
                run_id=context.run.run_id,
                cutoff=cutoff,
                as_of=as_of,
                transfers=transfers,
                code_version=code_version(),
                dbt_invocation_id=invocation[0] if invocation else None,
                validation=validation_summary(con),
                published_file=str(settings.cuts_dir / f"{cut_name}.duckdb"),
            ),
        )
    cut_file = publish(settings.work_db, settings.warehouse, settings.cuts_dir, cut_name)
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(settings.warehouse)),
            "cut_file": dg.MetadataValue.path(str(cut_file)),
            "cutoff": str(cutoff),
            "bytes": cut_file.stat().st_size,
            "transfers_in_force": dg.MetadataValue.json(
                {t["transfer_id"]: t["manifest_sha256"] for t in transfers}
            ),
        }
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
