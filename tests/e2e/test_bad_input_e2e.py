"""Every kind of bad input of site_extracts.md, fed through `isadex run` beside a clean trial:
the run publishes, refuses what the contract refuses, quarantines what it quarantines, loses
nothing, and reports the logically inconsistent subject as findings."""

from __future__ import annotations

import shutil

import duckdb
import pytest

from dagster_project.lib.runtime.settings import RunSettings
from dagster_project.lib.synthetic import generate_trial
from dagster_project.lib.synthetic.faults import (
    EXTRA_COLUMN_VALUE,
    LONG_AETERM,
    NON_ASCII_AETERM,
    write_all_faults,
)
from dagster_project.lib.warehouse.raw_scrub import scrub_extra_columns
from tests.conftest import run_isadex, text_hits, unaccounted_rows


@pytest.fixture(scope="module")
def faulty_run(tmp_path_factory):
    landing = tmp_path_factory.mktemp("faulty") / "landing"
    generate_trial(landing, subjects=24, sites=2, seed=7)
    cases = write_all_faults(landing)
    warehouse = landing.parent / "warehouse.duckdb"
    report = landing.parent / "report"
    outcome = run_isadex(landing, warehouse, report_dir=report)
    con = duckdb.connect(str(warehouse), read_only=True)
    yield outcome, cases, con, landing, report
    con.close()


def test_run_publishes_and_exits_2_for_refused_transfers(faulty_run):
    outcome, cases, _, _, _ = faulty_run
    assert outcome.exit_code == 2, outcome.summary()
    refused = {case.transfer_id for case in cases if case.status == "REFUSED"}
    assert refused and refused <= {transfer for transfer, _ in outcome.refused}


def test_each_fault_gets_the_documented_outcome(faulty_run):
    _, cases, con, _, _ = faulty_run
    for case in cases:
        statuses = con.execute(
            "select STATUS, REASON from raw.transfers where DELIVERY = ? order by REGISTERED_AT",
            [case.delivery],
        ).fetchall()
        assert statuses, case.name
        status, reason = statuses[-1]
        assert status == case.status, (case.name, statuses)
        if case.baseline_delivery:
            baseline = con.execute(
                "select STATUS from raw.transfers where DELIVERY = ? order by REGISTERED_AT",
                [case.baseline_delivery],
            ).fetchall()
            assert baseline[0] == ("LOADED",), case.name
        quarantine = con.execute(
            'select FORM, ROWNUM, "COLUMN", REASON from raw.quarantine where TRANSFER_ID = ?',
            [case.transfer_id],
        ).fetchall()
        texts = (reason or "") + " ".join(q[3] for q in quarantine)
        for fragment in case.reason_contains:
            assert fragment in texts, (case.name, fragment, texts)
        for form, rownum, column in case.quarantined:
            assert any(
                q[0] == form and q[1] == rownum and (column is None or q[2] == column)
                for q in quarantine
            ), (case.name, form, rownum, column, quarantine)


def test_enrolled_subjects_without_a_start_date_are_findings_and_the_run_publishes(faulty_run):
    """FA27: subject 1 enrolled without ELIGDT, subject 2 without ICFDT, subject 3 without an
    enr record (every other form sent). The run publishes (a
    missing ELIGDT once left TNT without STARTDT, failed adtte's not-null test and with it the
    whole run). A CRITICAL finding asks the site for each date. Subject 1 stays ITT with every
    ADTTE parameter but TNT (adam.md: TNT starts at ELIGDT); subject 2 is in no dataset, as ADSL
    counts a subject from consent (int_subjects_derived), and subject 3 in none; the findings
    say so."""
    _, cases, con, _, _ = faulty_run
    (case,) = [c for c in cases if c.name == "enrolled_without_start_dates"]
    no_eligdt, no_icfdt, no_enr = (f"ISA-DEX-MM-{case.site_id}-00{i}" for i in (1, 2, 3))
    findings = {
        (usubjid, rule): (severity, detail)
        for usubjid, rule, severity, detail in con.execute(
            "select USUBJID, RULE, SEVERITY, DETAIL from quality.findings where SITEID = ?",
            [case.site_id],
        ).fetchall()
    }
    assert set(findings) == {
        (no_eligdt, "ELIGIBILITY_DATE_MISSING"),
        (no_icfdt, "CONSENT_DATE_MISSING"),
        (no_enr, "ENROLMENT_RECORD_MISSING"),
    }
    assert {severity for severity, _ in findings.values()} == {"CRITICAL"}
    assert "no TNT" in findings[no_eligdt, "ELIGIBILITY_DATE_MISSING"][1]
    assert "not in ADSL" in findings[no_icfdt, "CONSENT_DATE_MISSING"][1]
    assert "but no enr record" in findings[no_enr, "ENROLMENT_RECORD_MISSING"][1]
    itt = dict(
        con.execute(
            "select USUBJID, ITTFL from adam.adsl where USUBJID in (?, ?, ?)",
            [no_eligdt, no_icfdt, no_enr],
        ).fetchall()
    )
    assert itt == {no_eligdt: "Y"}
    parameters = {
        p
        for (p,) in con.execute(
            "select PARAMCD from adam.adtte where USUBJID = ?", [no_eligdt]
        ).fetchall()
    }
    assert "TNT" not in parameters and {"PFS", "OS", "PFS2", "TTPR"} <= parameters


def test_rows_in_equal_loaded_plus_quarantined_for_every_loaded_file(faulty_run):
    _, _, con, landing, _ = faulty_run
    loaded = con.execute(
        "select TRANSFER_ID, DELIVERY from raw.transfers where STATUS = 'LOADED'"
    ).fetchall()
    assert loaded
    assert unaccounted_rows(con, landing) == []


def test_inconsistent_subject_loads_and_is_reported(faulty_run):
    _, cases, con, _, report = faulty_run
    (case,) = [c for c in cases if c.name == "logically_inconsistent"]
    rules = {
        rule
        for (rule,) in con.execute(
            "select distinct RULE from quality.findings where SITEID = ?", [case.site_id]
        ).fetchall()
    }
    assert {"DEATH_BEFORE_CONSENT", "RESPONSE_AFTER_DEATH", "ASCT_BEFORE_CONSENT"} <= rules
    # The rows loaded: the subject is in ADSL and the site's findings are counted per site.
    assert (
        con.execute("select count(*) from adam.adsl where SITEID = ?", [case.site_id]).fetchone()[0]
        > 0
    )
    assert (
        con.execute(
            "select FINDINGS from quality.findings_by_site where SITEID = ?", [case.site_id]
        ).fetchone()[0]
        >= 3
    )
    html = (report / "index.html").read_text()
    assert "DEATH_BEFORE_CONSENT" in html


def test_a_dose_in_another_unit_is_counted_in_its_drugs_unit_and_queried(faulty_run):
    """FA14's subject 3 has its first isatuximab dose as 720 MG (72 kg), the other two as 10
    MG/KG: ADEX counts 30 MG/KG of the 40 cycle 1 plans (D22 was not given; it summed 740 as
    MG/KG, RDI 18.5), and a finding names the record."""
    _, cases, con, _, _ = faulty_run
    (case,) = [c for c in cases if c.name == "logically_inconsistent"]
    usubjid = f"ISA-DEX-MM-{case.site_id}-003"
    adex = dict(
        con.execute(
            "select PARAMCD, AVAL from adam.adex where USUBJID = ? and PARCAT1 = 'ISATUXIMAB' "
            "and APHASE = 'INDUCTION' and PARAMCD in ('CUMDOSE', 'RDI', 'NADM', 'NRED')",
            [usubjid],
        ).fetchall()
    )
    assert adex == {"CUMDOSE": 30.0, "RDI": 0.75, "NADM": 3.0, "NRED": 0.0}
    (detail,) = con.execute(
        "select DETAIL from quality.findings where USUBJID = ? "
        "and RULE = 'DOSE_UNIT_NOT_THE_SCHEDULES'",
        [usubjid],
    ).fetchone()
    assert "EXDOSE 720.0 MG" in detail and "counted as 10.0 MG/KG" in detail


def test_a_response_and_an_mrd_sample_before_consent_count_in_no_parameter(faulty_run):
    """FA14's subject 3 (ICFDT 2025-01-13) has an SCR on 2025-01-05 and an NGF 10^-5 negative
    on 2025-01-06, before consent; on study it has VGPR 2025-03-13, CR 2025-06-13, PD
    2025-09-13 and a negative on 2025-06-13 (ASCT 2025-04-15, MELDT 2025-04-13). RESPFL, BOR and
    DOR count on-study responses (adam.md), so the SCR once made BORIND and BOR an SCR and TTPR
    an event 8 days before its start (AVAL -7), and the early negative dated MRDANY. Now the
    records stay as sent (OVRLRESP) and a finding asks the site for each date."""
    _, cases, con, _, _ = faulty_run
    (case,) = [c for c in cases if c.name == "logically_inconsistent"]
    usubjid = f"ISA-DEX-MM-{case.site_id}-003"
    findings = con.execute(
        "select RULE, FORM from quality.findings where USUBJID = ? order by RULE", [usubjid]
    ).fetchall()
    assert findings == [
        ("DOSE_UNIT_NOT_THE_SCHEDULES", "ex"),
        ("MRD_BEFORE_CONSENT", "mrd"),
        ("RESPONSE_BEFORE_CONSENT", "rs"),
    ]
    adrs = {
        paramcd: (avalc, str(adt))
        for paramcd, avalc, adt in con.execute(
            "select PARAMCD, AVALC, ADT from adam.adrs where USUBJID = ? and PARAMCD in "
            "('BORIND', 'BOR', 'MRDANY', 'MRD12')",
            [usubjid],
        ).fetchall()
    }
    assert adrs == {
        "BORIND": ("VGPR", "2025-03-13"),
        "BOR": ("CR", "2025-06-13"),
        "MRDANY": ("Y", "2025-06-13"),
        "MRD12": ("Y", "2025-06-13"),
    }
    assert con.execute(
        "select AVALC from adam.adrs where USUBJID = ? and PARAMCD = 'OVRLRESP' "
        "and ADT = date '2025-01-05'",
        [usubjid],
    ).fetchall() == [("SCR",)]
    ttpr = con.execute(
        "select ADT::varchar, AVAL, CNSR from adam.adtte where USUBJID = ? and PARAMCD = 'TTPR'",
        [usubjid],
    ).fetchone()
    assert ttpr == ("2025-03-13", 60, 0)
    assert (
        con.execute("select min(AVAL) from adam.adtte where USUBJID = ?", [usubjid]).fetchone()[0]
        >= 1
    )


def test_other_sites_load_whatever_one_transfer_sends(faulty_run):
    """Issue 27: one malformed field, an unparseable file or a link never stops the others."""
    _, cases, con, _, _ = faulty_run
    fault_sites = {case.site_id for case in cases}
    statuses = con.execute(
        "select SITEID, STATUS from raw.transfers where SITEID not in "
        "(select unnest(?::VARCHAR[]))",
        [sorted(fault_sites)],
    ).fetchall()
    assert statuses and {status for _, status in statuses} == {"LOADED"}


def test_no_implausible_date_reaches_adam(faulty_run):
    """Issue 27: EXSTDT 0001-01-01 became TRTSDT. Quarantined now, so no treatment date in
    ADSL is before 1900."""
    _, _, con, _, _ = faulty_run
    assert con.execute("select min(TRTSDT) >= DATE '1900-01-01' from adam.adsl").fetchone()[0]


def test_extra_column_is_a_finding_naming_site_form_and_column(faulty_run):
    _, cases, con, _, report = faulty_run
    (case,) = [c for c in cases if c.name == "extra_column"]
    findings = con.execute(
        "select USUBJID, FORM, SEVERITY, DETAIL from quality.findings "
        "where SITEID = ? and RULE = 'EXTRA_COLUMN'",
        [case.site_id],
    ).fetchall()
    assert len(findings) == 1
    usubjid, form, severity, detail = findings[0]
    assert (usubjid, form, severity) == (None, "ae", "MAJOR")
    assert "PATIENT_NAME" in detail and EXTRA_COLUMN_VALUE not in detail
    assert "EXTRA_COLUMN" in (report / "quality.html").read_text()


def test_the_published_warehouse_holds_no_extra_value_and_the_working_file_keeps_it(
    faulty_run,
):
    """site_extracts.md: an extra column is kept in the raw layer of the writer's working file
    for audit, never in a published file. The published file has no value of FA26's extra
    column in any table or view, nor anywhere in its bytes (published/warehouse writes a
    scrubbed copy again as a new file); the working file still has it."""
    outcome, _, con, landing, report = faulty_run
    assert text_hits(con, "EXTRAMARKER") == []
    assert unaccounted_rows(con, landing) == []
    published = landing.parent / "warehouse.duckdb"  # the stable name, as faulty_run opens it
    assert b"EXTRAMARKER" not in published.read_bytes()
    work = RunSettings(landing, published, report_dir=report).work_db
    with duckdb.connect(str(work), read_only=True) as working:
        assert text_hits(working, "EXTRAMARKER") != []


def test_scrub_of_a_copy_of_the_working_file_leaves_no_extra_value(faulty_run, tmp_path):
    """scrub_extra_columns on a copy of the whole working file (raw, staging, every dbt model,
    quality and run tables): no value of the extra column is left anywhere."""
    _, _, con, landing, report = faulty_run
    published = landing.parent / "warehouse.duckdb"  # the stable name, as faulty_run opens it
    copy = tmp_path / "warehouse.duckdb"
    shutil.copyfile(RunSettings(landing, published, report_dir=report).work_db, copy)
    scrubbed = duckdb.connect(str(copy))
    assert scrub_extra_columns(scrubbed) >= 1  # FA26: its one ae row's EXTRA
    assert text_hits(scrubbed, "EXTRAMARKER") == []
    assert unaccounted_rows(scrubbed, landing) == []
    scrubbed.close()


def test_ae_text_a_transport_file_cannot_hold_is_written_for_it_and_queried(faulty_run):
    """FA28: an AETERM in French and one over 200 bytes, UTF-8 text the contract accepts. The
    run publishes (either once failed the export, and with it every site's publication); the
    warehouse keeps each term as sent, the .xpt holds it as SAS v5 can (ASCII, 200 bytes), and a
    finding asks the site for each."""
    import pyreadstat

    _, cases, con, _, report = faulty_run
    (case,) = [c for c in cases if c.name == "ae_text_not_transportable"]
    usubjid = f"ISA-DEX-MM-{case.site_id}-002"
    sent = dict(
        con.execute("select AESPID, AETERM from adam.adae where USUBJID = ?", [usubjid]).fetchall()
    )
    assert sent == {1: NON_ASCII_AETERM, 2: LONG_AETERM}
    adae, _ = pyreadstat.read_xport(str(report / "submission" / "adae.xpt"))
    written = dict(adae.loc[adae["USUBJID"].eq(usubjid), ["AESPID", "AETERM"]].to_numpy())
    assert written == {1: "Fievre neutropenique", 2: LONG_AETERM[:200]}
    findings = con.execute(
        "select RULE, SEVERITY, DETAIL from quality.findings where SITEID = ? order by DETAIL",
        [case.site_id],
    ).fetchall()
    assert findings == [
        ("AE_TEXT_NOT_TRANSPORTABLE", "MAJOR", f"AESPID 1: AETERM {NON_ASCII_AETERM} is not "
         "ASCII: the transport file holds it transliterated"),
        ("AE_TEXT_NOT_TRANSPORTABLE", "MAJOR", f"AESPID 2: AETERM is {len(LONG_AETERM)} bytes: "
         "the transport file holds its first 200"),
    ]  # fmt: skip


def test_records_deleted_at_the_sites_are_on_the_quality_page(faulty_run):
    """site_extracts.md: a record that disappears in a newer transfer is a deletion at the site
    and "must be visible as such": raw.deletions, and the quality page the data manager reads."""
    _, _, con, _, report = faulty_run
    deleted = con.execute("select SITEID, FORM, RECORD_KEY from raw.deletions").fetchall()
    assert deleted
    section = (report / "quality.html").read_text().split("Records deleted at the sites", 1)[1]
    for site, form, key in deleted:
        assert f"<td>{site}</td><td>{form}</td><td>{key}</td>" in section, (site, form, key)
