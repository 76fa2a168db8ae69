"""Endpoint tables T01-T10 on hand-built ADaM frames (tests/fixtures/endpoint_adam.py), against
hand-derived numbers.

Every expected value below is worked out in the comments from the data (counts, Kaplan-
Meier products, Aalen-Johansen steps, log-rank sums) or computed here from an independent
textbook formula (Clopper-Pearson via scipy.stats.beta, Greenwood log(-log) bounds, the Cox
partial likelihood maximised with scipy.optimize); none is copied from our own output.
"""

import json
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
    display_t07_by_phase,
    display_t07_fatal,
    display_t07_overview,
    display_t07_serious,
    display_t08,
    display_t09,
    display_t10,
)
from dagster_project.lib.endpoints.exposure import rdi_band
from dagster_project.lib.endpoints.results import (
    DAYS_PER_MONTH,
    Lookup,
    Row,
    drop_empty_columns,
    fmt_ci,
    fmt_est_ci,
    fmt_int,
    fmt_n_pct,
    fmt_num,
    fmt_p,
    proportion_rows,
    round_half_away,
    to_frame,
)
from dagster_project.lib.stats import compare_groups
from tests.fixtures.endpoint_adam import (
    CUTOFF,
    IDS,
    adex_frame,
    adex_rows,
    adsl,
    adtte,
    all_frames,
    all_results,
    mrd_adrs,
    t03_adtte,
    t06_adrs,
    t06_adtte,
    t06_lm24_adrs,
    t06_lm24_adtte,
    t07_adae,
    t08_adex,
)
from tests.reference.r_values import REF_DIR

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
    footnote = next(spec.footnote for spec in TABLES if spec.tableid == "T05")(res)
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


def t06_shown(res: pd.DataFrame, outcome: str, analysis: str) -> pd.DataFrame:
    """The display rows of one outcome and analysis (Y first, then N)."""
    shown = display_t06(res)
    return shown.loc[shown["Outcome"].eq(outcome) & shown["Analysis"].eq(analysis)]


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
    # the MRD12 rows of the display: HR on the Y row, the reason where OS has none
    pfs = t06_shown(res, "Progression-free survival", "Landmark ASCT + 365 days, by MRD12")
    assert pfs.iloc[0]["Log-rank p"] == f"{chi2.sf(stat, 1):.3f}"
    assert pfs.iloc[1]["HR (95% CI)"] == "1 (reference)"
    os_ = t06_shown(res, "Overall survival", "Landmark ASCT + 365 days, by MRD12")
    assert os_.iloc[0]["HR (95% CI)"] == "NE (no event among MRD-negative)"


def test_t06_rows_in_spec_order():
    res = build_t06(adsl(), t06_adrs(), t06_adtte(), CUTOFF)
    keys = list(dict.fromkeys(zip(res["PARAMCD"], res["GROUP1"], strict=True)))
    assert keys == [(p, g) for p in ("PFS", "OS") for g in ("MRD12", "MRDSUS TD", "MRDSUS LM24")]
    overall = res.loc[res["GROUP2"].eq("")]
    assert set(overall.loc[overall["GROUP1"].eq("MRDSUS TD"), "STAT"]) == {
        "HR",
        "HR_LCL",
        "HR_UCL",
        "P_WALD",
    }
    for g1 in ("MRD12", "MRDSUS LM24"):
        assert set(overall.loc[overall["GROUP1"].eq(g1), "STAT"]) == {
            "HR",
            "HR_LCL",
            "HR_UCL",
            "P_LOGRANK",
        }
    assert set(res["GROUP2"]) == {"Y", "N", ""}


def td_cox_hr(start, stop, event, x) -> tuple[float, float]:
    """Cox partial likelihood on (start, stop] rows (no tied event times), risk set
    start < t <= stop, maximised numerically; SE from the observed information."""
    start, stop, event, x = map(np.asarray, (start, stop, event, x))

    def nll(b):
        total = 0.0
        for i in np.flatnonzero(event):
            risk = (start < stop[i]) & (stop[i] <= stop)
            total += b * x[i] - math.log(np.exp(b * x[risk]).sum())
        return -total

    b = minimize_scalar(nll, bounds=(-10, 10), method="bounded", options={"xatol": 1e-10}).x
    h = 1e-4
    info = (nll(b + h) - 2 * nll(b) + nll(b - h)) / h**2
    return b, 1 / math.sqrt(info)


def test_t06_time_dependent_from_asct():
    res = build_t06(adsl(), t06_adrs(), t06_adtte(), CUTOFF)
    # days from ASCT (2024-04-01) to PFS: S01 426 event, S02 334 event, S03 365 censored,
    # S04 487 censored, S05 395 event, S06 548 event, S07 366 event, S08 609 censored; S09 (no
    # ASCT) and S10 (not ITT) are out. S01 reaches MRDSUS on day 334: (0, 334] x = 0,
    # (334, 426] x = 1 with its event. S02's progression on day 334 happens while S01 still
    # has x = 0 (the switch counts from the day after: tmerge). Subjects with time in x = 1:
    # S01; in x = 0: all 8. Events: x = 1 one (S01), x = 0 four.
    assert v(res, "PFS", "N", "MRDSUS TD", "Y") == 1
    assert v(res, "PFS", "N", "MRDSUS TD", "N") == 8
    assert v(res, "PFS", "EVENTS", "MRDSUS TD", "Y") == 1
    assert v(res, "PFS", "EVENTS", "MRDSUS TD", "N") == 4
    b, se = td_cox_hr(
        [0, 334, 0, 0, 0, 0, 0, 0, 0],
        [334, 426, 334, 365, 487, 395, 548, 366, 609],
        [0, 1, 1, 0, 0, 1, 1, 1, 0],
        [0, 1, 0, 0, 0, 0, 0, 0, 0],
    )
    assert v(res, "PFS", "HR", "MRDSUS TD") == pytest.approx(math.exp(b), rel=1e-5)
    assert v(res, "PFS", "HR_LCL", "MRDSUS TD") == pytest.approx(math.exp(b - Z * se), rel=1e-4)
    assert v(res, "PFS", "HR_UCL", "MRDSUS TD") == pytest.approx(math.exp(b + Z * se), rel=1e-4)
    assert v(res, "PFS", "P_WALD", "MRDSUS TD") == pytest.approx(2 * norm.sf(abs(b / se)), abs=1e-5)
    # OS: the only death (S05, day 395) has x = 0: no event while MRD-negative, no HR or p
    assert v(res, "OS", "EVENTS", "MRDSUS TD", "Y") == 0
    for stat in ("HR", "HR_LCL", "HR_UCL", "P_WALD"):
        assert math.isnan(v(res, "OS", stat, "MRDSUS TD"))
    td = "From ASCT, MRDSUS as a time-dependent covariate"
    os_ = t06_shown(res, "Overall survival", td).iloc[0]
    assert os_["HR (95% CI)"] == os_["Wald p"] == "NE (no event while MRD-negative)"
    assert os_["Median, months (95% CI)"] == "" and os_["Log-rank p"] == ""


def test_t06_time_dependent_on_or_before_asct_and_after_the_end():
    # MRDSUS on ASCTDT (S04): x = 1 from day 0; on the day of S06's PFS event (548): too late,
    # x = 0 throughout for PFS; after S08's end (609): never x = 1
    mrdsus = {"S04": "2024-04-01", "S06": "2025-10-01", "S08": "2026-01-01"}
    res = build_t06(adsl(), t06_adrs(mrdsus), t06_adtte(), CUTOFF)
    assert v(res, "PFS", "N", "MRDSUS TD", "Y") == 1  # S04 only
    assert v(res, "PFS", "N", "MRDSUS TD", "N") == 7  # everyone but S04
    # the only x = 1 subject (S04) is censored: no HR
    assert v(res, "PFS", "EVENTS", "MRDSUS TD", "Y") == 0
    assert math.isnan(v(res, "PFS", "HR", "MRDSUS TD"))
    # OS of S06 ends 2025-12-01 (609): its MRDSUS on day 548 is inside: split for OS
    assert v(res, "OS", "N", "MRDSUS TD", "Y") == 2


def test_t06_time_dependent_equals_r_on_the_pipeline_inputs():
    """The MRD-shaped synthetic data of td_cox_reference.R as ADSL + ADTTE + ADRS frames: T06
    (b) must give R's coxph on the tmerge rows (tests/reference/td_cox_reference.json)."""
    ref = json.loads((REF_DIR / "td_cox_reference.json").read_text())
    cases = {c["name"]: c for c in ref["cases"]}
    data = pd.read_csv(REF_DIR / "data" / "td_mrd.csv")
    ids = [f"R{i:03d}" for i in data["id"]]
    # ASCT dates differ by subject so the day arithmetic is exercised across years
    asct = pd.Timestamp("2023-01-01") + pd.to_timedelta(data["id"] * 7, unit="D")
    subjects = pd.DataFrame(
        {
            "USUBJID": ids + ["X01", "X02"],
            "ITTFL": ["Y"] * len(ids) + [None, "Y"],  # X01 not ITT, X02 never transplanted
            "ASCTDT": list(asct) + [pd.Timestamp("2023-06-01"), pd.NaT],
        }
    )
    tte = []
    for paramcd, time, status in (
        ("PFS", "pfs_time", "pfs_status"),
        ("OS", "os_time", "os_status"),
    ):
        adt = asct + pd.to_timedelta(data[time], unit="D")
        tte.append(
            pd.DataFrame({"USUBJID": ids, "PARAMCD": paramcd, "ADT": adt, "CNSR": 1 - data[status]})
        )
        tte.append(
            pd.DataFrame(
                {
                    "USUBJID": ["X01", "X02"],
                    "PARAMCD": paramcd,
                    "ADT": pd.Timestamp("2024-01-01"),
                    "CNSR": 0,
                }
            )
        )
    reached = data["switch"].notna()
    mrdsus = pd.DataFrame(
        {
            "USUBJID": ids + ["X01", "X02"],
            "PARAMCD": "MRDSUS",
            "AVALC": list(np.where(reached, "Y", "N")) + ["Y", "Y"],
            "ADT": list((asct + pd.to_timedelta(data["switch"], unit="D")).where(reached))
            + [pd.Timestamp("2023-01-01")] * 2,
        }
    )
    res = build_t06(subjects, mrdsus, pd.concat(tte, ignore_index=True), CUTOFF)
    for paramcd, name in (("PFS", "mrd_pfs"), ("OS", "mrd_os")):
        r = cases[name]
        assert v(res, paramcd, "N", "MRDSUS TD", "Y") == r["subjects_x1"]
        assert v(res, paramcd, "N", "MRDSUS TD", "N") == r["subjects_x0"]
        assert v(res, paramcd, "EVENTS", "MRDSUS TD", "Y") == r["events_x1"]
        assert v(res, paramcd, "EVENTS", "MRDSUS TD", "N") == r["events_x0"]
        for stat, key in (("HR", "hr"), ("HR_LCL", "lower"), ("HR_UCL", "upper")):
            assert v(res, paramcd, stat, "MRDSUS TD") == pytest.approx(r[key], abs=1e-6)
        assert v(res, paramcd, "P_WALD", "MRDSUS TD") == pytest.approx(r["wald_p"], abs=1e-6)


def test_t06_landmark_730_by_mrdsus_known_at_the_landmark():
    res = build_t06(adsl(), t06_lm24_adrs(), t06_lm24_adtte(), CUTOFF)
    # L = 2026-04-01. Population S01, S02, S03, S04, S07 (S05 progressed, S08 died before L,
    # S06 censored on L). MRDSUS by L: S01 (2026-01-15), S02 (on L), S07 (2025-06-01) Y;
    # S03 reached it on 2026-05-01, after L: N at the landmark (no immortal time); S04 N.
    assert v(res, "PFS", "N", "MRDSUS LM24", "Y") == 3
    assert v(res, "PFS", "N", "MRDSUS LM24", "N") == 2
    # Y: events 61, 153 d, censored 183 d: S = 2/3, 1/3 -> median 153 d
    assert v(res, "PFS", "EVENTS", "MRDSUS LM24", "Y") == 2
    assert v(res, "PFS", "MEDIAN", "MRDSUS LM24", "Y") == pytest.approx(153 / M, abs=1e-12)
    # N: events 10 (S04), 91 d (S03): S = 0.5 on [10, 91) -> midpoint median 50.5 d
    assert v(res, "PFS", "MEDIAN", "MRDSUS LM24", "N") == pytest.approx(50.5 / M, abs=1e-12)
    # log-rank: t = 10: Y 3 N 2 at risk, E_Y = 3/5, V = 6/25; t = 61: Y 3 N 1, E_Y = 3/4,
    # V = 3/16; t = 91: Y 2 N 1, E_Y = 2/3, V = 2/9; t = 153: Y 2 N 0, E_Y = 1, V = 0
    e_y, var = 3 / 5 + 3 / 4 + 2 / 3 + 1, 6 / 25 + 3 / 16 + 2 / 9
    stat = (2 - e_y) ** 2 / var
    assert v(res, "PFS", "P_LOGRANK", "MRDSUS LM24") == pytest.approx(chi2.sf(stat, 1), abs=1e-9)
    b, se = cox_hr(np.array([61, 153, 183, 91, 10]) / M, [1, 1, 0, 1, 1], [1, 1, 1, 0, 0])
    assert v(res, "PFS", "HR", "MRDSUS LM24") == pytest.approx(math.exp(b), rel=1e-5)
    assert v(res, "PFS", "HR_LCL", "MRDSUS LM24") == pytest.approx(math.exp(b - Z * se), rel=1e-4)
    assert v(res, "PFS", "HR_UCL", "MRDSUS LM24") == pytest.approx(math.exp(b + Z * se), rel=1e-4)
    # OS: the one death (S04, N) at 122 d: no HR, log-rank E_Y = 3/5 ... at risk Y 3, N 2
    assert v(res, "OS", "EVENTS", "MRDSUS LM24", "N") == 1
    assert math.isnan(v(res, "OS", "HR", "MRDSUS LM24"))
    assert v(res, "OS", "P_LOGRANK", "MRDSUS LM24") == pytest.approx(
        chi2.sf((0 - 3 / 5) ** 2 / (6 / 25), 1), abs=1e-9
    )


def test_t06_mrd_reached_after_the_landmark_is_not_counted():
    # S06 and S08 reach MRD12 "after" the landmark (an ADT past L can only come from a wrong
    # row; the rule is the same for every landmark): they are N at L = 2025-04-01
    adrs = t06_adrs()
    late = adrs["PARAMCD"].eq("MRD12") & adrs["USUBJID"].isin(["S06", "S08"])
    adrs.loc[late, "ADT"] = pd.Timestamp("2025-04-02")
    res = build_t06(adsl(), adrs, t06_adtte(), CUTOFF)
    assert v(res, "PFS", "N", "MRD12", "Y") == 1 and v(res, "PFS", "N", "MRD12", "N") == 5
    adrs.loc[late, "ADT"] = pd.Timestamp("2025-04-01")  # on the landmark: known, Y
    res = build_t06(adsl(), adrs, t06_adtte(), CUTOFF)
    assert v(res, "PFS", "N", "MRD12", "Y") == 3


def test_t06_y_without_adt_is_refused():
    adrs = t06_adrs()
    adrs.loc[adrs["PARAMCD"].eq("MRDSUS"), "ADT"] = pd.NaT
    with pytest.raises(ValueError, match="MRDSUS: AVALC = Y without ADT"):
        build_t06(adsl(), adrs, t06_adtte(), CUTOFF)


def test_t06_empty_group_has_no_hr():
    res = build_t06(adsl(), t06_adrs(mrdsus={}), t06_adtte(), CUTOFF)
    assert v(res, "PFS", "N", "MRDSUS TD", "Y") == 0
    assert v(res, "PFS", "N", "MRDSUS TD", "N") == 8
    for stat in ("HR", "HR_LCL", "HR_UCL", "P_WALD"):
        assert math.isnan(v(res, "PFS", stat, "MRDSUS TD"))
    # nobody is followed beyond ASCT + 730 days in this fixture: both landmark groups empty
    assert v(res, "PFS", "N", "MRDSUS LM24", "Y") == v(res, "PFS", "N", "MRDSUS LM24", "N") == 0
    for stat in ("HR", "HR_LCL", "HR_UCL", "P_LOGRANK"):
        assert math.isnan(v(res, "PFS", stat, "MRDSUS LM24"))
    pfs = "Progression-free survival"
    td = t06_shown(res, pfs, "From ASCT, MRDSUS as a time-dependent covariate")
    assert td.iloc[0]["HR (95% CI)"] == td.iloc[0]["Wald p"] == "NE (no MRD-negative subject)"
    assert td.iloc[0]["N"] == "0"
    lm = t06_shown(res, pfs, "Landmark ASCT + 730 days, by MRDSUS")
    assert lm.iloc[0]["HR (95% CI)"] == lm.iloc[0]["Log-rank p"] == "NE (no MRD-negative subject)"
    assert lm.iloc[0]["Median, months (95% CI)"] == "NE"


# ----------------------------------------------------------------------------- T07


def test_t07_overview():
    """Hand counts over the TEAEs of S01-S05 (S04's anaemia is not treatment-emergent, S06's
    fatal sepsis neither, S09 is not in the safety population)."""
    res = build_t07(adsl(), t07_adae(), CUTOFF)
    expected = {
        "ANY": 5,  # S01-S05
        "GR3PLUS": 3,  # S01 (3, 4), S02 (5, 3, 3), S05 (3)
        "SERIOUS": 2,  # S01 neutropenia, S05 carcinoma and neutropenia
        "RELISA": 2,  # S01 (ISATUXIMAB, BOTH), S05 (ISATUXIMAB)
        "RELDEX": 3,  # S01 (BOTH), S02, S03 (DEXAMETHASONE)
        "DOSERED": 2,  # S03, S05
        "DISC": 1,  # S02
        "FATAL": 1,  # S02 pneumonia; S06's grade 5 is not treatment-emergent
        "SPM": 1,  # S05
    }
    for code, n in expected.items():
        assert v(res, "OVERVIEW", "n", code) == n, code
        assert v(res, "OVERVIEW", "N", code) == 8
        assert v(res, "OVERVIEW", "PCT", code) == pytest.approx(100 * n / 8)
    shown = display_t07_overview(res)
    assert list(shown["Category"]) == [
        "Any TEAE",
        "TEAE of grade >= 3",
        "Serious TEAE",
        "TEAE related to isatuximab",
        "TEAE related to dexamethasone",
        "TEAE leading to dose reduction",
        "TEAE leading to discontinuation",
        "TEAE with fatal outcome (grade 5)",
        "Second primary malignancy (TEAE)",
    ]
    assert shown.iloc[0].tolist() == ["Any TEAE", "5 (62.5%)"]
    assert shown.iloc[4].tolist() == ["TEAE related to dexamethasone", "3 (37.5%)"]


T07_GRADES = ("GRANY", "GR1", "GR2", "GR3", "GR4", "GR5", "GR3_4")


def t07_counts(res, prefix, soc, pt):
    return tuple(v(res, prefix + g, "n", soc, pt) for g in T07_GRADES) + (
        v(res, prefix + "GRANY", "EVENTS", soc, pt),
    )


def test_t07_worst_grade_counting_and_order():
    res = build_t07(adsl(), t07_adae(), CUTOFF)
    inf, blood = "INFECTIONS AND INFESTATIONS", "BLOOD DISORDERS"
    gi, neo = "GASTROINTESTINAL", "NEOPLASMS"
    # (SOC, PT): any grade, worst grade 1, 2, 3, 4, 5, 3-4; events
    expected = {
        ("", ""): (5, 1, 1, 1, 1, 1, 2, 12),  # worst: S01 4, S02 5, S03 2, S04 1, S05 3
        # blood and infections tie at 3 subjects: alphabetically
        (blood, ""): (3, 0, 1, 1, 1, 0, 2, 4),  # S01 4, S03 2, S05 3 (and 1)
        (blood, "NEUTROPENIA"): (3, 0, 1, 1, 1, 0, 2, 4),
        (inf, ""): (3, 1, 0, 1, 0, 1, 1, 6),  # S01 3, S02 5, S03 1
        (inf, "PNEUMONIA"): (2, 0, 0, 1, 0, 1, 1, 4),  # S02's grade 3 is not counted: 5
        (inf, "SEPSIS"): (2, 1, 0, 1, 0, 0, 1, 2),
        (gi, ""): (1, 1, 0, 0, 0, 0, 0, 1),
        (gi, "NAUSEA"): (1, 1, 0, 0, 0, 0, 0, 1),
        (neo, ""): (1, 0, 1, 0, 0, 0, 0, 1),
        (neo, "BASAL CELL CARCINOMA"): (1, 0, 1, 0, 0, 0, 0, 1),
    }
    for (soc, pt), counts in expected.items():
        assert t07_counts(res, "", soc, pt) == counts, (soc, pt)
        assert v(res, "GR3_4", "PCT", soc, pt) == pytest.approx(100 * counts[6] / 8)
        assert v(res, "GR1", "N", soc, pt) == 8
    assert not ((res["GROUP2"] == "ANAEMIA").any())
    # SOC by descending frequency (3, 3, 1, 1), ties alphabetically; PTs tied at 2 likewise
    order = res.loc[res["PARAMCD"].eq("GRANY") & res["STAT"].eq("ORDER")].sort_values("VALUE")
    assert list(zip(order["GROUP1"], order["GROUP2"], strict=True)) == list(expected)
    assert list(order["VALUE"]) == list(range(10))
    shown = display_t07(res)
    assert list(shown.columns) == [
        "System organ class / Preferred term",
        "Any grade",
        "Grade 1",
        "Grade 2",
        "Grade 3",
        "Grade 4",
        "Grade 5",
        "Events",
    ]
    assert list(shown.iloc[:4, 0]) == ["Any TEAE", blood, "  NEUTROPENIA", inf]
    assert shown.iloc[4].tolist() == [
        "  PNEUMONIA",
        "2 (25.0%)",
        "0 (0.0%)",
        "0 (0.0%)",
        "1 (12.5%)",
        "0 (0.0%)",
        "1 (12.5%)",
        "4",
    ]


def test_t07_by_phase_counts_each_phase_over_the_subjects_who_entered_it():
    """INDUCTION: N = 8 (every safety subject); ASCT: N = 8 (MELDT S01-S08); MAINTENANCE:
    N = 4 (MNTSDT S01, S02, S03, S05)."""
    res = build_t07(adsl(), t07_adae(), CUTOFF)
    inf, blood, gi = "INFECTIONS AND INFESTATIONS", "BLOOD DISORDERS", "GASTROINTESTINAL"
    expected = {
        "INDUCTION": {
            ("", ""): (4, 1, 1, 1, 1, 0, 2, 6),  # S01 4, S02 3, S03 2, S04 1
            (inf, ""): (3, 1, 1, 1, 0, 0, 1, 3),  # S01 2, S02 3, S03 1
            (inf, "PNEUMONIA"): (2, 0, 1, 1, 0, 0, 1, 2),
            (inf, "SEPSIS"): (1, 1, 0, 0, 0, 0, 0, 1),
            (blood, ""): (2, 0, 1, 0, 1, 0, 1, 2),  # S01 4, S03 2
            (blood, "NEUTROPENIA"): (2, 0, 1, 0, 1, 0, 1, 2),
            (gi, ""): (1, 1, 0, 0, 0, 0, 0, 1),
            (gi, "NAUSEA"): (1, 1, 0, 0, 0, 0, 0, 1),
        },
        "ASCT": {
            ("", ""): (1, 0, 0, 1, 0, 0, 1, 1),  # S01's grade 3 pneumonia
            (inf, ""): (1, 0, 0, 1, 0, 0, 1, 1),
            (inf, "PNEUMONIA"): (1, 0, 0, 1, 0, 0, 1, 1),
        },
        "MAINTENANCE": {
            ("", ""): (2, 0, 0, 1, 0, 1, 1, 5),  # S02 5, S05 3
            # one subject per SOC: alphabetically
            (blood, ""): (1, 0, 0, 1, 0, 0, 1, 2),  # S05 3 and 1
            (blood, "NEUTROPENIA"): (1, 0, 0, 1, 0, 0, 1, 2),
            (inf, ""): (1, 0, 0, 0, 0, 1, 0, 2),  # S02 5 and 3
            (inf, "PNEUMONIA"): (1, 0, 0, 0, 0, 1, 0, 1),
            (inf, "SEPSIS"): (1, 0, 0, 1, 0, 0, 1, 1),
            ("NEOPLASMS", ""): (1, 0, 1, 0, 0, 0, 0, 1),
            ("NEOPLASMS", "BASAL CELL CARCINOMA"): (1, 0, 1, 0, 0, 0, 0, 1),
        },
    }
    population = {"INDUCTION": 8, "ASCT": 8, "MAINTENANCE": 4}
    for phase, rows in expected.items():
        prefix = f"{phase}_"
        for (soc, pt), counts in rows.items():
            assert t07_counts(res, prefix, soc, pt) == counts, (phase, soc, pt)
            assert v(res, prefix + "GRANY", "N", soc, pt) == population[phase]
        order = res.loc[res["PARAMCD"].eq(prefix + "GRANY") & res["STAT"].eq("ORDER")]
        order = order.sort_values("VALUE")
        assert list(zip(order["GROUP1"], order["GROUP2"], strict=True)) == list(rows), phase
    assert v(res, "MAINTENANCE_GRANY", "PCT") == pytest.approx(50.0)
    shown = display_t07_by_phase(res)
    labels = list(shown.iloc[:, 0])
    assert labels[0] == "Induction, N = 8" and shown.iloc[0, 1:].tolist() == [""] * 7
    assert labels[9:13] == ["ASCT, N = 8", "Any TEAE", inf, "  PNEUMONIA"]
    assert labels[13] == "Maintenance, N = 4"
    assert shown.iloc[14].tolist() == [
        "Any TEAE",
        "2 (50.0%)",
        "0 (0.0%)",
        "0 (0.0%)",
        "1 (25.0%)",
        "0 (0.0%)",
        "1 (25.0%)",
        "5",
    ]
    assert len(shown) == 3 + 8 + 3 + 8


def test_t07_phase_without_teae_keeps_its_rows_and_n():
    """Shape does not depend on the data: with S01's ASCT-phase pneumonia removed the ASCT
    block is its all-TEAE row, 0 of N = 8."""
    adae = t07_adae()
    adae = adae.loc[adae["APHASE"].ne("ASCT")]
    res = build_t07(adsl(), adae, CUTOFF)
    assert v(res, "ASCT_GRANY", "n") == 0 and v(res, "ASCT_GRANY", "N") == 8
    assert v(res, "ASCT_GRANY", "EVENTS") == 0
    assert not res["PARAMCD"].eq("ASCT_GRANY").loc[res["GROUP1"].ne("")].any()


def test_t07_serious_teaes_and_fatal_aes_by_pt():
    res = build_t07(adsl(), t07_adae(), CUTOFF)
    # serious TEAEs: S01 neutropenia; S05 carcinoma and neutropenia (S04's anaemia and
    # S06's sepsis are not treatment-emergent)
    serious = {"": (2, 3), "NEUTROPENIA": (2, 2), "BASAL CELL CARCINOMA": (1, 1)}
    # fatal AEs: S02 pneumonia (TEAE), S06 sepsis (not treatment-emergent); S09 not safety
    fatal = {"": (2, 2), "PNEUMONIA": (1, 1), "SEPSIS": (1, 1)}
    for paramcd, rows in (("SERPT", serious), ("FATALPT", fatal)):
        for pt, (n, events) in rows.items():
            assert v(res, paramcd, "n", "", pt) == n, (paramcd, pt)
            assert v(res, paramcd, "N", "", pt) == 8
            assert v(res, paramcd, "EVENTS", "", pt) == events, (paramcd, pt)
        order = res.loc[res["PARAMCD"].eq(paramcd) & res["STAT"].eq("ORDER")]
        assert list(order.sort_values("VALUE")["GROUP2"]) == list(rows), paramcd
    assert display_t07_serious(res).values.tolist() == [
        ["Any serious TEAE", "2 (25.0%)", "3"],
        ["NEUTROPENIA", "2 (25.0%)", "2"],
        ["BASAL CELL CARCINOMA", "1 (12.5%)", "1"],
    ]
    assert display_t07_fatal(res).values.tolist() == [
        ["Any fatal AE", "2 (25.0%)", "2"],
        ["PNEUMONIA", "1 (12.5%)", "1"],
        ["SEPSIS", "1 (12.5%)", "1"],
    ]


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
    rows = [
        (s, "ISATUXIMAB", "INDUCTION", r)
        for s, r in zip(IDS[:5], [1.0, 36 / 40, 0.85, 0.7 + 0.1, 0.5], strict=True)
    ]
    rows += [
        (s, "ISATUXIMAB", "ALL", r) for s, r in zip(IDS[:4], [0.95, 0.85, 0.75, 0.65], strict=True)
    ]
    rows += [("S09", "ISATUXIMAB", "INDUCTION", 0.1)]  # not safety
    # ADEX as BDS: an RDI row each, and the other parameters T10 must not read
    adex = adex_frame(
        [r for s, d, p, x in rows for r in adex_rows(s, d, p, ("OTHER",), RDI=x, NADM=1, NRED=1)]
    )
    res = build_t10(adsl(), adex, CUTOFF)
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


# ----------------------------------------------------------------------------- presentation


def test_numbers_round_half_away_from_zero():
    """endpoints.md, Presentation: 5/16 = 31.3%, as SAS prints it (Python's format gives
    31.2: it rounds half to even)."""
    assert f"{100 * 5 / 16:.1f}" == "31.2"  # what the helper replaces
    assert round_half_away(100 * 5 / 16, 1) == "31.3"
    assert fmt_n_pct(5, 100 * 5 / 16) == "5 (31.3%)"
    # 0.125 is exact in binary and a half at 2 digits: 0.13 (format gives 0.12)
    assert fmt_num(0.125, 2) == "0.13"
    # negative halves go away from zero too; a result that rounds to 0 has no sign
    assert round_half_away(-0.125, 2) == "-0.13"
    assert round_half_away(-2.5, 0) == "-3"
    assert round_half_away(-0.04, 1) == "0.0"
    # 100 * 0.145 is 14.499999999999998 in binary: still a half at 15 significant digits
    assert round_half_away(100 * 0.145, 0) == "15"
    assert round_half_away(0.5, 0) == round_half_away(1.0, 0) == "1"
    assert round_half_away(2.5, 0) == "3" and fmt_int(2.5) == "3"
    # p-values at 3 digits: 0.0625 is a half (format gives 0.062); < 0.001 as before
    assert fmt_p(0.0625) == "0.063" and fmt_p(0.0004) == "<0.001"
    # CIs in percent: 0.3125 and 0.6875 are exact halves at 1 digit once scaled
    assert fmt_ci(0.3125, 0.6875, 100.0) == "(31.3, 68.8)"


def test_t01_display_rounds_5_of_16_to_31_3():
    res = to_frame(proportion_rows("T01", "MRD12", 5, 16), CUTOFF)
    shown = display_t01(res).iloc[0]
    assert shown["MRD-negative, n (%)"] == "5 (31.3%)"
    lo, up = cp(5, 16)  # 0.110, 0.587
    assert shown["95% CI (%)"] == f"({round_half_away(100 * lo)}, {round_half_away(100 * up)})"


def test_t04_cumulative_response_is_100_once_everyone_has_responded():
    """Issue 30: every ITT subject responded by 1.8 months; 3, 6 and 12 months are past the
    last observed time, but the curve has reached 0 there, so the cumulative response is
    100% (endpoints.md Methods, rate at a landmark), its CI empty."""
    # TTPR of 4 ITT subjects, all responses: 30, 30, 45, 54 days (30-day months: 1, 1,
    # 1.5, 1.8). KM: 30 -> 2/4, 45 -> 1/2 * 1/2 = 1/4, 54 -> 0.
    rows = [(s, "TTPR", t, 0) for s, t in zip(IDS[:4], (30, 30, 45, 54), strict=True)]
    a = adsl().assign(ITTFL=["Y"] * 4 + [None] * 6)
    res = build_t04(a, adtte(rows), CUTOFF)
    for t in (3, 6, 12):
        assert v(res, "TTPR", f"CUMPROB_{t}M") == 1.0
        assert math.isnan(v(res, "TTPR", f"CUMPROB_{t}M_LCL"))
        assert math.isnan(v(res, "TTPR", f"CUMPROB_{t}M_UCL"))
    # quartiles, unchanged by the landmark rule: Q1 (S <= 0.75) at 1 month; S = 0.5 exactly on
    # [1, 1.5) and 0.25 exactly on [1.5, 1.8): midpoints 1.25 and 1.65 months
    assert v(res, "TTPR", "Q1") == pytest.approx(1.0, abs=1e-12)
    assert v(res, "TTPR", "MEDIAN") == pytest.approx(1.25, abs=1e-12)
    assert v(res, "TTPR", "Q3") == pytest.approx(1.65, abs=1e-12)
    # a parameter that has not reached 0 (no row at all) stays empty
    assert math.isnan(v(res, "TTVGPR", "CUMPROB_3M"))
    shown = display_t04(res).set_index("Endpoint")
    for t in (3, 6, 12):
        assert shown.loc["Time to >= PR", f"Cumulative response at {t} months, % (95% CI)"] == (
            "100.0"
        )


def test_t09_and_t04_print_an_estimate_without_ci_alike():
    """Issue 30: T09 printed 0.0 (NE, NE) where T04 would print 100.0 (NE, NE): a rate of 0
    or 1 has no log(-log) interval, so both print the estimate alone (the footnote says
    why); an interval with one bound missing is still printed, with NR."""
    # S01 has the event at 120 days, S02 the competing event at 60, six censored at 400:
    # at 3 months (91.3 d) no event of interest yet: CIF 0, CI undefined
    rows = [
        ("S01", "TTDISC", 120, 0),
        ("S02", "TTDISC", 60, 8, "Y"),
        *[(s, "TTDISC", 400, 3) for s in IDS[2:8]],
    ]
    res = build_t09(adsl(), adtte(rows), CUTOFF)
    assert v(res, "TTDISC", "CIF_3M") == 0.0 and math.isnan(v(res, "TTDISC", "CIF_3M_LCL"))
    shown = display_t09(res).set_index("Statistic")
    at3 = "Cumulative incidence at 3 months, % (95% CI)"
    assert shown.loc[at3, "Discontinuation due to AE or death from AE/SPM"] == "0.0"
    # competing: 1/8 at 60 d, with its interval
    assert shown.loc[at3, "Competing events"].startswith("12.5 (")
    assert fmt_est_ci(1.0, None, None, scale=100.0, missing="NE") == "100.0"
    assert fmt_est_ci(0.0, None, None, scale=100.0, missing="NE") == "0.0"
    assert fmt_est_ci(None, None, None, missing="NE") == "NE"
    assert fmt_est_ci(None, 1.0, None) == "NR (1.0, NR)"


def _comparison(
    n: tuple[int, int], events: tuple[int, int], hr=None, p=None, ci=(None, None)
) -> pd.DataFrame:
    rows = []
    for level, nn, ev in zip(("Y", "N"), n, events, strict=True):
        rows += [
            Row("T06", "OS", "N", nn, "MRD12", level),
            Row("T06", "OS", "EVENTS", ev, "MRD12", level),
        ]
    rows += [
        Row("T06", "OS", "HR", hr, "MRD12"),
        Row("T06", "OS", "HR_LCL", ci[0], "MRD12"),
        Row("T06", "OS", "HR_UCL", ci[1], "MRD12"),
        Row("T06", "OS", "P_LOGRANK", p, "MRD12"),
    ]
    return to_frame(rows, CUTOFF)


def test_hr_and_p_that_cannot_be_estimated_say_why():
    """endpoints.md, Presentation: never a bare 1.000 or NE (issue 30, T06's OS row)."""

    def texts(frame):
        row = t06_shown(frame, "Overall survival", "Landmark ASCT + 365 days, by MRD12").iloc[0]
        return row["HR (95% CI)"], row["Log-rank p"]

    # the fixture's OS: the MRD-negative group has no death (HR at 0, not estimable); the
    # log-rank p exists: E_Y = 3/6, V = 1/4, chi2 = 1, p = 0.3173
    res = build_t06(adsl(), t06_adrs(), t06_adtte(), CUTOFF)
    assert texts(res) == ("NE (no event among MRD-negative)", "0.317")
    # Y censored at 3 and 4, N: death at 5, censored at 6. At the only death Y has nobody at
    # risk: E_Y = 0, V = 0, and the log-rank chi-square is 0 on 0 df (R survdiff: "Chisq= 0
    # on 0 degrees of freedom, p= 1"): a p of 1 that is no test at all
    cmp = compare_groups([3, 4, 5, 6], [0, 0, 1, 0], ["Y", "Y", "N", "N"])
    assert cmp.hr is None and cmp.logrank_p == 1.0
    frame = _comparison((2, 2), (0, 1), p=cmp.logrank_p)
    assert texts(frame) == (
        "NE (no event among MRD-negative)",
        "NE (no event while both groups were at risk)",
    )
    # the same p of 1 with an event in each group is a real test (O = E): printed
    cmp = compare_groups([1, 2, 1, 2], [1, 0, 1, 0], ["Y", "Y", "N", "N"])
    assert cmp.logrank_p == pytest.approx(1.0) and cmp.hr == pytest.approx(1.0)
    frame = _comparison((2, 2), (1, 1), cmp.hr, cmp.logrank_p, (cmp.lower, cmp.upper))
    hr_text, p_text = texts(frame)
    assert p_text == "1.000" and hr_text.startswith("1.00 (")
    # each group has a death, but N's only one comes when no Y is left (Y: deaths at 1 and
    # 2 while N is at risk): an infinite HR, once printed as 15495105470.22 (0.00, inf); the
    # log-rank p is a test all the same
    cmp = compare_groups([1, 2, 3, 5], [1, 1, 0, 1], ["Y", "Y", "N", "N"])
    assert cmp.hr is None
    hr_text, p_text = texts(_comparison((2, 2), (2, 1), p=cmp.logrank_p))
    assert hr_text == "NE (no event in each group while both were at risk)"
    assert p_text == fmt_p(cmp.logrank_p) != "1.000"
    # no event at all; an empty group (the display shows an analysis only when its Y row
    # exists, which an empty MRD-negative group still has: N = 0)
    assert texts(_comparison((3, 3), (0, 0))) == ("NE (no event)", "NE (no event)")
    assert texts(_comparison((0, 6), (0, 2))) == (
        "NE (no MRD-negative subject)",
        "NE (no MRD-negative subject)",
    )


def test_every_table_has_a_footnote_with_population_n_method_source_and_cutoff():
    results = all_results()
    # hand counts of the fixture: ITT S01-S09, safety S01-S08, landmark population 6
    # (test_t06_landmark_selection_and_rebased_times), TTDISC rows of S01 and S02 only
    expected_n = {
        "T01": "ITT population, N = 9.",
        "T02": "ITT population, N = 9.",
        "T05": "ITT population, N = 9.",
        "T06": "ITT subjects with an ASCT; the landmark analyses keep those alive",
        "T07": "Safety population, N = 8.",
        "T08": "Safety population, N = 8.",
        "T09": "Safety population, N = 2.",
        "T10": "Safety population; N per drug and phase",
        "T11": "ITT population, N = 9.",
        "T13": "Safety population, N = 8.",
        "T15": "ITT population, N = 9.",
    }
    methods = {
        "T01": "exact Clopper-Pearson 95% CI",
        "T02": "exact Clopper-Pearson 95% CI",
        "T03": "95% CI on the log(-log) scale",
        "T04": "median and quartiles by Brookmeyer-Crowley",
        "T05": "exact Clopper-Pearson 95% CI",
        "T06": "Cox proportional hazards, Efron ties, 95% Wald CI, MRD-negative versus",
        "T07": "worst grade",
        "T08": "at least one dose reduction",
        "T09": "Aalen-Johansen, Gray's variance, 95% CI on the log(-log) scale",
        "T10": "RDI: actual / planned cumulative dose",
        "T12": "Percentages of the ITT N",
        "T14": "exact Clopper-Pearson 95% CI",
        "T11": "BSA by Mosteller",
        "T13": "Duration of treatment: (TRTEDT - TRTSDT + 1) / 30.4375 months",
        "T15": "Cohen's kappa",
    }
    for spec in TABLES:
        note = spec.footnote(results[spec.tableid])
        assert expected_n.get(spec.tableid, "ITT population") in note, spec.tableid
        assert methods[spec.tableid] in note, spec.tableid
        assert "Source: ADSL" in note, spec.tableid  # T12 reads ADSL alone
        assert note.endswith("Data cut-off: 2026-03-31."), spec.tableid
    # T03 with its own data: ITT N = 9 and the responders of DOR, N = 5
    note = TABLES[2].footnote(build_t03(adsl(), t03_adtte(), CUTOFF))
    assert note.startswith("ITT population, N = 9. Duration of response: responders, N = 5.")
    # the cut-off is the rows' CUTOFFDT
    later = build_t01(adsl(), mrd_adrs(), date(2026, 6, 30))
    assert TABLES[0].footnote(later).endswith("Data cut-off: 2026-06-30.")


def test_columns_empty_for_every_row_are_left_out_of_the_printed_table():
    """T03 with OS followed to 900 days (29.6 months), PFS to 90 days, DOR to 300 days and no
    TTP, TNT or PFS2 rows: no endpoint reaches 36 months, so the 36, 48 and 60-month rate
    columns are NE in every row and not printed; the rows stay in the results."""
    res = build_t03(adsl(), t03_adtte(), CUTOFF)
    display = display_t03(res)
    spec = next(s for s in TABLES if s.tableid == "T03")
    shown, note = spec.present(display, res)
    gone = [f"{t}-month rate, % (95% CI)" for t in (36, 48, 60)]
    assert list(shown.columns) == [c for c in display.columns if c not in gone]
    assert note.endswith(
        f"Not shown, not estimable for any row at this cut-off: {'; '.join(gone)}."
    )
    assert len(shown) == len(display)
    assert {f"RATE_{t}M" for t in (36, 48, 60)} <= set(res["STAT"])
    # OS at 6 months: one censoring (100 d) and no death before 182.6 d: S = 1, no CI
    assert shown.set_index("Endpoint").loc["Overall survival", "6-month rate, % (95% CI)"] == (
        "100.0"
    )
    # NR and an NE that says why are not empty; the label column and row-less displays stay
    frame = pd.DataFrame({"Label": ["a", "b"], "x": ["NE", ""], "y": ["NR", "NE"]})
    frame["z"] = ["(NE, NE)", None]
    frame["w"] = ["NE (no event in one group)", ""]
    kept, dropped = drop_empty_columns(frame)
    assert list(kept.columns) == ["Label", "y", "w"] and dropped == ["x", "z"]
    empty = pd.DataFrame({"Label": [], "x": []})
    assert drop_empty_columns(empty) == (empty, [])


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


def test_rows_without_ci_are_the_rows_with_ci_less_the_bounds():
    """T07's n (%) rows (``ci=False``) skip the exact CI's beta quantiles; n, N and PCT are
    those of the rows with the CI."""
    for n, N in ((5, 16), (0, 10), (0, 0), (12, 12)):
        with_ci = proportion_rows("T07", "GRANY", n, N, "SOC", "PT")
        without = proportion_rows("T07", "GRANY", n, N, "SOC", "PT", ci=False)
        assert without == [r for r in with_ci if r.stat not in ("LCL", "UCL")]


def test_an_empty_population_is_not_estimable_not_not_reached():
    """A cut-off before anyone is in ITT (fuzzing: --cutoff five days after the first
    consent): T03's medians and the median follow-up printed NR (not reached) and T15's kappa
    gave the reason for a table of one category. With no subject every estimate says so."""
    from dagster_project.lib.endpoints import build_t15, display_t15_agreement

    nobody = adsl().assign(ITTFL=None)
    shown = display_t03(build_t03(nobody, t03_adtte(), CUTOFF)).set_index("Endpoint")
    assert shown.loc["Progression-free survival", "N"] == "0"
    assert shown.loc["Progression-free survival", "Median, months (95% CI)"] == "NE (no subject)"
    follow_up = shown.loc["Median follow-up (reverse Kaplan-Meier)", "Median, months (95% CI)"]
    assert follow_up == "NE (no subject)"
    adrs = pd.DataFrame(
        [("S01", "CBOR", "CR"), ("S01", "ALGCBOR", "PR")], columns=["USUBJID", "PARAMCD", "AVALC"]
    )
    agreement = display_t15_agreement(build_t15(nobody, adrs, t03_adtte(), CUTOFF))
    assert agreement.loc[0, "Cohen's kappa (95% CI)"] == "NE (no subject)"
    assert agreement.loc[0, "Agreement n (%)"] == "0"
