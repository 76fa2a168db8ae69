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
from dagster_project.lib.export import patch, verified_rows
from dagster_project.lib.export.transport_v5 import Field, observations_offset
from dagster_project.lib.export.xpt import (
    READ_BACK_CHUNK_ROWS,
    V5Violation,
    VariableMeta,
    check_v5,
    checked_transport,
    dataset_label,
    read_back_findings,
    read_back_gathered,
    read_back_header,
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
# Per dataset, its file's subjects and their row digests (lib.export.patch).
SUBJECT_RUNS_DIR = Path(".state") / "subject_runs"
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


def _expected_rows(
    written: pd.DataFrame, frame_row: np.ndarray, ranges: list[tuple[int, int]]
) -> pd.DataFrame:
    """The rows of the file's ``ranges`` as written, end to end: their rows in ``written``,
    which must all be there."""
    rows = np.concatenate([frame_row[start:stop] for start, stop in ranges] or [frame_row[:0]])
    if (rows < 0).any():
        raise RuntimeError(f"rows {ranges[0][0]}:{ranges[-1][1]} of the file are not all encoded")
    if len(rows) and (np.diff(rows) == 1).all():
        return written.iloc[rows[0] : rows[-1] + 1]
    return written.iloc[rows]


def _batches(plan: list[tuple[int, int, bool]], rows: int) -> list[list[tuple[int, int, bool]]]:
    """The read-back plan's chunks in groups of about ``rows`` rows, each read in one call."""
    batches: list[list[tuple[int, int, bool]]] = []
    size = rows
    for chunk in plan:
        if size >= rows:
            batches.append([])
            size = 0
        batches[-1].append(chunk)
        size += chunk[1] - chunk[0]
    return batches


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


@dataclass
class _Patched:
    """A file made from the previous one (``lib.export.patch``): what the read-back needs."""

    path: Path
    metas: list
    runs: patch.SubjectRuns  # the new file's subjects, ``verified`` filled in
    written: pd.DataFrame  # the encoded subjects' rows as written, end to end
    frame_row: np.ndarray  # per row of the file: its row in ``written`` (-1: kept bytes)
    subjects_encoded: int


def _patched(
    con, manifest: dict, name: str, label: str, folder: Path, entry: dict | None,
    known_dir: Path, runs_dir: Path, new: patch.SubjectRuns | None, staging: Path,
) -> _Patched | None:  # fmt: skip
    """The dataset's file made from the previous package's (``lib.export.patch``): its kept
    subjects' bytes copied, the others read, checked and encoded. None when it cannot be (no
    previous file as recorded, another layout, rows not known as read back, too many
    changed, or an encoded row breaks a v5 limit)."""
    old_path = folder / f"{name}.xpt"
    if new is None or not entry or not old_path.is_file():
        return None
    metas = patch.char_lengths(con, f"adam.{name}", variable_metadata(manifest, name))
    if metas is None or [asdict(m) for m in metas] != entry.get("variables"):
        return None
    layout = verified_rows.layout_key(
        [asdict(m) for m in metas], EXPORT_CODE, pyreadstat.__version__
    )
    old = patch.load_runs(runs_dir, name, patch.runs_key(layout))
    if old is None or old.n_rows != entry.get("rows"):
        return None
    plan = patch.plan_patch(old, new)
    if plan.rows_to_encode > patch.MAX_CHANGED_SHARE * new.n_rows:
        return None
    kept = plan.source[~plan.encoded]
    if not np.isin(old.verified[kept], verified_rows.load_known(known_dir, name, layout)).all():
        return None  # a kept subject's rows never read back: the read-back needs their values
    if sha256_file(old_path) != entry.get("sha256"):
        return None
    # The encoded subjects' rows, in the table's order, copied once into a temporary table:
    # reading each column through the filter cost a join per column (3 s for three datasets).
    con.register("_encoded_subjects", pd.DataFrame({"USUBJID": new.usubjid[plan.encoded]}))
    try:
        con.execute(
            f"create or replace temp table _encoded_rows as select * from adam.{name} "
            "where USUBJID in (select USUBJID from _encoded_subjects) order by rowid"
        )
        frame = read_table(con, "_encoded_rows", text_as_category=True)
    finally:
        con.execute("drop table if exists _encoded_rows")
        con.unregister("_encoded_subjects")
    if len(frame) != plan.rows_to_encode:
        return None  # changed between the two reads; the full write reads it once
    found, mapped = checked_transport(frame, metas, label, name.upper(), some_rows=True)
    if found:
        return None  # written in full, which names each violation at its row in the dataset
    written = pd.DataFrame({m.name: mapped[m.name] for m in metas})
    fields = [Field(m.name, m.label, m.type == "Char", m.length, m.format) for m in metas]
    encoded = patch.encoded_rows(written, fields)
    path = patch.write_patched(
        old_path, old, plan, encoded, fields, staging / f"{name}.xpt", name.upper(), label
    )
    # Run digests: a kept subject's from the record, an encoded one's from its rows.
    lengths = new.rows[plan.encoded]
    starts = (np.cumsum(lengths) - lengths).astype(np.int64)
    verified = np.empty(len(new.rows), dtype=np.uint64)
    verified[~plan.encoded] = old.verified[kept]
    verified[plan.encoded] = verified_rows.run_digests(
        verified_rows.row_keys(written, encoded), starts
    )
    frame_row = np.full(new.n_rows, -1, dtype=np.int64)
    frame_row[np.repeat(plan.encoded, new.rows)] = np.arange(len(written))
    runs = patch.SubjectRuns(new.usubjid, new.rows, new.content, verified)
    return _Patched(path, metas, runs, written, frame_row, int(plan.encoded.sum()))


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
    folder = warehouse.settings.work_report / "submission"
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
    # Per dataset: its file's subjects and their digests, recorded once it reads back whole;
    # per file made from the previous one, how many subjects were encoded again.
    subject_runs: dict[str, tuple[str, patch.SubjectRuns]] = {}
    encoded: dict[str, int] = {}
    runs_dir = folder.parent / SUBJECT_RUNS_DIR
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
            subjects = patch.subject_digests(con, f"adam.{name}")
            made = None
            if not violations:
                made = _patched(
                    con, manifest, name, labels[name], folder, previous.get(name),
                    verified_dir, runs_dir, subjects, staging,
                )  # fmt: skip
            if made is not None:
                # Made from the previous file: only the encoded subjects' rows are in memory.
                path, written, metas[name] = made.path, made.written, made.metas
                rows[name] = made.runs.n_rows
                encoded[name] = made.subjects_encoded
                starts, digests = made.runs.starts, made.runs.verified
                recorded = made.runs
                frame_row = made.frame_row
                merge_gap = 0  # a merged gap would read kept rows, whose values are not here
            else:
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
                starts, digests = _runs_to_check(path, written, metas[name])
                recorded = None
                if subjects is not None and np.array_equal(
                    np.diff(np.append(starts, len(written))), subjects.rows
                ):
                    recorded = patch.SubjectRuns(
                        subjects.usubjid, subjects.rows, subjects.content, digests
                    )
                frame_row = np.arange(len(written))
                merge_gap = verified_rows.MERGE_GAP
            # Our own writer made these bytes: an independent reader (pyreadstat) checks them,
            # all but the subjects whose rows (values and bytes) it checked in an earlier file.
            layout = verified_rows.layout_key(
                [asdict(m) for m in metas[name]], EXPORT_CODE, pyreadstat.__version__
            )
            runs[name] = (layout, digests)
            if recorded is not None:
                subject_runs[name] = (patch.runs_key(layout), recorded)
            ranges = verified_rows.unverified_ranges(
                digests, starts, rows[name], verified_rows.load_known(verified_dir, name, layout)
            )
            plan = verified_rows.read_back_plan_of(
                ranges, rows[name], READ_BACK_CHUNK_ROWS, merge_gap
            )
            not_read[name] = rows[name] - sum(stop - start for start, stop, _ in plan)
            header = reader.submit(read_back_header, path, metas[name], name.upper(), labels[name])
            # A patched file's changed subjects are many small ranges: read in batches.
            chunks = [
                reader.submit(
                    read_back_gathered,
                    path,
                    metas[name],
                    [(start, stop) for start, stop, _ in batch],
                    _expected_rows(written, frame_row, [(start, stop) for start, stop, _ in batch]),
                    batch[-1][2],
                )
                for batch in _batches(plan, READ_BACK_CHUNK_ROWS)
            ]
            checks.append(
                _ReadBack(
                    path, name.upper(), metas[name], rows[name], header, chunks, not_read[name]
                )
            )
            del written, frame_row
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
    for name, (key, subjects) in subject_runs.items():
        patch.save_runs(runs_dir, name, key, subjects)

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
        # Files made from the previous one: the subjects whose rows changed, encoded again
        # (the others' bytes kept, lib.export.patch).
        "subjects_encoded": dg.MetadataValue.json(encoded),
    }
    for name, path in files.items():
        stem = path.name.replace(".", "_")
        metadata[f"{stem}_path"] = dg.MetadataValue.path(str(path))
        metadata[f"{stem}_sha256"] = checksums[name]
        if name in rows:
            metadata[f"{stem}_rows"] = rows[name]
    return dg.MaterializeResult(metadata=metadata)
