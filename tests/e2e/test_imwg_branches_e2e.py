"""The demo trial exercises the computed IMWG response (response.md sections 3-5): the
60-subject trial of `make demo` (contract 1.1, seed 20261125, 6 sites; tests/conftest.py
DEMO_TRIAL, run beside the contract-version faults' own sites) through `isadex run` gives every
branch of section 3 at some time point, the investigator and the algorithm disagree now and
then (T15, quality.response_discordance), and every ITT subject has a best confirmed computed
response."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

pytestmark = pytest.mark.e2e


# response.md section 3: the five PD routes, both NE reasons, the categories with each of
# VGPR's four routes, and the missing-critical-value downgrades of CR and sCR
SECTION_3_BRANCHES = {
    "PD_SERUM",
    "PD_URINE",
    "PD_FLC",
    "PD_IMAGING_NEWLES",
    "PD_IMAGING_PLSPD",
    "NE_NOT_MEASURABLE",
    "NE_MISSING_VALUE",
    "SCR",
    "CR",
    "VGPR_IFE_ONLY",
    "VGPR_SERUM",
    "VGPR_URINE",
    "VGPR_FLC",
    "PR",
    "MR",
    "SD",
    "VGPR_FROM_CR_MISSING",
    "CR_FROM_SCR_MISSING",
}


@pytest.fixture(scope="module")
def demo(contract_runs):
    """The demo trial's 1.1 run, beside the contract-version faults on sites of their own
    (tests/conftest.py, shared with tests/e2e/test_contract_1_1_e2e.py)."""
    outcome, warehouse, _ = contract_runs["1.1"]
    con = duckdb.connect(str(warehouse), read_only=True)
    yield outcome, con
    con.close()


def _rows(con, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


def test_the_demo_publishes(demo):
    outcome, _ = demo
    assert outcome.exit_code in (0, 2), outcome.summary()  # 2: findings, published


def test_every_branch_of_section_3_occurs(demo):
    _, con = demo
    rules = {
        r[0]
        for r in _rows(
            con, "select distinct algresp_rule from intermediate.int_imwg_timepoints_evaluated"
        )
    }
    assert SECTION_3_BRANCHES <= rules, sorted(SECTION_3_BRANCHES - rules)


def test_investigator_and_algorithm_agree_only_partly(demo):
    _, con = demo
    (agree,) = _rows(
        con,
        "select VALUE from endpoints.results "
        "where TABLEID = 'T15' and PARAMCD = 'BOR' and STAT = 'AGREE_PCT'",
    )[0]
    assert 0 < agree < 100, agree
    (discordant,) = _rows(con, "select count(*) from quality.response_discordance")[0]
    assert discordant > 0


def test_every_itt_subject_has_a_computed_best_response(demo):
    _, con = demo
    missing = _rows(
        con,
        "select USUBJID from adam.adsl where ITTFL = 'Y' except "
        "select USUBJID from adam.adrs where PARAMCD = 'ALGCBOR'",
    )
    assert missing == []
    (itt,) = _rows(con, "select count(*) from adam.adsl where ITTFL = 'Y'")[0]
    assert itt > 0


def test_discordant_responses_are_on_the_quality_page_and_t15_prints_the_2x2_tables(demo):
    """response.md section 4: the discordant subjects "listed ... for medical review in the
    quality report", and T15's cross-table "the same for responder status (>= PR) and for
    >= CR"."""
    outcome, con = demo
    report = Path(dict(outcome.published)["report"]).parent
    listed = _rows(con, "select USUBJID, CBOR, ALGCBOR from quality.response_discordance")
    cells = con.execute("select * from endpoints.t15_dichotomies").df()
    # the demo's investigator calls are noisy on purpose (response.md section 5)
    assert listed
    section = (report / "quality.html").read_text().split("for medical review", 1)[1]
    rows = section.split("</table>", 1)[0].split("<tr>")
    for usubjid, cbor, algcbor in listed:
        (row,) = [r for r in rows if f"<td>{usubjid}</td>" in r]
        assert f"<td>{usubjid}</td><td>{cbor}</td>" in row and f"<td>{algcbor}</td>" in row
    assert cells["Comparison"].tolist() == ["Responder (>= PR)"] * 2 + [">= CR"] * 2
    assert "T15 dichotomies" in (report / "index.html").read_text()
