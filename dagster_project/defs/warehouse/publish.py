"""The published warehouse: the file statisticians open, swapped atomically after a good run."""


import dagster as dg

from dagster_project.defs.resources import WRITER_POOL, Warehouse
from dagster_project.lib.publish import publish

# Publication waits for everything a reader would read; endpoint and report assets join here.
PUBLISH_AFTER = [
    *(dg.AssetKey(["adam", name]) for name in ("adsl", "adrs", "adtte", "adae", "adex")),
    dg.AssetKey(["endpoints", "results"]),
    dg.AssetKey(["endpoints", "report"]),
]


@dg.asset(
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
    with warehouse.connect(read_only=True) as con:
        cutoff = con.execute("select cutoff_date from staging.stg_data_cut").fetchone()[0]
    cut_name = f"cut_{cutoff:%Y%m%d}_{context.run_id[:8]}"
    cut_file = publish(settings.work_db, settings.warehouse, settings.cuts_dir, cut_name)
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(settings.warehouse)),
            "cut_file": dg.MetadataValue.path(str(cut_file)),
            "cutoff": str(cutoff),
            "bytes": cut_file.stat().st_size,
        }
    )
