"""The submission package as files: read adam.*, take the labels and derivations from the dbt
manifest, check every SAS transport v5 limit, write each .xpt file whole, the define listing
and define.xml (Define-XML 2.1, with its stylesheet), validate define.xml against the
Define-XML 2.1 schema, and read every file back in the conformance check a reviewer's tool
would run (lib/export/conformance.py: a reader that knows nothing of our writer) before the
package replaces the previous one (submission.md). No Dagster here: defs/export/submission.py is the
asset around it.

Each file is read once: the conformance check's reader hands every file it reads to
``_ReadBack.compare``, which checks its header against what was written and its values
against the digests taken while writing (lib/export/value_digest.py). Only a file that
differs is compared value by value, to name the first differing row."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from dagster_project.lib.export.conformance import (
    ConformanceError,
    XptData,
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
from dagster_project.lib.export.value_digest import column_digests
from dagster_project.lib.export.xpt import (
    V5Violation,
    VariableMeta,
    check_v5,
    dataset_label,
    read_back_header,
    read_back_mismatches,
    variable_metadata,
    write_define,
    write_xpt_mapped,
)
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


@dataclass
class _Written:
    """One file as written: its metadata, its rows and the digest of each variable's values."""

    name: str
    path: Path
    label: str
    metas: list[VariableMeta]
    rows: int
    digests: dict[str, str]
    # set by _ReadBack.compare: the header's differences (None: the file was not read), the
    # rows read and the digests of the values read
    header_found: list[str] | None = None
    rows_read: int | None = None
    read_digests: dict[str, str] = field(default_factory=dict)

    @property
    def values_differ(self) -> bool:
        return self.rows_read is not None and (
            self.rows_read != self.rows or self.read_digests != self.digests
        )


class _ReadBack:
    """Every written file against what the conformance check's reader read of it."""

    def __init__(self, written: dict[str, _Written]) -> None:
        self.written = written

    def compare(self, path: Path, data: XptData) -> None:
        """``check_package``'s ``on_read``: the header read against the metadata written, the
        values against the digests taken when writing (their rows when the count differs)."""
        file = self.written.get(path.name)
        if file is None:  # a file the export did not write: the conformance check names it
            return
        found, comparable = read_back_header(path, file.metas, file.name.upper(), file.label)
        file.header_found = found
        if comparable:
            file.rows_read = len(data.frame)
            if file.rows_read == file.rows:
                file.read_digests = column_digests(data.frame, _numeric(file.metas))

    def failures(self, con: duckdb.DuckDBPyConnection) -> list[str]:
        """One entry per file that does not read back as written, naming every difference:
        a file whose values differ is compared value by value with adam.<name> as written."""
        failures = []
        for file in self.written.values():
            if file.header_found is None:
                found = ["not read back: define.xml does not describe it"]
            elif file.values_differ:
                frame = read_table(con, f"adam.{file.name}", text_as_category=True)
                found = read_back_mismatches(
                    file.path, frame, file.metas, file.name.upper(), file.label
                ) or [f"values differ from those written: {_differing(file)}"]
            else:
                found = file.header_found
            if found:
                failures.append(
                    f"{file.path.name} does not read back as written:\n"
                    + "\n".join(f"- {m}" for m in found)
                )
        return failures


def _numeric(metas: list[VariableMeta]) -> dict[str, bool]:
    return {m.name: m.type != "Char" for m in metas}


def _differing(file: _Written) -> str:
    """The variables whose values, read back, have another digest than those written."""
    if file.rows_read != file.rows:
        return f"{file.rows_read} rows, expected {file.rows}"
    return ", ".join(n for n, d in file.digests.items() if file.read_digests.get(n) != d)


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
    beside it and swapped in once every file read back as written and the package conforms."""
    labels = {name: dataset_label(manifest, name) for name in DATASETS}
    # The package is written beside and swapped in whole: a refused export leaves the previous
    # package (or none) and names every violation of every dataset at once, so the dbt
    # metadata is fixed in one pass. One dataset is held at a time (ADLB and ADEX have
    # millions of rows at 100,000 subjects), its text columns as Categorical.
    staging = folder.with_name("submission.partial")
    shutil.rmtree(staging, ignore_errors=True)
    metas: dict[str, list] = {}
    facts: dict[str, DataFacts] = {}
    written: dict[str, _Written] = {}
    violations: list[str] = []
    for name in DATASETS:
        frame = read_table(con, f"adam.{name}", text_as_category=True)
        metas[name] = variable_metadata(manifest, name, frame)
        # What define.xml needs of the data, taken now: the frame is dropped once written.
        facts[name] = data_facts(frame, metas[name], list(accepted_values(manifest, name)))
        if violations:  # already refused: only keep listing what else is wrong
            violations += check_v5(frame, metas[name], labels[name], name.upper())
            continue
        try:
            path, as_written = write_xpt_mapped(
                frame, staging / f"{name}.xpt", metas[name], name.upper(), labels[name]
            )
        except V5Violation as refused:
            violations += refused.violations
            continue
        written[path.name] = _Written(
            name, path, labels[name], metas[name], len(frame),
            column_digests(as_written, _numeric(metas[name])),
        )  # fmt: skip
        del frame, as_written
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
    # an error refuses publication, warnings travel with the package. The same read checks
    # that every file holds what was written (our own writer made its bytes).
    read_back = _ReadBack(written)
    nonconformant: ConformanceError | None = None
    try:
        warnings = require_conformance(staging, on_read=read_back.compare)
    except ConformanceError as refused:
        nonconformant = refused
    failures = read_back.failures(con)
    if failures:
        shutil.rmtree(staging, ignore_errors=True)
        raise PackageRefused("\n".join(failures))
    if nonconformant is not None:
        shutil.rmtree(staging, ignore_errors=True)
        raise PackageRefused(
            str(nonconformant), [format_finding(f) for f in nonconformant.findings]
        )
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
        rows={file.name: file.rows for file in written.values()},
        variables={name: len(metas[name]) for name in DATASETS},
        conformance_warnings=[format_finding(f) for f in warnings],
    )
