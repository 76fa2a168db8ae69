"""The submission package as files: read adam.*, take the labels and derivations from the dbt
manifest, check every SAS transport v5 limit, write each .xpt file whole, the define listing
and define.xml (Define-XML 2.1, with its stylesheet), read every file back with an independent
reader (pyreadstat), validate define.xml against the Define-XML 2.1 schema and run the
conformance check a reviewer's tool would (lib/export/conformance.py) before the package
replaces the previous one (submission.md). No Dagster here: defs/export/submission.py is the
asset around it."""

from __future__ import annotations

import os
import shutil
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from dagster_project.lib.export.conformance import (
    ConformanceError,
    format_finding,
    require_conformance,
)
from dagster_project.lib.export.define_xml import (
    DEFINE_XML,
    STYLESHEET,
    DataFacts,
    DefineInvalid,
    accepted_values,
    data_facts,
    dataset_definition,
    write_define_xml,
)
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
from dagster_project.lib.runtime.executors import READERS, InThisProcess, processes
from dagster_project.lib.warehouse.fingerprint import fingerprint_of, sha256_file
from dagster_project.lib.warehouse.table_frames import read_table

DATASETS = ("adsl", "adrs", "adtte", "adae", "adex", "adlb")
PACKAGE_FILES = (
    *(f"{name}.xpt" for name in DATASETS),
    "define.csv",
    "define.json",
    DEFINE_XML,
    STYLESHEET,
)
# The study a define.xml names when ADSL holds no STUDYID (an empty package).
DEFAULT_STUDY = "ISA-DEX-MM"
# Below this many ADaM rows in all, the files are read back in this process instead: each
# spawned reader starts a Python that imports pandas and pyreadstat, which costs more than
# reading a small package (bench/results.md).
READER_PROCESSES_FROM_ROWS = 100_000


def _readers(con) -> ProcessPoolExecutor | InThisProcess:
    """Two spawned reader processes for a large package, this process for a small one."""
    rows = sum(con.execute(f"select count(*) from adam.{n}").fetchone()[0] for n in DATASETS)
    return processes(READERS if rows >= READER_PROCESSES_FROM_ROWS else 1)


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


class PackageRefused(Exception):
    """The package was not written: SAS transport v5 violations (every one of every dataset,
    so the dbt metadata is fixed in one pass), files that do not read back as written, or a
    define.xml that is not valid Define-XML 2.1."""

    def __init__(self, description: str, violations: list[str] | None = None) -> None:
        super().__init__(description)
        self.violations = violations or []


@dataclass(frozen=True)
class Package:
    """What was written: the folder, each file, and per dataset its label, rows and variables."""

    folder: Path
    files: dict[str, Path]
    labels: dict[str, str]
    rows: dict[str, int]
    variables: dict[str, int] = field(default_factory=dict)
    # lib/export/conformance.py's warnings (e.g. a codelist term no record uses)
    conformance_warnings: list[str] = field(default_factory=list)


def package_version(folder: Path) -> str:
    """The package's content fingerprint: the SHA-256 of each of its files."""
    return fingerprint_of({name: sha256_file(folder / name) for name in PACKAGE_FILES})


def _study(facts: dict[str, DataFacts]) -> str:
    """The study define.xml describes: ADSL's STUDYID (one value, a dbt test), else
    DEFAULT_STUDY."""
    studies = sorted(facts["adsl"].codes.get("STUDYID", set()))
    return studies[0] if studies else DEFAULT_STUDY


def write_package(con: duckdb.DuckDBPyConnection, manifest: dict, folder: Path) -> Package:
    """Write the package into ``folder`` whole, or nothing (raises PackageRefused): written
    beside it and swapped in once every file read back as written."""
    labels = {name: dataset_label(manifest, name) for name in DATASETS}
    # The package is written beside and swapped in whole: a refused export leaves the previous
    # package (or none) and names every violation of every dataset at once, so the dbt
    # metadata is fixed in one pass. One dataset is read at a time (ADRS has ~2.3 million rows
    # at 100,000 subjects), its text columns as Categorical.
    staging = folder.with_name("submission.partial")
    shutil.rmtree(staging, ignore_errors=True)
    metas: dict[str, list] = {}
    facts: dict[str, DataFacts] = {}
    rows: dict[str, int] = {}
    violations: list[str] = []
    # Reading a file back (pyreadstat parses every value) costs about twice what writing it
    # does, so it runs beside the writing: each file, once written, is read back in chunks of
    # READ_BACK_CHUNK_ROWS rows by two reader processes (a thread would share the GIL), and the
    # export waits for all of them at the end. A small package is read back here, file by file.
    checks: list[_ReadBack] = []
    with _readers(con) as reader:
        for name in DATASETS:
            frame = read_table(con, f"adam.{name}", text_as_category=True)
            rows[name] = len(frame)
            metas[name] = variable_metadata(manifest, name, frame)
            # What define.xml needs of the data, taken now: the frame is dropped once written.
            facts[name] = data_facts(frame, metas[name], list(accepted_values(manifest, name)))
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
                for start, stop, to_end in read_back_plan(
                    len(written), READ_BACK_CHUNK_ROWS, metas[name]
                )
            ]  # fmt: skip
            checks.append(_ReadBack(path, name.upper(), metas[name], rows[name], header, chunks))
            del written
        if violations:
            reader.shutdown(cancel_futures=True)
            checks = []
        failures = _read_back_failures(checks)
    if failures:
        shutil.rmtree(staging, ignore_errors=True)
        raise PackageRefused("\n".join(failures))
    if violations:
        shutil.rmtree(staging, ignore_errors=True)
        raise PackageRefused(
            f"{len(violations)} SAS transport v5 violation(s); nothing written:\n"
            + "\n".join(f"- {v}" for v in violations),
            violations,
        )
    define_csv, define_json = write_define(metas, staging, labels)
    try:
        define_xml, stylesheet = write_define_xml(
            [
                dataset_definition(manifest, name, labels[name], metas[name], facts[name])
                for name in DATASETS
            ],
            staging,
            study=_study(facts),
        )
    except (DefineInvalid, ValueError) as invalid:
        shutil.rmtree(staging, ignore_errors=True)
        errors = invalid.errors if isinstance(invalid, DefineInvalid) else [str(invalid)]
        raise PackageRefused(str(invalid), errors) from None
    # The package as a reviewer's tool reads it (define.xml and the files, nothing of ours):
    # an error refuses publication, warnings travel with the package.
    try:
        warnings = require_conformance(staging)
    except ConformanceError as nonconformant:
        shutil.rmtree(staging, ignore_errors=True)
        raise PackageRefused(
            str(nonconformant), [format_finding(f) for f in nonconformant.findings]
        ) from None
    shutil.rmtree(folder, ignore_errors=True)
    os.replace(staging, folder)
    files = {name: folder / f"{name}.xpt" for name in DATASETS}
    files["define.csv"] = folder / define_csv.name
    files["define.json"] = folder / define_json.name
    files[DEFINE_XML] = folder / define_xml.name
    files[STYLESHEET] = folder / stylesheet.name
    return Package(
        folder=folder,
        files=files,
        labels=labels,
        rows=rows,
        variables={name: len(metas[name]) for name in DATASETS},
        conformance_warnings=[format_finding(f) for f in warnings],
    )
