"""T12 (disposition, all screened) and T14 (MRD12 by subgroup) on hand-built ADSL / ADRS frames,
with their figures F04 (CONSORT flow) and F05 (forest plot): every expected number is counted by
hand in the comments; the exact CIs come from SciPy's binomtest, as in test_endpoint_tables.py.
The figures are checked for what they draw (the text in the boxes, the points, intervals and
n/N of the forest), not for pixels."""

from datetime import date

import pandas as pd
import pytest
from scipy.stats import binomtest

from dagster_project.lib.endpoints import TABLES, build_t12, build_t14, display_t12, display_t14
from dagster_project.lib.reporting.figures import (
    consort_figure,
    consort_steps,
    forest_figure,
    forest_rows,
    png_bytes,
)

CUTOFF = date(2026, 3, 31)


def v(results: pd.DataFrame, paramcd: str, stat: str, g1: str = "", g2: str = "") -> float:
    row = results.loc[
        results["PARAMCD"].eq(paramcd)
        & results["GROUP1"].eq(g1)
        & results["GROUP2"].eq(g2)
        & results["STAT"].eq(stat),
        "VALUE",
    ]
    assert len(row) == 1, (paramcd, stat, g1, g2, len(row))
    return float(row.iloc[0])


def exact(n: int, N: int) -> tuple[float, float]:
    ci = binomtest(n, N).proportion_ci(0.95, method="exact")
    return ci.low, ci.high


def spec(tableid: str):
    return next(s for s in TABLES if s.tableid == tableid)


# ----------------------------------------------------------------------------- T12


def disposition_adsl() -> pd.DataFrame:
    """11 screened: A01-A08 and A11 ITT; A09 (END OF STUDY, OTHER) and A10 not in ITT."""
    columns = [
        "USUBJID", "ITTFL", "SAFFL", "ASCTFL", "MNTFL", "EOTSTT", "DCTREAS", "EOSSTT", "DCSREAS",
    ]  # fmt: skip
    rows = [
        ("A01", "Y", "Y", "Y", "Y", "ONGOING", None, "ONGOING", None),  # in maintenance
        ("A02", "Y", "Y", "Y", "Y", "COMPLETED", None, "COMPLETED", None),
        ("A03", "Y", "Y", "Y", None, "DISCONTINUED", "PROGRESSIVE DISEASE", "ONGOING", None),
        ("A04", "Y", "Y", "Y", None, "ONGOING", None, "ONGOING", None),  # not yet maintenance
        ("A05", "Y", "Y", None, None, "DISCONTINUED", "ADVERSE EVENT", "DISCONTINUED", "DEATH"),
        ("A06", "Y", "Y", None, None, "ONGOING", None, "ONGOING", None),  # still in induction
        # never dosed, left the study: why from DCSREAS
        ("A07", "Y", None, None, None, "ONGOING", None, "DISCONTINUED", "WITHDRAWAL BY SUBJECT"),
        ("A08", "Y", "Y", None, None, "COMPLETED", None, "ONGOING", None),  # completed, no ASCT
        ("A09", None, None, None, None, None, None, "DISCONTINUED", "OTHER"),
        ("A10", None, None, None, None, None, None, "ONGOING", None),
        ("A11", "Y", "Y", "Y", "Y", "DISCONTINUED", "LOST TO FOLLOW-UP", "DISCONTINUED",
         "LOST TO FOLLOW-UP"),
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=columns)


def test_t12_populations_as_n_and_percent_of_itt():
    res = build_t12(disposition_adsl(), CUTOFF)
    assert v(res, "SCREENED", "n") == 11
    assert v(res, "SCRNFAIL", "n") == 2  # A09, A10
    assert not res.loc[res["PARAMCD"].isin(["SCREENED", "SCRNFAIL"]), "STAT"].eq("PCT").any()
    # ITT 9; safety 8 (all but A07); ASCT A01-A04, A11 = 5; maintenance A01, A02, A11 = 3
    for paramcd, n in (("ITTFL", 9), ("SAFFL", 8), ("ASCTFL", 5), ("MNTFL", 3)):
        assert v(res, paramcd, "n") == n
        assert v(res, paramcd, "PCT") == pytest.approx(100 * n / 9)


def test_t12_end_of_treatment_and_study_by_status_and_reason():
    res = build_t12(disposition_adsl(), CUTOFF)
    # EOT among ITT: ongoing A01, A04, A06, A07; completed A02, A08; discontinued A03, A05, A11
    assert [v(res, "EOTSTT", "n", s) for s in ("ONGOING", "COMPLETED", "DISCONTINUED")] == [
        4,
        2,
        3,
    ]
    reasons = res.loc[res["PARAMCD"].eq("DCTREAS") & res["STAT"].eq("n")]
    assert list(reasons["GROUP1"]) == [
        "PROGRESSIVE DISEASE",
        "ADVERSE EVENT",
        "DEATH",
        "WITHDRAWAL BY SUBJECT",
        "LOST TO FOLLOW-UP",
        "PHYSICIAN DECISION",
        "OTHER",
    ]  # every reason of the code list, zeros included, in its order
    assert list(reasons["VALUE"]) == [1, 1, 0, 0, 1, 0, 0]
    # EOS among ITT (A09's OTHER is not ITT): ongoing A01, A03, A04, A06, A08; completed A02;
    # discontinued A05 death, A07 withdrawal, A11 lost
    assert [v(res, "EOSSTT", "n", s) for s in ("ONGOING", "COMPLETED", "DISCONTINUED")] == [
        5,
        1,
        3,
    ]
    assert v(res, "DCSREAS", "n", "OTHER") == 0
    assert v(res, "DCSREAS", "n", "DEATH") == 1
    assert v(res, "DCSREAS", "PCT", "DEATH") == pytest.approx(100 / 9)


def test_t12_consort_exits_by_reason():
    res = build_t12(disposition_adsl(), CUTOFF)
    exits = res.loc[res["PARAMCD"].eq("EXIT") & res["VALUE"].gt(0)]
    got = {(g1, g2): int(n) for g1, g2, n in exits[["GROUP1", "GROUP2", "VALUE"]].values}
    assert got == {
        ("ITT", "OTHER"): 1,  # A09, from DCSREAS
        ("ITT", "NOT ENROLLED"): 1,  # A10
        ("TREATED", "WITHDRAWAL BY SUBJECT"): 1,  # A07
        ("ASCT", "ADVERSE EVENT"): 1,  # A05
        ("ASCT", "ONGOING"): 1,  # A06
        ("ASCT", "COMPLETED"): 1,  # A08
        ("MAINTENANCE", "PROGRESSIVE DISEASE"): 1,  # A03
        ("MAINTENANCE", "ONGOING"): 1,  # A04
    }
    steps = consort_steps(res)
    assert [(s.step, s.n, s.leaving) for s in steps] == [
        ("SCREENED", 11, 0),
        ("ITT", 9, 2),
        ("TREATED", 8, 1),
        ("ASCT", 5, 3),
        ("MAINTENANCE", 3, 2),
    ]
    # each box is the one before it less the subjects leaving
    for before, after in zip(steps, steps[1:], strict=False):
        assert before.n - after.leaving == after.n


def test_t12_maintenance_without_asct_is_no_exit_of_either_step():
    adsl = disposition_adsl()
    adsl.loc[adsl["USUBJID"].eq("A06"), "MNTFL"] = "Y"  # maintenance, never transplanted
    res = build_t12(adsl, CUTOFF)
    assert v(res, "MNTFL", "n") == 4
    assert v(res, "EXIT", "n", "ASCT", "ONGOING") == 1  # A06 still leaves at ASCT
    assert res.loc[res["PARAMCD"].eq("EXIT") & res["GROUP1"].eq("MAINTENANCE"), "VALUE"].sum() == 2
    assert (res.loc[res["PARAMCD"].eq("EXIT"), "VALUE"] >= 0).all()


def test_t12_display_and_footnote():
    res = build_t12(disposition_adsl(), CUTOFF)
    shown = display_t12(res).set_index("Disposition")["n (% of ITT)"]
    assert shown["Screened"] == "11"
    assert shown["Enrolled, ITT"] == "9 (100.0%)"
    assert shown["Treated, safety population"] == "8 (88.9%)"  # 88.89
    assert shown["Transplanted (ASCT)"] == "5 (55.6%)"  # 55.56
    assert shown["Started maintenance"] == "3 (33.3%)"
    labels = list(display_t12(res)["Disposition"])
    eot = labels.index("End of treatment")
    assert labels[eot + 1 : eot + 5] == [
        "  Ongoing",
        "  Completed",
        "  Discontinued",
        "    Progressive disease",
    ]
    note = spec("T12").footnote(res)
    assert note.startswith("All screened subjects, N = 11; ITT population, N = 9.")
    assert "Source: ADSL." in note and note.endswith("Data cut-off: 2026-03-31.")


def test_f04_draws_the_boxes_and_exits_of_t12():
    res = build_t12(disposition_adsl(), CUTOFF)
    fig = consort_figure(res, "F04", note="cut-off 2026-03-31")

    def text(gid: str) -> str:
        (artist,) = fig.findobj(lambda a: a.get_gid() == gid)
        return artist.get_text()

    assert text("consort_SCREENED") == "Screened\nn = 11"
    assert text("consort_ITT") == "Enrolled (ITT)\nn = 9"
    assert text("consort_TREATED") == "Treated (safety population)\nn = 8"
    assert text("consort_ASCT") == "Transplanted (ASCT)\nn = 5"
    assert text("consort_MAINTENANCE") == "Started maintenance\nn = 3"
    assert text("consort_exit_ASCT").splitlines() == [
        "Not transplanted (ASCT): n = 3",
        "  Adverse event: 1",
        "  Completed: 1",
        "  Not reached by the cut-off (ongoing): 1",
    ]
    assert text("consort_exit_TREATED").splitlines()[1] == "  Withdrawal by subject: 1"
    assert png_bytes(fig) == png_bytes(consort_figure(res, "F04", note="cut-off 2026-03-31"))


# ----------------------------------------------------------------------------- T14


def subgroup_frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    """U01-U16 ITT, U17 not. MRD12 Y: U01-U05 (and U17, not counted); U16 has no MRD12 row."""
    ids = [f"U{i:02d}" for i in range(1, 18)]
    adsl = pd.DataFrame(
        {
            "USUBJID": ids,
            "ITTFL": ["Y"] * 16 + [None],
            "AGEGR1": ["<65"] * 8 + ["65-74"] * 7 + [None, ">=75"],
            "SEX": ["M"] * 10 + ["F"] * 7,
            "ISS": ["IV"] + ["II"] * 16,  # IV: outside the code list
            "HRCYTO": ["Y"] * 4 + ["N"] * 13,
            "MMTYPE": ["IGG"] * 17,
            "REIND": ["KRD"] * 17,
            "MEASDIS": ["SERUM AND URINE"] * 3 + ["NONE"] * 14,
        }
    )
    adrs = pd.DataFrame(
        [(u, "MRD12", "Y" if u <= "U05" or u == "U17" else "N") for u in ids if u != "U16"],
        columns=["USUBJID", "PARAMCD", "AVALC"],
    )
    return adsl, adrs


# (GROUP1, GROUP2) -> (n, N), counted by hand from subgroup_frames
EXPECTED_T14 = {
    ("", ""): (5, 16),
    ("AGEGR1", "<65"): (5, 8),
    ("AGEGR1", "65-74"): (0, 7),
    ("AGEGR1", ">=75"): (0, 0),  # only U17, not ITT
    ("AGEGR1", "MISSING"): (0, 1),  # U16
    ("SEX", "M"): (5, 10),
    ("SEX", "F"): (0, 6),
    ("ISS", "I"): (0, 0),
    ("ISS", "II"): (4, 15),
    ("ISS", "III"): (0, 0),
    ("ISS", "IV"): (1, 1),
    ("HRCYTO", "Y"): (4, 4),
    ("HRCYTO", "N"): (1, 12),
    ("MMTYPE", "IGG"): (5, 16),
    ("MMTYPE", "IGA"): (0, 0),
    ("MMTYPE", "LIGHT CHAIN"): (0, 0),
    ("MMTYPE", "OTHER"): (0, 0),
    ("REIND", "KRD"): (5, 16),
    ("REIND", "KD"): (0, 0),
    ("REIND", "OTHER"): (0, 0),
    ("MEASDIS", "SERUM"): (0, 0),
    ("MEASDIS", "URINE"): (0, 0),
    ("MEASDIS", "SERUM AND URINE"): (3, 3),
    ("MEASDIS", "FLC"): (0, 0),
    ("MEASDIS", "NONE"): (2, 13),
}


def test_t14_rates_with_exact_ci_by_subgroup():
    adsl, adrs = subgroup_frames()
    res = build_t14(adsl, adrs, CUTOFF)
    keys = list(dict.fromkeys(zip(res["GROUP1"], res["GROUP2"], strict=True)))
    assert keys == list(EXPECTED_T14)  # the code lists' order, an unknown level, then MISSING
    assert set(res["PARAMCD"]) == {"MRD12"}
    for (g1, g2), (n, N) in EXPECTED_T14.items():
        assert (v(res, "MRD12", "n", g1, g2), v(res, "MRD12", "N", g1, g2)) == (n, N)
        if N == 0:
            for stat in ("PCT", "LCL", "UCL"):
                assert pd.isna(v(res, "MRD12", stat, g1, g2)), (g1, g2, stat)
            continue
        low, high = exact(n, N)
        assert v(res, "MRD12", "PCT", g1, g2) == pytest.approx(100 * n / N)
        assert v(res, "MRD12", "LCL", g1, g2) == pytest.approx(low, abs=1e-10)
        assert v(res, "MRD12", "UCL", g1, g2) == pytest.approx(high, abs=1e-10)
    # each variable's levels add up to the ITT N
    counts = res.loc[res["STAT"].eq("N") & res["GROUP1"].ne("")].groupby("GROUP1")["VALUE"].sum()
    assert (counts == 16).all()


def test_t14_display_rounds_half_away_and_says_ne_for_empty_levels():
    adsl, adrs = subgroup_frames()
    res = build_t14(adsl, adrs, CUTOFF)
    shown = display_t14(res)
    by_label = shown.set_index("Subgroup")
    overall = by_label.loc["All ITT subjects"]
    low, high = exact(5, 16)  # 0.1102, 0.5866
    assert overall["MRD-negative, n (%)"] == "5 (31.3%)"  # 31.25 rounds up
    assert overall["95% CI (%)"] == f"({100 * low:.1f}, {100 * high:.1f})" == "(11.0, 58.7)"
    assert by_label.loc["  >=75", "95% CI (%)"] == "(NE, NE)"
    assert by_label.loc["  >=75", "MRD-negative, n (%)"] == "0"
    assert by_label.loc["  Missing", "N"] == "1"
    assert by_label.loc["Age group (years)"].tolist() == ["", "", ""]
    assert by_label.loc["  Male", "MRD-negative, n (%)"] == "5 (50.0%)"
    note = spec("T14").footnote(res)
    assert note.startswith("ITT population, N = 16.")
    assert "exact Clopper-Pearson 95% CI" in note and "Source: ADSL, ADRS." in note


def test_f05_draws_one_line_per_level_with_its_ci_and_n_of_N():
    adsl, adrs = subgroup_frames()
    res = build_t14(adsl, adrs, CUTOFF)
    fig = forest_figure(res, "F05", note="cut-off 2026-03-31")

    def artist(gid: str):
        found = fig.findobj(lambda a: a.get_gid() == gid)
        assert len(found) <= 1, gid
        return found[0] if found else None

    # the forest's lines are the printed table's lines, in its order
    labels = [r.label for r in forest_rows(res)]
    assert labels == [s.strip() for s in display_t14(res)["Subgroup"]]
    for (g1, g2), (n, N) in EXPECTED_T14.items():
        assert artist(f"forest_nN_{g1}_{g2}").get_text() == f"{n}/{N}"
        point, ci = artist(f"forest_point_{g1}_{g2}"), artist(f"forest_ci_{g1}_{g2}")
        if N == 0:
            assert point is None and ci is None, (g1, g2)  # nothing to draw
            continue
        low, high = exact(n, N)
        assert list(point.get_xdata()) == pytest.approx([100 * n / N])
        assert list(ci.get_xdata()) == pytest.approx([100 * low, 100 * high])
        # the point and the interval on the line of their label
        y = artist(f"forest_label_{g1}_{g2}").get_position()[1]
        assert list(point.get_ydata()) == [y] and list(ci.get_ydata()) == [y, y]
    assert artist("forest_rate_SEX_M").get_text() == "50.0 (18.7, 81.3)"
    assert artist("forest_rate__").get_text() == "31.3 (11.0, 58.7)"
    # the overall rate as the vertical line; headings have a label and no numbers
    assert list(artist("overall_rate").get_xdata()) == pytest.approx([31.25, 31.25])
    assert artist("forest_label_SEX_").get_text() == "Sex"
    assert artist("forest_nN_SEX_") is None


def test_t12_t14_registered_before_t15_with_their_inputs():
    ids = [s.tableid for s in TABLES]
    assert ids.index("T12") < ids.index("T14") < ids.index("T15")
    assert spec("T12").inputs == () and spec("T14").inputs == ("adrs",)
    assert dict(spec("T14").params) == {"adrs": ("MRD12",)}
