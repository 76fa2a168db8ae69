"""Figures F01-F03 and the HTML report: drawn numbers equal hand-derived ones, output is
deterministic and self-contained. The Dagster assets that write both from a DuckDB file are
tested in tests/integration/test_figure_report_assets.py.

Hand derivations are in the comments beside each expected value.
"""

import base64
import json
import re
from dataclasses import replace
from datetime import date

import numpy as np
import pandas as pd
import pytest

from dagster_project.lib.reporting.figures import (
    DAYS_PER_MONTH,
    RISK_AXES_LABEL,
    cif_figure,
    km_figure,
    png_bytes,
    save_png,
    select_rows,
    swimmer_figure,
    swimmer_lanes,
    swimmer_pages,
    time_ticks,
)
from dagster_project.lib.reporting.report import (
    Check,
    FigureImage,
    ReportContext,
    Table,
    Transfer,
    checks_from_frame,
    render_report,
    transfers_from_frames,
    write_report,
)
from dagster_project.lib.stats import numbers_at_risk
from dagster_project.lib.warehouse.provenance import code_version
from tests.fixtures.swimmer_adam import swimmer_frames

# 10 subjects, months; events at 1, 2, 4, 5, 7, 8; censored at 3, 6, 9, 10.
# KM: S(1) = 9/10 = .9, S(2) = .9 * 8/9 = .8, S(4) = .8 * 6/7 = .6857, S(5) = * 5/6 = .5714,
# S(7) = * 3/4 = .4286 (first S <= .5: median 7), S(8) = * 2/3 = .2857.
KM_TIME = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
KM_EVENT = [1, 1, 0, 1, 1, 0, 1, 1, 0, 0]


def _line(fig, gid):
    lines = [ln for ax in fig.axes for ln in ax.get_lines() if ln.get_gid() == gid]
    assert len(lines) == 1, f"expected one line {gid!r}, found {len(lines)}"
    return lines[0]


def _risk_numbers(fig) -> dict[float, int]:
    (ax,) = [a for a in fig.axes if a.get_label() == RISK_AXES_LABEL]
    return {t.get_position()[0]: int(t.get_text()) for t in ax.texts if t.get_text().isdigit()}


def _legend_texts(fig) -> list[str]:
    return [t.get_text() for ax in fig.axes if ax.get_legend() for t in ax.get_legend().texts]


# ---------------------------------------------------------------------------------- F01


def test_km_numbers_at_risk_under_the_axis():
    fig = km_figure(KM_TIME, KM_EVENT, "PFS", "Months")
    shown = _risk_numbers(fig)
    # ticks every month 0..10 (10 months / step 1 = 10 ticks); at risk = count(time >= t)
    assert shown == {float(t): n for t, n in enumerate([10, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1])}
    assert tuple(shown.values()) == numbers_at_risk(KM_TIME, list(shown))


def test_km_median_marked_at_the_median_time():
    fig = km_figure(KM_TIME, KM_EVENT, "PFS", "Months")
    vertical = _line(fig, "median_vertical")
    assert list(vertical.get_xdata()) == [7.0, 7.0]
    assert list(vertical.get_ydata()) == [0.0, 0.5]
    assert list(_line(fig, "median_horizontal").get_xdata()) == [0.0, 7.0]
    assert any(t.startswith("Median 7.0 months (95% CI") for t in _legend_texts(fig))


def test_km_median_midpoint_rule_when_curve_sits_on_one_half():
    # 1, 2, 3, 4 all events: S = .75, .5, .25, 0; S = .5 on [2, 3) -> median (2 + 3) / 2
    fig = km_figure([1, 2, 3, 4], [1, 1, 1, 1], "OS", "Months")
    assert list(_line(fig, "median_vertical").get_xdata()) == [2.5, 2.5]


def test_km_median_label_rounds_half_away_from_zero():
    # 1, 1, 1.5, 1.8 months, all events: S = .5 on [1, 1.5) -> median 1.25, printed 1.3
    # (endpoints.md, Presentation; format() would print 1.2)
    fig = km_figure([1, 1, 1.5, 1.8], [1, 1, 1, 1], "OS", "Months")
    assert list(_line(fig, "median_vertical").get_xdata()) == [1.25, 1.25]
    assert any(t.startswith("Median 1.3 months (95% CI") for t in _legend_texts(fig))


def test_km_not_reached_median_says_so():
    # one event of 5: S never reaches .5
    fig = km_figure([1, 2, 3, 4, 5], [1, 0, 0, 0, 0], "OS", "Months")
    assert any(t.startswith("Median not reached") for t in _legend_texts(fig))
    assert not [ln for ax in fig.axes for ln in ax.get_lines() if ln.get_gid() == "median_vertical"]


def test_km_censoring_ticks_at_censored_times_on_the_curve():
    ticks = _line(km_figure(KM_TIME, KM_EVENT, "PFS", "Months"), "censoring_ticks")
    assert list(ticks.get_xdata()) == [3, 6, 9, 10]
    # S(3) = .8; S(6) = .8 * 6/7 * 5/6 = 4/7; S(9) = S(10) = 4/7 * 3/4 * 2/3 = 2/7
    assert np.allclose(ticks.get_ydata(), [0.8, 4 / 7, 2 / 7, 2 / 7])


def test_km_curve_and_counts_in_legend():
    fig = km_figure(KM_TIME, KM_EVENT, "PFS", "Months")
    assert "Kaplan-Meier estimate (N = 10, events = 6)" in _legend_texts(fig)
    assert "Censored (n = 4)" in _legend_texts(fig)
    curve = _line(fig, "km_curve")
    assert np.allclose(curve.get_ydata()[:3], [1.0, 0.9, 0.8])  # origin, S(1), S(2)


def test_png_is_deterministic_and_has_no_metadata(tmp_path):
    a = png_bytes(km_figure(KM_TIME, KM_EVENT, "PFS", "Months"))
    b = png_bytes(km_figure(KM_TIME, KM_EVENT, "PFS", "Months"))
    assert a == b
    assert a[:8] == b"\x89PNG\r\n\x1a\n"
    for chunk in (b"tEXt", b"iTXt", b"zTXt", b"tIME"):
        assert chunk not in a
    path = save_png(km_figure(KM_TIME, KM_EVENT, "PFS", "Months"), tmp_path / "f" / "km.png")
    assert path.read_bytes() == a
    assert not list(path.parent.glob("*.tmp"))


def test_time_ticks_use_clinical_steps():
    assert list(time_ticks(10)) == list(range(0, 11))  # 10 / 1 = 10 ticks
    assert list(time_ticks(30)) == [0, 3, 6, 9, 12, 15, 18, 21, 24, 27, 30]
    assert list(time_ticks(50)) == [0, 6, 12, 18, 24, 30, 36, 42, 48, 54]


def test_km_empty_population_renders():
    fig = km_figure([], [], "DOR", "Months")
    assert any("No subjects" in t.get_text() for ax in fig.axes for t in ax.texts)
    assert png_bytes(fig)


# ---------------------------------------------------------------------------------- F02


def test_cif_curves_are_aalen_johansen_by_hand():
    # cause 1 at 1 and 4, cause 2 at 2 and 5, censored at 3 and 6.
    # t=1: 6 at risk, F1 = 1/6, S = 5/6; t=2: F2 = 5/6 * 1/5 = 1/6, S = 4/6;
    # t=4: 3 at risk, F1 = 1/6 + 4/6 * 1/3 = 7/18, S = 4/9; t=5: F2 = 1/6 + 4/9 * 1/2 = 7/18.
    fig = cif_figure([1, 2, 3, 4, 5, 6], [1, 2, 0, 1, 2, 0], "F02", "Months")
    event, comp = _line(fig, "cif_event"), _line(fig, "cif_competing")
    assert list(event.get_xdata()) == [0, 1, 2, 3, 4, 5, 6]
    assert np.allclose(event.get_ydata(), [0, 1 / 6, 1 / 6, 1 / 6, 7 / 18, 7 / 18, 7 / 18])
    assert np.allclose(comp.get_ydata(), [0, 0, 1 / 6, 1 / 6, 1 / 6, 7 / 18, 7 / 18])
    assert _risk_numbers(fig) == {float(t): n for t, n in enumerate([6, 6, 5, 4, 3, 2, 1])}
    texts = _legend_texts(fig)
    assert any("(events = 2)" in t and "AE" in t for t in texts)
    assert "Censored: 2 of N = 6" in texts


def test_cif_png_is_deterministic():
    args = ([1, 2, 3, 4, 5, 6], [1, 2, 0, 1, 2, 0], "F02", "Months")
    assert png_bytes(cif_figure(*args)) == png_bytes(cif_figure(*args))


# ---------------------------------------------------------------------------------- F03


def test_swimmer_lanes_by_hand():
    lanes, n_itt = swimmer_lanes(*swimmer_frames())
    assert n_itt == 2 and [ln.usubjid for ln in lanes] == ["S-A", "S-B"]  # C not ITT
    m = DAYS_PER_MONTH
    a, b = lanes
    # A: 2024-01-01 + 14 d TRTSDT, + 105 d MELDT, + 166 d MNTSDT, + 366 d last alive (leap)
    assert a.end == pytest.approx(366 / m)
    assert [(p, round(x * m), round(y * m)) for p, x, y in a.segments] == [
        ("Screening", 0, 14),
        ("Induction", 14, 105),
        ("ASCT", 105, 166),
        ("Maintenance", 166, 366),
    ]
    # PR 2024-02-01 (31 d), CR 2024-05-01 (121 d), sCR 2024-07-01 (182 d)
    assert [(lv, round(x * m)) for lv, x in a.responses] == [("PR", 31), ("CR", 121), ("SCR", 182)]
    assert [round(x * m) for x in a.mrd_negative] == [182]
    assert a.ongoing and a.progression is None and a.death is None
    # B: ICF 2024-02-01; TRTSDT +9 d, EOTDT +90 d, PDDT +79 d, DTHDT +121 d
    assert [(p, round(x * m), round(y * m)) for p, x, y in b.segments] == [
        ("Screening", 0, 9),
        ("Induction", 9, 90),
        ("Follow-up off treatment", 90, 121),
    ]
    assert [(lv, round(x * m)) for lv, x in b.responses] == [("VGPR", 29)]
    assert round(b.progression * m) == 79 and round(b.death * m) == 121
    assert not b.ongoing


def test_swimmer_figure_markers():
    fig = swimmer_figure(*swimmer_frames(), "F03")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["101", "102"]
    assert list(_line(fig, "response_SCR").get_xdata()) == pytest.approx([182 / DAYS_PER_MONTH])
    assert list(_line(fig, "death").get_ydata()) == [1]  # second lane
    assert list(_line(fig, "ongoing").get_ydata()) == [0]
    assert png_bytes(fig) == png_bytes(swimmer_figure(*swimmer_frames(), "F03"))


def test_select_rows_even_and_keeps_extremes():
    assert list(select_rows(10, 4)) == [0, 3, 6, 9]  # linspace(0, 9, 4)
    assert list(select_rows(5, 10)) == [0, 1, 2, 3, 4]


def _many_subjects(n: int) -> pd.DataFrame:
    """ADSL of n ITT subjects, subject i on study 10 + i days (so the longest is the last)."""
    icf = pd.Timestamp("2024-01-01")
    return pd.DataFrame(
        {
            "USUBJID": [f"S{i:04d}" for i in range(n)],
            "SUBJID": [f"{i:04d}" for i in range(n)],
            "ITTFL": "Y",
            "ICFDT": icf,
            "TRTSDT": icf + pd.Timedelta(days=7),
            "LSTALVDT": icf + pd.to_timedelta(np.arange(n) + 10, "D"),
            "CUTOFFDT": pd.Timestamp("2027-01-01"),
        }
    )


def test_swimmer_subsamples_thousands_with_a_note():
    adrs = pd.DataFrame(columns=["USUBJID", "PARAMCD", "AVALC", "ADT"])
    fig = swimmer_figure(_many_subjects(1000), adrs, "F03", max_subjects=50)
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert len(labels) == 50
    assert labels[0] == "0999" and labels[-1] == "0000"  # longest and shortest kept
    assert any("Showing 50 of 1,000 ITT subjects" in t.get_text() for t in fig.axes[0].texts)


def test_swimmer_pages_split_the_lanes_in_order_on_one_time_axis():
    """45 subjects, 20 to a page: parts of 20, 20 and 5 lanes, together the lanes of the whole
    plot in its order (longest first), each part saying which it shows, all on the whole
    plot's time axis (the longest lane's), so bars compare across parts."""
    adrs = pd.DataFrame(columns=["USUBJID", "PARAMCD", "AVALC", "ADT"])
    adsl = _many_subjects(45)
    whole = swimmer_figure(adsl, adrs, "F03")
    parts = swimmer_pages(adsl, adrs, "F03", per_page=20)
    labels = [[t.get_text() for t in f.axes[0].get_yticklabels()] for f in parts]
    assert [len(x) for x in labels] == [20, 20, 5]
    assert sum(labels, []) == [t.get_text() for t in whole.axes[0].get_yticklabels()]
    assert {f.axes[0].get_xlim() for f in parts} == {whole.axes[0].get_xlim()}
    notes = [" ".join(t.get_text() for t in f.axes[0].texts) for f in parts]
    assert "Subjects 21-40 of the 45 shown" in notes[1] and "(part 2 of 3)" in notes[1]
    # a part is sized by its lanes: 20 lanes of the full parts fit a printed page
    assert parts[0].get_size_inches()[1] == pytest.approx(0.16 * 20 + 2.6)
    # up to per_page subjects: one figure, the whole plot
    (single,) = swimmer_pages(_many_subjects(20), adrs, "F03", per_page=20)
    assert png_bytes(single) == png_bytes(swimmer_figure(_many_subjects(20), adrs, "F03"))


# ---------------------------------------------------------------------------------- report

MANIFEST_SHA = "a" * 63 + "1"
FILE_SHA = "b" * 63 + "2"


CHECKS = (
    Check("adsl_unique_usubjid", "pass"),
    Check("adae_grade_range", "fail", "3 rows grade 6", "adam.adae"),
)


def _context(checks=CHECKS):
    png = png_bytes(km_figure(KM_TIME, KM_EVENT, "PFS", "Months"))
    t01 = pd.DataFrame({"Parameter": ["MRD negativity <script>"], "n/N (%)": ["30/60 (50.0%)"]})
    return ReportContext(
        study="ISA-DEX-MM",
        cutoff=date(2026, 3, 31),
        code_version="git e0f47fe (isadex 0.1.0)",
        transfers=[
            Transfer(
                "S01-T003",
                "01",
                "2026-03-31 08:00:00",
                "LOADED",
                True,
                MANIFEST_SHA,
                {"dm.csv": FILE_SHA},
            ),
            Transfer(
                "S01-T003",
                "01",
                "2026-04-02 08:00:00",
                "REFUSED",
                False,
                "c" * 64,
                reason="different content under a loaded id",
            ),
        ],  # fmt: skip
        checks=None if checks is None else list(checks),
        tables=[
            Table.from_frame("T01", "Primary endpoint", t01),
            Table("T02", "Response by phase", missing="endpoints.t02 does not exist"),
        ],
        figures=[
            FigureImage("F01 PFS", "Kaplan-Meier: PFS", png, "caption text"),
            FigureImage("F03", "Swimmer", missing="f03_swimmer.png was not written"),
        ],
    )


def test_report_first_page_has_cutoff_transfers_version_validation():
    html = render_report(_context())
    assert "2026-03-31" in html
    assert MANIFEST_SHA in html and FILE_SHA in html
    assert "git e0f47fe (isadex 0.1.0)" in html
    assert "adae_grade_range" in html and "3 rows grade 6" in html
    # order: first page (transfers, validation), then tables, then figures
    pos = [html.index(s) for s in ('id="transfers"', 'id="validation"', 'id="t01"', 'id="f01 pfs"')]
    assert pos == sorted(pos)
    # the refused re-delivery is listed apart from the transfers in force
    assert html.index("different content under a loaded id") > html.index("Other deliveries")


def test_report_tables_figures_and_missing_notes():
    html = render_report(_context())
    assert "30/60 (50.0%)" in html
    assert "MRD negativity &lt;script&gt;" in html  # cells are escaped
    assert "T02 is not available in this report: endpoints.t02 does not exist" in html
    assert "F03 is not available in this report" in html
    png = png_bytes(km_figure(KM_TIME, KM_EVENT, "PFS", "Months"))
    (src,) = re.findall(r'<img src="data:image/png;base64,([^"]+)"', html)
    assert base64.b64decode(src) == png


def test_report_keeps_sub_row_indentation_as_padding():
    # display tables indent a PT under its SOC with two spaces; HTML would collapse them
    frame = pd.DataFrame(
        {"SOC / PT": ["Infections", "  Pneumonia"], "Any grade": ["3 (5.0%)", "2 (3.3%)"]}
    )
    table = Table.from_frame("T07", "AEs", frame)
    assert table.label_columns == (True, False)
    ctx = _context()
    html = render_report(
        ReportContext(**{**ctx.__dict__, "tables": [table]})  # same report, this table only
    )
    assert '<td class="label" style="padding-left: 24px">Pneumonia</td>' in html
    assert '<td class="label">Infections</td>' in html


def test_report_is_self_contained():
    html = render_report(_context())
    for attr, value in re.findall(r'\b(src|href)\s*=\s*"([^"]*)"', html):
        if attr == "src":
            assert value.startswith("data:image/png;base64,"), value
        else:
            assert value.startswith("#"), value
    assert "<link" not in html and "@import" not in html and "url(" not in html
    assert "<script" not in html


def test_report_without_validation_results_says_so():
    html = render_report(_context(checks=None))
    assert "validation results not recorded" in html.lower()
    assert "badge pass" not in html


def test_report_is_deterministic_and_written_with_index(tmp_path):
    html = render_report(_context())
    assert html == render_report(_context())
    path = write_report(html, tmp_path / "report", date(2026, 3, 31))
    assert path.name == "report_20260331.html"
    assert path.read_text() == html == (tmp_path / "report" / "index.html").read_text()


def test_a_cuts_report_folder_holds_its_own_dated_report_only(tmp_path):
    """The report folder is published whole with its cut: a cut of 2026-10-21 carried
    report_20261031.html from an earlier run of another cut-off (found by testing the
    operations contract)."""
    folder = tmp_path / "report"
    write_report("<p>31 Oct</p>", folder, date(2026, 10, 31))
    (folder / "quality.html").write_text("kept")
    write_report("<p>21 Oct</p>", folder, date(2026, 10, 21))
    assert sorted(p.name for p in folder.iterdir()) == [
        "index.html",
        "quality.html",
        "report_20261021.html",
    ]


def test_checks_from_frame_maps_outcomes_and_never_passes_unknown():
    frame = pd.DataFrame(
        {
            "CHECK_NAME": ["a", "b", "c", "d"],
            "STATUS": ["PASSED", "WARN", "FAILED", "SKIPPED"],
            "ASSET_KEY": ["adam/adsl"] * 4,
            "MESSAGE": [None, "late", "bad", None],
        }
    )
    checks = checks_from_frame(frame)
    assert [(c.name, c.outcome) for c in checks] == [
        ("a", "pass"),
        ("b", "warn"),
        ("c", "fail"),
        ("d", "warn"),
    ]
    assert "SKIPPED" in checks[3].detail and checks[0].target == "adam/adsl"
    # PASSED boolean + SEVERITY: a failed WARN-severity check is a warning, ERROR a failure
    frame = pd.DataFrame(
        {
            "DATASET": ["adsl", "adae", "adae"],
            "CHECK": ["keys", "grades", "dates"],
            "PASSED": [True, False, False],
            "SEVERITY": ["ERROR", "WARN", "ERROR"],
        }
    )
    assert [(c.name, c.outcome, c.target) for c in checks_from_frame(frame)] == [
        ("keys", "pass", "adsl"),
        ("grades", "warn", "adae"),
        ("dates", "fail", "adae"),
    ]
    with pytest.raises(ValueError):
        Check("x", "ok")


def test_transfers_from_frames_in_force_only_when_loaded():
    frame = pd.DataFrame(
        {
            "TRANSFER_ID": ["T1", "T1", "T2"],
            "DELIVERY": ["d1", "d1b", "d2"],
            "SITEID": ["01", "01", "02"],
            "EXTRACT_DATETIME": pd.to_datetime(
                ["2026-01-01 10:00", "2026-01-02 00:00", "2026-01-03 00:00"]
            ),
            "STATUS": ["LOADED", "REFUSED", "LOADED"],
            "REASON": [None, "content differs", None],
            "MANIFEST_SHA256": ["m1", "m1b", "m2"],
            "FILES_SHA256": [json.dumps({"dm.csv": "f1"}), None, json.dumps({"dm.csv": "f2"})],
        }
    )
    out = transfers_from_frames(frame, ["T1"])
    assert [(t.transfer_id, t.status, t.in_force) for t in out] == [
        ("T1", "LOADED", True),
        ("T1", "REFUSED", False),
        ("T2", "LOADED", False),
    ]
    assert out[0].files_sha256 == {"dm.csv": "f1"} and out[1].files_sha256 == {}
    assert out[0].extract_datetime == "2026-01-01 10:00:00"


def test_code_version_names_git_or_package():
    version = code_version()
    assert version.startswith("git ") or version.startswith("isadex ")


def test_report_shows_data_quality_findings_per_site():
    findings = pd.DataFrame(
        {
            "SITEID": ["FA14"],
            "USUBJID": ["ISA-DEX-MM-FA14-001"],
            "FORM": ["dth"],
            "RULE": ["DEATH_BEFORE_CONSENT"],
            "SEVERITY": ["CRITICAL"],
            "DETAIL": ["death 2024-12-01 before consent 2025-01-11"],
            "FIRST_SEEN_TRANSFER": ["FA14_20260331T0800"],
        }
    )
    by_site = pd.DataFrame({"SITEID": ["FA14", "IT01"], "FINDINGS": [1, 0]})
    ctx = ReportContext(
        **{
            **_context().__dict__,
            "findings_by_site": Table.from_frame("QF1", "Findings by site", by_site),
            "findings": Table.from_frame("QF2", "Findings", findings),
        }
    )
    html = render_report(ctx)
    assert "Data-quality findings" in html
    assert "DEATH_BEFORE_CONSENT" in html and "FA14_20260331T0800" in html
    assert "Findings by site" in html


def test_report_says_when_findings_were_not_recorded():
    assert "Findings were not recorded for this run" in render_report(_context())


def test_report_tables_show_their_footnote_and_leave_out_empty_columns():
    """The report's endpoint tables as rendered from endpoints.* (defs/endpoints/report.py):
    T03 of the hand-built ADaM (tests/unit/test_endpoint_tables.py) has OS followed to 29.6
    months, so its 36, 48 and 60-month rate columns are NE in every row: not printed, named
    in the footnote, which also gives the ITT N (9) and the cut-off from CUTOFFDT."""
    import duckdb

    from dagster_project.defs.endpoints.report import _display_tables
    from dagster_project.lib.endpoints import build_t03, display_t03
    from tests.fixtures.endpoint_adam import CUTOFF, adsl, t03_adtte

    results = build_t03(adsl(), t03_adtte(), CUTOFF)
    display = display_t03(results)
    con = duckdb.connect()
    con.execute("create schema endpoints")
    con.execute("create table endpoints.t03_results as select * from results")
    con.execute("create table endpoints.t03 as select * from display")
    tables, missing = _display_tables(con)
    (t03,) = [t for t in tables if t.id == "T03"]
    gone = [f"{t}-month rate, % (95% CI)" for t in (36, 48, 60)]
    assert t03.columns == tuple(c for c in display.columns if c not in gone)
    assert t03.footnote.startswith("ITT population, N = 9.")
    assert "Data cut-off: 2026-03-31." in t03.footnote
    assert t03.footnote.endswith(
        "Not shown, not estimable for any row at this cut-off: " + "; ".join(gone) + "."
    )
    assert "T01" in missing  # not written here: a note, as before
    ctx = _context()
    html = render_report(ReportContext(**{**ctx.__dict__, "tables": [t03]}))
    assert "ITT population, N = 9." in html
    assert "<th>24-month rate, % (95% CI)</th>" in html
    assert "<th>36-month rate, % (95% CI)</th>" not in html


def test_report_prints_a_figure_in_parts_and_tables_with_caption_and_footnote():
    """A figure in parts is one figure per part, each with the title, the part and the caption;
    a table carries its caption in its head and its footnote in its foot (print repeats both
    on every page a long table runs over; the screen shows the h3 and the note)."""
    png = png_bytes(km_figure(KM_TIME, KM_EVENT, "PFS", "Months"))
    t01 = Table.from_frame(
        "T01", "Primary endpoint", pd.DataFrame({"Parameter": ["MRD"], "n": ["1"]}), "Note 1."
    )
    context = ReportContext(
        study="S",
        cutoff=date(2026, 3, 31),
        code_version="v",
        transfers=[],
        checks=None,
        tables=[t01],
        figures=[FigureImage("F03", "Swimmer", png, "Swimmer caption.", continued=(png, png))],
    )
    html = render_report(context)
    assert [f"F03. Swimmer (part {i} of 3)" in html for i in (1, 2, 3)] == [True] * 3
    assert re.findall(r'<figure id="([^"]+)"', html) == ["f03", "f03-2", "f03-3"]
    assert html.count("<figcaption>Swimmer caption.</figcaption>") == 3
    assert html.count("data:image/png;base64,") == 3
    head = html[html.index('<section class="tbl" id="t01">') :]
    assert (
        '<tr class="print-caption"><th colspan="2"><div class="fit">T01. Primary endpoint' in head
    )
    assert '<tfoot class="print-footnote"><tr><td colspan="2"><div class="fit">Note 1.' in head
    assert '<p class="note">Note 1.</p>' in head  # on screen
    assert "@page { size: A4 landscape" in html and "@media print" in html


def test_report_links_the_submission_package_with_define_xml():
    files = ["submission/adsl.xpt", "submission/define.xml"]
    html = render_report(replace(_context(), submission_files=files))
    assert '<a href="#submission">Submission package</a>' in html
    assert '<a href="submission/define.xml">submission/define.xml</a>' in html
    assert '<a href="submission/adsl.xpt">' in html
    assert 'id="submission"' not in render_report(_context())  # no package, no section
