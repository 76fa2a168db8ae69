"""The submission export: read adam.*, take the labels and derivations from the dbt manifest,
check every SAS transport v5 limit, write the .xpt files and the define listing."""

import hashlib
import json
import multiprocessing
import os
import shutil
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path

import dagster as dg
import pandas as pd

from dagster_project.defs.resources import Warehouse
from dagster_project.defs.warehouse.project import dbt_project
from dagster_project.lib import export
from dagster_project.lib.export.xpt import (
    V5Violation,
    check_v5,
    dataset_label,
    read_back_mismatches,
    variable_metadata,
    write_define,
    write_xpt_mapped,
)
from dagster_project.lib.provenance import source_version
from dagster_project.lib.table_frames import read_table

OWNERS = ["team:biostatistics"]
KINDS = {"sas", "python"}
GROUP = "export"
DATASETS = ("adsl", "adrs", "adtte", "adae", "adex")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _raise_unless_reads_back(path: Path, mismatches: Future, staging: Path) -> None:
    """Fail the export (nothing published) when the file read back differs from what was
    written."""
    found = mismatches.result()
    if found:
        shutil.rmtree(staging, ignore_errors=True)
        raise dg.Failure(
            description=f"{path.name} does not read back as written:\n"
            + "\n".join(f"- {m}" for m in found)
        )


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
    labels = {name: dataset_label(manifest, name) for name in DATASETS}
    folder = warehouse.settings.report_path / "submission"
    # The package is written beside and swapped in whole: a refused export leaves the previous
    # package (or none) and names every violation of every dataset at once, so the dbt
    # metadata is fixed in one pass. At most two datasets are in memory at a time (ADRS has
    # ~2.3 million rows at 100,000 subjects).
    staging = folder.with_name("submission.partial")
    shutil.rmtree(staging, ignore_errors=True)
    metas: dict[str, list] = {}
    rows: dict[str, int] = {}
    violations: list[str] = []
    # Reading a file back (pyreadstat parses every value) costs about what writing it did, and
    # the writer is pure Python/numpy on one core: a second process reads dataset k back while
    # this one reads and writes dataset k+1 (a thread would share the GIL; measured no gain).
    # At most one file waits for its check.
    checking: tuple[Path, Future] | None = None
    spawn = multiprocessing.get_context("spawn")
    with (
        ProcessPoolExecutor(1, mp_context=spawn) as reader,
        warehouse.connect(read_only=True) as con,
    ):
        for name in DATASETS:
            frame = read_table(con, f"adam.{name}")
            rows[name] = len(frame)
            metas[name] = variable_metadata(manifest, name, frame)
            if violations:  # already refused: only keep listing what else is wrong
                violations += check_v5(frame, metas[name], labels[name], name.upper())
                continue
            try:
                path, written = write_xpt_mapped(
                    frame, staging / f"{name}.xpt", metas[name], name.upper(), labels[name]
                )
            except V5Violation as refused:
                violations += refused.violations
                continue
            del frame
            if checking is not None:
                _raise_unless_reads_back(*checking, staging)
            # Our own writer made these bytes: an independent reader (pyreadstat) checks them.
            checking = (
                path,
                reader.submit(
                    read_back_mismatches,
                    path,
                    written,
                    metas[name],
                    name.upper(),
                    labels[name],
                    expected=written,
                ),
            )
            del written
        if checking is not None and not violations:
            _raise_unless_reads_back(*checking, staging)
    if violations:
        shutil.rmtree(staging, ignore_errors=True)
        raise dg.Failure(
            description=f"{len(violations)} SAS transport v5 violation(s); nothing written:\n"
            + "\n".join(f"- {v}" for v in violations),
            metadata={"violations": dg.MetadataValue.json(violations)},
        )
    define_csv, define_json = write_define(metas, staging, labels)
    shutil.rmtree(folder, ignore_errors=True)
    os.replace(staging, folder)
    files = {name: folder / f"{name}.xpt" for name in DATASETS}
    files["define.csv"] = folder / define_csv.name
    files["define.json"] = folder / define_json.name
    # Each file is read once for its checksum (ADRS's .xpt is hundreds of MB at scale).
    checksums = {name: _sha256(path) for name, path in files.items()}

    summary = pd.DataFrame(
        [
            {
                "file": files[name].name,
                "dataset": name.upper(),
                "label": labels[name],
                "rows": rows[name],
                "variables": len(metas[name]),
                "sha256": checksums[name],
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
        metadata[f"{stem}_sha256"] = checksums[name]
        if name in rows:
            metadata[f"{stem}_rows"] = rows[name]
    return dg.MaterializeResult(metadata=metadata)
