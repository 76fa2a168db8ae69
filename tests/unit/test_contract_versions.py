"""Contract versions 1.0 and 1.1 (site_extracts.md, "Contract versions"; issue 29).

A 1.0 transfer loads as it always did: no im.csv, none of the 1.1 columns, and those read
as missing (NULL) in raw.*. A 1.1 transfer must carry them like any other column or form
and is refused, naming what is missing, when it does not. Any other version is refused.
Expected values are written by hand from the spec.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from dagster_project.lib.ingest.contract import (
    CONTRACT_VERSIONS,
    FORMS,
    RAW_FORMS,
    form_files,
    forms_of,
    raw_table_ddl,
)
from dagster_project.lib.ingest.ingestion import ensure_raw_schema, ingest_landing
from dagster_project.lib.synthetic.faults import valid_frames
from dagster_project.lib.synthetic.transfer_writer import (
    build_manifest,
    write_manifest,
    write_transfer,
)

T1 = "2026-01-31T08:00:00Z"
WHEN = "2026-03-31T08:00:00Z"
TID = "IT01_20260331T0800"
FORMS_1_0 = ["dm", "enr", "dx", "ex", "sct", "lb", "rs", "mrd", "ae", "ds", "dth", "fu", "nt"]


# --------------------------------------------------------------------------- the contract as data


def test_versions_known_are_1_0_and_1_1() -> None:
    assert CONTRACT_VERSIONS == ("1.0", "1.1")
    with pytest.raises(KeyError, match="2.0"):
        forms_of("2.0")


def test_contract_1_0_is_the_forms_of_every_earlier_transfer() -> None:
    v10 = forms_of("1.0")
    assert list(v10) == FORMS_1_0
    assert v10 == FORMS
    assert v10["enr"].column_names == [
        "SITEID", "SUBJID", "ICFDT", "ELIGDT", "ENRLFL", "REIND", "REINDRSP", "MOBFL",
    ]  # fmt: skip
    assert v10["rs"].column_names == ["SITEID", "SUBJID", "RSDT", "PHASE", "RSORRES", "RSCOMPL"]
    assert "SIFEADJ" not in v10["lb"].column("LBTESTCD").codes
    assert form_files("1.0") == tuple(f"{f}.csv" for f in FORMS_1_0)


def test_contract_1_1_adds_its_columns_codes_and_the_im_form() -> None:
    v11 = forms_of("1.1")
    assert list(v11) == [*FORMS_1_0, "im"]
    assert form_files("1.1") == (*form_files("1.0"), "im.csv")
    # In the spec's order: REINDSDT after REIND, RSPDTYP last in rs.
    enr = v11["enr"]
    assert enr.column_names == [
        "SITEID", "SUBJID", "ICFDT", "ELIGDT", "ENRLFL", "REIND", "REINDSDT", "REINDRSP", "MOBFL",
    ]  # fmt: skip
    assert enr.column("REINDSDT").type == "date"
    rspdtyp = v11["rs"].column("RSPDTYP")
    assert v11["rs"].column_names[-1] == "RSPDTYP"
    assert (rspdtyp.type, rspdtyp.codes) == ("code", ("BIOCHEMICAL", "IMAGING", "CLINICAL"))
    assert not rspdtyp.required  # empty unless RSORRES = PD: a finding, not a quarantine
    assert v11["lb"].column("LBTESTCD").codes == (
        "SMPROT", "UMPROT", "SIFE", "UIFE", "KAPPA", "LAMBDA", "BMPC", "BMCLON", "SIFEADJ",
    )  # fmt: skip
    im = v11["im"]
    assert im.key == ("SUBJID", "IMDT")
    assert im.column_names == ["SITEID", "SUBJID", "IMDT", "IMMETH", "NEWLES", "PLASMFL", "PLSPD"]
    assert [c.type for c in im.columns] == ["text", "text", "date", "code", "yn", "yn", "num"]
    assert im.column("IMMETH").codes == ("PET-CT", "CT", "MRI", "WBLDCT", "X-RAY")
    assert im.column("IMDT").required
    assert im.column("PLSPD").min_value == 0


def test_every_other_column_is_the_same_in_both_versions() -> None:
    v10, v11 = forms_of("1.0"), forms_of("1.1")
    for name, form in v10.items():
        for col in form.columns:
            if col.name != "LBTESTCD":
                assert v11[name].column(col.name) == col, (name, col.name)


def test_the_raw_tables_hold_every_version() -> None:
    assert RAW_FORMS == forms_of("1.1")
    ddl = raw_table_ddl(RAW_FORMS["enr"])
    assert '"REINDSDT" DATE' in ddl
    assert '"RSPDTYP" VARCHAR' in raw_table_ddl(RAW_FORMS["rs"])
    assert raw_table_ddl(RAW_FORMS["im"]) == (
        'create table if not exists raw.im ("TRANSFER_ID" VARCHAR, "ROWNUM" BIGINT, '
        '"SITEID" VARCHAR, "SUBJID" VARCHAR, "IMDT" DATE, "IMMETH" VARCHAR, "NEWLES" VARCHAR, '
        '"PLASMFL" VARCHAR, "PLSPD" DOUBLE, "EXTRA" VARCHAR)'
    )


# --------------------------------------------------------------------------- ingestion


def _write(
    landing: Path,
    frames: dict[str, pd.DataFrame],
    version: str,
    when: str = WHEN,
    site: str = "IT01",
) -> Path:
    return write_transfer(landing, site, when, frames, contract_version=version)


def _ingest(tmp_path: Path, lanes: int = 2) -> tuple[duckdb.DuckDBPyConnection, list[dict]]:
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    return con, ingest_landing(con, tmp_path / "landing", lanes=lanes).registered


def _set_manifest(folder: Path, **changes: object) -> None:
    path = folder / "manifest.json"
    m = json.loads(path.read_text())
    m.update(changes)
    write_manifest(folder, m)


def test_a_1_0_transfer_loads_as_before_and_the_1_1_columns_read_as_missing(
    tmp_path: Path,
) -> None:
    folder = _write(tmp_path / "landing", valid_frames("IT01"), "1.0")
    assert sorted(json.loads((folder / "manifest.json").read_text())["files"]) == sorted(
        form_files("1.0")
    )
    con, (row,) = _ingest(tmp_path)
    assert (row["status"], row["rows_quarantined"]) == ("LOADED", 0)
    assert sorted(row["forms"]) == sorted(FORMS_1_0)
    assert con.execute('select "CONTRACT_VERSION" from raw.transfers').fetchall() == [("1.0",)]
    assert con.execute('select count(*), count("REINDSDT") from raw.enr').fetchone() == (3, 0)
    assert con.execute('select count(*), count("RSPDTYP") from raw.rs').fetchone() == (6, 0)
    assert con.execute("select count(*) from raw.im").fetchone() == (0,)


@pytest.mark.parametrize("lanes", [1, 2])
def test_a_1_1_transfer_loads_im_and_the_new_columns(tmp_path: Path, lanes: int) -> None:
    frames = valid_frames("IT01", contract_version="1.1")
    _write(tmp_path / "landing", frames, "1.1")
    con, (row,) = _ingest(tmp_path, lanes)
    assert (row["status"], row["rows_quarantined"]) == ("LOADED", 0), row
    assert sorted(row["forms"]) == sorted([*FORMS_1_0, "im"])
    assert row["forms"]["im"]["rows_loaded"] == len(frames["im"]) > 0
    assert con.execute(
        'select "SUBJID", "REIND", "REINDSDT"::VARCHAR from raw.enr order by 1'
    ).fetchall() == [
        ("IT01-001", "KRD", "2024-09-11"),
        ("IT01-002", "KRD", "2024-09-12"),
        ("IT01-003", "KRD", "2024-09-13"),
    ]
    assert con.execute(
        'select "RSORRES", "RSPDTYP" from raw.rs where "SUBJID" = ? order by "RSDT"', ["IT01-003"]
    ).fetchall() == [("VGPR", None), ("CR", None), ("PD", "IMAGING")]
    assert con.execute(
        'select "IMDT"::VARCHAR, "IMMETH", "NEWLES", "PLASMFL", "PLSPD" from raw.im '
        'where "SUBJID" = ? order by "IMDT"',
        ["IT01-003"],
    ).fetchall() == [
        ("2024-08-13", "PET-CT", "N", "Y", 6.25),
        ("2025-01-14", "PET-CT", "N", "N", None),
        ("2025-09-13", "PET-CT", "Y", "N", None),
    ]
    assert con.execute(
        'select "LBORRES" from raw.lb where "LBTESTCD" = \'SIFEADJ\' order by "SUBJID"'
    ).fetchall() == [("POS",), ("POS",), ("POS",)]


@pytest.mark.parametrize(
    ("form", "column"),
    [("enr", "REINDSDT"), ("rs", "RSPDTYP"), ("im", "PLSPD"), ("im", "IMDT")],
)
def test_a_1_1_transfer_missing_a_1_1_column_is_refused_naming_it(
    tmp_path: Path, form: str, column: str
) -> None:
    frames = valid_frames("IT01", contract_version="1.1")
    frames[form] = frames[form].drop(columns=[column])
    _write(tmp_path / "landing", frames, "1.1")
    con, (row,) = _ingest(tmp_path)
    assert row["status"] == "REFUSED"
    assert row["reason"] == f"{TID}: {form}.csv refused: missing required column(s) {column}"
    assert sum(con.execute(f"select count(*) from raw.{f}").fetchone()[0] for f in RAW_FORMS) == 0


def test_a_1_1_transfer_without_im_csv_is_refused_naming_it(tmp_path: Path) -> None:
    folder = _write(tmp_path / "landing", valid_frames("IT01", contract_version="1.1"), "1.1")
    (folder / "im.csv").unlink()
    write_manifest(folder, build_manifest(folder, "IT01", TID, WHEN, contract_version="1.1"))
    _, (row,) = _ingest(tmp_path)
    assert row["status"] == "REFUSED"
    assert row["reason"] == f"{TID}: manifest invalid (form files not listed: im.csv)"


@pytest.mark.parametrize("version", ["2.0", "1.2", "", None, 1.1])
def test_any_other_contract_version_is_refused(tmp_path: Path, version: object) -> None:
    folder = _write(tmp_path / "landing", valid_frames("IT01"), "1.0")
    _set_manifest(folder, contract_version=version)
    _, (row,) = _ingest(tmp_path)
    assert row["status"] == "REFUSED"
    assert row["reason"] == (
        f"{TID}: unknown contract version: manifest contract_version {version!r}, "
        "expected one of '1.0', '1.1'"
    )


def test_a_1_0_transfer_that_sends_im_csv_is_refused(tmp_path: Path) -> None:
    """A 1.0 transfer sends no im.csv (site_extracts.md): imaging sent under 1.0 would be
    neither loaded nor refused, so the site is told to declare 1.1 instead."""
    frames = valid_frames("IT01", contract_version="1.1")
    folder = _write(tmp_path / "landing", {k: v for k, v in frames.items() if k != "im"}, "1.0")
    frames["im"].to_csv(folder / "im.csv", index=False, lineterminator="\n")
    write_manifest(folder, build_manifest(folder, "IT01", TID, WHEN, contract_version="1.0"))
    _, (row,) = _ingest(tmp_path)
    assert row["status"] == "REFUSED"
    assert row["reason"] == (
        f"{TID}: manifest invalid (im.csv is a form of contract 1.1; the manifest declares "
        "contract_version 1.0)"
    )


def test_a_1_1_column_sent_in_a_1_0_transfer_is_an_extra_column(tmp_path: Path) -> None:
    """Read under its declared version: RSPDTYP is not a column of a 1.0 rs.csv, so it is
    kept in EXTRA (and raised as a finding) and RSPDTYP reads as missing."""
    frames = valid_frames("IT01")
    frames["rs"]["RSPDTYP"] = ""
    frames["rs"].loc[0, "RSPDTYP"] = "IMAGING"
    _write(tmp_path / "landing", frames, "1.0")
    con, (row,) = _ingest(tmp_path)
    assert (row["status"], row["rows_quarantined"]) == ("LOADED", 0)
    assert con.execute('select count("RSPDTYP") from raw.rs').fetchone() == (0,)
    assert con.execute('select "EXTRA" from raw.rs where "ROWNUM" = 1').fetchone() == (
        '{"RSPDTYP":"IMAGING"}',
    )
    assert con.execute('select "FORM", "COLUMN" from raw.extra_columns').fetchall() == [
        ("rs", "RSPDTYP")
    ]


def test_sifeadj_is_a_code_of_1_1_only(tmp_path: Path) -> None:
    frames = valid_frames("IT01")
    frames["lb"].loc[0, "LBTESTCD"] = "SIFEADJ"
    frames["lb"].loc[0, "LBORRES"] = "NEG"
    _write(tmp_path / "landing", frames, "1.0")
    con, (row,) = _ingest(tmp_path)
    assert (row["status"], row["rows_quarantined"]) == ("LOADED", 1)
    assert con.execute('select "COLUMN", "REASON" from raw.quarantine').fetchall() == [
        (
            "LBTESTCD",
            f"{TID} lb.csv row 1 LBTESTCD: unknown code 'SIFEADJ' (expected one of SMPROT, "
            "UMPROT, SIFE, UIFE, KAPPA, LAMBDA, BMPC, BMCLON)",
        )
    ]


def test_1_1_rows_are_quarantined_like_any_other(tmp_path: Path) -> None:
    """Unknown codes, impossible dates and bad numbers in the 1.1 columns and form; every
    row accounted for (rows in = loaded + quarantined)."""
    frames = valid_frames("IT01", contract_version="1.1")
    frames["rs"].loc[6, "RSPDTYP"] = "PET"  # the PD row of IT01-003
    frames["enr"].loc[1, "REINDSDT"] = "2024-02-30"
    frames["im"].loc[0, "IMMETH"] = "ULTRASOUND"
    frames["im"].loc[1, "PLSPD"] = "-1"
    frames["im"].loc[2, "IMDT"] = "2024-09"
    _write(tmp_path / "landing", frames, "1.1")
    con, (row,) = _ingest(tmp_path)
    assert row["status"] == "LOADED"
    assert con.execute(
        'select "FORM", "ROWNUM", "COLUMN", "VALUE" from raw.quarantine order by 1, 2'
    ).fetchall() == [
        ("enr", 2, "REINDSDT", "2024-02-30"),
        ("im", 1, "IMMETH", "ULTRASOUND"),
        ("im", 2, "PLSPD", "-1"),
        ("im", 3, "IMDT", "2024-09"),
        ("rs", 7, "RSPDTYP", "PET"),
    ]
    reasons = " ".join(r for (r,) in con.execute('select "REASON" from raw.quarantine').fetchall())
    assert (
        "rs.csv row 7 RSPDTYP: unknown code 'PET' (expected one of BIOCHEMICAL, IMAGING, "
        "CLINICAL)" in reasons
    )
    assert "im.csv row 3 IMDT: partial date not allowed '2024-09'" in reasons
    for name, form in row["forms"].items():
        assert form["rows_in"] == form["rows_loaded"] + form["rows_quarantined"], name
    assert row["forms"]["im"] == {
        "rows_in": len(frames["im"]),
        "rows_loaded": len(frames["im"]) - 3,
        "rows_quarantined": 3,
        "rows_malformed": 0,
        "deletions": 0,
    }


def test_pd_basis_rules_load_the_row_for_a_finding(tmp_path: Path) -> None:
    """RSPDTYP required when RSORRES = PD, empty otherwise: parseable, so logically
    inconsistent rows load and quality.findings raises them (site_extracts.md, bad input);
    a PD is never dropped from the analysis for a missing basis."""
    frames = valid_frames("IT01", contract_version="1.1")
    frames["rs"].loc[6, "RSPDTYP"] = ""  # PD without its basis
    frames["rs"].loc[0, "RSPDTYP"] = "CLINICAL"  # a basis on a VGPR
    _write(tmp_path / "landing", frames, "1.1")
    con, (row,) = _ingest(tmp_path)
    assert (row["status"], row["rows_quarantined"]) == ("LOADED", 0)
    assert con.execute(
        'select "RSORRES", "RSPDTYP" from raw.rs where "ROWNUM" in (1, 7) order by 1'
    ).fetchall() == [("PD", None), ("VGPR", "CLINICAL")]


def test_an_existing_warehouse_gets_the_1_1_columns_and_table(tmp_path: Path) -> None:
    """A warehouse made before 1.1 has raw.enr without REINDSDT, raw.rs without RSPDTYP and
    no raw.im: the next ingestion adds them (NULL for the rows already there), and loads a
    1.1 transfer beside the 1.0 one."""
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("create schema raw")
    for form in FORMS.values():
        con.execute(raw_table_ddl(form))
    con.close()
    landing = tmp_path / "landing"
    _write(landing, valid_frames("IT01"), "1.0", when=T1)
    con, _ = _ingest(tmp_path)
    con.close()
    _write(landing, valid_frames("IT01", contract_version="1.1"), "1.1")
    con, (row,) = _ingest(tmp_path)
    assert (row["status"], row["rows_quarantined"]) == ("LOADED", 0), row
    assert con.execute(
        'select "TRANSFER_ID", count("REINDSDT") from raw.enr group by 1 order by 1'
    ).fetchall() == [("IT01_20260131T0800", 0), (TID, 3)]
    assert con.execute("select count(*) from raw.im").fetchone()[0] > 0
    ensure_raw_schema(con)  # idempotent
    names = [
        c
        for (c,) in con.execute(
            "select column_name from information_schema.columns where table_schema = 'raw' "
            "and table_name = 'rs'"
        ).fetchall()
    ]
    assert names.count("RSPDTYP") == 1


def test_a_site_back_on_1_0_deletes_its_imaging_visibly(tmp_path: Path) -> None:
    """A record that disappears in a newer transfer is a deletion (site_extracts.md): a 1.0
    transfer after a 1.1 one carries no im records, so each is recorded in raw.deletions
    (beside the SIFEADJ results and the PD the 1.0 frames do not have)."""
    landing = tmp_path / "landing"
    _write(landing, valid_frames("IT01", contract_version="1.1"), "1.1", when=T1)
    _write(landing, valid_frames("IT01"), "1.0")
    con, rows = _ingest(tmp_path)
    assert [r["status"] for r in rows] == ["LOADED", "LOADED"]
    assert con.execute(
        'select "FORM", count(*) from raw.deletions where "TRANSFER_ID" = ? group by 1 order by 1',
        [TID],
    ).fetchall() == [("im", 7), ("lb", 3), ("rs", 1)]
    assert rows[1]["rows_deleted"] == 11
    assert rows[1]["forms"]["im"] == {
        "rows_in": 0,
        "rows_loaded": 0,
        "rows_quarantined": 0,
        "rows_malformed": 0,
        "deletions": 7,
    }


# --------------------------------------------------------------------------- fault writer


def test_the_contract_version_faults_get_their_documented_outcome(tmp_path: Path) -> None:
    from dagster_project.lib.synthetic.faults import write_contract_version_faults

    landing = tmp_path / "landing"
    cases = write_contract_version_faults(landing)
    assert sorted(c.name for c in cases) == [
        "contract_1_0_with_im_csv",
        "contract_1_1_missing_a_1_1_column",
        "contract_1_1_missing_im_csv",
        "pd_basis_inconsistent",
        "unknown_contract_version",
        "unknown_pd_basis",
    ]
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    ingest_landing(con, landing)
    for case in cases:
        ((status, reason),) = con.execute(
            'select "STATUS", "REASON" from raw.transfers where "DELIVERY" = ?', [case.delivery]
        ).fetchall()
        assert status == case.status, case.name
        quarantine = con.execute(
            'select "FORM", "ROWNUM", "COLUMN", "REASON" from raw.quarantine '
            'where "TRANSFER_ID" = ? order by 1, 2',
            [case.transfer_id],
        ).fetchall()
        texts = (reason or "") + " ".join(q[3] for q in quarantine)
        for fragment in case.reason_contains:
            assert fragment in texts, (case.name, fragment, texts)
        assert [q[:3] for q in quarantine] == sorted(case.quarantined), case.name
        if case.baseline_delivery:
            assert con.execute(
                'select "STATUS" from raw.transfers where "DELIVERY" = ?', [case.baseline_delivery]
            ).fetchall() == [("LOADED",)], case.name
