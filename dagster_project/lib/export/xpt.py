"""ADaM datasets as SAS transport version 5 files, and their define-style variable listing.

The metadata comes from the dbt manifest, the one place the ADaM labels live: a column's
description starts with its ADaM label and ``meta: {label: ...}`` carries it; the rest of the
description is the derivation. A model's ``meta.label`` (or its description up to the first
'. ') is the dataset label.

Transport version 5 (the FDA's required format) limits what it can hold, and general writers
do not enforce all of it (pyreadstat silently cuts labels after 40 characters and happily
writes a 201-byte character variable that a v5 reader rejects). So every limit is checked
first (``check_v5``) and ``write_xpt`` refuses a dataset that breaks any of them, listing every
violation, rather than write a file that says less than the warehouse does. The bytes are
written by ``transport_v5`` (numpy, checked byte for byte against pyreadstat's writer) and
every file is read back: in the export, by the conformance check's read (its header by
pyreadstat, its rows decoded with numpy and vouched for by pyreadstat at both ends of the
file) against digests of what was written (``value_digest``), and by pyreadstat value by
value (``read_back_mismatches``) for a file that differs.

Value mapping (``transport_frame``):

- Char: text as is; NULL becomes '' (SAS has no missing character value); a boolean becomes
  'Y' / 'N'. SAS pads character values with blanks, so trailing blanks do not survive a round
  trip (readers strip them); ``read_back_mismatches`` compares without them. A value v5 cannot
  hold as it is (a site's verbatim AE term in its own language, or one over 200 bytes) is
  written as ``transport_text`` renders it: ASCII, at most 200 bytes. site_extracts.md accepts
  any UTF-8 text, and one such term refused every site's publication; the warehouse keeps the
  text as sent, and quality.findings_adverse_events (AE_TEXT_NOT_TRANSPORTABLE) asks the site.
- Num: 8-byte numbers, NULL becomes the SAS missing value '.'. Dates are SAS dates: days since
  1960-01-01, with the DATE9. format so readers show them as dates (DuckDB hands DATE columns
  to pandas as datetime64, which a generic writer would store as a DATETIME in seconds).
"""

from __future__ import annotations

import csv
import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
from anyascii import anyascii

from .transport_v5 import Field, transport_chunks
from .xpt_rows import read_rows, slice_plan

MAX_NAME = 8
MAX_LABEL = 40
MAX_CHAR_BYTES = 200
NUM_LENGTH = 8
NAME_PATTERN = re.compile(r"[A-Z_][A-Z0-9_]*")
SAS_EPOCH = pd.Timestamp("1960-01-01")
DATE_FORMAT = "DATE9."
# IBM System/360 double, the v5 number: 16**63 overflows to infinity and a non-zero value below
# 16**-65 (5.4e-79) underflows to 0 on writing (both measured with pyreadstat 1.3.7).
IBM_MAX = 16.0**63
IBM_MIN = 16.0**-65
# Rows read back per pyreadstat call when checking a written file: bounds the read-back's
# memory whatever the dataset size.
READ_BACK_CHUNK_ROWS = 500_000

CHAR_TYPES = ("varchar", "text", "string", "char", "bpchar", "uuid")
BOOL_TYPES = ("boolean", "bool", "logical")
DATE_TYPES = ("date",)
INTEGER_TYPES = (
    "tinyint",
    "smallint",
    "integer",
    "int",
    "int2",
    "int4",
    "int8",
    "bigint",
    "hugeint",
    "utinyint",
    "usmallint",
    "uinteger",
    "ubigint",
)
NUM_TYPES = (
    *INTEGER_TYPES,
    "float",
    "float4",
    "float8",
    "real",
    "double",
    "double precision",
    "decimal",
    "numeric",
)

DEFINE_COLUMNS = (
    "dataset",
    "variable",
    "label",
    "type",
    "length",
    "format",
    "origin",
    "derivation",
)


@dataclass(frozen=True)
class VariableMeta:
    """One variable of one dataset, as the define listing states it."""

    dataset: str  # upper case, e.g. ADSL
    name: str
    label: str
    type: str  # "Char" or "Num"
    length: int  # bytes: Char the longest value (at least 1), Num 8
    format: str  # "DATE9." for dates, "" otherwise
    origin: str  # "Predecessor", "Assigned" or "Derived" (see ``origin``)
    derivation: str
    data_type: str  # the dbt contract type the value mapping follows (date, boolean, ...)


class V5Violation(ValueError):
    """A dataset that transport v5 cannot hold as it is; ``violations`` lists every reason."""

    def __init__(self, dataset: str, violations: Sequence[str]):
        self.dataset = dataset
        self.violations = list(violations)
        listing = "\n".join(f"- {v}" for v in self.violations)
        super().__init__(
            f"{dataset}: {len(self.violations)} SAS transport v5 violation(s), "
            f"nothing written:\n{listing}"
        )


# --- metadata from the dbt manifest ---------------------------------------------------------


def model_node(manifest: dict, dataset: str) -> dict:
    """The manifest node of the model named ``dataset`` (case-insensitive); exactly one."""
    wanted = dataset.lower()
    nodes = [
        node
        for node in manifest["nodes"].values()
        if node.get("resource_type") == "model" and node.get("name", "").lower() == wanted
    ]
    if len(nodes) != 1:
        raise KeyError(
            f"expected one dbt model named {wanted!r} in the manifest, found {len(nodes)}"
        )
    return nodes[0]


def _squash(text: str | None) -> str:
    """One line, single spaces: folded YAML and hand-wrapped descriptions read the same."""
    return " ".join((text or "").split())


def split_description(description: str, label: str | None = None) -> tuple[str, str]:
    """(label, derivation) of a description that starts with the label.

    With a ``label`` (meta.label) and a description that starts with it followed by '.', the
    derivation is what follows; otherwise the label is the description up to the first '. '
    (or the whole of it) and the derivation the rest. A given label always wins.
    """
    text = _squash(description)
    if label:
        label = _squash(label)
        if text.startswith(label + "."):
            return label, text[len(label) + 1 :].strip()
        head, _, rest = text.partition(". ")
        return label, (rest.strip() if head == label else text)
    head, sep, rest = text.partition(". ")
    if not sep:
        return text.removesuffix("."), ""
    return head, rest.strip()


def node_meta(node_or_column: dict) -> dict:
    """The meta of a model or column: its own, over what its config holds (dbt >= 1.10 moves
    meta into config)."""
    return {
        **((node_or_column.get("config") or {}).get("meta") or {}),
        **{k: v for k, v in (node_or_column.get("meta") or {}).items() if v},
    }


def _meta_label(node_or_column: dict) -> str | None:
    """meta.label, from the node itself or from its config."""
    label = node_meta(node_or_column).get("label")
    return str(label) if label else None


def dataset_label(manifest: dict, dataset: str) -> str:
    """The dataset label: the model's meta.label, else its description up to the first '. '."""
    node = model_node(manifest, dataset)
    return split_description(node.get("description", ""), _meta_label(node))[0]


def sas_type(data_type: str) -> tuple[str, str]:
    """(SAS type, format) of a dbt contract data_type: text and booleans are Char; numbers
    Num; dates Num with DATE9. A type without a faithful v5 form (timestamps, lists, ...)
    raises rather than being guessed."""
    base = data_type.strip().lower().split("(")[0].strip()
    if base in CHAR_TYPES or base in BOOL_TYPES:
        return "Char", ""
    if base in DATE_TYPES:
        return "Num", DATE_FORMAT
    if base in NUM_TYPES:
        return "Num", ""
    raise ValueError(f"no SAS transport type for dbt data_type {data_type!r}")


# A bare reference to one source variable: "dm.SEX", "ADSL.TRTSDT", "ae.AESPID, the AE number".
_SOURCE_REF = re.compile(r"^[A-Za-z][A-Za-z0-9_]*\.[A-Z][A-Z0-9_]*\b")
# One upper-case word, optionally after a "where it is written: " prefix: "YEARS",
# "site_extracts.md: ISA-DEX-MM". No blanks or operators: "CUMDOSE / PCUMDOSE" is a formula.
_CONSTANT = re.compile(r"^(?:[^:]+:\s*)?[A-Z0-9][A-Z0-9_-]*$")


def origin(derivation: str) -> str:
    """The define origin of a variable, from its derivation text (a deliberately simple rule).

    - Predecessor: the derivation starts with a reference to one source variable
      (``<dataset>.<VARIABLE>``: ``dm.SEX``, ``ADSL.TRTSDT``) and does not say the value is
      imputed: the value is copied from SDTM-like site data or from another ADaM dataset.
    - Assigned: the derivation is a single upper-case word (``YEARS``, ``DAYS``,
      ``ISA-DEX-MM``), optionally after a ``source: `` prefix; a constant with blanks
      (``NOT REPORTED``) reads as Derived, the price of telling constants from formulas.
    - Derived: everything else (a rule, a computation, an imputation).
    """
    text = _squash(derivation).removesuffix(".")
    if _SOURCE_REF.match(text) and "imputed" not in text.lower():
        return "Predecessor"
    if text and _CONSTANT.match(text):
        return "Assigned"
    return "Derived"


def _v5_holds(value: str) -> bool:
    """Whether transport v5 holds the text as it is: ASCII and at most 200 bytes."""
    return value.isascii() and len(value) <= MAX_CHAR_BYTES


def transport_text(value: str) -> str:
    """A text value as transport v5 holds it: ASCII (v5 declares no encoding, so only ASCII
    reads the same everywhere, FDA Technical Conformance Guide) and at most 200 bytes. Other
    characters are transliterated by anyascii ('Fièvre' -> 'Fievre', 'Straße' -> 'Strasse'),
    a longer value keeps its first 200 characters; a value v5 holds is returned as it is."""
    return value if _v5_holds(value) else anyascii(value)[:MAX_CHAR_BYTES]


def _transport_texts(values: np.ndarray) -> np.ndarray:
    """``transport_text`` of each str in an object array (a copy where any value changes)."""
    renders = np.fromiter((not _v5_holds(v) for v in values), bool, len(values))
    if not renders.any():
        return values
    out = values.copy()
    out[renders] = [transport_text(v) for v in values[renders]]
    return out


def _transport_char(series: pd.Series, data_type: str) -> pd.Series:
    """Char values as written: NULL -> '', booleans -> Y/N; anything not text raises.

    Vectorised (a 2-million-row dataset is common): the type of the non-missing values is
    inferred once in C (``infer_dtype``); only a column that fails is walked to name the value.
    A Categorical column (``read_table(text_as_category=True)``) is mapped once per category
    and stays Categorical, so what follows (lengths, ASCII, encoding) also works per category.
    """
    if isinstance(series.dtype, pd.CategoricalDtype):
        return _transport_char_categories(series, data_type)
    boolean = data_type.strip().lower() in BOOL_TYPES
    missing = series.isna().to_numpy()
    present = series[~missing]
    kind = pd.api.types.infer_dtype(present, skipna=False) if len(present) else "empty"
    expected = "boolean" if boolean else "string"
    if kind not in (expected, "empty"):
        wrong = next(
            v
            for v in present
            if not (isinstance(v, bool | np.bool_) if boolean else isinstance(v, str))
        )
        raise ValueError(f"{wrong!r} ({type(wrong).__name__}) is not a {data_type} value")
    out = np.full(len(series), "", dtype=object)
    if len(present):
        values = present.to_numpy(dtype=bool if boolean else object)
        out[~missing] = np.where(values, "Y", "N") if boolean else _transport_texts(values)
    return pd.Series(out, index=series.index, dtype=object)


def _transport_char_categories(series: pd.Series, data_type: str) -> pd.Series:
    """``_transport_char`` of a Categorical column: every category mapped (and checked) as a
    value, missing values coded as ''. Two categories may map to one value ('Fièvre' and
    'Fievre' in ASCII): they become one category."""
    categories = pd.Series(series.cat.categories, dtype=object)
    mapped = _transport_char(categories, data_type).to_numpy(dtype=object)
    codes = series.cat.codes.to_numpy()
    merged, distinct = pd.factorize(mapped)
    if len(distinct) < len(mapped):
        codes = np.where(codes >= 0, merged[np.maximum(codes, 0)], -1)
        mapped = np.asarray(distinct, dtype=object)
    missing = codes < 0
    if missing.any():
        blank = np.flatnonzero(mapped == "")
        if not len(blank):
            mapped = np.append(mapped, "")
            blank = [len(mapped) - 1]
        codes = np.where(missing, blank[0], codes)
    values = pd.Categorical.from_codes(codes, pd.Index(mapped, dtype=object))
    return pd.Series(values, index=series.index)


def _transport_date(series: pd.Series) -> pd.Series:
    """SAS dates (days since 1960-01-01, float, NaN missing); a time of day raises."""
    stamps = pd.to_datetime(series, errors="raise")
    if stamps.dt.tz is not None:
        raise ValueError("time-zone aware values are not dates")
    with_time = stamps.notna() & (stamps != stamps.dt.normalize())
    if with_time.any():
        raise ValueError(f"{int(with_time.sum())} value(s) carry a time of day, not a date")
    return ((stamps - SAS_EPOCH) / pd.Timedelta(days=1)).astype("float64")


def _transport_num(series: pd.Series) -> pd.Series:
    if pd.api.types.is_bool_dtype(series) or pd.api.types.is_datetime64_any_dtype(series):
        raise ValueError(f"dtype {series.dtype} is not a number")
    if series.dtype == object:
        kind = pd.api.types.infer_dtype(series, skipna=True)
        if kind not in ("integer", "floating", "mixed-integer-float", "decimal", "empty"):
            raise ValueError("holds text or booleans, not numbers")
    return pd.to_numeric(series, errors="raise").astype("float64")


def transport_column(series: pd.Series, meta: VariableMeta) -> pd.Series:
    """One column as it goes into the file (see the module docstring); raises ValueError when
    a value does not fit the variable's type."""
    if meta.type == "Char":
        return _transport_char(series, meta.data_type)
    if meta.format == DATE_FORMAT:
        return _transport_date(series)
    return _transport_num(series)


def transport_frame(df: pd.DataFrame, metas: Sequence[VariableMeta]) -> pd.DataFrame:
    """The frame written to the file: the variables of ``metas`` in their order, values mapped."""
    return pd.DataFrame(
        {m.name: transport_column(df[m.name], m) for m in metas}, index=df.index
    ).reset_index(drop=True)


def _non_ascii(text: np.ndarray) -> np.ndarray:
    """Per value of a numpy str array: holds a code point >= 128 (numpy stores UTF-32)."""
    if not len(text):
        return np.zeros(0, dtype=bool)
    return (text.view(np.uint32).reshape(len(text), -1) >= 128).any(axis=1)


def text_measures(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(UTF-8 byte length, holds a non-ASCII character) of each (str) value.

    Each distinct value is measured once and the measures are spread back by its code: ADaM
    text repeats (USUBJID, PARAMCD, AVALC), and converting 2 million objects to a fixed-width
    numpy string array took seconds per column. numpy measures in C; the per-value encode is
    paid only for values that are not ASCII. (numpy's fixed-width strings drop trailing NUL
    characters; the read-back of the written file would report such a value.)"""
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    text = np.asarray(uniques, dtype=object).astype(str)
    non_ascii = _non_ascii(text)
    lengths = np.strings.str_len(text).astype("int64")
    if non_ascii.any():
        lengths[non_ascii] = [len(v.encode("utf-8")) for v in text[non_ascii]]
    return (
        pd.Series(lengths[codes], index=values.index, dtype="int64"),
        pd.Series(non_ascii[codes], index=values.index, dtype=bool),
    )


def char_length(values: pd.Series) -> int:
    """Byte length (UTF-8) of the longest value, at least 1: the storage width the file gives
    the variable."""
    return max(1, int(text_measures(values)[0].max())) if len(values) else 1


def variable_metadata(
    manifest: dict, dataset: str, data: pd.DataFrame | None = None
) -> list[VariableMeta]:
    """The define rows of one dataset, in the model's column order.

    name, label (meta.label, else the description up to the first '. '), derivation (the rest
    of the description), type and format from the contract data_type (``sas_type``), origin
    (``origin``), length: Num 8, Char the longest value of ``data`` in bytes after the value
    mapping, at least 1 (without ``data``: 1, as for an empty dataset). A column without a
    data_type raises: the adam models enforce contracts, so the type is always declared.
    """
    node = model_node(manifest, dataset)
    name = node["name"].upper()
    metas = []
    for column in node["columns"].values():
        data_type = column.get("data_type")
        if not data_type:
            raise ValueError(f"{name}.{column['name']} has no data_type in the manifest")
        sas, fmt = sas_type(data_type)
        label, derivation = split_description(column.get("description", ""), _meta_label(column))
        length = NUM_LENGTH
        if sas == "Char":
            length = 1
            if data is not None and column["name"] in data.columns:
                try:
                    length = char_length(_transport_char(data[column["name"]], data_type))
                except ValueError:
                    pass  # values that are not text: check_v5 reports them
        metas.append(
            VariableMeta(
                dataset=name,
                name=column["name"],
                label=label,
                type=sas,
                length=length,
                format=fmt,
                origin=origin(derivation),
                derivation=derivation,
                data_type=data_type,
            )
        )
    return metas


# --- the v5 limits -----------------------------------------------------------------------------


def _label_violations(what: str, label: str) -> list[str]:
    if not label:
        return [f"{what}: label is empty"]
    found = []
    if len(label) > MAX_LABEL:
        found.append(f"{what}: label is {len(label)} characters (max {MAX_LABEL}): {label!r}")
    if not (label.isascii() and label.isprintable()):
        found.append(f"{what}: label is not printable ASCII: {label!r}")
    return found


def _name_violations(what: str, name: str) -> list[str]:
    found = []
    if len(name) > MAX_NAME:
        found.append(f"{what}: name {name!r} is {len(name)} characters (max {MAX_NAME})")
    if not NAME_PATTERN.fullmatch(name):
        found.append(f"{what}: name {name!r} is not [A-Z_][A-Z0-9_]*")
    return found


def _value_violations(where: str, meta: VariableMeta, values: pd.Series) -> list[str]:
    if meta.type == "Char":
        found = []
        lengths, non_ascii = text_measures(values)
        too_long = lengths > MAX_CHAR_BYTES
        if too_long.any():
            found.append(
                f"{where}: {int(too_long.sum())} value(s) longer than {MAX_CHAR_BYTES} bytes "
                f"(longest {int(lengths.max())}, row {int(lengths.idxmax()) + 1})"
            )
        # v5 declares no encoding: only ASCII reads the same everywhere (FDA TCG).
        if non_ascii.any():
            row = int(non_ascii.idxmax())
            found.append(
                f"{where}: {int(non_ascii.sum())} value(s) not ASCII "
                f"(first row {row + 1}: {values.iloc[row]!r})"
            )
        needed = max(1, int(lengths.max())) if len(lengths) else 1
        if meta.length != needed:
            found.append(f"{where}: length {meta.length} in the metadata, the data need {needed}")
        return found
    size = values.dropna().abs()
    bad = size[~np.isfinite(size) | (size >= IBM_MAX) | ((size > 0) & (size < IBM_MIN))]
    found = []
    if len(bad):
        found.append(
            f"{where}: {len(bad)} value(s) infinite or outside the IBM double range of "
            f"transport v5 (first row {int(bad.index[0]) + 1}: {float(values.loc[bad.index[0]])})"
        )
    if meta.length != NUM_LENGTH:
        found.append(f"{where}: Num length {meta.length}, transport v5 numbers are {NUM_LENGTH}")
    return found


def check_v5(
    df: pd.DataFrame,
    metas: Sequence[VariableMeta],
    dataset_label: str,
    dataset_name: str | None = None,
) -> list[str]:
    """Every reason ``df`` cannot be written faithfully as a transport v5 file; [] when none.

    Checked: dataset name (``dataset_name``, default the metas' dataset) <= 8 characters and
    [A-Z_][A-Z0-9_]*; dataset label and every variable label present, <= 40 characters,
    printable ASCII; variable names likewise, unique, the same as the frame's columns in the
    same order; every value fits its type (``transport_column``); Char values <= 200 bytes and
    ASCII and the metadata length equal to the longest value (what the file will hold);
    numbers finite and within the IBM double range; Num length 8; an all-Char dataset does not
    end in a blank row (readers would drop it).
    """
    return checked_transport(df, metas, dataset_label, dataset_name)[0]


def checked_transport(
    df: pd.DataFrame,
    metas: Sequence[VariableMeta],
    dataset_label: str,
    dataset_name: str | None = None,
) -> tuple[list[str], dict[str, pd.Series]]:
    """check_v5, also returning each column as mapped for the file (done once: it is the
    costly part on a dataset of millions of rows)."""
    datasets = {m.dataset for m in metas}
    name = dataset_name if dataset_name is not None else min(datasets, default="")
    found = _name_violations("dataset", name)
    if datasets - {name}:
        found.append(
            f"dataset {name!r}: metadata rows name other datasets {sorted(datasets - {name})}"
        )
    found += _label_violations(f"dataset {name}", dataset_label)
    if not metas:
        found.append(f"dataset {name}: no variables")

    names = [m.name for m in metas]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        found.append(f"dataset {name}: duplicate variable names {duplicates}")
    columns = [str(c) for c in df.columns]
    if columns != names:
        missing = [n for n in names if n not in columns]
        extra = [c for c in columns if c not in names]
        detail = f"missing {missing}, extra {extra}" if missing or extra else "order differs"
        found.append(f"dataset {name}: frame columns differ from the metadata ({detail})")

    mapped: dict[str, pd.Series] = {}
    for meta in metas:
        where = f"{name}.{meta.name}"
        found += _name_violations(where, meta.name)
        found += _label_violations(where, meta.label)
        if meta.type not in ("Char", "Num"):
            found.append(f"{where}: type {meta.type!r} is neither Char nor Num")
            continue
        if meta.name not in columns:
            continue
        try:
            values = transport_column(df[meta.name], meta).reset_index(drop=True)
        except (ValueError, TypeError) as exc:
            found.append(f"{where}: values do not fit {meta.type} ({meta.data_type}): {exc}")
            continue
        mapped[meta.name] = values
        found += _value_violations(where, meta, values)
    found += _trailing_blank_rows(df, metas, name)
    return found, mapped


def _trailing_blank_rows(df: pd.DataFrame, metas: Sequence[VariableMeta], name: str) -> list[str]:
    """A dataset of Char variables only whose last row is all blank: readers take trailing
    blank rows for the padding of the last 80-byte record and drop them (measured with
    pyreadstat 1.3.7 for row widths 1 to 200). A Num missing value is not blank, so any Num
    variable protects the rows."""
    if not len(df) or not metas or any(m.type != "Char" for m in metas):
        return []
    if any(m.name not in df.columns for m in metas):
        return []
    try:
        last = [transport_column(df[m.name].iloc[-1:], m).iloc[0] for m in metas]
    except (ValueError, TypeError):
        return []
    if all(not v.strip() for v in last):
        return [
            f"dataset {name}: the last row is blank in every (Char) variable; v5 readers "
            "drop trailing blank rows as record padding"
        ]
    return []


# --- writing and reading back ----------------------------------------------------------------


def write_xpt(
    df: pd.DataFrame,
    path: Path | str,
    metas: Sequence[VariableMeta],
    dataset_name: str,
    dataset_label: str,
) -> Path:
    """Write ``df`` as a SAS transport v5 file, or raise ``V5Violation`` listing every broken
    limit (``check_v5``) and write nothing. The file appears complete or not at all (written
    beside and renamed)."""
    return write_xpt_mapped(df, path, metas, dataset_name, dataset_label)[0]


def write_xpt_mapped(
    df: pd.DataFrame,
    path: Path | str,
    metas: Sequence[VariableMeta],
    dataset_name: str,
    dataset_label: str,
) -> tuple[Path, pd.DataFrame]:
    """``write_xpt``, also returning the frame as written (``transport_frame(df, metas)``), for
    ``read_back_mismatches(expected=...)``: mapping 2 million rows again costs seconds."""
    violations, mapped = checked_transport(df, metas, dataset_label, dataset_name)
    if violations:
        raise V5Violation(dataset_name, violations)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    # copy=False: the mapped columns as they are; consolidating the numbers into one block
    # copied them (ADLB at 100,000 subjects: +0.5 GB held, +0.9 GB while copying).
    written = pd.DataFrame({m.name: mapped[m.name] for m in metas}, copy=False)
    fields = [Field(m.name, m.label, m.type == "Char", m.length, m.format) for m in metas]
    # A Categorical column goes as it is: the writer encodes each category once.
    columns = [
        written[m.name].array
        if isinstance(written[m.name].dtype, pd.CategoricalDtype)
        else written[m.name].to_numpy()
        for m in metas
    ]
    chunks = transport_chunks(
        columns, fields, len(written), dataset_name, dataset_label, datetime.now()
    )
    with partial.open("wb") as handle:
        handle.writelines(chunks)
    os.replace(partial, path)
    return path, written


def read_back_mismatches(
    path: Path | str,
    df: pd.DataFrame,
    metas: Sequence[VariableMeta],
    dataset_name: str,
    dataset_label: str,
    chunk_rows: int = READ_BACK_CHUNK_ROWS,
    expected: pd.DataFrame | None = None,
) -> list[str]:
    """Read ``path`` with pyreadstat (pandas' reader turns 0 into 5.4e-79) and list every
    difference from what ``write_xpt`` was given: member name, labels, variable names, types,
    Char widths, formats, the row count and each value (Char compared without trailing blanks,
    Num exactly, NaN equal to missing, dates as SAS day numbers).

    The file is read ``chunk_rows`` rows at a time (``read_back_plan``), so checking a
    2-million-row dataset does not hold a second copy of it in memory. Values are compared on
    the rows both sides have. ``expected``: the frame as written when the caller has it
    (``write_xpt_mapped``), else mapped here from ``df``. The export calls it only on a file
    whose digests differ from those written (lib/export/package.py), to name the rows.
    """
    found, comparable = read_back_header(path, metas, dataset_name, dataset_label)
    if not comparable:
        return found
    if expected is None:
        expected = transport_frame(df, metas)
    chunks = [
        read_back_piece(path, metas, start, expected.iloc[start:stop], to_end)
        for start, stop, to_end in read_back_plan(len(expected), chunk_rows, metas)
    ]
    return found + read_back_findings(dataset_name, metas, len(df), chunks)


def read_back_plan(
    n_rows: int,
    chunk_rows: int = READ_BACK_CHUNK_ROWS,
    metas: Sequence[VariableMeta] | None = None,
) -> list[tuple]:
    """(start, stop, to_end) of each chunk read back (``xpt_rows.slice_plan``): the last chunk
    read to the end of the file so that rows beyond the expected ones are counted; a dataset
    of Char variables only (``metas``) is one chunk."""
    text_only = metas is not None and all(m.type == "Char" for m in metas)
    return slice_plan(n_rows, chunk_rows, text_only)


def read_back_header(
    path: Path | str, metas: Sequence[VariableMeta], dataset_name: str, dataset_label: str
) -> tuple[list[str], bool]:
    """The headers read back (see ``read_back_mismatches``): what differs, and whether the
    file holds the expected variables in order (else its rows cannot be compared)."""
    _, info = pyreadstat.read_xport(str(path), metadataonly=True)
    found = []
    if info.table_name != dataset_name:
        found.append(f"member name {info.table_name!r}, expected {dataset_name!r}")
    if (info.file_label or "") != dataset_label:
        found.append(f"dataset label {info.file_label!r}, expected {dataset_label!r}")
    if list(info.column_names) != [m.name for m in metas]:
        found.append(f"variables {info.column_names}, expected {[m.name for m in metas]}")
        return found, False
    for meta, label in zip(metas, info.column_labels, strict=True):
        where = f"{dataset_name}.{meta.name}"
        if (label or "") != meta.label:
            found.append(f"{where}: label {label!r}, expected {meta.label!r}")
        kind = info.readstat_variable_types[meta.name]
        if kind != ("string" if meta.type == "Char" else "double"):
            found.append(f"{where}: stored as {kind}, expected {meta.type}")
        if meta.type == "Char" and info.variable_storage_width[meta.name] != meta.length:
            found.append(
                f"{where}: width {info.variable_storage_width[meta.name]}, expected {meta.length}"
            )
        fmt = info.original_variable_types.get(meta.name) or ""
        if fmt.rstrip(".") != meta.format.rstrip("."):
            found.append(f"{where}: format {fmt!r}, expected {meta.format!r}")
    return found, True


@dataclass(frozen=True)
class RowsReadBack:
    """One chunk of a file read back: how many rows it gave, and per variable that differs
    [values that differ, first differing file row (0-based), value read, value written]."""

    rows: int
    differ: dict[str, list]


def read_back_piece(
    path: Path | str,
    metas: Sequence[VariableMeta],
    offset: int,
    expected: pd.DataFrame,
    to_end: bool = False,
) -> RowsReadBack:
    """The rows of ``path`` from ``offset`` (as many as ``expected`` has, or all that are left
    with ``to_end``) against ``expected``, the rows as written. Dates come back as the stored
    day numbers. pyreadstat cannot seek, so ``xpt_rows.read_rows`` copies the file's header
    and the bytes of the rows wanted to a file of their own. ``to_end``: the copy runs to the
    end of the file, its padding included, so pyreadstat counts any row beyond the expected
    ones as it would in the file; otherwise exactly the expected rows are read."""
    if not len(expected) and not to_end:
        return RowsReadBack(0, {})
    back = read_rows(path, offset, offset + len(expected), to_end)
    return _compared(back, metas, offset, expected)


def _compared(
    back: dict, metas: Sequence[VariableMeta], offset: int, expected: pd.DataFrame
) -> RowsReadBack:
    """The rows read back (from file row ``offset``) against the rows as written."""
    read = len(next(iter(back.values()), []))
    shared = min(read, len(expected))
    differ: dict[str, list] = {}
    for meta in metas:
        if meta.name not in back:  # the header check names the variables
            continue
        got = _read_values(meta, back.pop(meta.name)[:shared])
        want = (
            expected[meta.name]
            .iloc[:shared]
            .to_numpy(dtype=object if meta.type == "Char" else "float64")
        )
        same = _same_values(meta, got, want)
        if not same.all():
            first = int(np.argmin(same))
            values = [
                v.item() if isinstance(v, np.generic) else v for v in (got[first], want[first])
            ]
            differ[meta.name] = [int((~same).sum()), offset + first, *values]
    return RowsReadBack(read, differ)


def read_back_findings(
    dataset_name: str,
    metas: Sequence[VariableMeta],
    n_rows: int,
    chunks: Sequence[RowsReadBack],
) -> list[str]:
    """The row count and the values that differ, over every chunk of one file (in file
    order): per variable the count and the first difference."""
    found = []
    read = sum(chunk.rows for chunk in chunks)
    if read != n_rows:
        found.append(f"{read} rows, expected {n_rows}")
    for meta in metas:
        differ = [chunk.differ[meta.name] for chunk in chunks if meta.name in chunk.differ]
        if differ:
            count = sum(d[0] for d in differ)
            _, row, got_value, want_value = differ[0]
            found.append(
                f"{dataset_name}.{meta.name}: {count} value(s) differ (first row {row + 1}: "
                f"{got_value!r} read, {want_value!r} written)"
            )
    return found


def _read_values(meta: VariableMeta, values: list) -> np.ndarray:
    """pyreadstat's list of one variable's values as a numpy array (None -> NaN for Num)."""
    if meta.type == "Char":
        out = np.empty(len(values), dtype=object)
        out[:] = values
        return out
    return np.array(values, dtype="float64")


def _same_values(meta: VariableMeta, read: np.ndarray, written: np.ndarray) -> np.ndarray:
    """Per row: the value read equals the value written (plain numpy comparisons: pandas'
    missing-value handling cost seconds per column on 2 million rows)."""
    if meta.type == "Char":
        same = np.asarray(read == written, dtype=bool)
        if not same.all():
            # Readers strip the blank padding and may give a missing value for ''.
            rest = ~same
            back = pd.Series(read[rest]).fillna("").str.rstrip()
            want = pd.Series(written[rest]).str.rstrip()
            same[rest] = (back.to_numpy() == want.to_numpy()).astype(bool)
        return same
    return (read == written) | (np.isnan(read) & np.isnan(written))


def define_rows(metas_by_dataset: Mapping[str, Sequence[VariableMeta]]) -> list[dict]:
    """The define listing: one row per dataset x variable, datasets and variables in order."""
    return [
        {
            "dataset": meta.dataset,
            "variable": meta.name,
            "label": meta.label,
            "type": meta.type,
            "length": meta.length,
            "format": meta.format,
            "origin": meta.origin,
            "derivation": meta.derivation,
        }
        for metas in metas_by_dataset.values()
        for meta in metas
    ]


def write_define(
    metas_by_dataset: Mapping[str, Sequence[VariableMeta]],
    path: Path | str,
    dataset_labels: Mapping[str, str] | None = None,
) -> tuple[Path, Path]:
    """Write ``define.csv`` (columns ``DEFINE_COLUMNS``) and ``define.json`` into the folder
    ``path``; returns both paths.

    define.json: ``{"datasets": [{"dataset", "label", "variables": [rows without "dataset"]}]}``
    in the given order; the label comes from ``dataset_labels`` keyed like
    ``metas_by_dataset`` ("" when not given). UTF-8, '\\n' line ends, so the same metadata
    gives the same bytes.
    """
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    rows = define_rows(metas_by_dataset)
    csv_path = folder / "define.csv"
    with csv_path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=DEFINE_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    labels = dataset_labels or {}
    document = {
        "datasets": [
            {
                "dataset": key.upper(),
                "label": labels.get(key, ""),
                "variables": [
                    {k: v for k, v in row.items() if k != "dataset"}
                    for row in define_rows({key: metas})
                ],
            }
            for key, metas in metas_by_dataset.items()
        ]
    }
    json_path = folder / "define.json"
    json_path.write_text(
        json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return csv_path, json_path
