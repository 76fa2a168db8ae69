"""The package writer publishes only a conformant package: on the fixture package of
tests/fixtures/define_package.py (conformant as written), a dataset broken on purpose is
refused with a message naming dataset, variable and rule, and nothing is published (the
previous package stays as it was, no staging folder is left). Where the writer's own layers
make a defect unreachable through the data (a label over 40 bytes is refused by the transport
v5 check first), the reviewer's check (lib/export/conformance.py) is shown to catch it on a
written package whose define.xml was edited afterwards, as a hand-edited or foreign
define.xml would be.

The expected findings are written by hand from the fixture: ADSL.SEX is accepted as M, F
(columns_accepted_values) and the data holds F (S-001) and M (S-002); ADRS.AVALC is
accepted as CR, VGPR, PR, Y, N and BOR holds VGPR, CR; TRT01P is a required ADSL variable.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from lxml import etree

from dagster_project.lib.export.conformance import (
    ConformanceError,
    check_package,
    format_finding,
    require_conformance,
)
from dagster_project.lib.export.package import PACKAGE_FILES, PackageRefused, write_package
from tests.fixtures import define_package

NS = {"odm": "http://www.cdisc.org/ns/odm/v1.3", "def": "http://www.cdisc.org/ns/def/v2.1"}


def _tables(*changes: str) -> duckdb.DuckDBPyConnection:
    """The fixture's adam.* tables, then each SQL statement of ``changes`` (the breakage)."""
    con = duckdb.connect()
    define_package.create_tables(con)
    for change in changes:
        con.execute(change)
    return con


@pytest.fixture
def published(tmp_path) -> tuple[Path, dict[str, bytes]]:
    """A conformant package already published in tmp_path/submission, and its files' bytes."""
    folder = write_package(_tables(), define_package.manifest(), tmp_path / "submission").folder
    return folder, {name: (folder / name).read_bytes() for name in PACKAGE_FILES}


def _refused(con, manifest: dict, published) -> PackageRefused:
    """write_package's refusal over the published package, which must stay as it was."""
    folder, before = published
    with pytest.raises(PackageRefused) as refused:
        write_package(con, manifest, folder)
    assert sorted(p.name for p in folder.iterdir()) == sorted(before)
    assert {name: (folder / name).read_bytes() for name in before} == before
    assert not folder.with_name("submission.partial").exists()
    return refused.value


def test_the_fixture_package_is_conformant(published):
    folder, _ = published
    assert check_package(folder) == []  # no error, no warning either


# --- (a) a codelist value missing ---------------------------------------------------------------


def test_a_value_its_accepted_values_test_does_not_list_refuses_the_package(published):
    """A site sends SEX 'U' (unknown), which the dbt test does not accept (a test run at
    severity warn, or a table changed after dbt build): define.xml's codelist lists the
    accepted values the data holds (F), so the transport file holds a value the codelist has
    not, and the package is refused naming it."""
    con = _tables("update adam.adsl set SEX = 'U' where USUBJID = 'S-002'")
    refused = _refused(con, define_package.manifest(), published)
    assert refused.violations == [
        "ADSL.SEX [CODELIST-VALUE-NOT-IN-LIST] SEX: value(s) 'U' not in codelist CL.ADSL.SEX "
        "(ADSL SEX)"
    ]
    assert "1 conformance error(s), not publishable" in str(refused)


def test_a_response_outside_the_codelist_is_named_with_its_parameter(published):
    """BOR 'SD' (stable disease) where AVALC accepts CR, VGPR, PR, Y, N: reported on AVALC
    and on AVALC's value-level metadata for BOR, the rows it selects, whose codelist lists
    BOR's own responses."""
    con = _tables("update adam.adrs set AVALC = 'SD' where USUBJID = 'S-002' and PARAMCD = 'BOR'")
    refused = _refused(con, define_package.manifest(), published)
    assert refused.violations == [
        "ADRS.AVALC [CODELIST-VALUE-NOT-IN-LIST] AVALC: value(s) 'SD' not in codelist "
        "CL.ADRS.AVALC (ADRS AVALC)",
        "ADRS.AVALC [CODELIST-VALUE-NOT-IN-LIST] AVALC (PARAMCD EQ BOR): value(s) 'SD' not in "
        "codelist CL.ADRS.AVALC.BOR (ADRS AVALC for BOR)",
    ]


def _edited(folder: Path, edit) -> Path:
    """``folder``'s define.xml after ``edit(root)`` (lxml), written back in place."""
    path = folder / "define.xml"
    tree = etree.parse(str(path))
    edit(tree.getroot())
    tree.write(str(path), xml_declaration=True, encoding="UTF-8")
    return folder


def test_the_checker_finds_a_data_value_a_codelist_lacks(published):
    """define.xml edited after writing: CL.ADSL.SEX loses its term F, which S-001 holds."""
    folder, _ = published

    def drop_f(root):
        (term,) = root.xpath("//odm:CodeList[@OID='CL.ADSL.SEX']/*[@CodedValue='F']", namespaces=NS)
        term.getparent().remove(term)

    _edited(folder, drop_f)
    assert [format_finding(f) for f in check_package(folder)] == [
        "ADSL.SEX [CODELIST-VALUE-NOT-IN-LIST] SEX: value(s) 'F' not in codelist CL.ADSL.SEX "
        "(ADSL SEX)"
    ]
    with pytest.raises(ConformanceError) as refused:
        require_conformance(folder)
    assert "- ADSL.SEX [CODELIST-VALUE-NOT-IN-LIST]" in str(refused.value)


# --- (b) a label over 40 bytes ------------------------------------------------------------------


def test_a_variable_label_over_40_characters_refuses_the_package(published):
    """The transport v5 check refuses it before any file is written, naming the variable."""
    manifest = define_package.manifest()
    long_label = "Sex of the Subject as Reported at Consent"  # 41 characters
    manifest["nodes"]["model.isadex.adsl"]["columns"]["SEX"]["meta"]["label"] = long_label
    refused = _refused(_tables(), manifest, published)
    assert refused.violations == [
        f"ADSL.SEX: label is 41 characters (max 40): {long_label!r}",
    ]


def test_the_checker_finds_a_label_over_40_bytes(published):
    """define.xml edited after writing: SEX's label 'Sex' becomes 40 characters, one of them
    'é' (2 bytes in UTF-8), so 41 bytes: over the limit, which counts bytes."""
    folder, _ = published
    long_label = "Sexe du sujet tel que declaré au consent"
    assert (len(long_label), len(long_label.encode())) == (40, 41)

    def relabel(root):
        (text,) = root.xpath(
            "//odm:ItemDef[@OID='IT.ADSL.SEX']/odm:Description/odm:TranslatedText",
            namespaces=NS,
        )
        text.text = long_label

    _edited(folder, relabel)
    assert [format_finding(f) for f in check_package(folder)] == [
        f"ADSL.SEX [LABEL-LENGTH] label {long_label!r} is 41 bytes in define.xml; at most 40",
        f"ADSL.SEX [LABEL-MATCH] label 'Sex' in the transport file, {long_label!r} in define.xml",
    ]


# --- (c) a required variable missing ------------------------------------------------------------


def test_adsl_without_trt01p_refuses_the_package(published):
    """TRT01P dropped from the model and its table alike (the contract and the data agree, so
    only the reviewer's check can object)."""
    manifest = define_package.manifest()
    del manifest["nodes"]["model.isadex.adsl"]["columns"]["TRT01P"]
    con = _tables("alter table adam.adsl drop column TRT01P")
    refused = _refused(con, manifest, published)
    assert refused.violations == [
        "ADSL.TRT01P [ADAM-REQ-VAR] required in every SUBJECT LEVEL ANALYSIS DATASET dataset, "
        "not in the transport file"
    ]


def test_every_error_is_listed_at_once(tmp_path):
    """Two defects in two datasets, no package before: both named, nothing published."""
    manifest = define_package.manifest()
    del manifest["nodes"]["model.isadex.adae"]["columns"]["AEBODSYS"]
    con = _tables(
        "alter table adam.adae drop column AEBODSYS",
        "update adam.adsl set SEX = 'U' where USUBJID = 'S-002'",
    )
    folder = tmp_path / "submission"
    with pytest.raises(PackageRefused) as refused:
        write_package(con, manifest, folder)
    assert sorted(refused.value.violations) == [
        "ADAE.AEBODSYS [ADAM-REQ-VAR] required in every OCCURRENCE DATA STRUCTURE dataset, "
        "not in the transport file",
        "ADSL.SEX [CODELIST-VALUE-NOT-IN-LIST] SEX: value(s) 'U' not in codelist CL.ADSL.SEX "
        "(ADSL SEX)",
    ]
    assert not folder.exists() and not folder.with_name("submission.partial").exists()
