"""Landing zone -> raw.*: verify each new delivery, type its rows, quarantine what is malformed."""

import logging

import dagster as dg

from dagster_project.defs.resources import WRITER_POOL, Warehouse
from dagster_project.lib.ingest import contract, ingestion, landing, raw_load
from dagster_project.lib.ingest.contract import RAW_FORMS
from dagster_project.lib.ingest.ingestion import ensure_raw_schema, ingest_landing
from dagster_project.lib.runtime.console import TRANSFER_RECORD
from dagster_project.lib.warehouse.fingerprint import table_fingerprint, transfers_fingerprint
from dagster_project.lib.warehouse.provenance import source_version

OWNERS = ["team:clinical-data-engineering"]
KINDS = {"duckdb", "python"}

# Tuples, not module-level lists of AssetSpec: load_from_defs_folder would register those as
# external assets of their own.
_AUDIT_SPECS = (
    dg.AssetSpec(
        ["raw", "transfers"],
        description="One row per delivery seen in the landing zone: LOADED, DUPLICATE or REFUSED, "
        "with the reason and the manifest and file checksums.",
    ),
    dg.AssetSpec(
        ["raw", "quarantine"],
        description="One row per source row refused at ingestion: transfer, form, row number, "
        "column, value, reason and the whole raw record.",
    ),
    dg.AssetSpec(
        ["raw", "extra_columns"],
        description="One row per column a loaded file carried that the contract does not name "
        "(transfer, form, column; names only): kept for audit, raised as a data-quality finding.",
    ),
    dg.AssetSpec(
        ["raw", "deletions"],
        description="Records present in a site's previous loaded transfer and absent from the "
        "next: "
        "deletions at the site, kept visible.",
    ),
)
# Every form of every contract version has its raw table (raw.im from 1.1 on, empty while only
# 1.0 transfers arrive).
_FORM_SPECS = tuple(
    dg.AssetSpec(
        ["raw", name],
        description=f"{form.label} ({name}.csv): typed rows of every loaded transfer, one row per "
        f"record and transfer (key {', '.join(form.key)}), with TRANSFER_ID and ROWNUM.",
    )
    for name, form in RAW_FORMS.items()
)


@dg.multi_asset(
    code_version=source_version(contract, ingestion, landing, raw_load),
    specs=[
        spec.replace_attributes(group_name="ingest", owners=OWNERS, kinds=KINDS)
        for spec in _AUDIT_SPECS + _FORM_SPECS
    ],
    pool=WRITER_POOL,
    description="Discover new transfers in the landing zone, verify manifests, load typed rows.",
)
def raw_tables(context: dg.AssetExecutionContext, warehouse: Warehouse):
    landing = warehouse.settings.landing
    with warehouse.connect() as con:
        ensure_raw_schema(con)
        summary = ingest_landing(con, landing, on_registered=lambda row: _log(context, row))
        counts = {
            table: con.execute(f"select count(*) from raw.{table}").fetchone()[0]
            for table in ["transfers", "quarantine", "deletions", "extra_columns", *RAW_FORMS]
        }
        # Each table's data version (defs/reuse.py): what the dbt build and everything after
        # it compare to decide whether anything changed.
        versions = {"transfers": table_fingerprint(con, "raw.transfers")} | {
            table: transfers_fingerprint(con, f"raw.{table}")
            for table in ["quarantine", "deletions", "extra_columns", *RAW_FORMS]
        }
        in_force_preview = con.execute(
            "select TRANSFER_ID, SITEID, EXTRACT_DATETIME, STATUS, REASON from raw.transfers "
            "order by EXTRACT_DATETIME desc, TRANSFER_ID limit 20"
        ).df()
    registered = summary.registered
    refused = [r for r in registered if r["status"] == "REFUSED"]
    metadata = {
        "transfers": {
            "landing": str(landing),
            "new_deliveries": len(registered),
            "refused_now": len(refused),
            "preview": dg.MetadataValue.md(in_force_preview.to_markdown(index=False)),
        }
    }
    for table, version in versions.items():
        yield dg.MaterializeResult(
            asset_key=["raw", table],
            data_version=dg.DataVersion(version),
            metadata={"dagster/row_count": counts[table], **metadata.get(table, {})},
        )


def _log(context: dg.AssetExecutionContext, row: dict) -> None:
    """One line per delivery as it is registered: a warning when refused."""
    transfer, status, reason = row["transfer_id"], row["status"], row["reason"]
    context.log.log(
        logging.WARNING if status == "REFUSED" else logging.INFO,
        f"transfer {transfer} {status.lower()}" + (f": {reason}" if reason else ""),
        extra={TRANSFER_RECORD: (transfer, status, reason)},
    )
