"""Conformance of a published submission package: the checks a reviewer's tool runs on it.

Usage. ``check_package(folder)`` reads ``folder/define.xml`` (Define-XML 2.1) and every
``*.xpt`` file beside it and returns every ``Finding`` (dataset, variable, rule, message,
severity ``error`` or ``warning``). ``require_conformance(folder)`` is what the package writer
calls on the staged folder before publishing: it raises ``ConformanceError`` listing every
error finding, one line each naming dataset, variable and rule, and otherwise returns the
warnings for the run summary::

    from dagster_project.lib.export.conformance import require_conformance
    warnings = require_conformance(staging_dir)  # raises ConformanceError on any error

``format_finding`` gives the one-line form (``ADSL.SEX [CODELIST-VALUE-NOT-IN-LIST] ...``).
``on_read`` (both functions) is called with each file and what was read of it: the export
checks there that the file holds what it wrote, so each file is parsed once.

This is an independent reader of what was published, in the manner of Pinnacle 21: it knows
nothing of the dbt manifest or of our writer, only the Define-XML 2.1 standard (read by
``define_reader``, standard library XML) and the transport files (SAS TS-140: the header as
pyreadstat reads it, the rows as ``xpt_rows.decode_rows`` reads them, dates left as numbers).
A dataset is the file its ItemGroupDef's ``def:leaf`` names (``<name>.xpt`` without one).

Reading (``read_xpt``, ``start_reading``): a check such as key uniqueness needs a dataset's
every row, so each file is held whole, but compactly: text as Categorical (a code per row,
each distinct value once), numbers as float64. It is read READ_CHUNK_ROWS rows at a time,
with numpy over the rows' bytes (``xpt_rows.decode_rows``). pyreadstat, which parses a value
at a time, reads the first and the last SPOT_ROWS rows of every file too, and the two must
agree (values and number of rows), so a reader that is not ours vouches for every file. A
package of READER_PROCESSES_FROM_BYTES or more is read by READERS spawned processes, the next
file's slices while this one is checked. Every rule looks at text once per distinct value,
never once per row.

Rules (severity error unless said otherwise):

- ADAM-CLASS: the ItemGroupDef has no ``def:Class``, or one that is not an ADaM class.
- ADAM-REQ-VAR: a required variable of the dataset's class is not in the transport file
  (lists below).
- DATASET-NOT-IN-DEFINE / DATASET-NOT-IN-DATA: a transport file without an ItemGroupDef, an
  ItemGroupDef without its file. VARIABLE-NOT-IN-DEFINE / VARIABLE-NOT-IN-DATA: the same for
  a dataset's variables (ItemRefs).
- NAME-LENGTH, NAME-CHARS: dataset and variable names at most 8 bytes, an upper-case letter
  then upper-case letters, digits or underscores (ADaMIG 1.3 naming conventions).
- LABEL-LENGTH: a dataset or variable label over 40 bytes (in define.xml or the file).
  LABEL-MATCH: the file's label differs from define.xml's Description (not reported when the
  file holds define.xml's over-long label cut at 40 bytes, which is LABEL-LENGTH's defect).
- TYPE-MATCH: define.xml DataType integer/float is a numeric variable in the file, any other
  DataType (text, and the ISO 8601 date/time types) a character one.
- FORMAT-MATCH: the file's format differs from define.xml's ``def:DisplayFormat``.
- LENGTH-EXCEEDS: a character variable's stored length or longest value is over the
  ItemDef Length. LENGTH-TOO-LONG (warning): the Length is over the longest value
  (submission.md: lengths are the longest value, no padding).
- DATE-NOT-NUMERIC, DATE-NO-FORMAT: a date (name ending in DT, or a date DisplayFormat) must
  be numeric with a date format (DATE9. etc.) in the file and in define.xml.
- VARIABLE-ALL-EMPTY: no value in any row, unless define.xml says why: a ``def:CommentOID``
  on the ItemDef, or ``def:HasNoData="Yes"`` on the ItemRef (Define-XML 2.1's own mark).
- MANDATORY-MISSING: a variable whose ItemRef says Mandatory="Yes" (Define-XML 2.1: a value
  on every record) has a record without a value.
- KEY-MISSING: no ItemRef has a KeySequence. KEY-NOT-UNIQUE: two rows share the key.
- SEQ-NOT-CONSECUTIVE: ASEQ (and in an OCCDS dataset ADxx, xxSEQ) is not 1..n within
  USUBJID when the rows are in key order.
- CODELIST-VALUE-NOT-IN-LIST: a value in the data is not a term of the variable's CodeList
  (or of the value-level ItemDef's CodeList, on the rows its WhereClause selects).
  CODELIST-TERM-NOT-IN-DATA (warning: an unused term misdescribes no value, so it is
  reported without blocking publication): a term no variable using the CodeList has, over
  every dataset. External dictionaries (MedDRA) are not checked.
- VLM-PARAMCD-NOT-IN-DATA / PARAMCD-NOT-IN-VLM: where a dataset has value-level metadata on
  PARAMCD, its WhereClauses and the data's PARAMCDs name the same parameters.
- DEFINE-MISSING, DEFINE-NOT-XML: no readable define.xml.

Required variables (ADAM-REQ-VAR): the "Req" variables of ADaMIG v1.3 (ADSL, BDS), ADaM
OCCDS v1.1 and ADaM BDS for TTE v1.0, with the "Cond" ones whose condition this study meets
as submission.md fixes them: treatment variables in
every dataset (one period, so TRT01P/TRT01A), ASEQ in every BDS dataset, AESEQ in ADAE,
population flags ITTFL/SAFFL and TRTSDT/TRTEDT in ADSL:

- ADSL (SUBJECT LEVEL ANALYSIS DATASET): STUDYID USUBJID SUBJID SITEID AGE AGEU SEX RACE
  ARM ACTARM TRT01P TRT01A ITTFL SAFFL TRTSDT TRTEDT.
- BDS (BASIC DATA STRUCTURE): STUDYID USUBJID PARAMCD PARAM ASEQ TRTP TRTA, and AVAL or
  AVALC. Time-to-event (``def:SubClass`` TIME-TO-EVENT, or dataset ADTTE, or a CNSR
  variable): also AVAL CNSR STARTDT ADT.
- OCCDS (OCCURRENCE DATA STRUCTURE): STUDYID USUBJID TRTP TRTA; adverse events (ADAE, or
  ``def:SubClass`` ADVERSE EVENT): also AESEQ AETERM AEDECOD AEBODSYS.
- ADAM OTHER: none.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
from pandas.api.types import union_categoricals

from dagster_project.lib.runtime.executors import READERS, InThisProcess, processes

from .define_reader import CodeList, DatasetDef, Define, ItemDef, ItemRef, RangeCheck, read_define
from .xpt_rows import Layout, decode_rows, layout, read_rows, slice_plan, text_values

MAX_NAME_BYTES = 8
MAX_LABEL_BYTES = 40
NAME_PATTERN = re.compile(r"[A-Z][A-Z0-9_]*")
ERROR = "error"
WARNING = "warning"
# Findings listed per message before "and N more": enough to find the rows, short enough to read.
SHOWN = 5
# Rows of a transport file decoded at a time: bounds the bytes a read holds besides the
# columns it builds, whatever the dataset's size.
READ_CHUNK_ROWS = 250_000
# Rows at each end of a file read by pyreadstat too, to vouch for the numpy reader.
SPOT_ROWS = 1_000
# A package is read by READERS processes from this many bytes of .xpt in all: a spawned
# reader imports pandas and pyreadstat (~2 s).
READER_PROCESSES_FROM_BYTES = 100 << 20

ADSL_CLASS = "SUBJECT LEVEL ANALYSIS DATASET"
BDS_CLASS = "BASIC DATA STRUCTURE"
OCCDS_CLASS = "OCCURRENCE DATA STRUCTURE"
OTHER_CLASS = "ADAM OTHER"
ADAM_CLASSES = (ADSL_CLASS, BDS_CLASS, OCCDS_CLASS, OTHER_CLASS)
REQUIRED = {
    ADSL_CLASS: (
        "STUDYID", "USUBJID", "SUBJID", "SITEID", "AGE", "AGEU", "SEX", "RACE",
        "ARM", "ACTARM", "TRT01P", "TRT01A", "ITTFL", "SAFFL", "TRTSDT", "TRTEDT",
    ),
    BDS_CLASS: ("STUDYID", "USUBJID", "PARAMCD", "PARAM", "ASEQ", "TRTP", "TRTA"),
    OCCDS_CLASS: ("STUDYID", "USUBJID", "TRTP", "TRTA"),
    OTHER_CLASS: (),
}  # fmt: skip
REQUIRED_TTE = ("AVAL", "CNSR", "STARTDT", "ADT")
REQUIRED_AE = ("AESEQ", "AETERM", "AEDECOD", "AEBODSYS")
NUMERIC_DATA_TYPES = ("integer", "float")
# SAS date formats (a number of days since 1960-01-01 shown as a date); DATE9. is ours.
DATE_FORMATS = (
    "DATE", "E8601DA", "IS8601DA", "B8601DA", "YYMMDD", "YYMMDDN", "MMDDYY",
    "DDMMYY", "MONYY", "YYMON", "WEEKDATE", "WORDDATE", "NLDATE",
)  # fmt: skip
_FORMAT_NAME = re.compile(r"^([A-Z$]+?)\d*\.?\d*$")


@dataclass(frozen=True)
class Finding:
    """One thing a reviewer's tool would report; ``variable`` is '' for a dataset-level rule."""

    dataset: str
    variable: str
    rule: str
    message: str
    severity: str = ERROR


class ConformanceError(ValueError):
    """The package breaks at least one conformance rule; ``findings`` lists every error."""

    def __init__(self, findings: Sequence[Finding]):
        self.findings = list(findings)
        listing = "\n".join(f"- {format_finding(f)}" for f in self.findings)
        super().__init__(
            f"submission package: {len(self.findings)} conformance error(s), "
            f"not publishable:\n{listing}"
        )


def format_finding(finding: Finding) -> str:
    """DATASET.VARIABLE [RULE] message (DATASET [RULE] for a dataset-level finding)."""
    where = f"{finding.dataset}.{finding.variable}" if finding.variable else finding.dataset
    warning = " (warning)" if finding.severity == WARNING else ""
    return f"{where or 'package'} [{finding.rule}]{warning} {finding.message}"


def require_conformance(
    folder: str | Path, on_read: Callable[[Path, XptData], None] | None = None
) -> list[Finding]:
    """The package's warnings; raises ``ConformanceError`` listing every error finding
    (``on_read``: as for ``check_package``, called for every file before it raises)."""
    findings = check_package(folder, on_read=on_read)
    errors = [f for f in findings if f.severity == ERROR]
    if errors:
        raise ConformanceError(errors)
    return findings


# --- transport files ------------------------------------------------------------------------


@dataclass(frozen=True)
class XptData:
    """A transport file as read: values (dates as numbers) and metadata (pyreadstat's)."""

    name: str
    label: str | None
    frame: pd.DataFrame
    labels: dict[str, str | None]
    numeric: dict[str, bool]
    formats: dict[str, str | None]
    widths: dict[str, int]


def read_xpt(path: str | Path, chunk_rows: int = READ_CHUNK_ROWS) -> XptData:
    """The whole file in memory, as a check such as key uniqueness needs every row at once:
    read ``chunk_rows`` rows at a time (``read_slice``), text
    kept as Categorical with its categories sorted, so that sorting a text key sorts its
    values, numbers (dates as day numbers) as float64."""
    return start_reading(path, InThisProcess(), chunk_rows).result()


@dataclass
class _Reading:
    """A transport file being read, its slices by ``pool``: its metadata and their futures."""

    path: Path
    meta: object
    numeric: dict[str, bool]
    slices: list[Future]

    def result(self) -> XptData:
        columns = list(self.meta.column_names)
        pieces = [piece.result() for piece in self.slices]
        whole = {}
        for c in columns:  # each column's slices joined, then let go
            parts = [p.pop(c) for p in pieces]
            whole[c] = (
                np.concatenate(parts)
                if self.numeric[c]
                else union_categoricals(parts, sort_categories=True)
            )
        # copy=False: the columns as they are, not copied into one block per type
        frame = pd.DataFrame(whole, columns=columns, copy=False)
        return XptData(
            name=(self.meta.table_name or self.path.stem).upper(),
            label=self.meta.file_label,
            frame=frame,
            labels=dict(zip(columns, self.meta.column_labels, strict=True)),
            numeric=self.numeric,
            formats={c: self.meta.original_variable_types.get(c) for c in columns},
            widths={c: int(self.meta.variable_storage_width.get(c) or 0) for c in columns},
        )


def start_reading(path: str | Path, pool, chunk_rows: int = READ_CHUNK_ROWS) -> _Reading:
    """Hand the file's slices of ``chunk_rows`` rows to ``pool`` (an executor); ``.result()``
    gives the file as ``read_xpt`` does."""
    path = Path(path)
    _, meta = pyreadstat.read_xport(str(path), metadataonly=True)
    shape = layout(path, meta)  # its types agree with pyreadstat's, or it raises
    numeric = {c: not f.text for c, f in zip(shape.columns, shape.fields, strict=True)}
    slices = [
        pool.submit(read_slice, path, start, stop, to_end, shape, numeric)
        for start, stop, to_end in slice_plan(
            shape.rows_at_most, chunk_rows, text_only=not any(numeric.values())
        )
    ]
    return _Reading(path, meta, numeric, slices)


def read_slice(
    path: Path, start: int, stop: int, to_end: bool, shape: Layout, numeric: dict[str, bool]
) -> dict[str, np.ndarray | pd.Categorical]:
    """Rows ``start`` to ``stop`` of the file (to its end with ``to_end``), each number column
    as float64, each text column as Categorical: small to hand from a reader process back,
    however many rows. Read with numpy (``decode_rows``); its first rows (the file's first
    slice) and its last (the last slice) are read with pyreadstat too and must be the same,
    so an independent reader vouches for the decoding and for the number of rows."""
    rows = decode_rows(path, start, stop, to_end, shape)
    columns: dict[str, np.ndarray | pd.Categorical] = {
        column: rows[column] if numeric[column] else text_values(rows[column]) for column in numeric
    }
    n = len(next(iter(columns.values()))) if columns else 0
    if start == 0:
        _agrees_with_pyreadstat(path, shape, columns, 0, min(n, SPOT_ROWS), start)
    if to_end:
        _agrees_with_pyreadstat(path, shape, columns, max(n - SPOT_ROWS, 0), n, start, True)
    return columns


def _agrees_with_pyreadstat(
    path: Path,
    shape: Layout,
    columns: dict[str, np.ndarray | pd.Categorical],
    first: int,
    last: int,
    start: int,
    to_end: bool = False,
) -> None:
    """Raise ValueError unless pyreadstat reads rows ``first`` to ``last`` of the slice that
    starts at row ``start`` as ``columns`` holds them (with ``to_end``: and no row after)."""
    back = read_rows(path, start + first, start + last, to_end, shape)
    for column, values in columns.items():
        theirs = back[column]
        if len(theirs) != last - first:
            raise ValueError(
                f"{path.name}: pyreadstat reads {start + first + len(theirs)} rows, the numpy "
                f"reader {start + last}"
            )
        ours = np.asarray(values[first:last], dtype=object)
        for i, (a, b) in enumerate(zip(ours, theirs, strict=True)):
            if not (a == b or (_missing_number(a) and _missing_number(b))):
                raise ValueError(
                    f"{path.name}: row {start + first + i + 1}, {column}: the numpy reader "
                    f"reads {a!r}, pyreadstat {b!r}"
                )


def _missing_number(value) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))


# --- the package ----------------------------------------------------------------------------


def check_package(
    folder: str | Path,
    readers: int | None = None,
    chunk_rows: int = READ_CHUNK_ROWS,
    on_read: Callable[[Path, XptData], None] | None = None,
) -> list[Finding]:
    """Every finding on the package in ``folder`` (define.xml and its .xpt files).
    ``readers``: processes reading the files' slices of ``chunk_rows`` rows (default: READERS
    for a package of READER_PROCESSES_FROM_BYTES or more, else this process). ``on_read``:
    called with each file define.xml describes and its contents, as read, before it is
    checked: a caller that knows what was written (the export) compares it there instead of
    reading the file a second time."""
    folder = Path(folder)
    define_path = folder / "define.xml"
    if not define_path.is_file():
        return [Finding("", "", "DEFINE-MISSING", f"no define.xml in {folder}")]
    try:
        define = read_define(define_path)
    except (ET.ParseError, ValueError) as exc:
        return [Finding("", "", "DEFINE-NOT-XML", f"define.xml cannot be read: {exc}")]
    files = {p.name.lower(): p for p in sorted(folder.iterdir()) if p.suffix.lower() == ".xpt"}
    if readers is None:
        size = sum(p.stat().st_size for p in files.values())
        readers = READERS if size >= READER_PROCESSES_FROM_BYTES else 1
    findings: list[Finding] = []
    present: list[tuple[DatasetDef, Path]] = []
    for dataset in define.datasets:
        path = files.pop(dataset.file.lower(), None)
        if path is None:
            findings.append(
                Finding(
                    dataset.name,
                    "",
                    "DATASET-NOT-IN-DATA",
                    f"define.xml describes {dataset.file}, which is not in the package",
                )
            )
        else:
            present.append((dataset, path))
    # codelist OID -> the (dataset, variable) pairs that use it, and the values they hold
    users: dict[str, set[tuple[str, str]]] = defaultdict(set)
    used: dict[str, set[str]] = defaultdict(set)
    with processes(readers) as pool:
        # One file read ahead: its slices are read while this one is checked, and no more
        # than two files' rows are held at once.
        def read(i: int) -> _Reading | None:
            return start_reading(present[i][1], pool, chunk_rows) if i < len(present) else None

        reading = read(0)
        for i, (dataset, _) in enumerate(present):
            data = reading.result()
            reading = read(i + 1)
            if on_read is not None:
                on_read(present[i][1], data)
            findings += check_dataset(define, dataset, data)
            for oid, variable, values in codelist_uses(define, dataset, data):
                users[oid].add((dataset.name, variable))
                used[oid] |= values
                findings += codelist_value_findings(
                    define.codelists[oid], dataset.name, variable, values
                )
            del data
    for path in files.values():
        _, meta = pyreadstat.read_xport(str(path), metadataonly=True)
        name = (meta.table_name or path.stem).upper()
        findings.append(
            Finding(name, "", "DATASET-NOT-IN-DEFINE", f"{path.name} has no ItemGroupDef")
        )
    for oid, places in users.items():
        findings += codelist_term_findings(define.codelists[oid], places, used[oid])
    return findings


def check_dataset(define: Define, dataset: DatasetDef, data: XptData) -> list[Finding]:
    """Every finding on one dataset but its codelists (``codelist_uses`` gives those)."""
    name = dataset.name
    refs = [
        (ref, define.items[ref.item_oid])
        for ref in dataset.item_refs
        if ref.item_oid in define.items
    ]
    declared = {item.name: (ref, item) for ref, item in refs}
    columns = list(data.frame.columns)
    findings = (
        name_findings(name, data.name, declared, columns)
        + label_findings(name, "", dataset.label, data.label)
        + class_findings(dataset, columns)
    )
    for variable in columns:
        if variable not in declared:
            findings.append(
                Finding(name, variable, "VARIABLE-NOT-IN-DEFINE", "in the file, no ItemRef")
            )
    for variable, (ref, item) in declared.items():
        if variable not in data.frame.columns:
            findings.append(
                Finding(name, variable, "VARIABLE-NOT-IN-DATA", "ItemRef without a column")
            )
            continue
        findings += variable_findings(name, ref, item, data)
    ordered = in_key_order(dataset, define, data.frame)
    findings += key_findings(dataset, define, ordered)
    findings += sequence_findings(dataset, define, ordered)
    del ordered  # a few columns of every row: freed before the value-level rule reads
    findings += value_level_findings(dataset, define, data.frame)
    return findings


# --- names, labels, class -------------------------------------------------------------------


def _name_problem(name: str) -> tuple[str, str] | None:
    if len(name.encode()) > MAX_NAME_BYTES:
        return "NAME-LENGTH", f"{name!r} is {len(name.encode())} bytes; at most {MAX_NAME_BYTES}"
    if not NAME_PATTERN.fullmatch(name):
        return "NAME-CHARS", f"{name!r}: an upper-case letter, then A-Z, 0-9 or _ only"
    return None


def name_findings(
    dataset: str, file_name: str, declared: Iterable[str], columns: Iterable[str]
) -> list[Finding]:
    findings = []
    for variable, name in [("", dataset), ("", file_name)] + [
        (v, v) for v in dict.fromkeys([*declared, *columns])
    ]:
        problem = _name_problem(name)
        finding = problem and Finding(dataset, variable, problem[0], problem[1])
        if finding and finding not in findings:
            findings.append(finding)
    return findings


def _cut(label: str) -> str:
    """What a 40-byte label field keeps of ``label``."""
    return label.encode()[:MAX_LABEL_BYTES].decode(errors="ignore").rstrip()


def label_findings(
    dataset: str, variable: str, define_label: str | None, file_label: str | None
) -> list[Finding]:
    defined = (define_label or "").rstrip()
    stored = (file_label or "").rstrip()
    findings = []
    long = [
        (where, label)
        for where, label in (("define.xml", defined), ("the transport file", stored))
        if len(label.encode()) > MAX_LABEL_BYTES
    ]
    if long:
        where, label = long[0]
        findings.append(
            Finding(
                dataset,
                variable,
                "LABEL-LENGTH",
                f"label {label!r} is {len(label.encode())} bytes in {where}; "
                f"at most {MAX_LABEL_BYTES}",
            )
        )
    if defined != stored and not (long and _cut(defined) == stored):
        findings.append(
            Finding(
                dataset,
                variable,
                "LABEL-MATCH",
                f"label {stored!r} in the transport file, {defined!r} in define.xml",
            )
        )
    return findings


def required_variables(
    dataset: str, adam_class: str, subclasses: Sequence[str], columns: Sequence[str]
) -> tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]:
    """(variables required, groups of which one is required) for a dataset of that class."""
    required = REQUIRED.get(adam_class, ())
    one_of: tuple[tuple[str, ...], ...] = ()
    if adam_class == BDS_CLASS:
        one_of = (("AVAL", "AVALC"),)
        if "TIME-TO-EVENT" in subclasses or dataset == "ADTTE" or "CNSR" in columns:
            required += REQUIRED_TTE
    if adam_class == OCCDS_CLASS and ("ADVERSE EVENT" in subclasses or dataset == "ADAE"):
        required += REQUIRED_AE
    return required, one_of


def class_findings(dataset: DatasetDef, columns: Sequence[str]) -> list[Finding]:
    if dataset.adam_class not in ADAM_CLASSES:
        return [
            Finding(
                dataset.name,
                "",
                "ADAM-CLASS",
                f"def:Class {dataset.adam_class!r} is not one of {', '.join(ADAM_CLASSES)}",
            )
        ]
    required, one_of = required_variables(
        dataset.name, dataset.adam_class, dataset.subclasses, columns
    )
    findings = [
        Finding(
            dataset.name,
            variable,
            "ADAM-REQ-VAR",
            f"required in every {dataset.adam_class} dataset, not in the transport file",
        )
        for variable in required
        if variable not in columns
    ]
    for group in one_of:
        if not any(v in columns for v in group):
            findings.append(
                Finding(
                    dataset.name,
                    " or ".join(group),
                    "ADAM-REQ-VAR",
                    f"one of {', '.join(group)} is required in every {dataset.adam_class} dataset",
                )
            )
    return findings


# --- one variable ---------------------------------------------------------------------------


def _format_name(display_format: str | None) -> str:
    """'DATE9.' -> 'DATE'; '' when there is no format."""
    match = _FORMAT_NAME.match((display_format or "").upper())
    return match.group(1) if match else ""


def _normal_format(display_format: str | None) -> str:
    return (display_format or "").upper().rstrip(".")


def _is_date(variable: str, item: ItemDef, file_format: str | None) -> bool:
    return (
        variable.endswith("DT")
        or _format_name(item.display_format) in DATE_FORMATS
        or _format_name(file_format) in DATE_FORMATS
    )


# Text is looked at once per distinct value, never once per row: ADaM text repeats (USUBJID,
# PARAMCD, AVALC) and ADLB has 7.5 million rows at 100,000 subjects.


def _distinct(values: pd.Series) -> np.ndarray:
    """The distinct non-missing values (a Categorical's from its codes, not per row)."""
    return np.asarray(values.dropna().unique())


def _longest_bytes(distinct: np.ndarray) -> int:
    """The longest of a text column's distinct values in bytes, trailing blanks dropped (SAS
    pads text with them)."""
    return max((len(str(v).rstrip().encode()) for v in distinct), default=0)


def _missing(values: pd.Series, distinct: np.ndarray | None) -> pd.Series:
    """Per row, whether it holds no value (SAS: '.' for a number, blanks for text);
    ``distinct``: a text column's distinct values, None for a number."""
    if distinct is None:
        return values.isna()
    blanks = [v for v in distinct if str(v).strip() == ""]
    return values.isna() | values.isin(blanks)


def variable_findings(dataset: str, ref: ItemRef, item: ItemDef, data: XptData) -> list[Finding]:
    variable = item.name
    values = data.frame[variable]
    numeric = data.numeric[variable]
    # a text column's distinct values, found once for the rules below that look at text
    distinct = None if numeric else _distinct(values)
    file_format = data.formats[variable]
    findings = label_findings(dataset, variable, item.label, data.labels[variable])

    def add(rule: str, message: str, severity: str = ERROR) -> None:
        findings.append(Finding(dataset, variable, rule, message, severity))

    date = _is_date(variable, item, file_format)
    if date and not numeric:
        # A character date is one defect; its type and length follow from it.
        add("DATE-NOT-NUMERIC", "a date, stored as character; must be a numeric SAS date")
    else:
        if (item.data_type in NUMERIC_DATA_TYPES) != numeric:
            add(
                "TYPE-MATCH",
                f"define.xml DataType {item.data_type!r}, "
                f"{'numeric' if numeric else 'character'} in the transport file",
            )
        if date:
            undated = [
                where
                for where, fmt in (
                    ("transport file", file_format),
                    ("define.xml", item.display_format),
                )
                if _format_name(fmt) not in DATE_FORMATS
            ]
            if undated:
                add(
                    "DATE-NO-FORMAT",
                    f"a date without a date format (DATE9.) in the {' and '.join(undated)}",
                )
        both = file_format and item.display_format
        if _normal_format(file_format) != _normal_format(item.display_format) and (
            both or not date
        ):
            add(
                "FORMAT-MATCH",
                f"format {file_format or 'none'} in the transport file, "
                f"def:DisplayFormat {item.display_format or 'none'} in define.xml",
            )
    if not numeric and item.data_type not in NUMERIC_DATA_TYPES and item.length is not None:
        longest = _longest_bytes(distinct)
        width = data.widths[variable]
        if max(width, longest) > item.length:
            add(
                "LENGTH-EXCEEDS",
                f"stored length {width}, longest value {longest} bytes; "
                f"define.xml Length {item.length}",
            )
        elif item.length > max(longest, 1):
            add(
                "LENGTH-TOO-LONG",
                f"define.xml Length {item.length}, longest value {longest} bytes",
                WARNING,
            )
    missing = _missing(values, distinct)
    if len(values) and missing.all() and not (item.comment_oid or ref.has_no_data):
        add(
            "VARIABLE-ALL-EMPTY",
            "no value in any row, and no def:CommentOID or def:HasNoData saying why",
        )
    if ref.mandatory and missing.any():
        add(
            "MANDATORY-MISSING",
            f"{int(missing.sum())} of {len(values)} records without a value; define.xml says "
            "Mandatory=Yes (a value on every record)",
        )
    return findings


# --- keys and sequence numbers --------------------------------------------------------------


def dataset_keys(dataset: DatasetDef, define: Define) -> list[str]:
    """The key variables in KeySequence order."""
    keyed = sorted(
        (ref.key_sequence, define.items[ref.item_oid].name)
        for ref in dataset.item_refs
        if ref.key_sequence is not None and ref.item_oid in define.items
    )
    return [name for _, name in keyed]


def _describe_row(row: pd.Series) -> str:
    return ", ".join(f"{k}={v}" for k, v in row.items())


def in_key_order(dataset: DatasetDef, define: Define, frame: pd.DataFrame) -> pd.DataFrame:
    """USUBJID, the key variables and the sequence variables, sorted once by the key in
    KeySequence order (stable, missing values last): what both the key rule and the sequence
    rule read. Only these columns are sorted: sorting the whole frame copied every column
    (ADLB at 100,000 subjects: +1.6 GB while checking)."""
    keys = [k for k in dataset_keys(dataset, define) if k in frame.columns]
    sequences = sequence_variables(dataset, list(frame.columns))
    subject = ["USUBJID"] if "USUBJID" in frame.columns else []
    needed = frame[list(dict.fromkeys([*subject, *keys, *sequences]))]
    if not keys or _sorted_by(needed, keys):
        # A file written in key order (dbt sorts every ADaM table by its key) is checked to be
        # in that order in one pass and not sorted again: a stable sort would leave it as is.
        return needed
    return needed.sort_values(keys, kind="mergesort")


def _sorted_by(frame: pd.DataFrame, keys: list[str]) -> bool:
    """Whether the rows already stand as ``sort_values(keys, kind="mergesort")`` puts them:
    each row's key not before the previous row's, compared as pandas sorts (Categorical text
    by its codes, numpy numbers by value, missing values last and equal to each other).
    False for a column of another type, whose order pandas alone decides."""
    if len(frame) < 2:
        return True
    undecided = np.ones(len(frame) - 1, dtype=bool)  # rows whose key equals the previous one
    for key in keys:
        values = frame[key]
        if isinstance(values.dtype, pd.CategoricalDtype):
            array = values.cat.codes.to_numpy()
            missing = array == -1
        elif values.dtype.kind == "f":  # numbers as read_xpt gives them
            array = values.to_numpy()
            missing = np.isnan(array)
        elif values.dtype.kind in "iu":
            array = values.to_numpy()
            missing = np.zeros(len(array), dtype=bool)
        else:
            return False
        before, after = array[:-1], array[1:]
        missing_before, missing_after = missing[:-1], missing[1:]
        both = ~missing_before & ~missing_after
        with np.errstate(invalid="ignore"):
            less = (both & (before < after)) | (~missing_before & missing_after)
            greater = (both & (before > after)) | (missing_before & ~missing_after)
        if (undecided & greater).any():
            return False
        undecided &= ~less
        if not undecided.any():
            return True
    return True


def _equal_to_previous(values: pd.Series) -> np.ndarray:
    """Row i (from 1) holds the same value as row i-1, two missing values being the same (as
    ``DataFrame.duplicated`` counts them). Text is Categorical (``read_xpt``): its codes, with
    -1 for missing, compare as the values do."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes = values.cat.codes.to_numpy()
        return codes[1:] == codes[:-1]
    array = values.to_numpy()
    missing = pd.isna(array)
    with np.errstate(invalid="ignore"):
        same = array[1:] == array[:-1]
    return np.asarray(same, dtype=bool) | (missing[1:] & missing[:-1])


def key_findings(dataset: DatasetDef, define: Define, ordered: pd.DataFrame) -> list[Finding]:
    """KEY-NOT-UNIQUE on the rows ``in_key_order`` gives: sorted by the key, rows that share
    it are neighbours, so one pass over each key column finds them (no second sort or hash
    of every row)."""
    keys = dataset_keys(dataset, define)
    if not keys:
        return [Finding(dataset.name, "", "KEY-MISSING", "no ItemRef has a KeySequence")]
    keys = [k for k in keys if k in ordered.columns]  # a missing one is VARIABLE-NOT-IN-DATA
    if not keys or len(ordered) < 2:
        return []
    same = np.logical_and.reduce([_equal_to_previous(ordered[k]) for k in keys])
    if not same.any():
        return []
    duplicated = np.zeros(len(ordered), dtype=bool)
    duplicated[1:] |= same
    duplicated[:-1] |= same
    shown = ordered.loc[duplicated, keys].drop_duplicates().head(SHOWN)
    return [
        Finding(
            dataset.name,
            ", ".join(keys),
            "KEY-NOT-UNIQUE",
            f"{int(duplicated.sum())} rows share a key with another row: "
            + "; ".join(_describe_row(row) for _, row in shown.iterrows()),
        )
    ]


def sequence_variables(dataset: DatasetDef, columns: Sequence[str]) -> list[str]:
    """ASEQ, and in an OCCDS dataset ADxx its xxSEQ (AESEQ in ADAE); a BDS dataset's carried
    SDTM --SEQ is the source record's, not a sequence of the ADaM rows, so it is left alone."""
    names = ["ASEQ"]
    if dataset.adam_class == OCCDS_CLASS and dataset.name.startswith("AD"):
        names.append(f"{dataset.name[2:]}SEQ")
    return [n for n in names if n in columns]


def sequence_findings(dataset: DatasetDef, define: Define, ordered: pd.DataFrame) -> list[Finding]:
    """SEQ-NOT-CONSECUTIVE on the rows ``in_key_order`` gives."""
    if "USUBJID" not in ordered.columns:
        return []
    keys = [k for k in dataset_keys(dataset, define) if k in ordered.columns]
    sequences = sequence_variables(dataset, list(ordered.columns))
    findings = []
    # a row's position within its subject, in key order: 1..n is each row's number there
    position = ordered.groupby("USUBJID", sort=False, observed=True).cumcount().to_numpy() + 1
    for seq in sequences:
        numbers = pd.to_numeric(ordered[seq], errors="coerce").to_numpy(dtype=float)
        subjects = ordered["USUBJID"][numbers != position].unique()
        broken = []
        for subject in subjects[:SHOWN]:  # the message shows SHOWN of them
            got = numbers[(ordered["USUBJID"] == subject).to_numpy()]
            broken.append(f"{subject} has {', '.join(_canonical(v, True) for v in got)}")
        if broken:
            findings.append(
                Finding(
                    dataset.name,
                    seq,
                    "SEQ-NOT-CONSECUTIVE",
                    f"not 1..n within USUBJID in key order ({', '.join(keys)}) for "
                    f"{len(subjects)} subject(s): " + "; ".join(broken[:SHOWN]),
                )
            )
    return findings


# --- codelists and value-level metadata -----------------------------------------------------


def _canonical(value, numeric: bool) -> str:
    """A value as a codelist term is written: integral numbers without '.0'."""
    if numeric:
        number = float(value)
        if np.isnan(number):
            return "."
        return str(int(number)) if number.is_integer() else repr(number)
    return str(value).strip()


def data_values(values: pd.Series, numeric: bool) -> set[str]:
    """The distinct non-missing values as codelist terms are written."""
    terms = {_canonical(v, numeric) for v in _distinct(values)}
    terms.discard("")
    return terms


def _term(term: str, codelist: CodeList) -> str:
    if codelist.data_type in NUMERIC_DATA_TYPES:
        try:
            return _canonical(float(term), True)
        except ValueError:
            return term
    return term.strip()


def _where_mask(
    clause: tuple[RangeCheck, ...],
    names: dict[str, str],
    frame: pd.DataFrame,
    terms: dict[str, tuple[np.ndarray, np.ndarray]],
) -> pd.Series | None:
    """The rows a where clause selects, or None when it cannot be evaluated on this data.
    ``terms`` caches each tested column factorized: per row a code, per code the value as a
    term is written (one pass per column, not one per WhereClause: ADLB has a clause per
    parameter, and a clause is then decided per distinct value)."""
    mask = np.ones(len(frame), dtype=bool)
    for check in clause:
        variable = names.get(check.item_oid)
        if variable not in frame.columns or check.comparator not in ("EQ", "NE", "IN", "NOTIN"):
            return None
        numeric = pd.api.types.is_numeric_dtype(frame[variable])
        if variable not in terms:
            codes, distinct = pd.factorize(frame[variable])
            # code -1 (a missing value) is the last term
            written = [_canonical(v, numeric) for v in distinct] + [_canonical(np.nan, numeric)]
            terms[variable] = (codes, np.asarray(written, dtype=object))
        codes, written = terms[variable]
        try:
            values = {_canonical(float(v), True) if numeric else v for v in check.values}
        except ValueError:  # a text CheckValue against a numeric variable selects nothing
            values = set()
        hit = np.isin(written, list(values))[codes]
        mask &= hit if check.comparator in ("EQ", "IN") else ~hit
    return pd.Series(mask, index=frame.index)


def _show_where(clause: tuple[RangeCheck, ...], names: dict[str, str]) -> str:
    return " and ".join(
        f"{names.get(c.item_oid, c.item_oid)} {c.comparator} {', '.join(c.values)}" for c in clause
    )


def codelist_uses(
    define: Define, dataset: DatasetDef, data: XptData
) -> list[tuple[str, str, set[str]]]:
    """(codelist OID, variable as reported, values in the data) for every use of a codelist by
    a variable of the dataset, and by its value-level ItemDefs on the rows they describe."""
    names = {
        ref.item_oid: define.items[ref.item_oid].name
        for ref in dataset.item_refs
        if ref.item_oid in define.items
    }
    uses = []
    frame = data.frame
    terms: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for oid, variable in names.items():
        if variable not in frame.columns:
            continue
        item = define.items[oid]
        numeric = data.numeric[variable]
        usable = item.codelist_oid in define.codelists
        if usable and not define.codelists[item.codelist_oid].external:
            uses.append((item.codelist_oid, variable, data_values(frame[variable], numeric)))
        for value_item in define.value_lists.get(item.value_list_oid or "", ()):
            vlm = define.items.get(value_item.item_oid)
            if vlm is None or vlm.codelist_oid not in define.codelists:
                continue
            if define.codelists[vlm.codelist_oid].external:
                continue
            for clause in value_item.where:
                mask = _where_mask(clause, names, frame, terms)
                if mask is not None:
                    uses.append(
                        (
                            vlm.codelist_oid,
                            f"{variable} ({_show_where(clause, names)})",
                            data_values(frame.loc[mask, variable], numeric),
                        )
                    )
    return uses


def _reported_variable(variable: str) -> str:
    """'AVALC (PARAMCD EQ BOR)' -> 'AVALC': a finding names the variable; the message the rows."""
    return variable.split(" (", 1)[0]


def codelist_value_findings(
    codelist: CodeList, dataset: str, variable: str, values: set[str]
) -> list[Finding]:
    terms = {_term(t, codelist) for t in codelist.terms}
    missing = sorted(values - terms)
    if not missing:
        return []
    return [
        Finding(
            dataset,
            _reported_variable(variable),
            "CODELIST-VALUE-NOT-IN-LIST",
            f"{variable}: value(s) {', '.join(repr(v) for v in missing[:SHOWN])} "
            f"not in codelist {codelist.oid} ({codelist.name})",
        )
    ]


def codelist_term_findings(
    codelist: CodeList, places: set[tuple[str, str]], values: set[str]
) -> list[Finding]:
    unused = [t for t in codelist.terms if _term(t, codelist) not in values]
    if not unused:
        return []
    datasets = ", ".join(sorted({d for d, _ in places}))
    variables = ", ".join(sorted({_reported_variable(v) for _, v in places}))
    return [
        Finding(
            datasets,
            variables,
            "CODELIST-TERM-NOT-IN-DATA",
            f"term(s) {', '.join(repr(t) for t in unused[:SHOWN])} of codelist {codelist.oid} "
            f"({codelist.name}) in no row of {', '.join(sorted(v for _, v in places))}",
            WARNING,
        )
    ]


def value_level_findings(dataset: DatasetDef, define: Define, frame: pd.DataFrame) -> list[Finding]:
    """PARAMCDs of the dataset's WhereClauses against the PARAMCDs in the data."""
    paramcd_oids = {
        ref.item_oid
        for ref in dataset.item_refs
        if ref.item_oid in define.items and define.items[ref.item_oid].name == "PARAMCD"
    }
    described: set[str] = set()
    for ref in dataset.item_refs:
        item = define.items.get(ref.item_oid)
        for value_item in define.value_lists.get(item.value_list_oid or "", ()) if item else ():
            for clause in value_item.where:
                for check in clause:
                    if check.item_oid in paramcd_oids and check.comparator in ("EQ", "IN"):
                        described |= set(check.values)
    if not described or "PARAMCD" not in frame.columns:
        return []
    present = data_values(frame["PARAMCD"], False)
    findings = []
    if described - present:
        findings.append(
            Finding(
                dataset.name,
                "PARAMCD",
                "VLM-PARAMCD-NOT-IN-DATA",
                f"value-level metadata for {', '.join(sorted(described - present))}, "
                "no such PARAMCD in the data",
            )
        )
    if present - described:
        findings.append(
            Finding(
                dataset.name,
                "PARAMCD",
                "PARAMCD-NOT-IN-VLM",
                f"PARAMCD {', '.join(sorted(present - described))} in the data has no "
                "WhereClause in define.xml's value-level metadata",
            )
        )
    return findings
