"""T11 (demographics and baseline characteristics) and T13 (exposure) on hand-built ADaM frames
(tests/fixtures/endpoint_adam.py: ``adsl()`` with ``csr_adsl_columns()``; T13's ADEX below).

The expected numbers are an independent computation, not the builders' code path: category
counts are counted by hand from the fixture's lists (the counts are in the comments), and
every mean, SD, median, min and max comes from Python's ``statistics`` module (``mean``,
``stdev`` with the n - 1 divisor, ``median``) over the values restated here from the fixture,
or from hand arithmetic (day counts / 30.4375). The builders use pandas and numpy.
"""

import math
import statistics as st

import pandas as pd
import pytest

from dagster_project.lib.endpoints import (
    TABLES,
    build_t11,
    build_t13,
    display_t11,
    display_t13,
    display_t13_drug,
)
from dagster_project.lib.endpoints.results import Lookup
from tests.fixtures.endpoint_adam import CUTOFF, adex_frame, adex_rows, csr_adsl_columns
from tests.fixtures.endpoint_adam import adsl as shared_adsl


def adsl() -> pd.DataFrame:
    """The shared ADSL with T11's own baseline characteristics (csr_adsl_columns overrides the
    T12/T14 columns of the same name, which those tables' tests use)."""
    return shared_adsl().assign(**csr_adsl_columns())


ITT_N = 9  # S01-S09; S10 is a screen failure
SAFETY_N = 8  # S01-S08; S09 never dosed
MONTH = 30.4375


def _get(res: pd.DataFrame, paramcd: str, stat: str, g1: str = "", g2: str = "") -> float | None:
    return Lookup(res, res["TABLEID"].iloc[0]).get(paramcd, stat, g1, g2)


def _assert_summary(res, paramcd, values, g1="", g2=""):
    """N, MEAN, SD, MEDIAN, MIN, MAX equal the statistics module's over ``values``."""
    assert _get(res, paramcd, "N", g1, g2) == len(values)
    assert _get(res, paramcd, "MEAN", g1, g2) == pytest.approx(st.mean(values), abs=1e-12)
    sd = _get(res, paramcd, "SD", g1, g2)
    if len(values) > 1:
        assert sd == pytest.approx(st.stdev(values), abs=1e-12)
    else:
        assert sd is None
    assert _get(res, paramcd, "MEDIAN", g1, g2) == pytest.approx(st.median(values), abs=1e-12)
    assert _get(res, paramcd, "MIN", g1, g2) == pytest.approx(min(values), abs=1e-12)
    assert _get(res, paramcd, "MAX", g1, g2) == pytest.approx(max(values), abs=1e-12)


# ----------------------------------------------------------------------------- T11


def test_t11_continuous_variables_against_the_statistics_module():
    """The ITT subjects' values (S01-S09, S10 left out), restated from the fixture; a missing
    value is left out of N (DURDIS of S06, HEIGHT and so BSA of S09)."""
    res = build_t11(adsl(), CUTOFF)
    ages = [58, 64, 65, 70, 74, 75, 81, 62, 66]
    # 615 / 9 = 68.333...; sorted 58 62 64 65 66 70 74 75 81: median 66, min 58, max 81
    assert _get(res, "AGE", "MEAN") == pytest.approx(615 / 9)
    assert _get(res, "AGE", "MEDIAN") == 66
    _assert_summary(res, "AGE", ages)
    # PRIORLN: 1+2+1+3+1+2+1+1+2 = 14, 14 / 9; sorted five 1s, three 2s, one 3: median 1
    assert _get(res, "PRIORLN", "MEAN") == pytest.approx(14 / 9)
    _assert_summary(res, "PRIORLN", [1, 2, 1, 3, 1, 2, 1, 1, 2])
    # DURDIS without S06: 8 values, sorted 6.2 9.9 12.0 18.3 24.5 30.1 48.0 60.7: median
    # (18.3 + 24.5) / 2 = 21.4
    durdis = [12.0, 24.5, 6.2, 48.0, 30.1, 18.3, 60.7, 9.9]
    assert _get(res, "DURDIS", "MEDIAN") == pytest.approx(21.4)
    _assert_summary(res, "DURDIS", durdis)
    heights = [176, 162, 181, 170, 158, 174, 165, 183]
    weights = [80, 60, 90, 72, 55, 81, 64, 95, 70]
    _assert_summary(res, "HEIGHT", heights)
    _assert_summary(res, "WEIGHT", weights)
    # Mosteller by hand for the extremes: S05 158 x 55 / 3600 = 2.41388..., sqrt 1.5537;
    # S08 183 x 95 / 3600 = 4.82916..., sqrt 2.1975
    bsa = [math.sqrt(h * w / 3600) for h, w in zip(heights, weights[:8], strict=True)]
    assert _get(res, "BSA", "MIN") == pytest.approx(1.5537, abs=5e-5)
    assert _get(res, "BSA", "MAX") == pytest.approx(2.1975, abs=5e-5)
    _assert_summary(res, "BSA", bsa)
    continuous = res.loc[
        res["PARAMCD"].isin(["AGE", "PRIORLN", "DURDIS", "HEIGHT", "WEIGHT", "BSA"])
    ]
    assert set(continuous["GROUP1"]) == {""}
    assert list(continuous.loc[continuous["PARAMCD"].eq("AGE"), "STAT"]) == [
        "N",
        "MEAN",
        "SD",
        "MEDIAN",
        "MIN",
        "MAX",
    ]


def test_t11_categories_counted_by_hand_with_percent_of_itt_n():
    res = build_t11(adsl(), CUTOFF)
    # hand counts over S01-S09 (S10 would add to >=75, F, ASIAN, III, Y, IGA, KAPPA, NONE,
    # KD, PR and N)
    expected = {
        "AGEGR1": {"<65": 3, "65-74": 4, ">=75": 2, "MISSING": 0},
        "SEX": {"M": 5, "F": 3, "MISSING": 1},
        "RACE": {
            "WHITE": 6,
            "BLACK OR AFRICAN AMERICAN": 1,
            "ASIAN": 2,
            "OTHER": 0,
            "NOT REPORTED": 0,
            "MISSING": 0,
        },
        "ISS": {"I": 3, "II": 4, "III": 2, "MISSING": 0},
        "HRCYTO": {"Y": 3, "N": 6, "MISSING": 0},
        "MMTYPE": {"IGG": 5, "IGA": 2, "LIGHT CHAIN": 2, "OTHER": 0, "MISSING": 0},
        "LCTYPE": {"KAPPA": 6, "LAMBDA": 3, "MISSING": 0},
        "MEASDIS": {
            "SERUM": 5,
            "URINE": 1,
            "SERUM AND URINE": 1,
            "FLC": 1,
            "NONE": 1,
            "MISSING": 0,
        },
        "REIND": {"KRD": 5, "KD": 3, "OTHER": 1, "MISSING": 0},
        "REINDRSP": {"SCR": 1, "CR": 2, "VGPR": 3, "PR": 3, "MISSING": 0},
        "MOBFL": {"Y": 7, "N": 1, "MISSING": 1},
    }
    for variable, counts in expected.items():
        rows = res.loc[res["PARAMCD"].eq(variable)]
        # every code of the list in its order, then MISSING; n and PCT for each
        assert list(dict.fromkeys(rows["GROUP1"])) == list(counts), variable
        assert set(rows["STAT"]) == {"n", "PCT"}, variable
        for category, n in counts.items():
            assert _get(res, variable, "n", category) == n, (variable, category)
            assert _get(res, variable, "PCT", category) == pytest.approx(100 * n / ITT_N)
        assert sum(counts.values()) == ITT_N
    # the table's variables in the spec's order
    assert list(dict.fromkeys(res["PARAMCD"])) == [
        "AGE",
        "AGEGR1",
        "SEX",
        "RACE",
        "ISS",
        "HRCYTO",
        "MMTYPE",
        "LCTYPE",
        "MEASDIS",
        "REIND",
        "REINDRSP",
        "MOBFL",
        "PRIORLN",
        "DURDIS",
        "HEIGHT",
        "WEIGHT",
        "BSA",
    ]


def test_t11_value_off_the_code_list_is_kept_before_missing():
    frame = adsl()
    frame.loc[frame["USUBJID"].eq("S01"), "RACE"] = "AMERICAN INDIAN OR ALASKA NATIVE"
    res = build_t11(frame, CUTOFF)
    race = list(dict.fromkeys(res.loc[res["PARAMCD"].eq("RACE"), "GROUP1"]))
    assert race[-2:] == ["AMERICAN INDIAN OR ALASKA NATIVE", "MISSING"]
    assert _get(res, "RACE", "n", "WHITE") == 5
    assert _get(res, "RACE", "n", "AMERICAN INDIAN OR ALASKA NATIVE") == 1


def test_t11_display_rounds_half_away_and_shows_missing_only_when_some():
    shown = display_t11(build_t11(adsl(), CUTOFF)).set_index("Characteristic")
    column = "ITT (N = 9)"
    assert list(shown.columns) == [column]
    cells = shown[column]
    # AGE: mean 68.333 -> 68.3, SD 7.2629 -> 7.26, median 66 -> 66.0
    age = display_t11(build_t11(adsl(), CUTOFF))
    first = age.iloc[:5][column].tolist()
    assert first == ["", "9", "68.3 (7.26)", "66.0", "58-81"]
    # 5 / 9 = 55.555...% -> 55.6%; 1 / 9 = 11.111...% -> 11.1%
    assert cells["  M"] == "5 (55.6%)"
    labels = list(shown.index)
    sex = labels.index("Sex")
    assert labels[sex + 1 : sex + 4] == ["  M", "  F", "  Missing"]
    assert shown.iloc[sex + 3][column] == "1 (11.1%)"
    # RACE has no missing value: no Missing line; Y / N print as Yes / No
    race = labels.index("Race")
    assert "  Missing" not in labels[race : labels.index("ISS stage")]
    mob = labels.index("Stem cells mobilised")
    assert labels[mob + 1 : mob + 4] == ["  Yes", "  No", "  Missing"]
    # 7 / 9 = 77.777...% -> 77.8%
    assert shown.iloc[mob + 1][column] == "7 (77.8%)"
    # DURDIS (one decimal collected): mean 26.2125 -> 26.21, median 21.4 -> 21.40
    dur = labels.index("Time from diagnosis to consent (months)")
    assert shown.iloc[dur + 1][column] == "8"
    assert shown.iloc[dur + 2][column].startswith("26.21 (")
    assert shown.iloc[dur + 3][column] == "21.40"
    assert shown.iloc[dur + 4][column] == "6.2-60.7"


def test_t11_empty_population_has_every_row_and_no_estimate():
    frame = adsl().assign(ITTFL=None)
    res = build_t11(frame, CUTOFF)
    assert len(res) == len(build_t11(adsl(), CUTOFF))
    assert _get(res, "AGE", "N") == 0 and _get(res, "AGE", "MEAN") is None
    assert _get(res, "SEX", "n", "M") == 0 and _get(res, "SEX", "PCT", "M") is None
    shown = display_t11(res)
    assert shown.columns[1] == "ITT (N = 0)"
    assert shown.iloc[2, 1] == "NE"


# ----------------------------------------------------------------------------- T13

# (subject, drug, phase, NCYCLE, NADM, CUMDOSE); the ALL rows are the sums (built below).
# Induction: S01-S06 3 cycles, S07 1, S08 2; isatuximab 10 mg/kg 4 + 2 + 2 administrations
# (S07 3: one of its 4 skipped), dexamethasone 4 per cycle, 40 mg (20 mg for S06, >= 75).
# ASCT: melphalan for S01-S06, 200 mg/m2 (S04 140). Maintenance: S01-S04; isatuximab 2 per
# cycle up to 12, then 1 (S03: 12 x 2 + 2 x 1 = 26; S04 one of 4 skipped: 3); dexamethasone
# 20 mg, scheduled in cycles 1-12 only (S03's 14 cycles count 12), S04 skipped all of it.
_PHASE_ROWS = [
    *[(s, "ISATUXIMAB", "INDUCTION", 3, 8, 80.0) for s in ("S01", "S02", "S03", "S04", "S05")],
    ("S06", "ISATUXIMAB", "INDUCTION", 3, 8, 80.0),
    ("S07", "ISATUXIMAB", "INDUCTION", 1, 3, 30.0),
    ("S08", "ISATUXIMAB", "INDUCTION", 2, 6, 60.0),
    *[(s, "DEXAMETHASONE", "INDUCTION", 3, 12, 480.0) for s in ("S01", "S02", "S03", "S04")],
    ("S05", "DEXAMETHASONE", "INDUCTION", 3, 12, 480.0),
    ("S06", "DEXAMETHASONE", "INDUCTION", 3, 12, 240.0),
    ("S07", "DEXAMETHASONE", "INDUCTION", 1, 4, 160.0),
    ("S08", "DEXAMETHASONE", "INDUCTION", 2, 8, 320.0),
    *[(s, "MELPHALAN", "ASCT", 1, 1, 200.0) for s in ("S01", "S02", "S03", "S05", "S06")],
    ("S04", "MELPHALAN", "ASCT", 1, 1, 140.0),
    ("S01", "ISATUXIMAB", "MAINTENANCE", 12, 24, 240.0),
    ("S02", "ISATUXIMAB", "MAINTENANCE", 6, 12, 120.0),
    ("S03", "ISATUXIMAB", "MAINTENANCE", 14, 26, 260.0),
    ("S04", "ISATUXIMAB", "MAINTENANCE", 2, 3, 30.0),
    ("S01", "DEXAMETHASONE", "MAINTENANCE", 12, 48, 960.0),
    ("S02", "DEXAMETHASONE", "MAINTENANCE", 6, 24, 480.0),
    ("S03", "DEXAMETHASONE", "MAINTENANCE", 12, 48, 960.0),
    ("S04", "DEXAMETHASONE", "MAINTENANCE", 2, 0, 0.0),
    # S09 is not in the safety population: never counted
    ("S09", "ISATUXIMAB", "INDUCTION", 1, 4, 40.0),
]


def t13_adex() -> pd.DataFrame:
    """ADEX as BDS (submission.md): the rows above and their ALL sums, one row per parameter."""
    cols = ["USUBJID", "PARCAT1", "APHASE", "NCYCLE", "NADM", "CUMDOSE"]
    phases = pd.DataFrame(_PHASE_ROWS, columns=cols)
    totals = phases.groupby(["USUBJID", "PARCAT1"], as_index=False)[cols[3:]].sum()
    wide = pd.concat([phases, totals.assign(APHASE="ALL")[cols]], ignore_index=True)
    return adex_frame(
        [
            row
            for s, drug, phase, ncycle, nadm, cumdose in wide.itertuples(index=False)
            for row in adex_rows(
                s, drug, phase, NCYCLE=ncycle, NADM=nadm, CUMDOSE=cumdose, RDI=1.0, NRED=0
            )
        ]
    )


def test_t13_duration_of_treatment_in_months():
    """TRTEDT - TRTSDT + 1 = 366, 61, 183, 731, 92, 244, 31, 487 days (S01-S08)."""
    res = build_t13(adsl(), t13_adex(), CUTOFF)
    months = [d / MONTH for d in (366, 61, 183, 731, 92, 244, 31, 487)]
    # sorted days 31 61 92 183 244 366 487 731: median (183 + 244) / 2 = 213.5 days
    assert _get(res, "TRTDURM", "MEDIAN") == pytest.approx(213.5 / MONTH)
    assert _get(res, "TRTDURM", "MIN") == pytest.approx(31 / MONTH)
    assert _get(res, "TRTDURM", "MAX") == pytest.approx(731 / MONTH)
    # 2195 days in all: mean 274.375 days
    assert _get(res, "TRTDURM", "MEAN") == pytest.approx(274.375 / MONTH)
    _assert_summary(res, "TRTDURM", months)


def test_t13_cycles_started_per_phase():
    res = build_t13(adsl(), t13_adex(), CUTOFF)
    # induction: six subjects 3 cycles, S07 1, S08 2 -> 21 cycles, mean 21 / 8 = 2.625
    _assert_summary(res, "NCYCLE", [3, 3, 3, 3, 3, 3, 1, 2], "INDUCTION")
    assert _get(res, "NCYCLE", "SUM", "INDUCTION") == 21
    # ASCT: S01-S06 one cycle each; SD 0
    _assert_summary(res, "NCYCLE", [1] * 6, "ASCT")
    assert _get(res, "NCYCLE", "SUM", "ASCT") == 6
    # maintenance: a subject's cycles are its largest NCYCLE there (S03: isatuximab's 14,
    # not dexamethasone's 12): 12, 6, 14, 2 -> 34, median (6 + 12) / 2 = 9
    _assert_summary(res, "NCYCLE", [12, 6, 14, 2], "MAINTENANCE")
    assert _get(res, "NCYCLE", "MEDIAN", "MAINTENANCE") == 9
    assert _get(res, "NCYCLE", "SUM", "MAINTENANCE") == 34
    assert list(dict.fromkeys(res.loc[res["PARAMCD"].eq("NCYCLE"), "GROUP1"])) == [
        "INDUCTION",
        "ASCT",
        "MAINTENANCE",
    ]


def test_t13_per_drug_and_phase_dosed_administrations_cumulative_dose():
    res = build_t13(adsl(), t13_adex(), CUTOFF)
    # the schedule's pairs, in the protocol's order; melphalan never in induction
    pairs = res.loc[~res["PARAMCD"].isin(["TRTDURM", "NCYCLE"]), ["PARAMCD", "GROUP1"]]
    assert list(dict.fromkeys(map(tuple, pairs.to_numpy()))) == [
        ("ISATUXIMAB", "INDUCTION"),
        ("ISATUXIMAB", "MAINTENANCE"),
        ("ISATUXIMAB", "ALL"),
        ("DEXAMETHASONE", "INDUCTION"),
        ("DEXAMETHASONE", "MAINTENANCE"),
        ("DEXAMETHASONE", "ALL"),
        ("MELPHALAN", "ASCT"),
        ("MELPHALAN", "ALL"),
    ]
    # isatuximab induction: all 8 safety subjects dosed (S09 not counted), 100%
    assert _get(res, "ISATUXIMAB", "n", "INDUCTION") == 8
    assert _get(res, "ISATUXIMAB", "N", "INDUCTION") == SAFETY_N
    assert _get(res, "ISATUXIMAB", "PCT", "INDUCTION") == 100
    # 6 x 8 + 3 + 6 = 57 administrations
    assert _get(res, "ISATUXIMAB", "SUM", "INDUCTION", "NADM") == 57
    _assert_summary(res, "ISATUXIMAB", [8] * 6 + [3, 6], "INDUCTION", "NADM")
    _assert_summary(res, "ISATUXIMAB", [80.0] * 6 + [30.0, 60.0], "INDUCTION", "CUMDOSE")
    # isatuximab in all: 57 + 65 = 122 administrations; S01 8 + 24 = 32, S03 8 + 26 = 34
    assert _get(res, "ISATUXIMAB", "SUM", "ALL", "NADM") == 122
    _assert_summary(res, "ISATUXIMAB", [32, 20, 34, 11, 8, 8, 3, 6], "ALL", "NADM")
    # dexamethasone maintenance: S04 skipped every dose, so not dosed: 3 of 8 = 37.5%
    assert _get(res, "DEXAMETHASONE", "n", "MAINTENANCE") == 3
    assert _get(res, "DEXAMETHASONE", "PCT", "MAINTENANCE") == pytest.approx(37.5)
    _assert_summary(res, "DEXAMETHASONE", [48, 24, 48], "MAINTENANCE", "NADM")
    _assert_summary(res, "DEXAMETHASONE", [960.0, 480.0, 960.0], "MAINTENANCE", "CUMDOSE")
    # melphalan: 6 of 8 = 75%; cumulative dose 5 x 200 + 140 = 1140, mean 190
    assert _get(res, "MELPHALAN", "PCT", "ASCT") == 75
    assert _get(res, "MELPHALAN", "MEAN", "ASCT", "CUMDOSE") == pytest.approx(190)
    _assert_summary(res, "MELPHALAN", [200.0] * 5 + [140.0], "ASCT", "CUMDOSE")


def test_t13_displays():
    res = build_t13(adsl(), t13_adex(), CUTOFF)
    first = display_t13(res)
    assert list(first.columns) == ["Exposure", "Safety (N = 8)"]
    cells = first["Safety (N = 8)"].tolist()
    # duration: median 213.5 / 30.4375 = 7.0144 -> 7.01; min 31 / 30.4375 = 1.018 -> 1.0;
    # max 731 / 30.4375 = 24.016 -> 24.0; mean 274.375 / 30.4375 = 9.0144 -> 9.01; SD
    # (statistics.stdev) 7.94544 -> 7.945
    assert cells[1:5] == ["8", "9.01 (7.945)", "7.01", "1.0-24.0"]
    # induction cycles (whole numbers: mean and median one decimal): mean 21 / 8 = 2.625 ->
    # 2.6, median 3.0, min-max 1-3, 21 cycles in all
    labels = first["Exposure"].tolist()
    ind = labels.index("Cycles started, Induction")
    assert cells[ind + 1] == "8" and cells[ind + 2].startswith("2.6 (")
    assert cells[ind + 3] == "3.0" and cells[ind + 4] == "1-3" and cells[ind + 5] == "21"
    drug = display_t13_drug(res).set_index(["Drug", "Phase"])
    row = drug.loc[("Dexamethasone (mg)", "Maintenance")]
    assert row["Subjects dosed, n (%)"] == "3 (37.5%)"
    assert row["Administrations, total"] == "120"
    assert row["Administrations, median (min-max)"] == "48.0 (24-48)"
    # (960 + 480 + 960) / 3 = 800.0; median 960.0
    assert row["Cumulative dose, mean (SD)"].startswith("800.0 (")
    assert row["Cumulative dose, median (min-max)"] == "960.0 (480-960)"
    mel = drug.loc[("Melphalan (mg/m2)", "ASCT")]
    assert mel["Subjects dosed, n (%)"] == "6 (75.0%)"


def test_t11_t13_footnotes_and_table_specs():
    t11 = next(s for s in TABLES if s.tableid == "T11")
    t13 = next(s for s in TABLES if s.tableid == "T13")
    assert t11.inputs == () and t13.inputs == ("adex",)
    note = t11.footnote(build_t11(adsl(), CUTOFF))
    assert note.startswith("ITT population, N = 9.")
    assert "Source: ADSL." in note and note.endswith("Data cut-off: 2026-03-31.")
    note = t13.footnote(build_t13(adsl(), t13_adex(), CUTOFF))
    assert note.startswith("Safety population, N = 8.")
    assert "Source: ADSL, ADEX." in note and note.endswith("Data cut-off: 2026-03-31.")
    # the tables are the same whatever the row order of their inputs
    pd.testing.assert_frame_equal(
        build_t13(adsl().iloc[::-1], t13_adex().iloc[::-1], CUTOFF),
        build_t13(adsl(), t13_adex(), CUTOFF),
    )
    pd.testing.assert_frame_equal(build_t11(adsl().iloc[::-1], CUTOFF), build_t11(adsl(), CUTOFF))
