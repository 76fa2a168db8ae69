"""The reviewer's conformance check: a clean package has no finding, and each broken variant of
it gives exactly the finding a reviewer would get, naming dataset, variable and rule.

The package is three ADSL subjects and their ADRS rows (BOR and MRD12), written here with
pyreadstat, and tests/fixtures/conformance/define.xml, a Define-XML 2.1 document written by
hand to describe exactly them: every Length is the longest value typed below (USUBJID
'ISA-DEX-MM-101' 14 bytes, ARM 'ISATUXIMAB-DEXAMETHASONE' 24, PARAM 'MRD negativity at 12
months' 27), every codelist term occurs in the data, ASEQ is 1, 2 per subject in key order
(BOR before MRD12), DCSREAS is empty and has a def:CommentOID saying why.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from dagster_project.lib.export.conformance import (
    BDS_CLASS,
    OCCDS_CLASS,
    WARNING,
    CodeList,
    ConformanceError,
    check_package,
    codelist_value_findings,
    data_values,
    require_conformance,
    required_variables,
)

DEFINE = Path(__file__).parents[1] / "fixtures" / "conformance" / "define.xml"
ARM = "ISATUXIMAB-DEXAMETHASONE"
SUBJECTS = ["ISA-DEX-MM-101", "ISA-DEX-MM-102", "ISA-DEX-MM-103"]

DATASET_LABELS = {"ADSL": "Subject-Level Analysis Dataset", "ADRS": "Response Analysis Dataset"}
LABELS = {
    "ADSL": {
        "STUDYID": "Study Identifier",
        "USUBJID": "Unique Subject Identifier",
        "SUBJID": "Subject Identifier for the Study",
        "SITEID": "Study Site Identifier",
        "AGE": "Age",
        "AGEU": "Age Units",
        "SEX": "Sex",
        "RACE": "Race",
        "ARM": "Description of Planned Arm",
        "ACTARM": "Description of Actual Arm",
        "TRT01P": "Planned Treatment for Period 01",
        "TRT01A": "Actual Treatment for Period 01",
        "ITTFL": "Intent-To-Treat Population Flag",
        "SAFFL": "Safety Population Flag",
        "TRTSDT": "Date of First Exposure to Treatment",
        "TRTEDT": "Date of Last Exposure to Treatment",
        "DCSREAS": "Reason for Discontinuation from Study",
    },
    "ADRS": {
        "STUDYID": "Study Identifier",
        "USUBJID": "Unique Subject Identifier",
        "ASEQ": "Analysis Sequence Number",
        "TRTP": "Planned Treatment",
        "TRTA": "Actual Treatment",
        "PARAMCD": "Parameter Code",
        "PARAM": "Parameter",
        "AVAL": "Analysis Value",
        "AVALC": "Analysis Value (C)",
        "ADT": "Analysis Date",
    },
}


def adsl() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "STUDYID": ["ISA-DEX-MM"] * 3,
            "USUBJID": SUBJECTS,
            "SUBJID": ["101", "102", "103"],
            "SITEID": ["01"] * 3,
            "AGE": [61.0, 70.0, 77.0],
            "AGEU": ["YEARS"] * 3,
            "SEX": ["M", "F", "M"],
            "RACE": ["WHITE", "ASIAN", "WHITE"],
            "ARM": [ARM] * 3,
            "ACTARM": [ARM] * 3,
            "TRT01P": [ARM] * 3,
            "TRT01A": [ARM] * 3,
            "ITTFL": ["Y"] * 3,
            "SAFFL": ["Y"] * 3,
            # SAS dates: 2024-01-15 is 23390 days after 1960-01-01.
            "TRTSDT": [23390.0, 23400.0, 23410.0],
            "TRTEDT": [23500.0, 23510.0, 23520.0],
            "DCSREAS": [""] * 3,
        }
    )


def adrs() -> pd.DataFrame:
    bor = "Best Overall Response"
    mrd = "MRD negativity at 12 months"
    return pd.DataFrame(
        {
            "STUDYID": ["ISA-DEX-MM"] * 6,
            "USUBJID": [s for s in SUBJECTS for _ in range(2)],
            "ASEQ": [1.0, 2.0] * 3,
            "TRTP": [ARM] * 6,
            "TRTA": [ARM] * 6,
            "PARAMCD": ["BOR", "MRD12"] * 3,
            "PARAM": [bor, mrd] * 3,
            "AVAL": [2.0, 1.0, 4.0, 0.0, 8.0, 0.0],
            "AVALC": ["CR", "Y", "PR", "N", "NE", "N"],
            "ADT": [23450.0, 23700.0, 23460.0, np.nan, np.nan, np.nan],
        }
    )


@dataclass
class Package:
    define: str = field(default_factory=lambda: DEFINE.read_text())
    frames: dict[str, pd.DataFrame] = field(
        default_factory=lambda: {"ADSL": adsl(), "ADRS": adrs()}
    )
    labels: dict[str, dict[str, str]] = field(default_factory=lambda: copy.deepcopy(LABELS))
    dataset_labels: dict[str, str] = field(default_factory=lambda: dict(DATASET_LABELS))
    formats: dict[str, dict[str, str]] = field(
        default_factory=lambda: {
            "ADSL": {"TRTSDT": "DATE9.", "TRTEDT": "DATE9."},
            "ADRS": {"ADT": "DATE9."},
        }
    )
    # 5 is what we publish; 8 holds a name or label a v5 file cannot, to break one rule alone.
    version: int = 5

    def edit(self, old: str, new: str) -> None:
        assert old in self.define, old
        self.define = self.define.replace(old, new)

    def rename(self, dataset: str, old: str, new: str) -> None:
        self.frames[dataset] = self.frames[dataset].rename(columns={old: new})
        self.labels[dataset][new] = self.labels[dataset].pop(old)
        self.edit(f'Name="{old}" SASFieldName="{old}"', f'Name="{new}" SASFieldName="{new}"')

    def write(self, folder: Path) -> Path:
        (folder / "define.xml").write_text(self.define)
        for name, frame in self.frames.items():
            pyreadstat.write_xport(
                frame,
                str(folder / f"{name.lower()}.xpt"),
                file_label=self.dataset_labels.get(name, name),
                column_labels=[self.labels.get(name, {}).get(c, c) for c in frame.columns],
                table_name=name,
                variable_format=self.formats.get(name, {}),
                file_format_version=self.version,
            )
        return folder


def written(tmp_path: Path, change: Callable[[Package], None] | None = None) -> Path:
    package = Package()
    if change:
        change(package)
    return package.write(tmp_path)


def errors(folder: Path) -> list[tuple[str, str, str]]:
    return [(f.rule, f.dataset, f.variable) for f in check_package(folder) if f.severity != WARNING]


def warnings(folder: Path) -> list[tuple[str, str, str]]:
    return [(f.rule, f.dataset, f.variable) for f in check_package(folder) if f.severity == WARNING]


def test_clean_package_has_no_finding(tmp_path):
    folder = written(tmp_path)
    assert check_package(folder) == []
    assert require_conformance(folder) == []


# --- each rule, broken alone ----------------------------------------------------------------


def drop_required(p: Package) -> None:
    p.frames["ADSL"] = p.frames["ADSL"].drop(columns="SITEID")
    p.edit('<ItemRef ItemOID="IT.ADSL.SITEID" OrderNumber="4" Mandatory="Yes"/>', "")


def long_name(p: Package) -> None:
    p.rename("ADSL", "DCSREAS", "DCSREASON")
    p.version = 8


def lower_case_name(p: Package) -> None:
    p.rename("ADSL", "DCSREAS", "dcsreas")


LONG_LABEL = "Age in Completed Years at Informed Consent"  # 42 bytes


def long_label(p: Package) -> None:
    # The file cannot hold it: pyreadstat keeps its first 40 bytes, as SAS would.
    p.edit(">Age<", f">{LONG_LABEL}<")
    p.labels["ADSL"]["AGE"] = LONG_LABEL


def long_label_in_both(p: Package) -> None:
    long_label(p)
    p.version = 8


def long_dataset_label(p: Package) -> None:
    label = "Subject-Level Analysis Dataset of ISA-DEX-MM"  # 44 bytes
    p.edit(">Subject-Level Analysis Dataset<", f">{label}<")
    p.dataset_labels["ADSL"] = label


def other_label(p: Package) -> None:
    p.labels["ADSL"]["AGE"] = "Age in Years"


def sex_not_in_codelist(p: Package) -> None:
    p.frames["ADSL"].loc[2, "SEX"] = "U"


def mandatory_age_missing(p: Package) -> None:
    # AGE's ItemRef says Mandatory="Yes": one subject without an age breaks it
    p.frames["ADSL"].loc[1, "AGE"] = np.nan


def response_not_in_codelist(p: Package) -> None:
    # value level: the BOR rows' AVALC must be in CL.RSP (NE becomes an unused term: a warning)
    p.frames["ADRS"].loc[4, "AVALC"] = "SD"


def age_as_text(p: Package) -> None:
    p.frames["ADSL"]["AGE"] = ["61", "70", "77"]


def other_date_format(p: Package) -> None:
    p.formats["ADSL"]["TRTSDT"] = "YYMMDD10."


def date_without_format(p: Package) -> None:
    del p.formats["ADSL"]["TRTSDT"]


def character_date(p: Package) -> None:
    # ISO 8601 text, as SDTM holds it, declared consistently: only the ADaM rule is broken.
    p.frames["ADSL"]["TRTSDT"] = ["2024-01-15", "2024-01-25", "2024-02-04"]
    del p.formats["ADSL"]["TRTSDT"]
    p.edit(
        '"TRTSDT" DataType="integer" Length="8" def:DisplayFormat="DATE9."',
        '"TRTSDT" DataType="date" Length="10"',
    )


def short_length(p: Package) -> None:
    p.edit('"RACE" DataType="text" Length="5"', '"RACE" DataType="text" Length="4"')


def padded_length(p: Package) -> None:
    p.edit('"RACE" DataType="text" Length="5"', '"RACE" DataType="text" Length="8"')


def empty_without_comment(p: Package) -> None:
    p.edit(' def:CommentOID="COM.ADSL.DCSREAS"', "")


def empty_with_has_no_data(p: Package) -> None:
    empty_without_comment(p)
    p.edit(
        '<ItemRef ItemOID="IT.ADSL.DCSREAS" OrderNumber="17" Mandatory="No"/>',
        '<ItemRef ItemOID="IT.ADSL.DCSREAS" OrderNumber="17" Mandatory="No" def:HasNoData="Yes"/>',
    )


def duplicate_subject(p: Package) -> None:
    frame = p.frames["ADSL"]
    p.frames["ADSL"] = pd.concat([frame, frame.tail(1)], ignore_index=True)


def no_keys(p: Package) -> None:
    for seq, name in (("1", "STUDYID"), ("2", "USUBJID")):
        ref = f'<ItemRef ItemOID="IT.ADSL.{name}" OrderNumber="{seq}" Mandatory="Yes"'
        p.edit(f'{ref} KeySequence="{seq}"/>', f"{ref}/>")


def gap_in_aseq(p: Package) -> None:
    p.frames["ADRS"].loc[3, "ASEQ"] = 3.0


def extra_dataset(p: Package) -> None:
    p.frames["ADXX"] = pd.DataFrame({"STUDYID": ["ISA-DEX-MM"]})


def missing_dataset(p: Package) -> None:
    del p.frames["ADRS"]


def extra_variable(p: Package) -> None:
    p.frames["ADSL"]["EXTRA"] = ["a", "b", "c"]


def missing_variable(p: Package) -> None:
    p.frames["ADSL"] = p.frames["ADSL"].drop(columns="DCSREAS")


def unknown_class(p: Package) -> None:
    p.edit('<def:Class Name="BASIC DATA STRUCTURE"/>', '<def:Class Name="BASIC DATA"/>')


def parameter_without_vlm(p: Package) -> None:
    p.edit(
        '<ItemRef ItemOID="IT.ADRS.AVALC.MRD12" OrderNumber="2" Mandatory="Yes">\n'
        '          <def:WhereClauseRef WhereClauseOID="WC.ADRS.PARAMCD.EQ.MRD12"/>\n'
        "        </ItemRef>",
        "",
    )


def vlm_without_parameter(p: Package) -> None:
    frame = p.frames["ADRS"]
    p.frames["ADRS"] = frame[frame["PARAMCD"] == "BOR"].reset_index(drop=True)


BROKEN = [
    (drop_required, ("ADAM-REQ-VAR", "ADSL", "SITEID")),
    (long_name, ("NAME-LENGTH", "ADSL", "DCSREASON")),
    (lower_case_name, ("NAME-CHARS", "ADSL", "dcsreas")),
    (long_label, ("LABEL-LENGTH", "ADSL", "AGE")),
    (long_label_in_both, ("LABEL-LENGTH", "ADSL", "AGE")),
    (long_dataset_label, ("LABEL-LENGTH", "ADSL", "")),
    (other_label, ("LABEL-MATCH", "ADSL", "AGE")),
    (sex_not_in_codelist, ("CODELIST-VALUE-NOT-IN-LIST", "ADSL", "SEX")),
    (mandatory_age_missing, ("MANDATORY-MISSING", "ADSL", "AGE")),
    (response_not_in_codelist, ("CODELIST-VALUE-NOT-IN-LIST", "ADRS", "AVALC")),
    (age_as_text, ("TYPE-MATCH", "ADSL", "AGE")),
    (other_date_format, ("FORMAT-MATCH", "ADSL", "TRTSDT")),
    (date_without_format, ("DATE-NO-FORMAT", "ADSL", "TRTSDT")),
    (character_date, ("DATE-NOT-NUMERIC", "ADSL", "TRTSDT")),
    (short_length, ("LENGTH-EXCEEDS", "ADSL", "RACE")),
    (empty_without_comment, ("VARIABLE-ALL-EMPTY", "ADSL", "DCSREAS")),
    (duplicate_subject, ("KEY-NOT-UNIQUE", "ADSL", "STUDYID, USUBJID")),
    (no_keys, ("KEY-MISSING", "ADSL", "")),
    (gap_in_aseq, ("SEQ-NOT-CONSECUTIVE", "ADRS", "ASEQ")),
    (extra_dataset, ("DATASET-NOT-IN-DEFINE", "ADXX", "")),
    (missing_dataset, ("DATASET-NOT-IN-DATA", "ADRS", "")),
    (extra_variable, ("VARIABLE-NOT-IN-DEFINE", "ADSL", "EXTRA")),
    (missing_variable, ("VARIABLE-NOT-IN-DATA", "ADSL", "DCSREAS")),
    (unknown_class, ("ADAM-CLASS", "ADRS", "")),
    (parameter_without_vlm, ("PARAMCD-NOT-IN-VLM", "ADRS", "PARAMCD")),
    (vlm_without_parameter, ("VLM-PARAMCD-NOT-IN-DATA", "ADRS", "PARAMCD")),
]


@pytest.mark.parametrize(("change", "expected"), BROKEN, ids=[c.__name__ for c, _ in BROKEN])
def test_each_broken_rule_gives_exactly_its_finding(tmp_path, change, expected):
    assert errors(written(tmp_path, change)) == [expected]


def several_broken(p: Package) -> None:
    for change in (
        sex_not_in_codelist,
        mandatory_age_missing,
        response_not_in_codelist,
        duplicate_subject,
        gap_in_aseq,
    ):
        change(p)


def test_files_read_in_slices_by_reader_processes_give_the_same_findings(tmp_path):
    """A large package is read a slice at a time by two spawned processes: one row per slice
    here, so every key, sequence and codelist rule sees rows that came from other slices."""
    folder = written(tmp_path, several_broken)
    here = check_package(folder, readers=1)
    assert {(f.rule, f.dataset, f.variable) for f in here if f.severity != WARNING} == {
        ("CODELIST-VALUE-NOT-IN-LIST", "ADSL", "SEX"),
        ("MANDATORY-MISSING", "ADSL", "AGE"),
        ("CODELIST-VALUE-NOT-IN-LIST", "ADRS", "AVALC"),
        ("KEY-NOT-UNIQUE", "ADSL", "STUDYID, USUBJID"),
        ("SEQ-NOT-CONSECUTIVE", "ADRS", "ASEQ"),
    }
    assert check_package(folder, readers=2, chunk_rows=1) == here


WARNED = [
    (padded_length, ("LENGTH-TOO-LONG", "ADSL", "RACE")),
    (
        lambda p: p.edit(
            '<EnumeratedItem CodedValue="WHITE" OrderNumber="2"/>',
            '<EnumeratedItem CodedValue="WHITE" OrderNumber="2"/>\n'
            '        <EnumeratedItem CodedValue="BLACK OR AFRICAN AMERICAN" OrderNumber="3"/>',
        ),
        ("CODELIST-TERM-NOT-IN-DATA", "ADSL", "RACE"),
    ),
    (
        lambda p: p.edit(
            '<CodeListItem CodedValue="NE" OrderNumber="3">',
            '<CodeListItem CodedValue="VGPR" OrderNumber="4"><Decode><TranslatedText '
            'xml:lang="en">Very Good Partial Response</TranslatedText></Decode></CodeListItem>\n'
            '        <CodeListItem CodedValue="NE" OrderNumber="3">',
        ),
        ("CODELIST-TERM-NOT-IN-DATA", "ADRS", "AVALC"),
    ),
]


@pytest.mark.parametrize(
    ("change", "expected"), WARNED, ids=["padded_length", "race_term_unused", "vlm_term_unused"]
)
def test_warnings_alone_do_not_fail_the_package(tmp_path, change, expected):
    folder = written(tmp_path, change)
    assert warnings(folder) == [expected]
    assert errors(folder) == []
    assert [(f.rule, f.dataset, f.variable) for f in require_conformance(folder)] == [expected]


def test_an_empty_variable_marked_has_no_data_is_no_finding(tmp_path):
    assert check_package(written(tmp_path, empty_with_has_no_data)) == []


# --- messages -------------------------------------------------------------------------------


def test_messages_say_what_is_wrong(tmp_path):
    (label,) = check_package(written(_mkdir(tmp_path / "a"), long_label))
    assert LONG_LABEL in label.message and "42 bytes" in label.message
    (sex,) = check_package(written(_mkdir(tmp_path / "b"), sex_not_in_codelist))
    assert "'U'" in sex.message and "CL.SEX" in sex.message
    found = check_package(written(_mkdir(tmp_path / "c"), response_not_in_codelist))
    (avalc,) = [f for f in found if f.severity != WARNING]
    assert (
        "PARAMCD EQ BOR" in avalc.message and "'SD'" in avalc.message and "CL.RSP" in avalc.message
    )
    (seq,) = check_package(written(_mkdir(tmp_path / "d"), gap_in_aseq))
    assert "ISA-DEX-MM-102 has 1, 3" in seq.message


def _mkdir(path: Path) -> Path:
    path.mkdir()
    return path


def test_require_conformance_raises_listing_every_error(tmp_path):
    def both(p: Package) -> None:
        long_label(p)
        sex_not_in_codelist(p)

    with pytest.raises(ConformanceError) as raised:
        require_conformance(written(tmp_path, both))
    assert [(f.rule, f.dataset, f.variable) for f in raised.value.findings] == [
        ("LABEL-LENGTH", "ADSL", "AGE"),
        ("CODELIST-VALUE-NOT-IN-LIST", "ADSL", "SEX"),
    ]
    message = str(raised.value)
    assert "2 conformance error(s)" in message
    assert "ADSL.AGE [LABEL-LENGTH]" in message
    assert "ADSL.SEX [CODELIST-VALUE-NOT-IN-LIST]" in message


def test_missing_or_unreadable_define(tmp_path):
    folder = written(_mkdir(tmp_path / "none"))
    (folder / "define.xml").unlink()
    assert errors(folder) == [("DEFINE-MISSING", "", "")]
    (folder / "define.xml").write_text("<ODM")
    assert errors(folder) == [("DEFINE-NOT-XML", "", "")]


# --- pure parts -----------------------------------------------------------------------------


def test_required_variables_by_class():
    required, one_of = required_variables("ADTTE", BDS_CLASS, (), ["PARAMCD"])
    assert {"AVAL", "CNSR", "STARTDT", "ADT", "ASEQ", "TRTP", "TRTA"} <= set(required)
    assert one_of == (("AVAL", "AVALC"),)
    # a BDS dataset that is not time-to-event needs no CNSR
    assert "CNSR" not in required_variables("ADLB", BDS_CLASS, (), ["AVAL"])[0]
    required, _ = required_variables("ADAE", OCCDS_CLASS, (), [])
    assert {"AESEQ", "AETERM", "AEDECOD", "AEBODSYS", "TRTA"} <= set(required)


def test_numeric_codelists_compare_numbers():
    # CNSR is numeric in the file (0.0, 1.0) and written '0', '1' in an integer codelist
    cnsr = CodeList("CL.CNSR", "Censor", "integer", ("0", "1"), False)
    values = data_values(pd.Series([0.0, 1.0, np.nan, 2.0]), numeric=True)
    (finding,) = codelist_value_findings(cnsr, "ADTTE", "CNSR", values)
    assert (finding.rule, finding.variable) == ("CODELIST-VALUE-NOT-IN-LIST", "CNSR")
    assert "'2'" in finding.message


def _keyed(keys: list[str], columns: list[str]):
    """A BDS dataset whose KeySequence is ``keys``, and its define."""
    from dagster_project.lib.export.define_reader import DatasetDef, Define, ItemDef, ItemRef

    items = {
        f"IT.{c}": ItemDef(f"IT.{c}", c, "text", None, None, None, None, None, None)
        for c in columns
    }
    refs = tuple(
        ItemRef(f"IT.{c}", keys.index(c) + 1 if c in keys else None, False) for c in columns
    )
    dataset = DatasetDef("IG.ADXX", "ADXX", None, "BASIC DATA STRUCTURE", (), "adxx.xpt", refs)
    return dataset, Define((dataset,), items, {}, {})


def test_key_rule_finds_the_rows_pandas_duplicated_finds():
    """The key rule reads the rows sorted once by the key (shared with the sequence rule) and
    compares neighbours. pandas' hash-based ``duplicated`` is the independent reading: the same
    rows, missing values matching missing values, over text (Categorical, as read), numbers
    with NaN, and duplicates far apart in file order."""
    from dagster_project.lib.export.conformance import in_key_order, key_findings

    rng = np.random.default_rng(20261207)
    keys = ["USUBJID", "PARAMCD", "AVISITN", "ADT"]
    for trial in range(200):
        n = int(rng.integers(0, 60))
        frame = pd.DataFrame(
            {
                "USUBJID": pd.Categorical(rng.choice(["S1", "S2", "S3", None], n)),
                "PARAMCD": pd.Categorical(rng.choice(["M", "FLC", None], n)),
                "AVISITN": rng.choice([1.0, 2.0, np.nan], n),
                "ADT": rng.choice([20000.0, 20001.0, np.nan], n),
                "AVAL": rng.normal(size=n),
            }
        )
        dataset, define = _keyed(keys, list(frame.columns))
        findings = key_findings(dataset, define, in_key_order(dataset, define, frame))
        expected = int(frame.duplicated(subset=keys, keep=False).sum())
        if expected == 0:
            assert findings == [], (trial, findings)
        else:
            [finding] = findings
            assert finding.rule == "KEY-NOT-UNIQUE"
            assert finding.message.startswith(f"{expected} rows share a key"), (trial, finding)


def test_rows_already_in_key_order_are_not_sorted_again_and_read_the_same():
    """``in_key_order`` skips the sort when one pass finds the rows in key order (the file as
    dbt wrote it). Whether it sorts or not, its rows are pandas' stable sort by the key:
    random frames, unsorted and sorted beforehand, with missing values in every key, text as
    Categorical (categories in and out of alphabetical order) and numbers with NaN."""
    from dagster_project.lib.export.conformance import _sorted_by, in_key_order

    rng = np.random.default_rng(20261207)
    keys = ["USUBJID", "PARAMCD", "AVISITN", "ADT"]
    skipped = 0
    for trial in range(400):
        n = int(rng.integers(0, 60))
        categories = ["S3", "S1", "S2"] if trial % 3 == 0 else ["S1", "S2", "S3"]
        frame = pd.DataFrame(
            {
                "USUBJID": pd.Categorical(rng.choice(["S1", "S2", "S3", None], n), categories),
                "PARAMCD": pd.Categorical(rng.choice(["M", "FLC", None], n)),
                "AVISITN": rng.choice([1.0, 2.0, np.nan], n),
                "ADT": rng.choice([20000, 20001, 20002], n).astype(float),
                "ASEQ": rng.integers(1, 9, n).astype(float),
            }
        )
        if trial % 4 == 1:  # a numpy integer key (no missing values) and a nullable one
            frame["AVISITN"] = frame["AVISITN"].fillna(0).astype(int)
        if trial % 4 == 3:
            frame["AVISITN"] = frame["AVISITN"].astype("Int64")
        if trial % 2:
            frame = frame.sort_values(keys, kind="mergesort")
        dataset, define = _keyed(keys, list(frame.columns))
        expected = frame.sort_values(keys, kind="mergesort")
        pd.testing.assert_frame_equal(in_key_order(dataset, define, frame), expected)
        in_order = frame.index.equals(expected.index)
        if trial % 4 == 3:  # a nullable integer, when the keys before it leave rows tied:
            assert in_order or not _sorted_by(frame, keys), trial  # pandas sorts
        else:
            assert _sorted_by(frame, keys) == in_order, trial
        skipped += _sorted_by(frame, keys)
    assert skipped > 100  # the sorted frames of numpy keys, and unsorted ones in order by luck
