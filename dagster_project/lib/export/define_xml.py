"""define.xml (CDISC Define-XML 2.1) for the submission package, built with odmlib's Define-XML
2.1 model and validated against the Define-XML 2.1 schema odmlib ships.

One source of metadata (submission.md): everything a reviewer reads comes from the dbt
manifest, the same place the transport files take their labels from (``xpt.VariableMeta``):

- per dataset, the model's ``meta``: label, class, sub-class (def:SubClass, ADTTE
  TIME-TO-EVENT, ADAE ADVERSE EVENT), structure, keys (KeySequence, in order), the standard
  when not ADaMIG 1.3 (ADAE: ADaM-OCCDSIG 1.1), and ``parameter_methods``: per PARAMCD the
  intermediate model whose description states that parameter's rule, the MethodDef of its
  value-level AVAL / AVALC;
- per variable, the contract data_type (DataType), meta.label (Description), the rest of the
  column description (the derivation: MethodDef text, or the source of a Predecessor /
  Assigned origin, ``xpt.origin``), meta.empty_reason (the CommentDef of an empty variable),
  meta.method_type (Imputation for the imputed dates and their flags; Computation otherwise);
- codelists: the ``columns_accepted_values`` / ``accepted_values`` tests that enforce them;
  a numeric code whose derivation lists "0 event; 1 ...; 8 ..." (CNSR) gets those meanings as
  decodes; Mandatory: the columns its ``columns_not_null`` / ``not_null`` tests cover (a key
  may be empty on a record, so a key alone is not Mandatory).

The data says only what the data alone knows (``DataFacts``): text lengths (``VariableMeta``),
the PARAMCD/PARAM pairs, which parameters carry AVAL or AVALC (value-level metadata), the
codes that occur (per PARAMCD too: a value-level AVALC or AVAL has a codelist of the codes its
parameter takes, so MRD12's lists Y and N and BOR's the response categories), and the
variables with no value at all.

Decisions where the Define-XML 2.1 specification leaves room:

- SAS dates are DataType integer with def:DisplayFormat DATE9.: Define-XML's ``date`` type is
  an ISO 8601 character value, which a numeric transport variable is not.
- A codelist lists the accepted values that occur in the data, in the test's order: a value
  the contract allows but this cut-off does not hold would be a codelist entry a reviewer's
  checker reports as absent from the data. A coded variable with no value has no codelist,
  only its CommentDef.
- ItemDefs are per dataset (``IT.ADSL.USUBJID``): each one's length is the longest value of
  that dataset.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

import numpy as np
import odmlib.define_2_1.model as DEFINE
import pandas as pd
import xmlschema
from lxml import etree
from odmlib import ns_registry

from .xpt import (
    DATE_FORMAT,
    INTEGER_TYPES,
    MAX_LABEL,
    VariableMeta,
    model_node,
    node_meta,
    transport_text,
)

DEFINE_XML = "define.xml"
STYLESHEET = "define2-1.xsl"
STYLESHEET_SOURCE = Path(__file__).with_name(STYLESHEET)
ADAMIG = ("ADaMIG", "1.3")
# Which variables carry value-level metadata, one WhereClause per PARAMCD (submission.md).
VALUE_LEVEL_VARIABLES = ("AVAL", "AVALC")
EMPTY_COMMENT = "No records with a value at this data cut-off."
# "0 event; 1 LSTASDT (...); 2 LSTALVDT" -> {0: "event", 1: "LSTASDT (...)", ...}
_CODE_MEANING = re.compile(r"(?:^|;\s*)(-?\d+)\s+(.+?)(?=;\s*-?\d+\s|\.?$)")

ns_registry.NamespaceRegistry(prefix="xlink", uri="http://www.w3.org/1999/xlink")


class DefineInvalid(ValueError):
    """define.xml breaks the Define-XML 2.1 schema; ``errors`` names each place and reason."""

    def __init__(self, errors: Sequence[str]):
        self.errors = list(errors)
        listing = "\n".join(f"- {e}" for e in self.errors)
        super().__init__(
            f"define.xml refused, {len(self.errors)} error(s) (Define-XML 2.1 schema, "
            f"transport labels):\n{listing}"
        )


@dataclass
class DataFacts:
    """What only the data of one dataset says: per variable its codes that occur, whether it
    has any value; per PARAMCD its PARAM and, for AVAL/AVALC, whether it has a value there and
    the longest text; per float variable its most decimal places."""

    present: dict[str, bool] = field(default_factory=dict)
    codes: dict[str, set[str]] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)  # PARAMCD -> PARAM, in data order
    param_values: dict[str, dict[str, int]] = field(default_factory=dict)  # var -> {PARAMCD: len}
    # coded AVAL / AVALC -> {PARAMCD: the codes that occur on that parameter's rows}
    param_codes: dict[str, dict[str, set[str]]] = field(default_factory=dict)
    # {PARAMCD: {AVAL code: AVALC}} where, on that parameter's rows, each coded AVAL has one
    # AVALC (ADRS: 1 SCR ... 8 NE, MRD12 1 Y / 0 N): the decodes of its AVAL codelist
    aval_decodes: dict[str, dict[str, str]] = field(default_factory=dict)
    decimals: dict[str, int] = field(default_factory=dict)


# --- the manifest's part ----------------------------------------------------------------------


def _tests_of(manifest: dict, node: dict) -> list[dict]:
    uid = node.get("unique_id") or f"model.{node.get('package_name', '')}.{node['name']}"
    return [
        test
        for test in manifest["nodes"].values()
        if test.get("resource_type") == "test"
        and (test.get("attached_node") == uid or uid in test.get("depends_on", {}).get("nodes", []))
    ]


def _code_text(value: object) -> str:
    """A code as define.xml and the transport file spell it: booleans Y/N, whole numbers
    without '.0'."""
    if isinstance(value, bool | np.bool_):
        return "Y" if value else "N"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def accepted_values(manifest: dict, dataset: str) -> dict[str, list[str]]:
    """Per column, the values the dbt tests accept, in the order the test lists them:
    ``columns_accepted_values`` (values: {column: [...]}) and ``accepted_values``
    (column_name, values)."""
    node = model_node(manifest, dataset)
    found: dict[str, list[str]] = {}
    for test in _tests_of(manifest, node):
        meta = test.get("test_metadata") or {}
        kwargs = meta.get("kwargs") or {}
        if meta.get("name") == "columns_accepted_values":
            for name, values in (kwargs.get("values") or {}).items():
                found.setdefault(name, [_code_text(v) for v in values])
        elif meta.get("name") == "accepted_values":
            name = kwargs.get("column_name") or test.get("column_name")
            if name:
                found.setdefault(name, [_code_text(v) for v in kwargs.get("values") or []])
    return found


def not_null_columns(manifest: dict, dataset: str) -> set[str]:
    """The columns a dbt test keeps non-null (``columns_not_null``, ``not_null``)."""
    node = model_node(manifest, dataset)
    found: set[str] = set()
    for test in _tests_of(manifest, node):
        meta = test.get("test_metadata") or {}
        kwargs = meta.get("kwargs") or {}
        if meta.get("name") == "columns_not_null":
            found.update(kwargs.get("columns") or [])
        elif meta.get("name") == "not_null":
            found.add(kwargs.get("column_name") or test.get("column_name") or "")
    return found - {""}


def code_meanings(derivation: str) -> dict[str, str]:
    """The meanings a derivation gives its numeric codes ("0 event; 1 LSTASDT; ..."), by code;
    {} when it lists none."""
    return {m.group(1): m.group(2).strip() for m in _CODE_MEANING.finditer(derivation.strip())}


@dataclass(frozen=True)
class DatasetDefinition:
    """One dataset as define.xml describes it: the manifest's model metadata, the variables as
    the transport file holds them, and the data's facts."""

    name: str  # upper case
    label: str
    cls: str
    structure: str
    keys: tuple[str, ...]
    variables: tuple[VariableMeta, ...]
    accepted: Mapping[str, list[str]]
    mandatory: frozenset[str]
    empty_reasons: Mapping[str, str]
    facts: DataFacts
    subclass: str = ""
    standard: tuple[str, str] = ADAMIG
    imputations: frozenset[str] = frozenset()
    # PARAMCD -> (the model whose description states the parameter's rule, that description)
    parameter_methods: Mapping[str, tuple[str, str]] = field(default_factory=dict)

    @property
    def standard_oid(self) -> str:
        return standard_oid(*self.standard)


def standard_oid(name: str, version: str) -> str:
    return f"STD.{name}.{version}"


def _standard(meta: dict) -> tuple[str, str]:
    """meta.standard "NAME VERSION" (e.g. "ADaM-OCCDSIG 1.1"); ADaMIG 1.3 when absent."""
    text = str(meta.get("standard") or "").strip()
    if not text:
        return ADAMIG
    name, _, version = text.rpartition(" ")
    if not name or not version:
        raise ValueError(f"meta.standard {text!r}: expected 'NAME VERSION'")
    return name, version


def _parameter_methods(manifest: dict, dataset: str, meta: dict) -> dict[str, tuple[str, str]]:
    """meta.parameter_methods {PARAMCD: model} -> {PARAMCD: (model, its description)}; a model
    the manifest lacks, or one without a description, raises (a MethodDef needs the rule)."""
    found = {}
    for code, model in (meta.get("parameter_methods") or {}).items():
        node = model_node(manifest, str(model))
        text = " ".join(str(node.get("description") or "").split())
        if not text:
            raise ValueError(
                f"{dataset.upper()}: meta.parameter_methods names {model} for {code}, which "
                "has no description to be the parameter's MethodDef"
            )
        found[str(code)] = (str(model), text)
    return found


def dataset_definition(
    manifest: dict, dataset: str, label: str, variables: Sequence[VariableMeta], facts: DataFacts
) -> DatasetDefinition:
    """The definition of ``dataset`` from the manifest; a model without meta class or
    structure raises (Define-XML requires both; they are the model's meta, adam.md)."""
    node = model_node(manifest, dataset)
    meta = node_meta(node)
    name = node["name"].upper()
    missing = [k for k in ("class", "structure") if not meta.get(k)]
    if missing:
        raise ValueError(
            f"{name}: the dbt model has no meta {' / '.join(missing)}; define.xml needs "
            "def:Class and def:Structure (dbt/models/adam/_<model>.yml)"
        )
    keys = tuple(meta.get("keys") or ())
    columns = {c["name"]: c for c in node["columns"].values()}
    unknown = [k for k in keys if k not in columns]
    if unknown:
        raise ValueError(f"{name}: meta.keys names columns the model lacks: {unknown}")
    return DatasetDefinition(
        name=name,
        label=label,
        cls=str(meta["class"]),
        structure=str(meta["structure"]),
        keys=keys,
        variables=tuple(variables),
        accepted=accepted_values(manifest, dataset),
        # What the dbt tests guarantee: a key may be empty on some records (ADRS ADT of an NE
        # best response, ADEX AVALC but on REDCAUS rows), so a key alone is not Mandatory.
        mandatory=frozenset(not_null_columns(manifest, dataset)),
        empty_reasons={
            c: str(node_meta(col)["empty_reason"])
            for c, col in columns.items()
            if node_meta(col).get("empty_reason")
        },
        facts=facts,
        subclass=str(meta.get("subclass") or ""),
        standard=_standard(meta),
        imputations=frozenset(
            c for c, col in columns.items() if node_meta(col).get("method_type") == "Imputation"
        ),
        parameter_methods=_parameter_methods(manifest, dataset, meta),
    )


# --- the data's part ----------------------------------------------------------------------------


def _spelled(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(per row the number of its distinct value, per number the value as define.xml spells
    it; None for missing and ''). Each distinct value is spelled once and the rows stay
    integers: ADRS has millions of rows, and pandas' missing-value checks on object arrays
    of that size cost seconds per column."""
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    spelled = np.array(
        [*(None if pd.isna(v) or v == "" else _code_text(v) for v in uniques), None],
        dtype=object,
    )
    return np.where(codes < 0, len(spelled) - 1, codes), spelled


def _has_value(series: pd.Series) -> bool:
    """Whether any row has a value (neither missing nor '')."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        used = series.cat.categories[np.unique(series.cat.codes[series.cat.codes >= 0])]
        return any(v != "" for v in used)
    values = series.dropna()
    return bool(len(values)) and (values.dtype != object or bool((values != "").any()))


def _decimals(series: pd.Series) -> int:
    """The most decimal places a value has (as repr of the float spells it), at least 1.

    Spelling every distinct value (millions of lab results and days at 100,000 subjects)
    costs ~1 us each, so a value is first tested with numpy: it has at most d places when
    ``np.round(v, d) == v`` (v is then the double nearest a decimal of d places, which repr
    spells in at most d; and a value repr spells in d places rounds back to itself while
    v * 10**d is under 2**50, where the product's errors stay under a half). Of what that
    cannot settle (values too large for the test, those repr spells in scientific notation),
    only values that could have more places than found so far are spelled."""
    values = pd.to_numeric(series, errors="coerce").dropna().unique()
    values = values[np.isfinite(values)]
    size = np.abs(values)
    plain = (size == 0) | ((size >= 1e-4) & (size < 1e16))
    left, spelled, most = values[plain], values[~plain], 1
    for places in range(0, 23):
        exact = np.abs(left) * 10.0**places < 2.0**50
        spelled = np.concatenate([spelled, left[~exact]])
        left = left[exact]
        if not len(left):
            break
        settled = np.round(left, places) == left
        if settled.any():
            most = max(most, places)
        left = left[~settled]
    spelled = np.concatenate([spelled, left])
    # repr spells at most 17 significant digits: at most 17 - floor(log10 |v|) places (and 22
    # characters after the point in scientific notation). Spelled from the largest bound
    # down, the rest is skipped once no bound exceeds the most found.
    size = np.abs(spelled)
    plain = (size >= 1e-4) & (size < 1e16)
    bound = np.where(plain, 17 - np.floor(np.log10(np.where(plain, size, 1.0))), 22)
    for value, at_most in zip(spelled[np.argsort(-bound)], np.sort(bound)[::-1], strict=True):
        if at_most <= most:
            break
        most = max(most, len(repr(float(value)).partition(".")[2].rstrip("0")))
    return most


def data_facts(
    frame: pd.DataFrame, variables: Sequence[VariableMeta], coded: Sequence[str] = ()
) -> DataFacts:
    """The facts of one dataset's data that define.xml needs (see ``DataFacts``); ``coded``:
    the variables with a codelist, whose occurring codes are collected. Only the values
    define.xml names are spelled (codes, PARAM, AVALC's lengths): a number with no codelist
    needs only to be present, per PARAMCD for AVAL."""
    facts = DataFacts()
    spelled: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for meta in variables:
        if meta.name not in frame.columns:
            facts.present[meta.name] = False
            continue
        named = meta.name in coded or meta.name in ("PARAMCD", "PARAM", "STUDYID")
        if named or (meta.name in VALUE_LEVEL_VARIABLES and meta.type == "Char"):
            spelled[meta.name] = codes, spelling = _spelled(frame[meta.name])
            # Every distinct value occurs in some row: the spellings are the values of the data.
            values = {v for v in spelling if v is not None}
            facts.present[meta.name] = bool(values)
            if meta.name in coded or meta.name in ("PARAMCD", "STUDYID"):
                facts.codes[meta.name] = values
        else:
            facts.present[meta.name] = _has_value(frame[meta.name])
        if meta.type == "Num" and not meta.format and not _integer_type(meta.data_type):
            facts.decimals[meta.name] = _decimals(frame[meta.name])
    if "PARAMCD" in spelled:
        code_rows, code_text = spelled["PARAMCD"]
        param_rows, param_text = spelled.get("PARAM", spelled["PARAMCD"])
        first = pd.DataFrame({"code": code_rows, "param": param_rows}).drop_duplicates("code")
        facts.params = {
            code_text[c]: param_text[p] or code_text[c]
            for c, p in first.itertuples(index=False)
            if code_text[c] is not None
        }
        for name in VALUE_LEVEL_VARIABLES:
            if name in spelled:  # text: its longest value in bytes, as the .xpt holds it
                value_rows, value_text = spelled[name]
                length = np.array([-1 if v is None else len(transport_text(v)) for v in value_text])
                length = length[value_rows]
            elif name in frame.columns:  # a number: only whether there is one (Length is 8)
                length = np.where(frame[name].isna().to_numpy(), -1, 8)
            else:
                continue
            rows = pd.DataFrame({"code": code_rows, "length": length})
            longest = rows[rows["length"] >= 0].groupby("code", sort=False)["length"].max()
            facts.param_values[name] = {
                code_text[c]: int(n) for c, n in longest.items() if code_text[c] is not None
            }
            if name in coded and name in spelled:
                value_rows, value_text = spelled[name]
                pairs = pd.DataFrame({"code": code_rows, "value": value_rows}).drop_duplicates()
                per_param: dict[str, set[str]] = {}
                for c, v in pairs.itertuples(index=False):
                    if code_text[c] is not None and value_text[v] is not None:
                        per_param.setdefault(code_text[c], set()).add(value_text[v])
                facts.param_codes[name] = per_param
        if "AVAL" in coded and "AVAL" in spelled and "AVALC" in spelled:
            facts.aval_decodes = _aval_decodes(code_rows, code_text, spelled)
    return facts


def _aval_decodes(
    code_rows: np.ndarray, code_text: np.ndarray, spelled: Mapping[str, tuple]
) -> dict[str, dict[str, str]]:
    """Per PARAMCD, AVAL -> AVALC when that parameter's rows pair each AVAL with one AVALC."""
    (aval_rows, aval_text), (avalc_rows, avalc_text) = spelled["AVAL"], spelled["AVALC"]
    pairs = pd.DataFrame({"code": code_rows, "aval": aval_rows, "avalc": avalc_rows})
    decodes: dict[str, dict[str, str]] = {}
    for c, rows in pairs.drop_duplicates().groupby("code", sort=False):
        named = [
            (aval_text[a], avalc_text[t])
            for a, t in zip(rows["aval"], rows["avalc"], strict=True)
            if aval_text[a] is not None and avalc_text[t] is not None
        ]
        values = [a for a, _ in named]
        if code_text[c] is not None and named and len(values) == len(set(values)):
            decodes[code_text[c]] = dict(named)
    return decodes


# --- define.xml ---------------------------------------------------------------------------------


def _integer_type(data_type: str) -> bool:
    return data_type.strip().lower().split("(")[0].strip() in INTEGER_TYPES


def define_data_type(meta: VariableMeta) -> str:
    """text for Char; integer for SAS dates (numbers shown with DATE9., see the module
    docstring) and integer contract types; float for the other numbers."""
    if meta.type == "Char":
        return "text"
    if meta.format == DATE_FORMAT or _integer_type(meta.data_type):
        return "integer"
    return "float"


def _description(text: str) -> DEFINE.Description:
    return DEFINE.Description(TranslatedText=[DEFINE.TranslatedText(_content=text, lang="en")])


def _oid(*parts: str) -> str:
    return ".".join(re.sub(r"[^A-Za-z0-9_-]", "_", p) for p in parts)


def _item_def(
    ds: DatasetDefinition,
    meta: VariableMeta,
    oid: str,
    *,
    length: int | None = None,
    description: str | None = None,
) -> DEFINE.ItemDef:
    data_type = define_data_type(meta)
    item = DEFINE.ItemDef(
        OID=oid,
        Name=meta.name,
        DataType=data_type,
        SASFieldName=meta.name,
        Description=_description(description or meta.label),
    )
    item.Length = length if length is not None else meta.length
    if data_type == "float":
        item.SignificantDigits = ds.facts.decimals.get(meta.name, 1)
    if meta.format:
        item.DisplayFormat = meta.format
    origin = DEFINE.Origin(Type=meta.origin)
    if meta.origin == "Derived":
        origin.Source = "Sponsor"
    else:  # Predecessor: the source variable; Assigned: the constant and where it is written
        origin.Description = _description(meta.derivation or meta.label)
        if meta.origin == "Assigned":
            origin.Source = "Sponsor"
    item.Origin = [origin]
    return item


def _method(ds: DatasetDefinition, meta: VariableMeta) -> DEFINE.MethodDef:
    text = meta.derivation or meta.label
    kind = "Imputation" if meta.name in ds.imputations else "Computation"
    return DEFINE.MethodDef(
        OID=_oid("MT", ds.name, meta.name),
        Name=f"Algorithm to derive {ds.name}.{meta.name}",
        Type=kind,
        Description=_description(text),
    )


def _codelist(ds: DatasetDefinition, meta: VariableMeta) -> DEFINE.CodeList | None:
    """The codelist of a coded variable: its accepted values that occur in the data (PARAMCD:
    every code of the data, decoded by PARAM; a numeric code decoded by the meanings its
    derivation lists, when it lists one for each); None when none occurs."""
    terms = _codelist_terms(ds, meta)
    if terms is None:
        return None
    order, decodes = terms
    oid, name = _oid("CL", ds.name, meta.name), f"{ds.name} {meta.name}"
    return _codelist_of(oid, name, meta, order, decodes)


def _codelist_terms(
    ds: DatasetDefinition, meta: VariableMeta
) -> tuple[list[str], dict[str, str]] | None:
    """(the codes in order, their decodes or {}) of a coded variable; None when none occurs."""
    occurring = ds.facts.codes.get(meta.name, set())
    allowed = ds.accepted.get(meta.name)
    decodes: dict[str, str] = {}
    if meta.name == "PARAMCD":
        decodes = dict(ds.facts.params)
        order = [c for c in (allowed or []) if c in decodes] + [
            c for c in decodes if c not in (allowed or [])
        ]
    elif allowed is not None:
        order = [c for c in allowed if c in occurring]
        meanings = code_meanings(meta.derivation) if meta.type == "Num" else {}
        if order and all(c in meanings for c in order):
            decodes = meanings
    else:
        return None
    if not order:
        return None
    return order, decodes


def _codelist_of(
    oid: str, name: str, meta: VariableMeta, order: Sequence[str], decodes: Mapping[str, str]
) -> DEFINE.CodeList:
    codelist = DEFINE.CodeList(OID=oid, Name=name, DataType=define_data_type(meta))
    if decodes:
        codelist.CodeListItem = [
            DEFINE.CodeListItem(
                CodedValue=code,
                OrderNumber=i,
                Decode=DEFINE.Decode(
                    TranslatedText=[DEFINE.TranslatedText(_content=decodes[code], lang="en")]
                ),
            )
            for i, code in enumerate(order, start=1)
        ]
    else:
        codelist.EnumeratedItem = [
            DEFINE.EnumeratedItem(CodedValue=code, OrderNumber=i)
            for i, code in enumerate(order, start=1)
        ]
    return codelist


@dataclass
class _Parts:
    """The MetaDataVersion's lists, filled dataset by dataset."""

    groups: list = field(default_factory=list)
    items: list = field(default_factory=list)
    codelists: list = field(default_factory=list)
    methods: list = field(default_factory=list)
    comments: list = field(default_factory=list)
    value_lists: list = field(default_factory=list)
    where_clauses: list = field(default_factory=list)


def _parameter_codelist(
    ds: DatasetDefinition, meta: VariableMeta, code: str
) -> DEFINE.CodeList | None:
    """The codelist of a coded variable on one parameter's rows: the terms of the variable's
    codelist that parameter takes (MRD12's AVALC: Y, N), with their decodes (a numeric AVAL
    without any: the AVALC each code has on those rows, MRD12's 1 Y, 0 N); None when the
    variable has no codelist or no code on those rows."""
    terms = _codelist_terms(ds, meta)
    taken = ds.facts.param_codes.get(meta.name, {}).get(code, set())
    if terms is None or not taken:
        return None
    order, decodes = terms
    if not decodes and meta.name == "AVAL":
        decodes = ds.facts.aval_decodes.get(code, {})
        if not all(c in decodes for c in order if c in taken):
            decodes = {}
    return _codelist_of(
        _oid("CL", ds.name, meta.name, code),
        f"{ds.name} {meta.name} for {code}",
        meta,
        [c for c in order if c in taken],
        decodes,
    )


def _parameter_method(ds: DatasetDefinition, parts: _Parts, code: str) -> str | None:
    """The OID of the MethodDef holding ``code``'s rule (meta.parameter_methods: the model's
    description), added once per model; None when the dataset names none for it."""
    if code not in ds.parameter_methods:
        return None
    model, text = ds.parameter_methods[code]
    oid = _oid("MT", ds.name, model)
    if all(m.OID != oid for m in parts.methods):
        codes = [c for c, (m, _) in ds.parameter_methods.items() if m == model]
        parts.methods.append(
            DEFINE.MethodDef(
                OID=oid,
                Name=f"Algorithm to derive {ds.name} {', '.join(codes)}",
                Type="Computation",
                Description=_description(f"{text} (dbt model {model})"),
            )
        )
    return oid


def _value_level(
    ds: DatasetDefinition, parts: _Parts, by_name: Mapping[str, VariableMeta]
) -> tuple[dict[str, str], list]:
    """ValueListDefs of AVAL / AVALC, one ItemRef per PARAMCD that has a value there (a
    PARAMCD with a value in neither goes to the first of them), each with the WhereClause
    PARAMCD EQ code; returns ({variable: ValueListOID}, the value-level ItemDefs)."""
    value_items: list = []
    if "PARAMCD" not in by_name or not ds.facts.params:
        return {}, value_items
    names = [n for n in VALUE_LEVEL_VARIABLES if n in by_name]
    if not names:
        return {}, value_items
    with_value = {n: ds.facts.param_values.get(n, {}) for n in names}
    uncovered = [c for c in ds.facts.params if not any(c in with_value[n] for n in names)]
    refs: dict[str, list] = {n: [] for n in names}
    used: list[str] = []
    for code in ds.facts.params:
        for name in names:
            if code not in with_value[name] and not (name == names[0] and code in uncovered):
                continue
            meta = by_name[name]
            where = _oid("WC", ds.name, "PARAMCD", code)
            if where not in used:
                used.append(where)
            oid = _oid("IT", ds.name, name, code)
            length = with_value[name].get(code, 1) if meta.type == "Char" else None
            item = _item_def(
                ds,
                meta,
                oid,
                length=length,
                description=f"{meta.label} for {ds.facts.params[code]}",
            )
            codelist = _parameter_codelist(ds, meta, code)
            if codelist is not None:
                parts.codelists.append(codelist)
                item.CodeListRef = DEFINE.CodeListRef(CodeListOID=codelist.OID)
            value_items.append(item)
            ref = DEFINE.ItemRef(
                ItemOID=oid,
                OrderNumber=len(refs[name]) + 1,
                Mandatory="No",
                WhereClauseRef=[DEFINE.WhereClauseRef(WhereClauseOID=where)],
            )
            if meta.origin == "Derived":
                ref.MethodOID = _parameter_method(ds, parts, code) or _oid("MT", ds.name, name)
            refs[name].append(ref)
    for where in used:
        code = where.split(".", 3)[3]
        original = next(c for c in ds.facts.params if _oid(c) == code)
        parts.where_clauses.append(
            DEFINE.WhereClauseDef(
                OID=where,
                RangeCheck=[
                    DEFINE.RangeCheck(
                        Comparator="EQ",
                        SoftHard="Soft",
                        ItemOID=_oid("IT", ds.name, "PARAMCD"),
                        CheckValue=[DEFINE.CheckValue(_content=original)],
                    )
                ],
            )
        )
    lists = {}
    for name in names:
        if refs[name]:
            lists[name] = _oid("VL", ds.name, name)
            parts.value_lists.append(DEFINE.ValueListDef(OID=lists[name], ItemRef=refs[name]))
    return lists, value_items


def _dataset(ds: DatasetDefinition, parts: _Parts) -> None:
    by_name = {m.name: m for m in ds.variables}
    group = DEFINE.ItemGroupDef(
        OID=_oid("IG", ds.name),
        Name=ds.name,
        Repeating="No" if ds.cls == "SUBJECT LEVEL ANALYSIS DATASET" else "Yes",
        IsReferenceData="No",
        SASDatasetName=ds.name,
        Purpose="Analysis",
        Structure=ds.structure,
        ArchiveLocationID=_oid("LF", ds.name),
        StandardOID=ds.standard_oid,
        Description=_description(ds.label),
        Class=DEFINE.Class(
            Name=ds.cls, SubClass=[DEFINE.SubClass(Name=ds.subclass)] if ds.subclass else []
        ),
        leaf=DEFINE.leaf(
            ID=_oid("LF", ds.name),
            href=f"{ds.name.lower()}.xpt",
            title=DEFINE.title(_content=f"{ds.name.lower()}.xpt"),
        ),
    )
    for meta in ds.variables:
        codelist = _codelist(ds, meta)
        if codelist is not None:
            parts.codelists.append(codelist)
    value_lists, value_items = _value_level(ds, parts, by_name)
    refs = []
    for order, meta in enumerate(ds.variables, start=1):
        oid = _oid("IT", ds.name, meta.name)
        item = _item_def(ds, meta, oid)
        codelist_oid = _oid("CL", ds.name, meta.name)
        if any(c.OID == codelist_oid for c in parts.codelists):
            item.CodeListRef = DEFINE.CodeListRef(CodeListOID=codelist_oid)
        if meta.name in value_lists:
            item.ValueListRef = DEFINE.ValueListRef(ValueListOID=value_lists[meta.name])
        ref = DEFINE.ItemRef(
            ItemOID=oid,
            OrderNumber=order,
            Mandatory="Yes" if meta.name in ds.mandatory else "No",
        )
        if meta.name in ds.keys:
            ref.KeySequence = ds.keys.index(meta.name) + 1
        if meta.origin == "Derived":
            ref.MethodOID = _oid("MT", ds.name, meta.name)
            parts.methods.append(_method(ds, meta))
        if not ds.facts.present.get(meta.name, True):
            # submission.md: no variable is entirely empty unless define.xml says why.
            comment = _oid("COM", ds.name, meta.name)
            item.CommentOID = comment
            ref.HasNoData = "Yes"
            parts.comments.append(
                DEFINE.CommentDef(
                    OID=comment,
                    Description=_description(ds.empty_reasons.get(meta.name, EMPTY_COMMENT)),
                )
            )
        parts.items.append(item)
        refs.append(ref)
    parts.items += value_items  # after the variables they detail
    group.ItemRef = refs
    parts.groups.append(group)


def build_define(
    datasets: Sequence[DatasetDefinition],
    *,
    study: str,
    created: datetime | None = None,
) -> DEFINE.ODM:
    """The Define-XML 2.1 document of ``datasets`` (in that order) for ``study``."""
    parts = _Parts()
    for ds in datasets:
        _dataset(ds, parts)
    # Each dataset's def:leaf (its .xpt) lives in its ItemGroupDef; MetaDataVersion-level
    # leaves are for documents, which this package has none of.
    standards = list(dict.fromkeys([ADAMIG, *(ds.standard for ds in datasets)]))
    named = ", ".join(f"{name} {version}" for name, version in standards)
    mdv = DEFINE.MetaDataVersion(
        OID=_oid("MDV", study, "ADaM"),
        Name=f"{study} ADaM datasets",
        Description=f"{study} analysis datasets ({named})",
        DefineVersion="2.1.0",
        Standards=DEFINE.Standards(
            Standard=[
                DEFINE.Standard(
                    OID=standard_oid(name, version),
                    Name=name,
                    Type="IG",
                    Version=version,
                    Status="Final",
                )
                for name, version in standards
            ]
        ),
    )
    mdv.ValueListDef = parts.value_lists
    mdv.WhereClauseDef = parts.where_clauses
    mdv.ItemGroupDef = parts.groups
    mdv.ItemDef = parts.items
    mdv.CodeList = parts.codelists
    mdv.MethodDef = parts.methods
    mdv.CommentDef = parts.comments
    stamp = (created or datetime.now(UTC)).replace(microsecond=0).isoformat()
    return DEFINE.ODM(
        FileType="Snapshot",
        FileOID=_oid("DEF", study, "ADaM"),
        CreationDateTime=stamp,
        ODMVersion="1.3.2",
        Originator="ISA-DEX-MM warehouse",
        SourceSystem="isadex",
        Context="Submission",
        Study=DEFINE.Study(
            OID=_oid("STUDY", study),
            GlobalVariables=DEFINE.GlobalVariables(
                StudyName=DEFINE.StudyName(_content=study),
                StudyDescription=DEFINE.StudyDescription(_content=f"{study} analysis datasets"),
                ProtocolName=DEFINE.ProtocolName(_content=study),
            ),
            MetaDataVersion=mdv,
        ),
    )


def define_text(document: DEFINE.ODM) -> str:
    """The document as written: XML declaration, the stylesheet processing instruction (so a
    browser shows it through ``STYLESHEET``), then the ODM element, indented so a reviewer
    can read the file itself too."""
    root = etree.fromstring(document.to_xml_string().encode("utf-8"))
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<?xml-stylesheet type="text/xsl" href="{STYLESHEET}"?>\n'
        + etree.tostring(root, pretty_print=True, encoding="unicode")
    )


# --- validation ---------------------------------------------------------------------------------


def schema_path() -> Path:
    """The Define-XML 2.1 schema odmlib ships (odmlib/schemas/define/2.1)."""
    return Path(str(resources.files("odmlib") / "schemas" / "define" / "2.1" / "define2-1-0.xsd"))


_SCHEMA: xmlschema.XMLSchema | None = None


def _schema() -> xmlschema.XMLSchema:
    global _SCHEMA
    if _SCHEMA is None:
        _SCHEMA = xmlschema.XMLSchema(str(schema_path()))
    return _SCHEMA


def label_errors(document: DEFINE.ODM) -> list[str]:
    """Labels the transport file cannot hold: a dataset or variable Description over 40
    characters (the schema allows any length; the XPT v5 label does not)."""
    mdv = document.Study.MetaDataVersion
    found = []
    for what, elements in (("ItemGroupDef", mdv.ItemGroupDef), ("ItemDef", mdv.ItemDef)):
        for element in elements:
            if what == "ItemDef" and element.OID.count(".") > 2:
                continue  # value-level ItemDefs describe a parameter; not an XPT label
            text = element.Description.TranslatedText[0]._content
            if len(text.encode("utf-8")) > MAX_LABEL:
                found.append(
                    f"{what} {element.OID}: label is {len(text.encode('utf-8'))} bytes "
                    f"(max {MAX_LABEL}): {text!r}"
                )
    return found


def validation_errors(path: Path | str) -> list[str]:
    """Every way the file at ``path`` breaks the Define-XML 2.1 schema: the element path and
    the reason of each ([] when valid)."""
    return [f"{error.path}: {error.reason}" for error in _schema().iter_errors(str(path))]


def validate_define(path: Path | str) -> None:
    """Raise DefineInvalid listing every schema error of the define.xml at ``path``."""
    errors = validation_errors(path)
    if errors:
        raise DefineInvalid(errors)


def write_define_xml(
    datasets: Sequence[DatasetDefinition],
    folder: Path | str,
    *,
    study: str,
    created: datetime | None = None,
) -> tuple[Path, Path]:
    """Write define.xml and its stylesheet into ``folder`` and validate it against the schema;
    raises DefineInvalid (the file stays, for the reader of the message to open) when it is not
    valid or a label cannot go into the transport file. Returns (define.xml, stylesheet)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    document = build_define(datasets, study=study, created=created)
    path = folder / DEFINE_XML
    path.write_text(define_text(document), encoding="utf-8")
    stylesheet = folder / STYLESHEET
    stylesheet.write_bytes(STYLESHEET_SOURCE.read_bytes())
    errors = label_errors(document) + validation_errors(path)
    if errors:
        raise DefineInvalid(errors)
    return path, stylesheet
