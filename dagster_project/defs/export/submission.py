"""The submission export: read adam.*, take the labels and derivations from the dbt manifest,
check every SAS transport v5 limit, write the .xpt files whole and the define listing, and
read every file back with an independent reader (pyreadstat) before it is kept."""

import json
import multiprocessing
import os
import shutil
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import pandas as pd

from dagster_project.defs.resources import Warehouse
from dagster_project.defs.warehouse.project import dbt_project
from dagster_project.lib import export, table_frames
from dagster_project.lib.export.xpt import (
    READ_BACK_CHUNK_ROWS,
    V5Violation,
    check_v5,
    dataset_label,
    read_back_findings,
    read_back_header,
    read_back_piece,
    read_back_plan,
    variable_metadata,
    write_define,
    write_xpt_mapped,
)
from dagster_project.lib.provenance import source_version
from dagster_project.lib.table_frames import read_table
from dagster_project.lib.transfer_writer import sha256_file

OWNERS = ["team:biostatistics"]
KINDS = {"sas", "python"}
GROUP = "export"
DATASETS = ("adsl", "adrs", "adtte", "adae", "adex")
# Processes reading the written files back; with the writer, one per core on the 2-core
# machine the benchmark runs on is the measured best (see README, Performance).
READERS = 2
# Below this many ADaM rows in all, the files are read back in this process instead: each
# spawned reader starts a Python that imports pandas and pyreadstat, which costs more than
# reading a small package (bench/results.md).
READER_PROCESSES_FROM_ROWS = 100_000


class _InThisProcess:
    """What the read-back needs of an executor (submit, shutdown, a context), each call run
    at once in this process."""

    def __enter__(self) -> "_InThisProcess":
        return self

    def __exit__(self, *exc) -> None:
        return None

    def submit(self, fn, *args, **kwargs) -> Future:
        done: Future = Future()
        try:
            done.set_result(fn(*args, **kwargs))
        except Exception as exc:  # handed to .result(), as a pool's future would
            done.set_exception(exc)
        return done

    def shutdown(self, **kwargs) -> None:
        return None


def _readers(con) -> ProcessPoolExecutor | _InThisProcess:
    """Two spawned reader processes for a large package, this process for a small one."""
    rows = sum(con.execute(f"select count(*) from adam.{n}").fetchone()[0] for n in DATASETS)
    if rows < READER_PROCESSES_FROM_ROWS:
        return _InThisProcess()
    return ProcessPoolExecutor(READERS, mp_context=multiprocessing.get_context("spawn"))


@dataclass
class _ReadBack:
    """The pending read-back of one written file: its header and its row chunks."""

    path: Path
    dataset: str
    metas: list
    rows: int
    header: Future
    chunks: list[Future]

    def findings(self) -> list[str]:
        found, comparable = self.header.result()
        chunks = [chunk.result() for chunk in self.chunks]
        if comparable:
            found += read_back_findings(self.dataset, self.metas, self.rows, chunks)
        return found


def _read_back_failures(checks: list[_ReadBack]) -> list[str]:
    """One entry per file that does not read back as written, naming every difference."""
    failures = []
    for check in checks:
        found = check.findings()
        if found:
            failures.append(
                f"{check.path.name} does not read back as written:\n"
                + "\n".join(f"- {m}" for m in found)
            )
    return failures


@dg.asset(
    code_version=source_version(export, table_frames),
    key=["export", "adam_xpt"],
    deps=[dg.AssetKey(["adam", name]) for name in DATASETS],
    group_name=GROUP,
    owners=OWNERS,
    kinds=KINDS,
)
def adam_xpt(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
    """The submission package: one SAS transport v5 file per ADaM dataset (adsl.xpt ...
    adex.xpt, dataset and variable labels) and define.csv / define.json, one row per dataset x
    variable with label, type, length, format, origin and derivation. Every file is written
    whole and read back whole before the package replaces the previous one."""
    manifest = json.loads(Path(dbt_project.manifest_path).read_text())
    labels = {name: dataset_label(manifest, name) for name in DATASETS}
    folder = warehouse.settings.work_report / "submission"
    # The package is written beside and swapped in whole: a refused export leaves the previous
    # package (or none) and names every violation of every dataset at once, so the dbt
    # metadata is fixed in one pass. One dataset is read at a time (ADRS has ~2.3 million rows
    # at 100,000 subjects), its text columns as Categorical.
    staging = folder.with_name("submission.partial")
    shutil.rmtree(staging, ignore_errors=True)
    metas: dict[str, list] = {}
    rows: dict[str, int] = {}
    violations: list[str] = []
    # Reading a file back (pyreadstat parses every value) costs about twice what writing it
    # does, so it runs beside the writing: each file, once written, is read back in chunks of
    # READ_BACK_CHUNK_ROWS rows by two reader processes (a thread would share the GIL), and the
    # export waits for all of them at the end. A small package is read back here, file by file.
    checks: list[_ReadBack] = []
    with warehouse.connect(read_only=True) as con, _readers(con) as reader:
        for name in DATASETS:
            frame = read_table(con, f"adam.{name}", text_as_category=True)
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
            # Our own writer made these bytes: an independent reader (pyreadstat) checks them.
            header = reader.submit(read_back_header, path, metas[name], name.upper(), labels[name])
            chunks = [
                reader.submit(read_back_piece, path, metas[name], start,
                              written.iloc[start:stop], to_end)
                for start, stop, to_end in read_back_plan(len(written), READ_BACK_CHUNK_ROWS)
            ]  # fmt: skip
            checks.append(_ReadBack(path, name.upper(), metas[name], rows[name], header, chunks))
            del written
        if violations:
            reader.shutdown(cancel_futures=True)
            checks = []
        failures = _read_back_failures(checks)
    if failures:
        shutil.rmtree(staging, ignore_errors=True)
        raise dg.Failure(description="\n".join(failures))
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
    checksums = {name: sha256_file(path) for name, path in files.items()}

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
