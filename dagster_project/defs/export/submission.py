"""The submission export: read adam.*, take the labels and derivations from the dbt manifest,
check every SAS transport v5 limit, write the .xpt files and the define listing."""

import json
import multiprocessing
import os
import shutil
import sys
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import dagster as dg
import numpy as np
import pandas as pd
import pyreadstat

from dagster_project.defs.resources import Warehouse
from dagster_project.defs.warehouse.project import dbt_project
from dagster_project.lib import export, table_frames
from dagster_project.lib.export import verified_rows
from dagster_project.lib.export.transport_v5 import observations_offset
from dagster_project.lib.export.xpt import (
    READ_BACK_CHUNK_ROWS,
    V5Violation,
    VariableMeta,
    check_v5,
    dataset_label,
    read_back_findings,
    read_back_header,
    read_back_piece,
    variable_metadata,
    write_define,
    write_xpt_mapped,
)
from dagster_project.lib.fingerprint import fingerprint_of, table_fingerprint
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
# reading a small package (60 subjects, the export materialized on its own: 5.2-5.4 s with
# the readers, 1.2-1.4 s without).
READER_PROCESSES_FROM_ROWS = 100_000
# What the files of the package were made from: <report>/.state/submission.json (not in the
# package folder, which holds the submission only).
STATE_FILE = Path(".state") / "submission.json"
# The run digests of the rows each file's read-back checked (lib.export.verified_rows).
VERIFIED_ROWS_DIR = Path(".state") / "verified_rows"
# The bytes of a file depend on the rows, the dbt metadata and this code (this module too).
EXPORT_CODE = source_version(export, table_frames, sys.modules[__name__])


def _dataset_fingerprint(con, manifest: dict, name: str, label: str) -> str:
    """What the dataset's .xpt bytes are made of: the table's content fingerprint, the
    variable metadata the manifest gives (names, labels, types, order), the dataset label and
    the export code. The lengths of text variables follow from the content."""
    return fingerprint_of(
        {
            "table": table_fingerprint(con, f"adam.{name}"),
            "variables": [asdict(m) for m in variable_metadata(manifest, name)],
            "label": label,
            "code": EXPORT_CODE,
        }
    )


def _reusable(folder: Path, state: dict, name: str, fingerprint: str) -> dict | None:
    """The previous package's entry for ``name`` when it was made from the same fingerprint
    and its file is still the one written then (same SHA-256); else None."""
    entry = state.get(name)
    path = folder / f"{name}.xpt"
    if not entry or entry.get("fingerprint") != fingerprint or not path.is_file():
        return None
    return entry if sha256_file(path) == entry.get("sha256") else None


def _load_state(path: Path) -> dict:
    try:
        return json.loads(path.read_text())["datasets"]
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def _link_or_copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)  # the old folder is removed after the swap; the inode stays
    except OSError:
        shutil.copy2(source, target)


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
    # Rows an earlier read-back checked (same values, same bytes): not read again.
    rows_not_read: int = 0

    def findings(self) -> list[str]:
        found, comparable = self.header.result()
        chunks = [chunk.result() for chunk in self.chunks]
        if comparable:
            found += read_back_findings(
                self.dataset, self.metas, self.rows, chunks, self.rows_not_read
            )
        return found


def _runs_to_check(
    path: Path, written: pd.DataFrame, metas: list[VariableMeta]
) -> tuple[np.ndarray, np.ndarray]:
    """Where each subject's run of rows starts in the written file, and each run's digest (its
    values as written and its bytes in the file, ``verified_rows``)."""
    width = sum(m.length for m in metas)
    if len(written):
        rows = np.memmap(
            path, np.uint8, "r", offset=observations_offset(len(metas)), shape=(len(written), width)
        )
    else:
        rows = np.zeros((0, width), dtype=np.uint8)
    starts = verified_rows.subject_runs(written["USUBJID"])
    digests = verified_rows.run_digests(verified_rows.row_keys(written, rows), starts)
    del rows
    return starts, digests


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
    variable with label, type, length, format, origin and derivation. A dataset whose rows,
    metadata and export code are those of the previous package keeps its file."""
    manifest = json.loads(Path(dbt_project.manifest_path).read_text())
    labels = {name: dataset_label(manifest, name) for name in DATASETS}
    folder = warehouse.settings.report_path / "submission"
    # The package is written beside and swapped in whole: a refused export leaves the previous
    # package (or none) and names every violation of every dataset at once, so the dbt
    # metadata is fixed in one pass. One dataset is read at a time (ADRS has ~2.3 million rows
    # at 100,000 subjects), its text columns as Categorical.
    staging = folder.with_name("submission.partial")
    shutil.rmtree(staging, ignore_errors=True)
    state_path = folder.parent / STATE_FILE
    verified_dir = folder.parent / VERIFIED_ROWS_DIR
    previous = _load_state(state_path)
    metas: dict[str, list] = {}
    rows: dict[str, int] = {}
    fingerprints: dict[str, str] = {}
    reused: list[str] = []
    violations: list[str] = []
    # Per rewritten dataset: its layout key and run digests, recorded once it reads back whole;
    # and how many of its rows an earlier read-back had checked.
    runs: dict[str, tuple[str, np.ndarray]] = {}
    not_read: dict[str, int] = {}
    # Reading a file back (pyreadstat parses every value) costs about twice what writing it
    # does, so it runs beside the writing: each file, once written, is read back in chunks of
    # READ_BACK_CHUNK_ROWS rows by two reader processes (a thread would share the GIL), and the
    # export waits for all of them at the end. The frames as written stay in memory until then:
    # their text columns are Categorical (a code per row), ~300 MB for all five at 100,000
    # subjects. A small package is read back here, file by file (READER_PROCESSES_FROM_ROWS).
    checks: list[_ReadBack] = []
    with warehouse.connect(read_only=True) as con, _readers(con) as reader:
        for name in DATASETS:
            # A new transfer of one site rebuilds every ADaM table, and most come out the same:
            # an unchanged dataset keeps the file written (and read back) for the last package.
            fingerprints[name] = _dataset_fingerprint(con, manifest, name, labels[name])
            entry = _reusable(folder, previous, name, fingerprints[name])
            if entry is not None:
                _link_or_copy(folder / f"{name}.xpt", staging / f"{name}.xpt")
                metas[name] = [VariableMeta(**m) for m in entry["variables"]]
                rows[name] = entry["rows"]
                reused.append(name)
                continue
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
            # Our own writer made these bytes: an independent reader (pyreadstat) checks them,
            # all but the subjects whose rows (values and bytes) it checked in an earlier file.
            layout = verified_rows.layout_key(
                [asdict(m) for m in metas[name]], EXPORT_CODE, pyreadstat.__version__
            )
            starts, digests = _runs_to_check(path, written, metas[name])
            runs[name] = (layout, digests)
            ranges = verified_rows.unverified_ranges(
                digests, starts, len(written), verified_rows.load_known(verified_dir, name, layout)
            )
            plan = verified_rows.read_back_plan_of(
                ranges, len(written), READ_BACK_CHUNK_ROWS, verified_rows.MERGE_GAP
            )
            not_read[name] = len(written) - sum(stop - start for start, stop, _ in plan)
            header = reader.submit(read_back_header, path, metas[name], name.upper(), labels[name])
            chunks = [
                reader.submit(
                    read_back_piece, path, metas[name], start, written.iloc[start:stop], to_end
                )
                for start, stop, to_end in plan
            ]
            checks.append(
                _ReadBack(
                    path, name.upper(), metas[name], len(written), header, chunks, not_read[name]
                )
            )
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
    # Each file is read once for its checksum (ADRS's .xpt is hundreds of MB at scale); a kept
    # file's was checked against the record before it was kept.
    checksums = {
        name: previous[name]["sha256"] if name in reused else sha256_file(path)
        for name, path in files.items()
    }
    state = {
        name: {
            "fingerprint": fingerprints[name],
            "sha256": checksums[name],
            "rows": rows[name],
            "variables": [asdict(m) for m in metas[name]],
        }
        for name in DATASETS
    }
    state_path.parent.mkdir(parents=True, exist_ok=True)
    state_path.write_text(json.dumps({"datasets": state}, indent=1) + "\n")
    for name, (layout, digests) in runs.items():
        verified_rows.save_known(verified_dir, name, layout, digests)

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
        # Files kept from the previous package (same fingerprint, same SHA-256).
        "reused": dg.MetadataValue.json([f"{name}.xpt" for name in reused]),
        # Rows of a rewritten file not read back again: the same values and bytes read back
        # without a difference in an earlier package.
        "rows_verified_earlier": dg.MetadataValue.json(not_read),
    }
    for name, path in files.items():
        stem = path.name.replace(".", "_")
        metadata[f"{stem}_path"] = dg.MetadataValue.path(str(path))
        metadata[f"{stem}_sha256"] = checksums[name]
        if name in rows:
            metadata[f"{stem}_rows"] = rows[name]
    return dg.MaterializeResult(metadata=metadata)
