"""Contract 1.1 through `isadex run` (issue 29, first part): the same synthetic trial (the
demo's) written as 1.0 and as 1.1, each beside the contract-version faults, run end to end.

A 1.1 trial's labs and investigator calls follow the disease kinetics; what they do not drive
(adverse events, exposure, MRD) is the same for both; the 1.1 columns and form reach staging,
a 1.0 PD reads BIOCHEMICAL there, the IMWG baseline needs REINDSDT, and the RSPDTYP rules
raise their findings.
"""

from __future__ import annotations

import duckdb
import pytest

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def runs(contract_runs):
    """The demo trial as 1.0 and as 1.1, each beside the faults (tests/conftest.py)."""
    out = {
        version: (outcome, duckdb.connect(str(warehouse), read_only=True), cases)
        for version, (outcome, warehouse, cases) in contract_runs.items()
    }
    yield out
    for _, con, _ in out.values():
        con.close()


def _rows(con, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


def test_both_runs_publish_and_refuse_only_the_refused_faults(runs):
    for _version, (outcome, con, cases) in runs.items():
        assert outcome.exit_code == 2, outcome.summary()
        refused = {c.transfer_id for c in cases if c.status == "REFUSED"}
        assert {t for t, _ in outcome.refused} == refused
        assert (
            _rows(
                con,
                'select distinct FORM, "COLUMN" from raw.quarantine where TRANSFER_ID in '
                "(select TRANSFER_ID from raw.transfers where SITEID not like 'FB%')",
            )
            == []
        )


def test_what_the_contract_version_does_not_drive_is_the_same(runs):
    # A 1.1 trial's labs, imaging and investigator calls come from the disease kinetics
    # (lib/synthetic/kinetics.py), so response, progression and time to event differ from
    # the 1.0 trial's; everything else the generator writes is the 1.0 trial's, and so are
    # the datasets and tables built from it alone.
    (_, v10, _), (_, v11, _) = runs["1.0"], runs["1.1"]
    shared = {
        "adam.adae": "select * from adam.adae",
        "adam.adex": "select * from adam.adex",
        "adrs MRD": "select * exclude (ASEQ) from adam.adrs where PARCAT1 = 'MRD'",
        "T01 T05 T07 T08 T10": "select * from endpoints.results "
        "where TABLEID in ('T01', 'T05', 'T07', 'T08', 'T10')",
    }
    for name, sql in shared.items():
        ordered = f"select * from ({sql}) order by all"
        assert _rows(v10, ordered) == _rows(v11, ordered), name


def test_imwg_baseline_needs_the_1_1_reinduction_start(runs):
    """A subject without REINDSDT (its transfer is 1.0) has no ADLB baseline and nothing
    measurable (response.md section 2), in both runs (the faults bring 1.1 transfers beside the
    1.0 trial); the 1.1 trial has more REINDSDT and the adjudicated immunofixation (SIFEADJ)."""
    without_reindsdt = (
        "select count(*) from adam.adlb inner join adam.adsl using (USUBJID) "
        "where adsl.REINDSDT is null and (adlb.ABLFL = 'Y' or adlb.BASE is not null)"
    )
    counts = {}
    for version, (_, con, _) in runs.items():
        assert _rows(con, without_reindsdt) == [(0,)], version
        measdis = "select count(*) from adam.adsl where REINDSDT is null and MEASDIS <> 'NONE'"
        assert _rows(con, measdis) == [(0,)], version
        counts[version] = _rows(con, "select count(REINDSDT) from adam.adsl")[0][0]
    assert counts["1.1"] > counts["1.0"]
    (_, v11, _) = runs["1.1"]
    (sifeadj,) = _rows(v11, "select count(*) from adam.adlb where PARAMCD = 'SIFEADJ'")[0]
    assert sifeadj > 0


def test_staging_reads_the_1_1_columns_and_form(runs):
    (_, v10, _), (_, v11, _) = runs["1.0"], runs["1.1"]
    generated = "site_id not like 'FB%'"
    count_im = f"select count(*) from staging.stg_im where {generated}"
    assert _rows(v10, count_im) == [(0,)]
    assert _rows(v11, count_im)[0][0] > 40
    reind = "select count(*), count(reinduction_start_date) from staging.stg_enr where " + generated
    (n10, with10), (n11, with11) = _rows(v10, reind)[0], _rows(v11, reind)[0]
    assert (with10, n11, with11) == (0, n10, n10)
    basis = (
        "select response = 'PD', pd_basis, count(*) > 0 from staging.stg_rs "
        f"where {generated} group by all order by all"
    )
    assert _rows(v10, basis) == [(False, None, True), (True, "BIOCHEMICAL", True)]
    assert {r[:2] for r in _rows(v11, basis)} <= {
        (False, None),
        (True, "BIOCHEMICAL"),
        (True, "IMAGING"),
    }
    assert (True, "BIOCHEMICAL") in {r[:2] for r in _rows(v11, basis)}


def test_pd_basis_rules_are_findings(runs):
    for _version, (_, con, _) in runs.items():
        assert _rows(
            con,
            "select USUBJID, FORM, RULE, SEVERITY from quality.findings "
            "where SITEID = 'FB06' order by RULE",
        ) == [
            ("ISA-DEX-MM-FB06-003", "rs", "PD_BASIS_MISSING", "MAJOR"),
            ("ISA-DEX-MM-FB06-001", "rs", "PD_BASIS_WITHOUT_PD", "MAJOR"),
        ]
        # The generated sites are clean: no finding on the 1.1 rules.
        assert _rows(
            con,
            "select count(*) from quality.findings where SITEID not like 'FB%' and RULE in "
            "('PD_BASIS_MISSING', 'PD_BASIS_WITHOUT_PD', 'PLSPD_WITHOUT_PLASMACYTOMA')",
        ) == [(0,)]
