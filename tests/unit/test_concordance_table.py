"""T15 (response.md section 4) from hand-built ADRS and ADTTE rows, every number worked out by
hand in the comments."""

from __future__ import annotations

import pandas as pd
import pytest

from dagster_project.lib.endpoints.concordance import (
    build_t15,
    discordant_subjects,
    display_t15,
    display_t15_agreement,
    display_t15_dichotomies,
    display_t15_pfs,
)
from dagster_project.lib.endpoints.results import Lookup
from tests.fixtures.endpoint_adam import CUTOFF, adsl, adtte

# S01-S09 are ITT, S10 is not (its rows must not count). S09 has no CBOR row: NE.
CBOR = {"S01": "SCR", "S02": "CR", "S03": "VGPR", "S04": "PR", "S05": "PR", "S06": "SD"}
CBOR |= {"S07": "PD", "S08": "NE", "S10": "CR"}
ALGCBOR = {"S01": "CR", "S02": "CR", "S03": "VGPR", "S04": "PR", "S05": "MR", "S06": "SD"}
ALGCBOR |= {"S07": "PD", "S08": "NE", "S09": "SD", "S10": "PD"}


def _adrs() -> pd.DataFrame:
    rows = [(s, "CBOR", r) for s, r in CBOR.items()]
    rows += [(s, "ALGCBOR", r) for s, r in ALGCBOR.items()]
    return pd.DataFrame(rows, columns=["USUBJID", "PARAMCD", "AVALC"])


def _adtte() -> pd.DataFrame:
    return adtte(
        [
            ("S01", "PFS", 100, 0),
            ("S01", "PFSALG", 110, 0),  # both: the algorithm 10 days later
            ("S02", "PFS", 200, 0),
            ("S02", "PFSALG", 180, 0),  # both: the algorithm 20 days earlier
            ("S03", "PFS", 250, 1),
            ("S03", "PFSALG", 250, 0),  # the algorithm only
            ("S04", "PFS", 300, 0),
            ("S04", "PFSALG", 320, 1),  # the investigator only
            ("S10", "PFS", 50, 0),
            ("S10", "PFSALG", 60, 0),  # not ITT
        ]
    )


@pytest.fixture(scope="module")
def results() -> pd.DataFrame:
    return build_t15(adsl(), _adrs(), _adtte(), CUTOFF)


def test_cross_table_of_the_eight_categories(results):
    lk = Lookup(results, "T15")
    assert lk.get("BOR", "n", "SCR", "CR") == 1  # S01
    assert lk.get("BOR", "n", "PR", "MR") == 1  # S05
    assert lk.get("BOR", "n", "NE", "SD") == 1  # S09, no CBOR row: NE
    assert lk.get("BOR", "n", "CR", "CR") == 1  # S02 (S10 is not ITT)
    assert lk.get("BOR", "n", "NE", "NE") == 1  # S08
    total = sum(lk.get("BOR", "n", a, b) for a in CBOR.values() for b in ALGCBOR.values())
    assert len(results.query("PARAMCD == 'BOR' and STAT == 'n'")) == 64
    assert total >= 9
    assert sum(results.query("PARAMCD == 'BOR' and STAT == 'n'")["VALUE"]) == 9


def test_agreement_and_kappa_of_the_eight_categories(results):
    # agree: S02 S03 S04 S06 S07 S08 = 6 of 9. Marginals (investigator x computed):
    # SCR 1x0, CR 1x2, VGPR 1x1, PR 2x1, MR 0x1, SD 1x2, PD 1x1, NE 2x1: pe = 10/81,
    # po = 54/81, kappa = 44/71.
    lk = Lookup(results, "T15")
    assert lk.get("BOR", "N") == 9
    assert lk.get("BOR", "AGREE") == 6
    assert lk.get("BOR", "AGREE_PCT") == pytest.approx(100 * 6 / 9)
    assert lk.get("BOR", "KAPPA") == pytest.approx(44 / 71)
    kappa, se = lk.get("BOR", "KAPPA"), lk.get("BOR", "KAPPA_SE")
    assert lk.get("BOR", "KAPPA_LCL") == pytest.approx(kappa - 1.959964 * se, abs=1e-6)
    assert lk.get("BOR", "KAPPA_UCL") == pytest.approx(kappa + 1.959964 * se, abs=1e-6)


def test_responder_and_cr_dichotomies(results):
    # >= PR: investigator S01-S05, computed S01-S04 (S05 MR): YY 4, YN 1, NY 0, NN 4;
    # po = 8/9, pe = (5*4 + 4*5)/81 = 40/81, kappa = (72 - 40)/(81 - 40) = 32/41.
    lk = Lookup(results, "T15")
    assert [lk.get("RESP", "n", a, b) for a in "YN" for b in "YN"] == [4, 1, 0, 4]
    assert lk.get("RESP", "KAPPA") == pytest.approx(32 / 41)
    # >= CR: S01 and S02 by both: full agreement, kappa 1 with SE 0.
    assert [lk.get("CR", "n", a, b) for a in "YN" for b in "YN"] == [2, 0, 0, 7]
    assert lk.get("CR", "KAPPA") == pytest.approx(1.0)
    assert lk.get("CR", "KAPPA_SE") == pytest.approx(0.0, abs=1e-12)


def test_pfs_against_pfsalg(results):
    lk = Lookup(results, "T15")
    assert lk.get("PFS", "N") == 9
    assert lk.get("PFS", "EVENT_BOTH") == 2  # S01, S02
    assert lk.get("PFS", "EVENT_INV_ONLY") == 1  # S04
    assert lk.get("PFS", "EVENT_ALG_ONLY") == 1  # S03
    assert lk.get("PFS", "EVENT_NEITHER") == 5  # S05-S09
    assert lk.get("PFS", "MEDIAN_DIFF_DAYS") == pytest.approx(-5.0)  # median of +10, -20


def test_discordant_subjects_for_medical_review():
    listed = discordant_subjects(adsl(), _adrs())
    assert listed.to_dict("records") == [
        {"USUBJID": "S01", "CBOR": "SCR", "ALGCBOR": "CR"},
        {"USUBJID": "S05", "CBOR": "PR", "ALGCBOR": "MR"},
        {"USUBJID": "S09", "CBOR": "NE", "ALGCBOR": "SD"},
    ]


def test_displays(results):
    cross = display_t15(results)
    assert list(cross["Investigator (CBOR)"]) == ["sCR", "CR", "VGPR", "PR", "MR", "SD", "PD", "NE"]
    assert cross.loc[cross["Investigator (CBOR)"].eq("NE"), "Total"].item() == "2"
    agreement = display_t15_agreement(results)
    assert agreement.loc[0, "Agreement n (%)"] == "6 (66.7%)"
    assert agreement.loc[0, "Cohen's kappa (95% CI)"].startswith("0.620 (")
    # the 2 x 2 tables of test_responder_and_cr_dichotomies, investigator rows
    dichotomies = display_t15_dichotomies(results)
    assert dichotomies.to_dict("records") == [
        {"Comparison": "Responder (>= PR)", "Investigator": "Yes", "Computed Yes": "4",
         "Computed No": "1", "Total": "5"},
        {"Comparison": "Responder (>= PR)", "Investigator": "No", "Computed Yes": "0",
         "Computed No": "4", "Total": "4"},
        {"Comparison": ">= CR", "Investigator": "Yes", "Computed Yes": "2", "Computed No": "0",
         "Total": "2"},
        {"Comparison": ">= CR", "Investigator": "No", "Computed Yes": "0", "Computed No": "7",
         "Total": "7"},
    ]  # fmt: skip
    pfs = display_t15_pfs(results)
    assert pfs["Value"].tolist() == ["9", "2", "1", "1", "5", "-5"]


def test_no_computed_response_yet_gives_kappa_not_estimable():
    # a contract 1.0 trial: no ALGCBOR rows, every computed response NE; an investigator who
    # also called everyone NE leaves kappa 0/0, shown with the reason
    adrs = pd.DataFrame([(s, "CBOR", "NE") for s in CBOR], columns=["USUBJID", "PARAMCD", "AVALC"])
    res = build_t15(adsl(), adrs, _adtte().iloc[:0], CUTOFF)
    lk = Lookup(res, "T15")
    assert lk.get("BOR", "KAPPA") is None and lk.get("BOR", "AGREE_PCT") == pytest.approx(100.0)
    assert display_t15_agreement(res).loc[0, "Cohen's kappa (95% CI)"].startswith("NE")
