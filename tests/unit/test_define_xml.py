"""define.xml (Define-XML 2.1) of the submission package, on the small package of
tests/fixtures/define_package.py: valid against odmlib's Define-XML 2.1 schema, saying what
the manifest and the data say (expected values written by hand from the fixture, see its
docstring), opened by its stylesheet, refused with a clear message when broken, and declaring
what pyreadstat and R haven (tests/reference/haven_read_xpt.json) read from the .xpt files."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import numpy as np
import pyreadstat
import pytest
from lxml import etree

from dagster_project.lib.export import define_xml
from dagster_project.lib.export.define_xml import (
    EMPTY_COMMENT,
    DataFacts,
    DefineInvalid,
    accepted_values,
    code_meanings,
    dataset_definition,
    not_null_columns,
    validate_define,
    validation_errors,
    write_define_xml,
)
from dagster_project.lib.export.package import PackageRefused, write_package
from dagster_project.lib.export.xpt import VariableMeta
from tests.fixtures import define_package
from tests.fixtures.dbt_manifest import column, data_test, model

NS = {
    "odm": "http://www.cdisc.org/ns/odm/v1.3",
    "def": "http://www.cdisc.org/ns/def/v2.1",
    "xlink": "http://www.w3.org/1999/xlink",
}
DEF = "{http://www.cdisc.org/ns/def/v2.1}"
XLINK = "{http://www.w3.org/1999/xlink}"
HAVEN = Path(__file__).parents[1] / "reference" / "haven_read_xpt.json"
DATASETS = ("ADSL", "ADRS", "ADTTE", "ADAE", "ADEX", "ADLB")


@pytest.fixture(scope="module")
def package(tmp_path_factory) -> Path:
    return define_package.write(tmp_path_factory.mktemp("package") / "submission")


@pytest.fixture(scope="module")
def doc(package):
    return etree.parse(str(package / "define.xml"))


def _one(doc, xpath: str):
    found = doc.xpath(xpath, namespaces=NS)
    assert len(found) == 1, (xpath, len(found))
    return found[0]


def _text(element) -> str:
    return element.xpath("string(odm:Description/odm:TranslatedText)", namespaces=NS)


def _variables(doc, dataset: str) -> list:
    """(ItemRef, ItemDef) of a dataset's variables in OrderNumber order."""
    refs = doc.xpath(f"//odm:ItemGroupDef[@Name='{dataset}']/odm:ItemRef", namespaces=NS)
    refs = sorted(refs, key=lambda r: int(r.get("OrderNumber")))
    return [(r, _one(doc, f"//odm:ItemDef[@OID='{r.get('ItemOID')}']")) for r in refs]


def _codes(doc, oid: str) -> list[tuple[str, str]]:
    codelist = _one(doc, f"//odm:CodeList[@OID='{oid}']")
    return [
        (item.get("CodedValue"), item.xpath("string(odm:Decode/odm:TranslatedText)", namespaces=NS))
        for item in codelist.xpath("odm:CodeListItem | odm:EnumeratedItem", namespaces=NS)
    ]


# --- schema, study, datasets -----------------------------------------------------------------


def test_package_define_xml_is_valid_define_xml_2_1(package):
    assert define_xml.schema_path().is_file()
    assert validation_errors(package / "define.xml") == []
    validate_define(package / "define.xml")  # raises when invalid


def test_document_attributes_and_standard(doc):
    root = doc.getroot()
    assert root.get("FileType") == "Snapshot"
    assert root.get("ODMVersion") == "1.3.2"
    assert root.get(f"{DEF}Context") == "Submission"
    mdv = _one(doc, "//odm:MetaDataVersion")
    assert mdv.get(f"{DEF}DefineVersion") == "2.1.0"
    # ADaMIG 1.3, and the OCCDS implementation guide ADAE follows (its meta.standard)
    standards = doc.xpath("//def:Standards/def:Standard", namespaces=NS)
    assert [(s.get("OID"), s.get("Name"), s.get("Type"), s.get("Version")) for s in standards] == [
        ("STD.ADaMIG.1.3", "ADaMIG", "IG", "1.3"),
        ("STD.ADaM-OCCDSIG.1.1", "ADaM-OCCDSIG", "IG", "1.1"),
    ]
    groups = doc.xpath("//odm:ItemGroupDef", namespaces=NS)
    assert {g.get("Name"): g.get(f"{DEF}StandardOID") for g in groups} == {
        name: "STD.ADaM-OCCDSIG.1.1" if name == "ADAE" else "STD.ADaMIG.1.3" for name in DATASETS
    }
    assert _one(doc, "//odm:StudyName").text == "ISA-DEX-MM"


def test_every_dataset_with_class_structure_keys_and_location(doc):
    groups = doc.xpath("//odm:ItemGroupDef", namespaces=NS)
    assert [g.get("Name") for g in groups] == list(DATASETS)
    adsl, adex = groups[0], groups[4]
    assert _text(adsl) == "Subject-Level Analysis Dataset"
    assert adsl.xpath("string(def:Class/@Name)", namespaces=NS) == "SUBJECT LEVEL ANALYSIS DATASET"
    assert adsl.get(f"{DEF}Structure") == "One record per subject"
    assert adsl.get("Repeating") == "No" and adex.get("Repeating") == "Yes"
    # def:SubClass from the model's meta.subclass: ADTTE's and ADAE's; none on the others
    subclasses = {
        g.get("Name"): g.xpath("def:Class/def:SubClass/@Name", namespaces=NS) for g in groups
    }
    assert subclasses == {
        name: {"ADTTE": ["TIME-TO-EVENT"], "ADAE": ["ADVERSE EVENT"]}.get(name, [])
        for name in DATASETS
    }
    for group in groups:
        assert group.get("Purpose") == "Analysis"
        leaf = _one(group, "def:leaf")
        assert group.get(f"{DEF}ArchiveLocationID") == leaf.get("ID")
        assert leaf.get(f"{XLINK}href") == f"{group.get('Name').lower()}.xpt"
    # ADEX's key lists PARCAT1 before PARAMCD, which comes first in the columns.
    keys = {d.get("Name"): int(r.get("KeySequence")) for r, d in _variables(doc, "ADEX")
            if r.get("KeySequence")}  # fmt: skip
    assert keys == {"STUDYID": 1, "USUBJID": 2, "PARCAT1": 3, "PARAMCD": 4}


# --- variables --------------------------------------------------------------------------------


def test_variables_with_type_length_label_format_origin(doc):
    adsl = {d.get("Name"): (r, d) for r, d in _variables(doc, "ADSL")}
    assert list(adsl) == [
        "STUDYID", "USUBJID", "SUBJID", "SITEID", "AGE", "AGEU", "SEX", "RACE", "ARM", "ACTARM",
        "TRT01P", "TRT01A", "ITTFL", "SAFFL", "TRTSDT", "TRTEDT", "DTHDT",
    ]  # fmt: skip
    ref, item = adsl["USUBJID"]
    # "S-001": 5 bytes, the longest value; text with its label and SAS name.
    assert (item.get("DataType"), item.get("Length"), item.get("SASFieldName")) == (
        "text", "5", "USUBJID",
    )  # fmt: skip
    assert _text(item) == "Unique Subject Identifier"
    # The one arm, 'ISATUXIMAB-DEXAMETHASONE': 24 bytes, in ADSL and as every TRTP.
    assert adsl["TRT01P"][1].get("Length") == "24"
    assert _one(doc, "//odm:ItemDef[@OID='IT.ADRS.TRTP']").get("Length") == "24"
    assert adsl["AGE"][1].get("DataType") == "integer"
    # A SAS date: a number shown with DATE9.
    trtsdt = adsl["TRTSDT"][1]
    assert (trtsdt.get("DataType"), trtsdt.get(f"{DEF}DisplayFormat")) == ("integer", "DATE9.")
    # Origins: a copied source variable, a constant, a rule.
    origin = {n: _one(d, "def:Origin") for n, (_, d) in adsl.items()}
    assert origin["SEX"].get("Type") == "Predecessor"
    assert _text(origin["SEX"]) == "dm.SEX."
    assert (origin["AGEU"].get("Type"), _text(origin["AGEU"])) == ("Assigned", "YEARS.")
    assert origin["TRTSDT"].get("Type") == "Derived"
    # Mandatory: the keys and the columns_not_null test (AGE); not SEX.
    assert [adsl[n][0].get("Mandatory") for n in ("STUDYID", "AGE", "SEX")] == ["Yes", "Yes", "No"]
    # A double: float, with the most decimal places the data holds (1.25 -> 2).
    aval = dict((d.get("Name"), d) for _, d in _variables(doc, "ADLB"))["AVAL"]
    assert (aval.get("DataType"), aval.get("SignificantDigits")) == ("float", "2")


def test_methods_hold_the_derivation_text(doc):
    trtsdt = _one(doc, "//odm:ItemGroupDef[@Name='ADSL']/odm:ItemRef[@ItemOID='IT.ADSL.TRTSDT']")
    method = _one(doc, f"//odm:MethodDef[@OID='{trtsdt.get('MethodOID')}']")
    assert (method.get("Type"), _text(method)) == ("Computation", "The first dose date.")
    dthdt = _one(doc, "//odm:MethodDef[@OID='MT.ADSL.DTHDT']")
    assert (dthdt.get("Type"), _text(dthdt)) == (
        "Imputation", "dth.DTHDT imputed: missing day 1st of month.",
    )  # fmt: skip
    # The type follows meta.method_type, not words in the text: TRTSDT's says nothing of an
    # imputation, and a computation that mentions an imputed date (ADSL DURDIS: "DIAGDT as
    # imputed") stays a Computation.
    assert [
        m.get("OID") for m in doc.xpath("//odm:MethodDef[@Type='Imputation']", namespaces=NS)
    ] == ["MT.ADSL.DTHDT"]
    # Predecessor and Assigned variables have no method.
    assert not doc.xpath(
        "//odm:MethodDef[@OID='MT.ADSL.SEX' or @OID='MT.ADSL.AGEU']", namespaces=NS
    )


def test_empty_variables_say_why(doc):
    dthdt = _one(doc, "//odm:ItemDef[@OID='IT.ADSL.DTHDT']")
    comment = _one(doc, f"//def:CommentDef[@OID='{dthdt.get(f'{DEF}CommentOID')}']")
    assert _text(comment) == "No subject died before the data cut-off."  # meta.empty_reason
    lbcomm = _one(doc, "//odm:ItemDef[@OID='IT.ADLB.LBCOMM']")
    assert _text(_one(doc, f"//def:CommentDef[@OID='{lbcomm.get(f'{DEF}CommentOID')}']")) == (
        EMPTY_COMMENT
    )
    ref = _one(doc, "//odm:ItemRef[@ItemOID='IT.ADLB.LBCOMM']")
    assert ref.get(f"{DEF}HasNoData") == "Yes"
    assert len(doc.xpath("//def:CommentDef", namespaces=NS)) == 2


# --- codelists and value-level metadata -------------------------------------------------------


def test_codelists_from_the_dbt_tests_and_the_data(doc):
    # columns_accepted_values [M, F], both in the data, in the test's order.
    assert _codes(doc, "CL.ADSL.SEX") == [("M", ""), ("F", "")]
    # A boolean accepted as true: Y, as the transport file holds it.
    assert _codes(doc, "CL.ADSL.ITTFL") == [("Y", "")]
    assert _codes(doc, "CL.ADSL.SAFFL") == [("Y", "")]
    # accepted_values [1..5] on ATOXGR: the grades the data holds (3, 2, 2).
    assert _codes(doc, "CL.ADAE.ATOXGR") == [("2", ""), ("3", "")]
    # CNSR decoded by its derivation text; 2 is accepted but absent.
    assert _codes(doc, "CL.ADTTE.CNSR") == [("0", "event"), ("1", "LSTASDT")]
    # PARAMCD decoded by PARAM; ADEX has no accepted-values test: the data's order.
    assert _codes(doc, "CL.ADRS.PARAMCD") == [
        ("BOR", "Best Overall Response"), ("MRD12", "MRD Negativity at 12 Months"),
    ]  # fmt: skip
    assert _codes(doc, "CL.ADEX.PARAMCD") == [
        ("CUMDOSE", "Cumulative Dose (mg/kg)"), ("RDI", "Relative Dose Intensity"),
    ]  # fmt: skip
    assert _codes(doc, "CL.ADRS.AVALC") == [("CR", ""), ("VGPR", ""), ("Y", ""), ("N", "")]
    # A value-level AVALC lists only what its parameter takes: BOR the responses, MRD12 Y/N.
    assert _codes(doc, "CL.ADRS.AVALC.BOR") == [("CR", ""), ("VGPR", "")]
    assert _codes(doc, "CL.ADRS.AVALC.MRD12") == [("Y", ""), ("N", "")]
    # A coded AVAL is decoded, parameter by parameter, by the AVALC it pairs with (MRD12:
    # 1 Y, 0 N); the variable's codelist, over every parameter, lists the codes only.
    assert _codes(doc, "CL.ADRS.AVAL.MRD12") == [("0", "N"), ("1", "Y")]
    assert _codes(doc, "CL.ADRS.AVAL") == [("0", ""), ("1", "")]
    for code in ("BOR", "MRD12"):
        ref = _one(doc, f"//odm:ItemDef[@OID='IT.ADRS.AVALC.{code}']/odm:CodeListRef")
        assert ref.get("CodeListOID") == f"CL.ADRS.AVALC.{code}"
    ref = _one(doc, "//odm:ItemDef[@OID='IT.ADTTE.CNSR']/odm:CodeListRef")
    assert ref.get("CodeListOID") == "CL.ADTTE.CNSR"
    # Not coded: no codelist.
    assert not doc.xpath("//odm:CodeList[@OID='CL.ADAE.AEDECOD']", namespaces=NS)


def _value_list(doc, oid: str) -> list[tuple[str, str, str | None]]:
    """(PARAMCD of the where clause, variable, Length) of each ItemRef of a ValueListDef."""
    rows = []
    for ref in _one(doc, f"//def:ValueListDef[@OID='{oid}']").xpath("odm:ItemRef", namespaces=NS):
        where = ref.xpath("string(def:WhereClauseRef/@WhereClauseOID)", namespaces=NS)
        check = _one(doc, f"//def:WhereClauseDef[@OID='{where}']/odm:RangeCheck")
        assert (check.get("Comparator"), check.get(f"{DEF}ItemOID").split(".")[-1]) == (
            "EQ", "PARAMCD",
        )  # fmt: skip
        item = _one(doc, f"//odm:ItemDef[@OID='{ref.get('ItemOID')}']")
        rows.append((check.xpath("string(odm:CheckValue)", namespaces=NS), item.get("Name"),
                     item.get("Length") if item.get("DataType") == "text" else None))  # fmt: skip
    return rows


def test_value_level_metadata_one_where_clause_per_paramcd(doc):
    # ADRS: BOR has AVALC only (VGPR, 4 bytes, is its longest), MRD12 both (Y/N, 1/0).
    assert _value_list(doc, "VL.ADRS.AVALC") == [("BOR", "AVALC", "4"), ("MRD12", "AVALC", "1")]
    assert _value_list(doc, "VL.ADRS.AVAL") == [("MRD12", "AVAL", None)]
    # The data's order, which is key order: OS before PFS.
    assert _value_list(doc, "VL.ADTTE.AVAL") == [("OS", "AVAL", None), ("PFS", "AVAL", None)]
    assert _value_list(doc, "VL.ADEX.AVAL") == [("CUMDOSE", "AVAL", None), ("RDI", "AVAL", None)]
    assert _value_list(doc, "VL.ADLB.AVAL") == [("SMPROT", "AVAL", None), ("KAPPA", "AVAL", None)]
    where = [w.get("OID") for w in doc.xpath("//def:WhereClauseDef", namespaces=NS)]
    assert len(where) == len(set(where)) == 8  # 2 parameters x ADRS, ADTTE, ADEX, ADLB
    aval = _one(doc, "//odm:ItemDef[@OID='IT.ADRS.AVAL']/def:ValueListRef")
    assert aval.get("ValueListOID") == "VL.ADRS.AVAL"
    # A parameter whose rule a model states (ADRS meta.parameter_methods: MRD12) has that
    # model's description as its value-level method; the others the variable's method.
    methods = {
        r.xpath("string(def:WhereClauseRef/@WhereClauseOID)", namespaces=NS): r.get("MethodOID")
        for r in doc.xpath("//def:ValueListDef[@OID='VL.ADRS.AVALC']/odm:ItemRef", namespaces=NS)
    }
    assert methods == {
        "WC.ADRS.PARAMCD.BOR": "MT.ADRS.AVALC",
        "WC.ADRS.PARAMCD.MRD12": "MT.ADRS.int_mrd_windows_evaluated",
    }
    mrd12 = _one(doc, "//odm:MethodDef[@OID='MT.ADRS.int_mrd_windows_evaluated']")
    assert (mrd12.get("Name"), mrd12.get("Type"), _text(mrd12)) == (
        "Algorithm to derive ADRS MRD12", "Computation",
        "MRD Negativity by Window. MRD12: a negative result within 365 days after ASCT. "
        "(dbt model int_mrd_windows_evaluated)",
    )  # fmt: skip
    # No PARAMCD, no value-level metadata (ADSL, ADAE; ADEX before its BDS reshaping).
    assert not doc.xpath("//def:ValueListDef[contains(@OID, 'ADAE')]", namespaces=NS)


def test_code_meanings_from_a_derivation():
    assert code_meanings(
        "0 event; 1 LSTASDT (PFSALG: the last point that was not NE); 2 LSTALVDT; "
        "8 competing event (TTDISC)."
    ) == {
        "0": "event",
        "1": "LSTASDT (PFSALG: the last point that was not NE)",
        "2": "LSTALVDT",
        "8": "competing event (TTDISC)",
    }
    assert code_meanings("ADT - STARTDT + 1, in days.") == {}


def test_accepted_and_not_null_columns_from_the_manifest():
    manifest = define_package.manifest()
    assert accepted_values(manifest, "adsl") == {
        "STUDYID": ["ISA-DEX-MM"], "AGEU": ["YEARS"], "SEX": ["M", "F"], "ITTFL": ["Y"],
        "SAFFL": ["Y"],
    }  # fmt: skip
    assert accepted_values(manifest, "adae") == {"ATOXGR": ["1", "2", "3", "4", "5"]}
    assert not_null_columns(manifest, "adsl") == {"STUDYID", "USUBJID", "AGE"}


# --- the stylesheet ---------------------------------------------------------------------------


def test_stylesheet_opens_define_xml_as_a_page_listing_every_dataset(package, doc):
    assert (
        package / define_xml.STYLESHEET
    ).read_bytes() == define_xml.STYLESHEET_SOURCE.read_bytes()
    pi = doc.getroot().getprevious()
    assert pi.target == "xml-stylesheet" and pi.get("href") == define_xml.STYLESHEET
    html = etree.XSLT(etree.parse(str(package / define_xml.STYLESHEET)))(doc)
    page = etree.fromstring(str(html), etree.HTMLParser())
    listed = page.xpath("//table[@id='dataset-table']//tr/td[1]/a/text()")
    assert listed == list(DATASETS)
    for name in DATASETS:  # a section per dataset, its variables in a table
        assert page.xpath(f"//h2[@id='IG.{name}']"), name
    text = " ".join(page.itertext())
    for expected in ("Best Overall Response", "The first dose date.", "MRD12",
                     "No subject died before the data cut-off.", "Predecessor: dm.SEX.",
                     "DATE9."):  # fmt: skip
        assert expected in text, expected


# --- refusals ---------------------------------------------------------------------------------


def _definition(label: str) -> object:
    manifest = model(
        "adxx",
        [column("USUBJID", "varchar", f"{label}. ADSL.USUBJID.", label)],
        "Test Dataset. Rest.",
        "Test Dataset",
        {"class": "BASIC DATA STRUCTURE", "structure": "One record per subject"},
    )
    meta = VariableMeta("ADXX", "USUBJID", label, "Char", 3, "", "Predecessor",
                        "ADSL.USUBJID.", "varchar")  # fmt: skip
    facts = DataFacts(present={"USUBJID": True})
    return dataset_definition({"nodes": manifest}, "adxx", "Test Dataset", [meta], facts)


def test_a_label_over_40_bytes_is_refused_naming_the_variable(tmp_path):
    long_label = "Unique Subject Identifier, Site Assigned"  # 40 bytes: fine
    write_define_xml([_definition(long_label)], tmp_path / "ok", study="S")
    with pytest.raises(DefineInvalid) as refused:
        write_define_xml([_definition(long_label + "!")], tmp_path / "bad", study="S")
    assert "ItemDef IT.ADXX.USUBJID: label is 41 bytes (max 40)" in str(refused.value)


def test_an_item_def_without_a_required_attribute_is_refused_naming_it(package, tmp_path):
    broken = (
        (package / "define.xml")
        .read_text()
        .replace(
            '<ItemDef OID="IT.ADSL.AGE" Name="AGE" DataType="integer"',
            '<ItemDef OID="IT.ADSL.AGE" Name="AGE"',
        )
    )
    path = tmp_path / "define.xml"
    path.write_text(broken)
    with pytest.raises(DefineInvalid) as refused:
        validate_define(path)
    message = str(refused.value)
    assert "define.xml refused, 1 error(s)" in message
    assert "ItemDef" in message and "DataType" in message


def test_the_package_is_not_published_with_an_invalid_define_xml(tmp_path, monkeypatch):
    real = define_xml.define_text

    def without_data_type(document):
        return real(document).replace(' DataType="integer"', "", 1)

    monkeypatch.setattr(define_xml, "define_text", without_data_type)
    con = duckdb.connect()
    define_package.create_tables(con)
    folder = tmp_path / "submission"
    with pytest.raises(PackageRefused) as refused:
        write_package(con, define_package.manifest(), folder)
    assert "DataType" in str(refused.value)
    assert refused.value.violations
    assert not folder.exists() and not folder.with_name("submission.partial").exists()


def test_a_model_without_structure_refuses_the_package(tmp_path):
    manifest = define_package.manifest()
    manifest["nodes"]["model.isadex.adae"]["meta"].pop("structure")
    manifest["nodes"]["model.isadex.adae"]["config"]["meta"].pop("structure", None)
    con = duckdb.connect()
    define_package.create_tables(con)
    with pytest.raises(PackageRefused) as refused:
        write_package(con, manifest, tmp_path / "submission")
    assert "ADAE: the dbt model has no meta structure" in str(refused.value)
    assert not (tmp_path / "submission").exists()


def test_accepted_values_test_on_a_column_is_read():
    manifest = {"nodes": model("adxx", [], "X.", "X") | data_test(
        "adxx", "accepted_values", column_name="FL", values=["Y"])}  # fmt: skip
    assert accepted_values(manifest, "adxx") == {"FL": ["Y"]}


# --- readers agree with define.xml ------------------------------------------------------------


def _declared(doc) -> dict[str, dict]:
    """Per dataset what define.xml declares: label, and per variable (label, character or
    numeric, SAS format without its final '.')."""
    return {
        group.get("Name"): {
            "label": _text(group),
            "variables": [
                (
                    item.get("Name"),
                    _text(item),
                    "character" if item.get("DataType") == "text" else "numeric",
                    (item.get(f"{DEF}DisplayFormat") or "").removesuffix(".") or None,
                )
                for _, item in _variables(doc, group.get("Name"))
            ],
        }
        for group in doc.xpath("//odm:ItemGroupDef", namespaces=NS)
    }


def test_pyreadstat_reads_what_define_xml_declares(package, doc):
    declared = _declared(doc)
    for name, want in declared.items():
        _, info = pyreadstat.read_xport(str(package / f"{name.lower()}.xpt"), metadataonly=True)
        assert info.file_label == want["label"], name
        read = [
            (
                var,
                info.column_names_to_labels[var],
                "character" if info.readstat_variable_types[var] == "string" else "numeric",
                info.original_variable_types[var],
            )
            for var in info.column_names
        ]
        assert read == want["variables"], name


def test_r_haven_read_what_define_xml_declares(doc):
    """tests/reference/haven_read_xpt.json: haven::read_xpt's reading of this same fixture
    package (regenerated as its R script's header says)."""
    haven = json.loads(HAVEN.read_text())
    declared = _declared(doc)
    assert sorted(d["dataset"] for d in haven["datasets"]) == sorted(declared)
    for dataset in haven["datasets"]:
        want = declared[dataset["dataset"]]
        assert dataset["label"] == want["label"]
        read = [(v["name"], v["label"], v["type"], v["format"]) for v in dataset["variables"]]
        assert read == want["variables"], dataset["dataset"]
        # R sees the DATE9. variables as dates.
        for v in dataset["variables"]:
            assert (v["class"] == "Date") == (v["format"] == "DATE9"), v


def test_data_facts_spell_codes_as_the_transport_file_does():
    """Booleans Y/N, whole floats without '.0', '' and NULL as no value; PARAM per PARAMCD
    from its first row; per PARAMCD the longest AVALC in bytes as the .xpt holds it ('NÉ' is
    'NE' there, 2 bytes; xpt.transport_text)."""
    import pandas as pd

    frame = pd.DataFrame(
        {
            "FL": pd.Series([True, None, False], dtype=object),
            "CNSR": [1.0, None, 0.0],
            "PARAMCD": pd.Categorical(["A", "B", "A"]),
            "PARAM": ["Alpha", "Beta", "Alpha again"],
            "AVALC": ["NÉ", "", "Y"],
            "EMPTY": pd.Series(["", None, ""], dtype=object),
        }
    )
    metas = [
        VariableMeta("X", n, n, t, 8, "", "Derived", "", d)
        for n, t, d in [("FL", "Char", "boolean"), ("CNSR", "Num", "integer"),
                        ("PARAMCD", "Char", "varchar"), ("PARAM", "Char", "varchar"),
                        ("AVALC", "Char", "varchar"), ("EMPTY", "Char", "varchar")]
    ]  # fmt: skip
    facts = define_xml.data_facts(frame, metas, coded=["FL", "CNSR"])
    assert facts.codes["FL"] == {"Y", "N"} and facts.codes["CNSR"] == {"1", "0"}
    assert facts.params == {"A": "Alpha", "B": "Beta"}
    assert facts.param_values == {"AVALC": {"A": 2}}
    assert facts.present == {
        "FL": True, "CNSR": True, "PARAMCD": True, "PARAM": True, "AVALC": True, "EMPTY": False,
    }  # fmt: skip


def _decimals_by_repr(values) -> int:
    return max([1, *(len(repr(float(v)).partition(".")[2].rstrip("0")) for v in values)])


@pytest.mark.parametrize(
    "kind", ["labs", "whole", "months", "tiny and huge", "every magnitude", "near 2**50"]
)
def test_decimals_are_those_repr_spells_for_every_value(kind):
    """define.xml's SignificantDigits: numpy settles most values without spelling them; the
    result is what spelling every value with repr gives."""
    import pandas as pd

    rng = np.random.default_rng(11)
    n = 20_000

    def rounded(values, places):
        out = values.copy()
        for d in np.unique(places):
            out[places == d] = np.round(values[places == d], d)
        return out

    values = {
        "labs": rounded(rng.normal(50, 30, n), rng.integers(0, 4, n)),
        "whole": rng.integers(-1000, 10**6, n).astype(float),
        "months": rng.uniform(0, 60, n) / 30.4375,
        "tiny and huge": rng.choice([-1, 1], n) * 10.0 ** rng.uniform(-12, 25, n),
        "every magnitude": rounded(10.0 ** rng.uniform(-4, 16, n), rng.integers(0, 18, n)),
        "near 2**50": (2.0**50 + rng.integers(-2000, 2000, n)) / 10.0 ** rng.integers(0, 16, n),
    }[kind]
    values = np.concatenate([values, [0.0, -0.0, np.nan, 0.1, 1e-4, 9.999999999999999e15]])
    series = pd.Series(values)
    assert define_xml._decimals(series) == _decimals_by_repr(series.dropna().unique())
    for part in np.array_split(values, 40):  # smaller sets, other maxima
        assert define_xml._decimals(pd.Series(part)) == _decimals_by_repr(
            pd.Series(part).dropna().unique()
        ), part


@pytest.mark.parametrize("dataset", ["adrs", "adtte", "adlb", "adex"])
def test_the_projects_parameters_each_name_the_model_stating_their_rule(dataset):
    """Every PARAMCD of the project's BDS datasets but ADRS OVRLRESP (the investigator's own
    response, rs.RSORRES: no derivation) has a MethodDef: a model of the project with a
    description (meta.parameter_methods), read from dbt's manifest as the export reads it."""
    from dagster_project.defs.warehouse.project import dbt_project
    from dagster_project.lib.export.xpt import model_node, node_meta

    manifest = json.loads(Path(dbt_project.manifest_path).read_text())
    methods = dict(node_meta(model_node(manifest, dataset))["parameter_methods"])
    codes = accepted_values(manifest, dataset)["PARAMCD"]
    assert sorted(methods) == sorted(c for c in codes if c != "OVRLRESP")
    for code, (name, text) in define_xml._parameter_methods(
        manifest, dataset, {"parameter_methods": methods}
    ).items():
        assert name.startswith("int_") and len(text) > 80, (code, name)
