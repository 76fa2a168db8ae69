"""The submission export as an asset: the package (lib/export/package.py) kept when its code and
the ADaM datasets' data versions are those it was made from (defs/reuse.py), else written whole
again; the metadata lists each file with its rows and SHA-256."""

import json
from pathlib import Path

import dagster as dg
import pandas as pd

from dagster_project.defs import reuse
from dagster_project.defs.resources import Warehouse
from dagster_project.defs.warehouse.project import dbt_project
from dagster_project.lib import export
from dagster_project.lib.export.package import (
    DATASETS,
    PackageRefused,
    package_version,
    write_package,
)
from dagster_project.lib.warehouse import table_frames
from dagster_project.lib.warehouse.fingerprint import sha256_file
from dagster_project.lib.warehouse.provenance import source_version

OWNERS = ["team:biostatistics"]
KINDS = {"sas", "python"}
GROUP = "export"
XPT_KEY = dg.AssetKey(["export", "adam_xpt"])
EXPORT_CODE = source_version(export, table_frames)


@dg.asset(
    code_version=EXPORT_CODE,
    key=XPT_KEY,
    deps=[dg.AssetKey(["adam", name]) for name in DATASETS],
    group_name=GROUP,
    owners=OWNERS,
    kinds=KINDS,
)
def adam_xpt(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
    """The submission package: one SAS transport v5 file per ADaM dataset (adsl.xpt ...
    adex.xpt, dataset and variable labels), define.xml (Define-XML 2.1, schema-valid, with its
    stylesheet define2-1.xsl) and define.csv / define.json, one row per dataset x variable
    with label, type, length, format, origin and derivation. Every file is written whole and
    read back whole, and the package passes the conformance check a reviewer's tool runs
    (lib/export/conformance.py; its warnings are in the metadata), before it replaces the
    previous one."""
    folder = warehouse.settings.work_report / "submission"
    kept = reuse.still_in_place(
        reuse.reusable(context, XPT_KEY, EXPORT_CODE), lambda: package_version(folder)
    )
    if kept is not None:
        return reuse.reused_result(kept)
    manifest = json.loads(Path(dbt_project.manifest_path).read_text())
    try:
        with warehouse.connect(read_only=True) as con:
            package = write_package(con, manifest, folder)
    except PackageRefused as refused:
        raise dg.Failure(
            description=str(refused),
            metadata={"violations": dg.MetadataValue.json(refused.violations)}
            if refused.violations
            else None,
        ) from None
    files, rows, labels = package.files, package.rows, package.labels
    checksums = {name: sha256_file(path) for name, path in files.items()}

    summary = pd.DataFrame(
        [
            {
                "file": files[name].name,
                "dataset": name.upper(),
                "label": labels[name],
                "rows": rows[name],
                "variables": package.variables[name],
                "sha256": checksums[name],
            }
            for name in DATASETS
        ]
    )
    metadata: dict = {
        "folder": dg.MetadataValue.path(str(folder)),
        "dagster/row_count": int(summary["rows"].sum()),
        "datasets": dg.MetadataValue.md(summary.to_markdown(index=False)),
        "conformance_warnings": dg.MetadataValue.json(package.conformance_warnings),
    }
    for name, path in files.items():
        stem = path.name.replace(".", "_")
        metadata[f"{stem}_path"] = dg.MetadataValue.path(str(path))
        metadata[f"{stem}_sha256"] = checksums[name]
        if name in rows:
            metadata[f"{stem}_rows"] = rows[name]
    return reuse.versioned(XPT_KEY, package_version(folder), metadata)
