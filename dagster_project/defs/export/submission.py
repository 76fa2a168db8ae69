"""The submission export: read adam.*, take the labels and derivations from the dbt manifest,
check every SAS transport v5 limit, write the .xpt files and the define listing."""

import hashlib
import json
from pathlib import Path

import dagster as dg
import pandas as pd

from dagster_project.defs.resources import Warehouse
from dagster_project.defs.warehouse.project import dbt_project
from dagster_project.lib import export
from dagster_project.lib.export.xpt import (
    check_v5,
    dataset_label,
    read_back_mismatches,
    variable_metadata,
    write_define,
    write_xpt,
)
from dagster_project.lib.provenance import source_version

OWNERS = ["team:biostatistics"]
KINDS = {"sas", "python"}
GROUP = "export"
DATASETS = ("adsl", "adrs", "adtte", "adae", "adex")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dg.asset(
    code_version=source_version(export),
    key=["export", "adam_xpt"],
    deps=[dg.AssetKey(["adam", name]) for name in DATASETS],
    group_name=GROUP,
    owners=OWNERS,
    kinds=KINDS,
)
def adam_xpt(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
    """The submission package: one SAS transport v5 file per ADaM dataset (adsl.xpt ...
    adex.xpt, dataset and variable labels) and define.csv / define.json, one row per dataset x
    variable with label, type, length, format, origin and derivation."""
    manifest = json.loads(Path(dbt_project.manifest_path).read_text())
    with warehouse.connect(read_only=True) as con:
        frames = {name: con.execute(f"select * from adam.{name}").df() for name in DATASETS}

    metas = {name: variable_metadata(manifest, name, frames[name]) for name in DATASETS}
    labels = {name: dataset_label(manifest, name) for name in DATASETS}
    # Every dataset is checked before any file is written: a refused export writes nothing and
    # names every violation at once, so the dbt metadata is fixed in one pass.
    violations = [
        v
        for name in DATASETS
        for v in check_v5(frames[name], metas[name], labels[name], name.upper())
    ]
    if violations:
        raise dg.Failure(
            description=f"{len(violations)} SAS transport v5 violation(s); nothing written:\n"
            + "\n".join(f"- {v}" for v in violations),
            metadata={"violations": dg.MetadataValue.json(violations)},
        )

    folder = warehouse.settings.report_path / "submission"
    files: dict[str, Path] = {}
    for name in DATASETS:
        path = write_xpt(
            frames[name], folder / f"{name}.xpt", metas[name], name.upper(), labels[name]
        )
        # pyreadstat has silently changed files before (truncated labels): read each one back.
        mismatches = read_back_mismatches(
            path, frames[name], metas[name], name.upper(), labels[name]
        )
        if mismatches:
            raise dg.Failure(
                description=f"{path} does not read back as written:\n"
                + "\n".join(f"- {m}" for m in mismatches)
            )
        files[name] = path
    define_csv, define_json = write_define(metas, folder, labels)
    files["define.csv"] = define_csv
    files["define.json"] = define_json

    summary = pd.DataFrame(
        [
            {
                "file": files[name].name,
                "dataset": name.upper(),
                "label": labels[name],
                "rows": len(frames[name]),
                "variables": len(metas[name]),
                "sha256": _sha256(files[name]),
            }
            for name in DATASETS
        ]
    )
    metadata: dict = {
        "folder": dg.MetadataValue.path(str(folder)),
        "dagster/row_count": int(summary["rows"].sum()),
        "datasets": dg.MetadataValue.md(summary.to_markdown(index=False)),
    }
    for name, path in files.items():
        stem = path.name.replace(".", "_")
        metadata[f"{stem}_path"] = dg.MetadataValue.path(str(path))
        metadata[f"{stem}_sha256"] = _sha256(path)
        if name in frames:
            metadata[f"{stem}_rows"] = len(frames[name])
    return dg.MaterializeResult(metadata=metadata)
