"""Endpoint tables T01-T10 on hand-built ADaM frames (tests/fixtures/endpoint_adam.py), against
hand-derived numbers.

Every expected value below is worked out in the comments from the data (counts, Kaplan-
Meier products, Aalen-Johansen steps, log-rank sums) or computed here from an independent
textbook formula (Clopper-Pearson via scipy.stats.beta, Greenwood log(-log) bounds, the Cox
partial likelihood maximised with scipy.optimize); none is copied from our own output.
"""

import math
from datetime import date

import duckdb
import numpy as np
import pandas as pd
import pytest
from scipy.optimize import minimize_scalar
from scipy.stats import beta, chi2, norm

from dagster_project.lib.endpoints import (
    KEY,
    TABLES,
    build_t01,
    build_t02,
    build_t03,
    build_t04,
    build_t05,
    build_t06,
    build_t07,
    build_t08,
    build_t09,
    build_t10,
    display_t01,
    display_t02,
    display_t03,
    display_t04,
    display_t05,
    display_t06,
    display_t07,
    display_t07_overview,
    display_t08,
    display_t10,
)
from dagster_project.lib.endpoints.exposure import rdi_band
from dagster_project.lib.endpoints.results import DAYS_PER_MONTH, Lookup
from tests.fixtures.endpoint_adam import (
    CUTOFF,
    IDS,
    adsl,
    adtte,
    all_frames,
    all_results,
    mrd_adrs,
    t03_adtte,
    t06_adrs,
    t06_adtte,
    t07_adae,
    t08_adex,
)

M = DAYS_PER_MONTH  # 30.4375 days
Z = norm.ppf(0.975)


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


def cp(n: int, N: int) -> tuple[float, float]:
    """Clopper-Pearson from the beta distribution (the textbook formula)."""
    lower = 0.0 if n == 0 else beta.ppf(0.025, n, N - n + 1)
    upper = 1.0 if n == N else beta.ppf(0.975, n + 1, N - n)
    return lower, upper


def loglog(s: float, greenwood: float) -> tuple[float, float]:
    """Pointwise log(-log) CI of S(t): S ** exp(-+ z sqrt(V) / log S)."""
    a = Z * math.sqrt(greenwood) / math.log(s)
    return s ** math.exp(-a), s ** math.exp(a)


# ----------------------------------------------------------------------------- T01, T05


def test_t01_mrd12_rate_with_exact_ci():
    res = build_t01(adsl(), mrd_adrs(), CUTOFF)
    lo, up = cp(3, 9)
    assert list(res["STAT"]) == ["n", "N", "PCT", "LCL", "UCL"]
    assert v(res, "MRD12", "n") == 3 and v(res, "MRD12", "N") == 9
    assert v(res, "MRD12", "PCT") == pytest.approx(100 / 3, abs=1e-12)
    assert v(res, "MRD12", "LCL") == pytest.approx(lo, abs=1e-9)
    assert v(res, "MRD12", "UCL") == pytest.approx(up, abs=1e-9)
    shown = display_t01(res).iloc[0]
    assert shown["MRD-negative, n (%)"] == "3 (33.3%)"
    assert shown["95% CI (%)"] == f"({100 * lo:.1f}, {100 * up:.1f})"
    assert set(res["CUTOFFDT"]) == {CUTOFF}


def test_t05_all_mrd_parameters_including_none_and_all():
    res = build_t05(adsl(), mrd_adrs(), CUTOFF)
    assert list(dict.fromkeys(res["PARAMCD"])) == ["MRD12", "MRD24", "MRDSUS", "MRDANY"]
    # MRD24: 0 of 9, CI (0, 1 - 0.025 ** (1/9)); MRDANY 9 of 9, CI (0.025 ** (1/9), 1)
    assert v(res, "MRD24", "n") == 0 and v(res, "MRD24", "PCT") == 0
    assert v(res, "MRD24", "UCL") == pytest.approx(1 - 0.025 ** (1 / 9), abs=1e-9)
    assert v(res, "MRDANY", "PCT") == 100
    assert v(res, "MRDANY", "LCL") == pytest.approx(0.025 ** (1 / 9), abs=1e-9)
    assert v(res, "MRDSUS", "n") == 1


def test_t05_rate_among_complete_windows_and_open_windows():
    res = build_t05(adsl(), mrd_adrs(), CUTOFF)
    # MRD12: WINCMPFL = Y for S01-S08 (S10 is not ITT); S09 has no row: open. n = S01-S03.
    # 3 of 8 = 37.5%; OPEN 1; ITT N 9 = 8 + 1.
    lo, up = cp(3, 8)
    assert v(res, "MRD12", "OPEN") == 1
    assert v(res, "MRD12", "n", "COMPLETE") == 3 and v(res, "MRD12", "N", "COMPLETE") == 8
    assert v(res, "MRD12", "PCT", "COMPLETE") == 37.5
    assert v(res, "MRD12", "LCL", "COMPLETE") == pytest.approx(lo, abs=1e-9)
    assert v(res, "MRD12", "UCL", "COMPLETE") == pytest.approx(up, abs=1e-9)
    # MRD24: complete only S04, S05 (left or died), both N: 0 of 2, CI (0, 1 - 0.025 ** (1/2));
    # open S01-S03, S06-S09 = 7
    assert v(res, "MRD24", "OPEN") == 7
    assert v(res, "MRD24", "n", "COMPLETE") == 0 and v(res, "MRD24", "N", "COMPLETE") == 2
    assert v(res, "MRD24", "PCT", "COMPLETE") == 0
    assert v(res, "MRD24", "LCL", "COMPLETE") == 0
    assert v(res, "MRD24", "UCL", "COMPLETE") == pytest.approx(1 - 0.025**0.5, abs=1e-9)
    # no window for MRDSUS and MRDANY; the ITT rows are as before (only rows added)
    assert set(res.loc[res["PARAMCD"].isin(["MRDSUS", "MRDANY"]), "GROUP1"]) == {""}
    assert not res.loc[res["PARAMCD"].isin(["MRDSUS", "MRDANY"]), "STAT"].eq("OPEN").any()
    assert v(res, "MRD12", "n") == 3 and v(res, "MRD12", "N") == 9
    assert list(res.loc[res["PARAMCD"].eq("MRD12"), "STAT"]) == [
        *("n", "N", "PCT", "LCL", "UCL", "OPEN"),
        *("n", "N", "PCT", "LCL", "UCL"),
    ]
    # T01 (the primary endpoint) stays the ITT rate alone
    assert set(build_t01(adsl(), mrd_adrs(), CUTOFF)["GROUP1"]) == {""}

    shown = display_t05(res)
    assert list(shown["Endpoint"]) == [
        "MRD negativity within 12 months after ASCT",
        "  among subjects with a complete window",
        "MRD negativity 12-24 months after ASCT",
        "  among subjects with a complete window",
        "Sustained MRD negativity (>= 1 year)",
        "MRD negativity at any time on study",
    ]
    assert list(shown["N"]) == ["9", "8", "9", "2", "9", "9"]
    assert list(shown["MRD-negative, n (%)"])[:4] == [
        *("3 (33.3%)", "3 (37.5%)"),
        *("0 (0.0%)", "0 (0.0%)"),
    ]
    assert shown["95% CI (%)"][1] == f"({100 * lo:.1f}, {100 * up:.1f})"
    assert list(shown["Window open at cut-off, n"]) == ["1", "", "7", "", "", ""]
    footnote = next(spec.footnote for spec in TABLES if spec.tableid == "T05")
    assert "WINCMPFL = Y" in footnote and "Clopper-Pearson" in footnote


def test_t05_no_complete_window_yet():
    # every MRD24 window open: the complete-window rate has N = 0, no estimate (NE), OPEN = 9
    adrs = mrd_adrs().assign(WINCMPFL=None)
    res = build_t05(adsl(), adrs, CUTOFF)
    assert v(res, "MRD24", "N", "COMPLETE") == 0 and v(res, "MRD24", "OPEN") == 9
    for stat in ("PCT", "LCL", "UCL"):
        assert math.isnan(v(res, "MRD24", stat, "COMPLETE"))
    complete = display_t05(res).iloc[3]
    assert complete["N"] == "0" and complete["MRD-negative, n (%)"] == "0"
    assert complete["95% CI (%)"] == "(NE, NE)"


# ----------------------------------------------------------------------------- T02


def test_t02_categories_and_cumulative_rates():
    """The confirmed parameters (response.md section 1) by hand, N = 9 ITT subjects."""
    best = {"S01": "SCR", "S02": "CR", "S03": "VGPR", "S04": "VGPR", "S05": "PR"}
    best |= {"S06": "MR", "S07": "SD", "S08": "PD", "S10": "CR"}  # S09 none -> NE
    rows = [(s, p, r) for p in ("CBORIND", "CBORASCT", "CBOR") for s, r in best.items()]
    # the computed column: only S01 SCR and S05 PR have an ALGCBOR row, the other 7 read NE
    rows += [("S01", "ALGCBOR", "SCR"), ("S05", "ALGCBOR", "PR")]
    # MRD negative: S01 (SCR), S03 (VGPR, not >= CR), S10 (not ITT); S02's CR is MRD-positive
    rows += [(s, "MRDANY", "Y") for s in ("S01", "S03", "S10")] + [("S02", "MRDANY", "N")]
    res = build_t02(adsl(), pd.DataFrame(rows, columns=["USUBJID", "PARAMCD", "AVALC"]), CUTOFF)
    expected = {"SCR": 1, "CR": 1, "VGPR": 2, "PR": 1, "MR": 1, "SD": 1, "PD": 1, "NE": 1}
    expected |= {">=CR": 2, ">=VGPR": 4, "ORR": 5}
    computed = {"SCR": 1, "CR": 0, "VGPR": 0, "PR": 1, "MR": 0, "SD": 0, "PD": 0, "NE": 7}
    computed |= {">=CR": 1, ">=VGPR": 1, "ORR": 2, "MRDNEGCR": 1}
    for phase, counts in (
        ("CBORIND", expected),
        ("CBORASCT", expected),
        ("CBOR", expected | {"MRDNEGCR": 1}),  # only S01: SCR and MRD-negative
        ("ALGCBOR", computed),  # S01 again
    ):
        for group, n in counts.items():
            assert v(res, phase, "n", group) == n, (phase, group)
            assert v(res, phase, "N", group) == 9
            assert v(res, phase, "PCT", group) == pytest.approx(100 * n / 9)
    assert res.loc[res["PARAMCD"].eq("CBORIND"), "GROUP1"].ne("MRDNEGCR").all()
    assert not res["PARAMCD"].isin(["BORIND", "BORASCT", "BOR"]).any()
    lo, up = cp(5, 9)
    assert v(res, "CBOR", "LCL", "ORR") == pytest.approx(lo, abs=1e-9)
    assert v(res, "CBOR", "UCL", "ORR") == pytest.approx(up, abs=1e-9)
    lo, up = cp(1, 9)
    assert v(res, "CBOR", "LCL", "MRDNEGCR") == pytest.approx(lo, abs=1e-9)
    assert v(res, "ALGCBOR", "UCL", "MRDNEGCR") == pytest.approx(up, abs=1e-9)
    lo, up = cp(2, 9)
    assert v(res, "ALGCBOR", "LCL", "ORR") == pytest.approx(lo, abs=1e-9)
    assert v(res, "ALGCBOR", "UCL", "ORR") == pytest.approx(up, abs=1e-9)
    shown = display_t02(res)
    assert list(shown.columns) == [
        "Response",
        "After induction (N = 9)",
        "After ASCT (N = 9)",
        "Best on study (N = 9)",
        "Best on study, computed (N = 9)",
    ]
    assert list(shown["Response"][:8]) == ["sCR", "CR", "VGPR", "PR", "MR", "SD", "PD", "NE"]
    orr = shown.loc[shown["Response"].eq("ORR (>= PR)")].iloc[0]
    assert orr["Best on study (N = 9)"] == "5 (55.6%)"
    assert orr["Best on study, computed (N = 9)"] == "2 (22.2%)"
    mrd_cr = shown.loc[shown["Response"].eq("MRD-negative CR (>= CR, MRDANY = Y)")].iloc[0]
    assert mrd_cr["Best on study (N = 9)"] == "1 (11.1%)"
    assert mrd_cr["Best on study, computed (N = 9)"] == "1 (11.1%)"
    assert mrd_cr["After induction (N = 9)"] == ""


def test_t02_without_algcbor_rows_reads_ne_for_everyone():
    """ALGCBOR is not derived yet: the computed column exists, every ITT subject NE."""
    rows = [("S01", "CBOR", "CR"), ("S01", "MRDANY", "Y")]
    res = build_t02(adsl(), pd.DataFrame(rows, columns=["USUBJID", "PARAMCD", "AVALC"]), CUTOFF)
    assert v(res, "ALGCBOR", "n", "NE") == 9
    assert v(res, "ALGCBOR", "n", "MRDNEGCR") == 0
    assert v(res, "CBOR", "n", "MRDNEGCR") == 1
    assert "Best on study, computed (N = 9)" in display_t02(res).columns


def test_t02_refuses_unknown_category():
    bad = pd.DataFrame([("S01", "CBOR", "GOOD")], columns=["USUBJID", "PARAMCD", "AVALC"])
    with pytest.raises(ValueError, match="GOOD"):
        build_t02(adsl(), bad, CUTOFF)


# ----------------------------------------------------------------------------- T03


def test_t03_counts_median_and_rates():
    res = build_t03(adsl(), t03_adtte(), CUTOFF)
    assert (v(res, "PFS", "N"), v(res, "PFS", "EVENTS"), v(res, "PFS", "CENSORED")) == (9, 7, 2)
    assert v(res, "PFS", "MEDIAN") == pytest.approx(60 / M, abs=1e-12)
    # every PFS time is < 6 months: rates past the last observed time are NULL
    assert math.isnan(v(res, "PFS", "RATE_6M"))
    # OS: at 12 months (365.25 d) S = 7/8 (one death of 8 at risk at 200 d);
    # at 24 months (730.5 d) S = 7/8 * 4/5 = 0.7 (5 at risk at 500 d); 36 months > 900 d
    assert v(res, "OS", "RATE_12M") == pytest.approx(7 / 8, abs=1e-12)
    assert v(res, "OS", "RATE_24M") == pytest.approx(0.7, abs=1e-12)
    assert math.isnan(v(res, "OS", "RATE_36M"))
    lo, up = loglog(7 / 8, 1 / (8 * 7))
    assert v(res, "OS", "RATE_12M_LCL") == pytest.approx(lo, abs=1e-6)
    assert v(res, "OS", "RATE_12M_UCL") == pytest.approx(up, abs=1e-6)
    lo, up = loglog(0.7, 1 / (8 * 7) + 1 / (5 * 4))
    assert v(res, "OS", "RATE_24M_LCL") == pytest.approx(lo, abs=1e-6)
    assert v(res, "OS", "RATE_24M_UCL") == pytest.approx(up, abs=1e-6)
    assert (v(res, "OS", "N"), v(res, "OS", "EVENTS")) == (9, 2)
    assert math.isnan(v(res, "OS", "MEDIAN"))  # S never below 0.7: not reached
    # DOR: responders only, no event
    assert (v(res, "DOR", "N"), v(res, "DOR", "EVENTS")) == (5, 0)
    assert math.isnan(v(res, "DOR", "MEDIAN"))
    # a parameter with no rows at all (TNT here): N = 0, every estimate NULL
    assert v(res, "TNT", "N") == 0 and math.isnan(v(res, "TNT", "RATE_12M"))
    # reverse KM on OS (censoring as event): 100 -> 8/9, 300 -> * 6/7, 400 -> * 5/6 = 0.635,
    # 600 -> * 3/4 = 0.476 <= 0.5: median follow-up 600 days
    assert v(res, "FOLLOWUP", "MEDIAN") == pytest.approx(600 / M, abs=1e-12)
    shown = display_t03(res).set_index("Endpoint")
    # median not reached; its lower limit is where the lower band first reaches 0.5:
    # at 200 d the band is 0.875 ** exp(z sqrt(1/56) / log 0.875) = 0.387 <= 0.5
    assert loglog(7 / 8, 1 / 56)[0] < 0.5
    assert v(res, "OS", "MEDIAN_LCL") == pytest.approx(200 / M, abs=1e-12)
    assert math.isnan(v(res, "OS", "MEDIAN_UCL"))
    assert shown.loc["Overall survival", "Median, months (95% CI)"] == "NR (6.6, NR)"
    assert shown.loc["Progression-free survival", "Median, months (95% CI)"].startswith("2.0 (")
    assert shown.loc["Overall survival", "12-month rate, % (95% CI)"].startswith("87.5 (")
    assert shown.loc["Progression-free survival", "12-month rate, % (95% CI)"] == "NE"


def test_t03_median_midpoint_rule():
    # 4 PFS events at 10, 20, 30, 40 days: S = 0.5 exactly on [20, 30): median = 25 days
    # (R quantile.survfit; lifelines would say 20)
    a = adsl().assign(ITTFL=["Y"] * 4 + [None] * 6)
    res = build_t03(a, adtte([(s, "PFS", 10 * (i + 1), 0) for i, s in enumerate(IDS[:4])]), CUTOFF)
    assert v(res, "PFS", "MEDIAN") == pytest.approx(25 / M, abs=1e-12)


# ----------------------------------------------------------------------------- T04


def test_t04_time_to_response_in_30_day_months():
    rows = []
    # TTPR: responses at 30, 60, 60, 90 days, 5 censored at 300. KM: 30 -> 8/9,
    # 60 -> 8/9 * 6/8 = 2/3 (<= 0.75: Q1 = 60 d = 2.0 months), 90 -> 2/3 * 5/6 = 5/9:
    # median not reached; 1 - S at 3 and 6 months = 4/9; 12 months (360 d) > 300 d: NULL.
    for s, t, c in zip(
        IDS[:9], [30, 60, 60, 90, 300, 300, 300, 300, 300], [0] * 4 + [3] * 5, strict=True
    ):
        rows.append((s, "TTPR", t, c))
    # TTVGPR: responses at 30, 60, 90, 120, 150, 4 censored at 300: S(150) = 4/9 <= 0.5,
    # S(120) = 5/9: median 150 d = 5.0 months; Q3 (S <= 0.25) not reached.
    for s, t, c in zip(
        IDS[:9], [30, 60, 90, 120, 150, 300, 300, 300, 300], [0] * 5 + [3] * 4, strict=True
    ):
        rows.append((s, "TTVGPR", t, c))
    res = build_t04(adsl(), adtte(rows), CUTOFF)
    assert (v(res, "TTPR", "N"), v(res, "TTPR", "EVENTS"), v(res, "TTPR", "CENSORED")) == (9, 4, 5)
    assert v(res, "TTPR", "Q1") == pytest.approx(2.0, abs=1e-12)
    assert math.isnan(v(res, "TTPR", "MEDIAN"))
    assert v(res, "TTPR", "CUMPROB_3M") == pytest.approx(4 / 9, abs=1e-12)
    assert v(res, "TTPR", "CUMPROB_6M") == pytest.approx(4 / 9, abs=1e-12)
    assert math.isnan(v(res, "TTPR", "CUMPROB_12M"))
    # 1 - S bounds are 1 - the survival bounds; Greenwood: 1/(9*8) + 2/(8*6) + 1/(6*5)
    s_lo, s_up = loglog(5 / 9, 1 / 72 + 2 / 48 + 1 / 30)
    assert v(res, "TTPR", "CUMPROB_3M_LCL") == pytest.approx(1 - s_up, abs=1e-6)
    assert v(res, "TTPR", "CUMPROB_3M_UCL") == pytest.approx(1 - s_lo, abs=1e-6)
    assert v(res, "TTVGPR", "MEDIAN") == pytest.approx(5.0, abs=1e-12)
    assert math.isnan(v(res, "TTVGPR", "Q3"))
    shown = display_t04(res).set_index("Endpoint")
    assert shown.loc["Time to >= VGPR", "Median, months (95% CI)"].startswith("5.0 (")
    # lower band at 30 d: (8/9) ** exp(z sqrt(1/72) / log(8/9)) = 0.433 <= 0.5 -> 1.0 month
    assert loglog(8 / 9, 1 / 72)[0] < 0.5
    assert v(res, "TTPR", "MEDIAN_LCL") == pytest.approx(1.0, abs=1e-12)
    assert shown.loc["Time to >= PR", "Median, months (95% CI)"] == "NR (1.0, NR)"
    assert shown.loc["Time to >= PR", "Cumulative response at 12 months, % (95% CI)"] == "NE"


# ----------------------------------------------------------------------------- T06


def cox_hr(time, event, x) -> tuple[float, float]:
    """Cox partial likelihood (no tied event times) maximised numerically; SE from the
    observed information (second derivative by central differences)."""
    time, event, x = map(np.asarray, (time, event, x))

    def nll(b):
        total = 0.0
        for i in np.flatnonzero(event):
            risk = time >= time[i]
            total += b * x[i] - math.log(np.exp(b * x[risk]).sum())
        return -total

    b = minimize_scalar(nll, bounds=(-10, 10), method="bounded", options={"xatol": 1e-10}).x
    h = 1e-4
    info = (nll(b + h) - 2 * nll(b) + nll(b - h)) / h**2
    return b, 1 / math.sqrt(info)


def test_t06_landmark_selection_and_rebased_times():
    res = build_t06(adsl(), t06_adrs(), t06_adtte(), CUTOFF)
    # landmark population S01, S04, S05, S06, S07, S08; MRD12 Y: S01, S06, S08
    assert v(res, "PFS", "N", "MRD12", "Y") == 3 and v(res, "PFS", "N", "MRD12", "N") == 3
    # Y: events 61 d, 183 d, censored 244 d: S = 2/3, then 1/3 at 183 d -> median 183 d
    assert v(res, "PFS", "EVENTS", "MRD12", "Y") == 2
    assert v(res, "PFS", "MEDIAN", "MRD12", "Y") == pytest.approx(183 / M, abs=1e-12)
    # N: events 1 d (S07) and 30 d (S05), censored 122 d: median 30 d
    assert v(res, "PFS", "MEDIAN", "MRD12", "N") == pytest.approx(30 / M, abs=1e-12)
    # log-rank by hand (event times 1, 30, 61, 183 d): O_Y = 2,
    # E_Y = 3/6 + 3/5 + 3/4 + 2/2 = 2.85, V = 0.25 + 0.24 + 0.1875 + 0 = 0.6775
    stat = (2 - 2.85) ** 2 / 0.6775
    assert v(res, "PFS", "P_LOGRANK", "MRD12") == pytest.approx(chi2.sf(stat, 1), abs=1e-9)
    times = np.array([61, 183, 244, 1, 30, 122]) / M
    b, se = cox_hr(times, [1, 1, 0, 1, 1, 0], [1, 1, 1, 0, 0, 0])
    assert v(res, "PFS", "HR", "MRD12") == pytest.approx(math.exp(b), rel=1e-5)
    assert v(res, "PFS", "HR_LCL", "MRD12") == pytest.approx(math.exp(b - Z * se), rel=1e-4)
    assert v(res, "PFS", "HR_UCL", "MRD12") == pytest.approx(math.exp(b + Z * se), rel=1e-4)
    # OS: the only death (S05, MRD12 N) 30 d after landmark; Y has no event: HR not
    # estimable, log-rank: E_Y = 3/6, V = 0.25 -> chi2 = 1
    assert v(res, "OS", "EVENTS", "MRD12", "N") == 1
    assert math.isnan(v(res, "OS", "HR", "MRD12"))
    assert v(res, "OS", "P_LOGRANK", "MRD12") == pytest.approx(chi2.sf(1.0, 1), abs=1e-9)
    # MRDSUS: only S01 is Y (single subject with an event at 61 d: median 61 d)
    assert v(res, "PFS", "N", "MRDSUS", "Y") == 1
    assert v(res, "PFS", "MEDIAN", "MRDSUS", "Y") == pytest.approx(61 / M, abs=1e-12)


def test_t06_empty_group_has_no_hr():
    res = build_t06(adsl(), t06_adrs(mrdsus_y=()), t06_adtte(), CUTOFF)
    assert v(res, "PFS", "N", "MRDSUS", "Y") == 0
    assert v(res, "PFS", "N", "MRDSUS", "N") == 6
    for stat in ("HR", "HR_LCL", "HR_UCL", "P_LOGRANK"):
        assert math.isnan(v(res, "PFS", stat, "MRDSUS"))
    shown = display_t06(res)
    sus = shown.loc[shown["MRD status"].str.startswith("Sustained")].iloc[0]
    assert sus["HR (95% CI)"] == "NE" and sus["N"] == "0"


# ----------------------------------------------------------------------------- T07


def test_t07_overview():
    res = build_t07(adsl(), t07_adae(), CUTOFF)
    expected = {"ANY": 4, "GR3PLUS": 2, "SERIOUS": 1, "DOSERED": 1, "DISC": 1, "FATAL": 1}
    for code, n in expected.items():
        assert v(res, "OVERVIEW", "n", code) == n, code
        assert v(res, "OVERVIEW", "N", code) == 8
        assert v(res, "OVERVIEW", "PCT", code) == pytest.approx(100 * n / 8)
    shown = display_t07_overview(res)
    assert shown.iloc[0].tolist() == ["Any TEAE", "4 (50.0%)"]


def test_t07_worst_grade_counting_and_order():
    res = build_t07(adsl(), t07_adae(), CUTOFF)
    inf, blood = "INFECTIONS AND INFESTATIONS", "BLOOD DISORDERS"
    # (SOC, PT): any grade, worst grade 3-4, worst grade 5
    expected = {
        ("", ""): (4, 1, 1),  # worst: S01 4, S02 5, S03 2, S04 1
        (inf, ""): (3, 1, 1),  # S01 3, S02 5, S03 1
        (inf, "PNEUMONIA"): (2, 1, 1),  # S02's grade 3 is not counted: worst is 5
        (inf, "SEPSIS"): (2, 1, 0),
        (blood, ""): (2, 1, 0),
        (blood, "NEUTROPENIA"): (2, 1, 0),
        ("GASTROINTESTINAL", ""): (1, 0, 0),
        ("GASTROINTESTINAL", "NAUSEA"): (1, 0, 0),
    }
    for (soc, pt), counts in expected.items():
        got = tuple(v(res, p, "n", soc, pt) for p in ("GRANY", "GR3_4", "GR5"))
        assert got == counts, (soc, pt)
        assert v(res, "GR3_4", "PCT", soc, pt) == pytest.approx(100 * counts[1] / 8)
    assert not ((res["GROUP2"] == "ANAEMIA").any())
    # SOC by descending frequency (3, 2, 1); PTs tied at 2 alphabetically
    order = res.loc[res["STAT"].eq("ORDER")].sort_values("VALUE")
    assert list(zip(order["GROUP1"], order["GROUP2"], strict=True)) == list(expected)
    assert list(order["VALUE"]) == list(range(8))
    shown = display_t07(res)
    assert list(shown.iloc[:3, 0]) == ["Any TEAE", inf, "  PNEUMONIA"]
    assert shown.iloc[2].tolist() == ["  PNEUMONIA", "2 (25.0%)", "1 (12.5%)", "1 (12.5%)"]


# ----------------------------------------------------------------------------- T08, T10


def test_t08_reductions_per_drug_and_cause():
    res = build_t08(adsl(), t08_adex(), CUTOFF)
    assert v(res, "ISATUXIMAB", "n") == 3 and v(res, "ISATUXIMAB", "N") == 8
    assert v(res, "ISATUXIMAB", "PCT") == pytest.approx(37.5)
    for cause in ("ADVERSE EVENT", "OTHER", "UNKNOWN"):
        assert v(res, "ISATUXIMAB", "n", cause) == 1, cause
    assert v(res, "DEXAMETHASONE", "n") == 1
    assert v(res, "DEXAMETHASONE", "n", "ADVERSE EVENT") == 1
    assert v(res, "DEXAMETHASONE", "n", "OTHER") == 1
    assert v(res, "DEXAMETHASONE", "n", "UNKNOWN") == 0
    assert v(res, "MELPHALAN", "n") == 0 and v(res, "MELPHALAN", "N") == 8  # always shown
    shown = display_t08(res)
    assert shown.iloc[0].tolist() == [
        "Isatuximab",
        "Subjects with >= 1 dose reduction",
        "3 (37.5%)",
    ]


def test_rdi_band_boundaries():
    assert rdi_band(0.9) == ">=90%" and rdi_band(9 * 0.1) == ">=90%"
    assert rdi_band(0.7 + 0.1) == "80-<90%"  # 0.7999999999999999 is 80% as the protocol means
    assert rdi_band(0.8999) == "80-<90%" and rdi_band(0.7999) == "<80%"


def test_t10_rdi_summary_and_bands():
    cols = ["USUBJID", "EXTRT", "APHASE", "RDI"]
    rows = [
        (s, "ISATUXIMAB", "INDUCTION", r)
        for s, r in zip(IDS[:5], [1.0, 36 / 40, 0.85, 0.7 + 0.1, 0.5], strict=True)
    ]
    rows += [
        (s, "ISATUXIMAB", "ALL", r) for s, r in zip(IDS[:4], [0.95, 0.85, 0.75, 0.65], strict=True)
    ]
    rows += [("S09", "ISATUXIMAB", "INDUCTION", 0.1)]  # not safety
    res = build_t10(adsl(), pd.DataFrame(rows, columns=cols), CUTOFF)
    assert v(res, "ISATUXIMAB", "N", "INDUCTION") == 5
    assert v(res, "ISATUXIMAB", "MEDIAN", "INDUCTION") == pytest.approx(0.85)
    assert v(res, "ISATUXIMAB", "MIN", "INDUCTION") == pytest.approx(0.5)
    assert v(res, "ISATUXIMAB", "MAX", "INDUCTION") == pytest.approx(1.0)
    for band, n in {">=90%": 2, "80-<90%": 2, "<80%": 1}.items():
        assert v(res, "ISATUXIMAB", "n", "INDUCTION", band) == n, band
        assert v(res, "ISATUXIMAB", "PCT", "INDUCTION", band) == pytest.approx(20.0 * n)
    assert v(res, "ISATUXIMAB", "MEDIAN", "ALL") == pytest.approx(0.80)  # even count
    # scheduled phase nobody reached: present, N = 0, no median, no percentage
    assert v(res, "ISATUXIMAB", "N", "MAINTENANCE") == 0
    assert math.isnan(v(res, "ISATUXIMAB", "MEDIAN", "MAINTENANCE"))
    assert math.isnan(v(res, "ISATUXIMAB", "PCT", "MAINTENANCE", "<80%"))
    assert v(res, "MELPHALAN", "N", "ASCT") == 0
    shown = display_t10(res).set_index(["Drug", "Phase"])
    assert shown.loc[("Isatuximab", "All"), "RDI %, median (min-max)"] == "80.0 (65.0-95.0)"
    assert shown.loc[("Isatuximab", "Induction"), "RDI >= 90%"] == "2 (40.0%)"


# ----------------------------------------------------------------------------- T09


def test_t09_cumulative_incidence_with_competing_event():
    rows = [
        ("S01", "TTDISC", 30, 0),
        ("S02", "TTDISC", 60, 8, "Y"),  # discontinued for progression: competing
        ("S03", "TTDISC", 90, 3),
        ("S04", "TTDISC", 120, 0),
        *[(s, "TTDISC", 400, 3) for s in IDS[4:8]],
        ("S09", "TTDISC", 10, 0),  # not safety: ignored
    ]
    res = build_t09(adsl(), adtte(rows), CUTOFF)
    assert [v(res, "TTDISC", s) for s in ("N", "EVENTS", "COMPETING", "CENSORED")] == [8, 2, 1, 5]
    # Aalen-Johansen: 30 d: 1/8 = 0.125 (S = 7/8); 60 d competing: S = 6/8;
    # 120 d: + S(120-) * 1/5 = 0.75 * 0.2 -> 0.275. 3M = 91.3 d, 6M = 182.6 d, 12M = 365.25 d,
    # 24M = 730.5 d is past the last time (400 d): NULL.
    assert v(res, "TTDISC", "CIF_3M") == pytest.approx(0.125, abs=1e-12)
    assert v(res, "TTDISC", "CIF_6M") == pytest.approx(0.275, abs=1e-12)
    assert v(res, "TTDISC", "CIF_12M") == pytest.approx(0.275, abs=1e-12)
    assert math.isnan(v(res, "TTDISC", "CIF_24M"))
    assert math.isnan(v(res, "TTDISC", "CIF_24M_LCL"))
    # competing curve: 7/8 * 1/7 = 0.125 from 60 d on
    assert v(res, "TTDISC", "CIF_3M", "COMPETING") == pytest.approx(0.125, abs=1e-12)
    assert v(res, "TTDISC", "CIF_12M", "COMPETING") == pytest.approx(0.125, abs=1e-12)
    for t in ("3M", "6M", "12M"):
        lo, est, up = (v(res, "TTDISC", f"CIF_{t}{s}") for s in ("_LCL", "", "_UCL"))
        assert 0 < lo < est < up < 1
    # Gray's variance at the first event (cmprsk cinc, one cause-1 event of 8 at risk):
    # v1 = v2 = v3 = (8/7)^2 / 64 = 1/49, var = v1 + F^2 v3 - 2 F v2 = (1/49)(49/64) = 1/64
    f, var = 0.125, 1 / 64
    a = Z * math.sqrt(var) / (f * math.log(f))
    assert v(res, "TTDISC", "CIF_3M_LCL") == pytest.approx(f ** math.exp(-a), abs=1e-9)
    assert v(res, "TTDISC", "CIF_3M_UCL") == pytest.approx(f ** math.exp(a), abs=1e-9)


# ----------------------------------------------------------------------------- all tables


def test_every_table_honours_the_results_contract():
    for tableid, res in all_results().items():
        assert list(res.columns) == [
            "TABLEID",
            "PARAMCD",
            "GROUP1",
            "GROUP2",
            "STAT",
            "VALUE",
            "CUTOFFDT",
        ]
        assert set(res["TABLEID"]) == {tableid}
        assert res["GROUP1"].notna().all() and res["GROUP2"].notna().all(), tableid
        assert not res.duplicated(KEY).any(), tableid
        assert res["VALUE"].dtype == np.float64
        assert set(res["CUTOFFDT"]) == {CUTOFF}
        pct = res.loc[res["STAT"].eq("PCT"), "VALUE"].dropna()
        assert pct.between(0, 100).all(), tableid
        frac = res.loc[res["STAT"].str.contains("LCL|UCL|RATE_|CIF_|CUMPROB_"), "VALUE"].dropna()
        if tableid not in ("T03", "T04", "T06"):  # those bounds are months (quantiles, HR)
            assert frac.between(0, 1).all(), tableid


def test_builders_do_not_depend_on_input_row_order():
    frames = {"adae": t07_adae(), "adex": t08_adex()}
    for build, key in ((build_t07, "adae"), (build_t08, "adex")):
        a = build(adsl(), frames[key], CUTOFF)
        b = build(adsl().iloc[::-1], frames[key].iloc[::-1], CUTOFF)
        pd.testing.assert_frame_equal(a, b)


def test_display_reads_back_from_duckdb():
    """Displays work on the frame as it comes back from endpoints.* (NULL -> NaN)."""
    res = all_results()["T06"]
    con = duckdb.connect()
    back = con.execute("select * from res").df()
    assert Lookup(back, "T06").get("OS", "HR", "MRD12") is None
    pd.testing.assert_frame_equal(display_t06(back), display_t06(res))


def test_read_plan_reads_each_input_once_with_the_union_of_parameters():
    from dagster_project.defs.endpoints.tables import _read_plan
    from dagster_project.lib.endpoints import TableSpec

    def spec(inputs, params):
        return TableSpec("TX", "", inputs, lambda *a: None, {}, params)

    plan = _read_plan(
        [
            spec(("adrs",), {"adrs": ("MRD12",)}),
            spec(("adrs", "adtte"), {"adrs": ("MRD12", "BOR"), "adtte": ("OS",)}),
            spec(("adtte",), {}),  # reads ADTTE whole
            spec(("adex",), {"adex": ("RDI",)}),
        ]
    )
    assert plan == {"adsl": None, "adrs": ("MRD12", "BOR"), "adtte": None, "adex": ("RDI",)}


def test_builders_use_the_cutoff_only_to_stamp_their_rows():
    """What lets a moved cut-off keep the statistics (defs/endpoints/tables.py, _restamped):
    each table built at another cut-off, from an ADSL with another CUTOFFDT (or none), has the
    same rows but for CUTOFFDT, which is the cut-off it was given."""
    later = date(2026, 6, 30)
    moved = adsl().assign(CUTOFFDT=pd.Timestamp(later))
    frames = all_frames()
    before = all_results()
    for spec in TABLES:
        inputs = [frames[i] for i in spec.inputs]
        for subjects in (moved, adsl().drop(columns="CUTOFFDT")):
            after = spec.build(subjects, *inputs, later)
            assert set(after["CUTOFFDT"]) == ({later} if len(after) else set()), spec.tableid
            pd.testing.assert_frame_equal(
                after.drop(columns="CUTOFFDT"), before[spec.tableid].drop(columns="CUTOFFDT")
            )
