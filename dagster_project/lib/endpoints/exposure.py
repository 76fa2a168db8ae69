"""T08 (dose reductions), T10 (relative dose intensity) and T13 (exposure), safety population,
from ADEX (and ADSL's TRTSDT / TRTEDT for T13's duration of treatment).

ADEX is a BDS dataset (submission.md): one row per subject x drug (PARCAT1) x phase (APHASE,
with the drug's totals APHASE = ALL) x parameter (PARAMCD, value in AVAL): CUMDOSE, PLDOSE, RDI
(a fraction: actual / planned cumulative dose over the started cycles), NADM, NRED, NSKIP, DURD,
NCYCLE; and a PARAMCD = REDCAUS row per cause of the reductions (AVALC). The tables read the
parameters side by side (:func:`parameters`), one row per subject x drug x phase as before.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from .results import (
    DAYS_PER_MONTH,
    NE,
    Lookup,
    Row,
    as_dates,
    fmt_int,
    fmt_n_pct,
    fmt_num,
    footnote,
    population,
    proportion_rows,
    summary_cells,
    summary_rows,
    to_frame,
)

DRUGS = ["ISATUXIMAB", "DEXAMETHASONE", "MELPHALAN"]
PHASES = ["INDUCTION", "ASCT", "MAINTENANCE", "ALL"]
# the protocol schedule: the phases in which each drug is given (adam.md, ADEX)
SCHEDULED = {
    "ISATUXIMAB": ["INDUCTION", "MAINTENANCE", "ALL"],
    "DEXAMETHASONE": ["INDUCTION", "MAINTENANCE", "ALL"],
    "MELPHALAN": ["ASCT", "ALL"],
}
CAUSES = ["ADVERSE EVENT", "OTHER", "UNKNOWN"]
KEY = ["USUBJID", "PARCAT1", "APHASE"]  # ADEX's subject x drug x phase
# the ADEX parameters each table reads (TableSpec.params: the endpoint step reads only these)
T08_PARAMS = ("NRED", "REDCAUS")
T10_PARAMS = ("RDI",)
T13_PARAMS = ("NCYCLE", "NADM", "CUMDOSE")
ANY_REDUCTION = ""  # GROUP1 of the "any reduction" row

# RDI bands; the comparison allows 1e-9 so that an RDI of exactly 90% or 80% computed in
# floating point (e.g. 0.8999999999999999) falls in the band the protocol means.
BANDS = {">=90%": "RDI >= 90%", "80-<90%": "RDI 80% to < 90%", "<80%": "RDI < 80%"}
_EPS = 1e-9


def _order(values: list[str], preferred: list[str]) -> list[str]:
    return [v for v in preferred if v in values] + sorted(set(values) - set(preferred))


def _exposure(adsl: pd.DataFrame, adex: pd.DataFrame) -> tuple[pd.Index, pd.DataFrame]:
    saf = population(adsl, "SAFFL")
    ex = adex.loc[adex["USUBJID"].isin(saf)].copy()
    ex["USUBJID"] = ex["USUBJID"].astype(str)
    return saf, ex


def parameters(ex: pd.DataFrame, *paramcds: str) -> pd.DataFrame:
    """ADEX's numeric parameters ``paramcds`` side by side: one row per subject x drug
    (PARCAT1) x phase having any of them, KEY and a float column per PARAMCD holding its AVAL
    (NaN where that parameter has no row, e.g. RDI when nothing was planned)."""
    rows = ex.loc[ex["PARAMCD"].isin(paramcds), [*KEY, "PARAMCD", "AVAL"]]
    twice = rows.duplicated([*KEY, "PARAMCD"])
    if twice.any():
        first = rows.loc[twice].iloc[0]
        raise ValueError(
            f"ADEX {first['PARCAT1']} {first['APHASE']} {first['PARAMCD']}: "
            "more than one row per subject"
        )
    if rows.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in KEY}).assign(
            **{p: pd.Series(dtype=float) for p in paramcds}
        )
    wide = rows.assign(AVAL=rows["AVAL"].astype(float)).pivot(
        index=KEY, columns="PARAMCD", values="AVAL"
    )
    wide = wide.reindex(columns=list(paramcds)).reset_index()
    wide.columns.name = None
    return wide


def _causes(ex: pd.DataFrame, reduced: pd.DataFrame) -> pd.DataFrame:
    """The causes of each reduced subject x drug x phase (``reduced``, KEY): its REDCAUS rows'
    AVALC, or UNKNOWN when it has none or an empty one (adam.md: an empty EXADJ is UNKNOWN)."""
    causes = ex.loc[ex["PARAMCD"].eq("REDCAUS"), [*KEY, "AVALC"]]
    causes = reduced[KEY].merge(causes, on=KEY, how="left")
    text = causes["AVALC"].astype(object).where(causes["AVALC"].notna(), "")
    causes["CAUSE"] = text.map(lambda value: str(value).strip() or "UNKNOWN")
    return causes


def build_t08(adsl: pd.DataFrame, adex: pd.DataFrame, cutoff: date) -> pd.DataFrame:
    """T08 tidy rows: PARAMCD = drug; GROUP1 '' (any reduction) or the cause (ADVERSE EVENT,
    OTHER, UNKNOWN, then any other cause found); n, N, PCT with N = the safety population.
    The protocol's three drugs are always present.
    A subject is reduced for a drug when a phase of it has NRED > 0 (the wide layout's REDFL
    = Y); it is counted once per drug, and once under each cause (REDCAUS) of its reductions
    (so the causes may add up to more than the any-reduction row)."""
    saf, ex = _exposure(adsl, adex)
    N = len(saf)
    counts = parameters(ex, "NRED")
    reduced = counts.loc[counts["NRED"].fillna(0).gt(0)]
    causes = _causes(ex, reduced)
    rows: list[Row] = []
    drugs = set(DRUGS) | set(ex["PARCAT1"].dropna())
    for drug in _order(list(drugs), DRUGS):
        mine = reduced.loc[reduced["PARCAT1"].eq(drug)]
        rows += proportion_rows("T08", drug, mine["USUBJID"].nunique(), N, ANY_REDUCTION, ci=False)
        by_cause: dict[str, set[str]] = {cause: set() for cause in CAUSES}
        for subject, cause in causes.loc[
            causes["PARCAT1"].eq(drug), ["USUBJID", "CAUSE"]
        ].itertuples(index=False):
            by_cause.setdefault(cause, set()).add(subject)
        for cause in _order(list(by_cause), CAUSES):
            rows += proportion_rows("T08", drug, len(by_cause[cause]), N, cause, ci=False)
    return to_frame(rows, cutoff)


def rdi_band(rdi: float) -> str:
    """The protocol's RDI band of a fraction."""
    if rdi >= 0.9 - _EPS:
        return ">=90%"
    if rdi >= 0.8 - _EPS:
        return "80-<90%"
    return "<80%"


def build_t10(adsl: pd.DataFrame, adex: pd.DataFrame, cutoff: date) -> pd.DataFrame:
    """T10 tidy rows: PARAMCD = drug, GROUP1 = phase (INDUCTION, ASCT, MAINTENANCE, ALL).
    GROUP2 '': N (safety subjects with an RDI for that drug and phase), MEDIAN, MIN, MAX of
    RDI (fractions); GROUP2 = band (>=90%, 80-<90%, <80%): n, N, PCT. The drug x phase
    pairs of the protocol schedule are always present (N = 0 when nobody has reached them)."""
    saf, ex = _exposure(adsl, adex)
    ex = parameters(ex, "RDI")
    ex = ex.loc[ex["RDI"].notna()]
    present = {(d, p) for d, p in ex[["PARCAT1", "APHASE"]].itertuples(index=False)}
    pairs = {(d, p) for d, phases in SCHEDULED.items() for p in phases} | present
    # one pass over ADEX instead of a scan per drug x phase (rows keep their order)
    by_pair = dict(tuple(ex.groupby(["PARCAT1", "APHASE"], sort=False)))
    rows: list[Row] = []
    for drug in _order([d for d, _ in pairs], DRUGS):
        for phase in _order([p for d, p in pairs if d == drug], PHASES):
            mine = by_pair.get((drug, phase), ex.iloc[0:0])
            rdi = mine["RDI"].astype(float).to_numpy()
            empty = rdi.size == 0
            rows += [
                Row("T10", drug, "N", rdi.size, phase),
                Row("T10", drug, "MEDIAN", None if empty else float(np.median(rdi)), phase),
                Row("T10", drug, "MIN", None if empty else float(rdi.min()), phase),
                Row("T10", drug, "MAX", None if empty else float(rdi.max()), phase),
            ]
            bands = [rdi_band(x) for x in rdi]
            for band in BANDS:
                rows += proportion_rows(
                    "T10", drug, bands.count(band), rdi.size, phase, band, ci=False
                )
    return to_frame(rows, cutoff)


def display_t08(results: pd.DataFrame) -> pd.DataFrame:
    """T08 as printed: per drug, subjects with >= 1 reduction, then by cause (indented)."""
    lk = Lookup(results, "T08")
    out = []
    N = None
    for drug in lk.paramcds():
        N = lk.get(drug, "N", ANY_REDUCTION)
        for cause in lk.groups1(drug):
            label = (
                "Subjects with >= 1 dose reduction" if cause == "" else f"  {cause.capitalize()}"
            )
            out.append(
                {
                    "Drug": drug.capitalize() if cause == "" else "",
                    "Dose reduction, cause": label,
                    "n (%)": fmt_n_pct(lk.get(drug, "n", cause), lk.get(drug, "PCT", cause)),
                }
            )
    col = f"n (%), N = {fmt_int(N)}"
    frame = pd.DataFrame(out, columns=["Drug", "Dose reduction, cause", "n (%)"])
    return frame.rename(columns={"n (%)": col})


def display_t10(results: pd.DataFrame) -> pd.DataFrame:
    """T10 as printed: per drug and phase, N, median (min-max) RDI in %, and the bands."""
    lk = Lookup(results, "T10")
    columns = ["Drug", "Phase", "N", "RDI %, median (min-max)", *BANDS.values()]
    out = []
    for drug in lk.paramcds():
        for phase in lk.groups1(drug):
            med = lk.get(drug, "MEDIAN", phase)
            rdi = (
                NE
                if med is None
                else f"{fmt_num(100 * med)} ({fmt_num(100 * lk.get(drug, 'MIN', phase))}-"
                f"{fmt_num(100 * lk.get(drug, 'MAX', phase))})"
            )
            row = {
                "Drug": drug.capitalize(),
                "Phase": phase.capitalize() if phase != "ASCT" else "ASCT",
                "N": fmt_int(lk.get(drug, "N", phase)),
                "RDI %, median (min-max)": rdi,
            }
            for band, label in BANDS.items():
                row[label] = fmt_n_pct(
                    lk.get(drug, "n", phase, band), lk.get(drug, "PCT", phase, band)
                )
            out.append(row)
    return pd.DataFrame(out, columns=columns)


def footnote_t08(results: pd.DataFrame) -> str:
    """T08's footnote: safety N, counting rules, sources, cut-off."""
    lk = Lookup(results, "T08")
    first = next(iter(lk.paramcds()), None)
    return footnote(
        results,
        "Safety population",
        None if first is None else lk.get(first, "N", ANY_REDUCTION),
        [
            "Subjects with at least one dose reduction of the drug (NRED > 0), counted once "
            "per drug and once under each cause of its reductions (the causes may add up to "
            "more); percentages of N.",
        ],
        ["ADSL", "ADEX"],
    )


def footnote_t10(results: pd.DataFrame) -> str:
    """T10's footnote: the population (N per row), RDI, sources, cut-off."""
    return footnote(
        results,
        "Safety population; N per drug and phase: the subjects with an RDI for it",
        None,
        [
            "RDI: actual / planned cumulative dose over the cycles started, median (min-max) "
            "in %; subjects by RDI band, percentages of the row's N.",
        ],
        ["ADSL", "ADEX"],
    )


# ---------------------------------------------------------------------------- T13

# the unit of CUMDOSE (ADEX AVALU), the protocol schedule's: printed beside the dose
DOSE_UNITS = {"ISATUXIMAB": "mg/kg", "DEXAMETHASONE": "mg", "MELPHALAN": "mg/m2"}
TREATMENT_DURATION = "TRTDURM"  # PARAMCD of the duration of treatment, months
CYCLES = "NCYCLE"  # PARAMCD of the cycles started, GROUP1 the phase
DOSED = ""  # GROUP2 of the subjects-dosed rows of a drug and phase


def build_t13(adsl: pd.DataFrame, adex: pd.DataFrame, cutoff: date) -> pd.DataFrame:
    """T13 tidy rows over the safety population (N = its size).

    - PARAMCD TRTDURM: duration of treatment (TRTEDT - TRTSDT + 1) / 30.4375 months: N,
      MEAN, SD, MEDIAN, MIN, MAX.
    - PARAMCD NCYCLE, GROUP1 = phase (INDUCTION, ASCT, MAINTENANCE): cycles started per
      subject among those who started one in the phase; a subject's cycles of a phase are the
      largest NCYCLE of its drugs there (NCYCLE counts the started cycles in which the drug is
      scheduled, and in every phase one drug is scheduled in all of them): N, MEAN, SD,
      MEDIAN, MIN, MAX and SUM (cycles started in all).
    - PARAMCD = drug, GROUP1 = phase (with ALL, the drug's total): GROUP2 '' the subjects
      dosed (NADM > 0) n, N, PCT; GROUP2 NADM administrations given per dosed subject and
      GROUP2 CUMDOSE the actual cumulative dose (DOSE_UNITS) per dosed subject, each N, MEAN,
      SD, MEDIAN, MIN, MAX (NADM also SUM). The schedule's drug x phase pairs are always
      present.
    """
    saf, ex = _exposure(adsl, adex)
    N = len(saf)
    subjects = adsl.assign(USUBJID=adsl["USUBJID"].astype(str)).set_index("USUBJID")
    subjects = subjects.loc[list(saf)]
    days = (as_dates(subjects["TRTEDT"]) - as_dates(subjects["TRTSDT"])).dt.days + 1
    rows: list[Row] = summary_rows("T13", TREATMENT_DURATION, days / DAYS_PER_MONTH)

    ex = parameters(ex, *T13_PARAMS)
    by_phase = ex.loc[ex["APHASE"].ne("ALL") & ex["NCYCLE"].fillna(0).gt(0)]
    cycles = by_phase.groupby(["APHASE", "USUBJID"])["NCYCLE"].max()
    phases = set(by_phase["APHASE"]) | {p for p in PHASES if p != "ALL"}
    for phase in _order(list(phases), PHASES):
        mine = cycles.loc[phase] if phase in cycles.index.get_level_values(0) else []
        rows += summary_rows("T13", CYCLES, mine, phase, total=True)

    present = {(d, p) for d, p in ex[["PARCAT1", "APHASE"]].itertuples(index=False)}
    pairs = {(d, p) for d, phases in SCHEDULED.items() for p in phases} | present
    grouped = dict(tuple(ex.groupby(["PARCAT1", "APHASE"], sort=False)))
    for drug in _order([d for d, _ in pairs], DRUGS):
        for phase in _order([p for d, p in pairs if d == drug], PHASES):
            mine = grouped.get((drug, phase), ex.iloc[0:0])
            dosed = mine.loc[mine["NADM"].fillna(0).gt(0)]
            rows += proportion_rows("T13", drug, len(dosed), N, phase, DOSED, ci=False)
            rows += summary_rows("T13", drug, dosed["NADM"], phase, "NADM", total=True)
            rows += summary_rows("T13", drug, dosed["CUMDOSE"], phase, "CUMDOSE")
    return to_frame(rows, cutoff)


def _safety_n(lk: Lookup) -> float | None:
    """The safety N of T13's rows: N of a subjects-dosed row (every one carries it)."""
    return next(
        (lk.get(d, "N", p, DOSED) for d in DRUGS for p in lk.groups1(d) if lk.has(d, "N", p)),
        None,
    )


def _phase_label(phase: str) -> str:
    return phase if phase == "ASCT" else phase.capitalize()


def display_t13(results: pd.DataFrame) -> pd.DataFrame:
    """T13 as printed, first part: duration of treatment and cycles started per phase,
    n, mean (SD), median, min-max (and the cycles started in all)."""
    lk = Lookup(results, "T13")
    column = f"Safety (N = {fmt_int(_safety_n(lk))})"
    out: list[dict[str, str]] = [{"Exposure": "Duration of treatment (months)", column: ""}]
    out += [
        {"Exposure": f"  {stat}", column: text}
        for stat, text in summary_cells(lk, TREATMENT_DURATION, 1)
    ]
    for phase in lk.groups1(CYCLES):
        out.append({"Exposure": f"Cycles started, {_phase_label(phase)}", column: ""})
        out += [
            {"Exposure": f"  {stat}", column: text}
            for stat, text in summary_cells(lk, CYCLES, 0, phase)
        ]
        out.append({"Exposure": "  Total", column: fmt_int(lk.get(CYCLES, "SUM", phase))})
    return pd.DataFrame(out, columns=["Exposure", column])


def display_t13_drug(results: pd.DataFrame) -> pd.DataFrame:
    """T13 as printed, second part: per drug and phase, subjects dosed n (%), administrations
    (total; median (min-max) per dosed subject) and cumulative dose (mean (SD); median
    (min-max) per dosed subject, in the schedule's unit)."""
    lk = Lookup(results, "T13")
    columns = [
        "Drug",
        "Phase",
        "Subjects dosed, n (%)",
        "Administrations, total",
        "Administrations, median (min-max)",
        "Cumulative dose, mean (SD)",
        "Cumulative dose, median (min-max)",
    ]
    out = []
    for drug in [d for d in lk.paramcds() if d not in (TREATMENT_DURATION, CYCLES)]:
        unit = DOSE_UNITS.get(drug, "")
        for phase in lk.groups1(drug):
            adm = dict(summary_cells(lk, drug, 0, phase, "NADM"))
            dose = dict(summary_cells(lk, drug, 0, phase, "CUMDOSE"))
            out.append(
                {
                    "Drug": f"{drug.capitalize()} ({unit})" if unit else drug.capitalize(),
                    "Phase": _phase_label(phase),
                    "Subjects dosed, n (%)": fmt_n_pct(
                        lk.get(drug, "n", phase, DOSED), lk.get(drug, "PCT", phase, DOSED)
                    ),
                    "Administrations, total": fmt_int(lk.get(drug, "SUM", phase, "NADM")),
                    "Administrations, median (min-max)": f"{adm['Median']} ({adm['Min-max']})",
                    "Cumulative dose, mean (SD)": dose["Mean (SD)"],
                    "Cumulative dose, median (min-max)": f"{dose['Median']} ({dose['Min-max']})",
                }
            )
    return pd.DataFrame(out, columns=columns)


def footnote_t13(results: pd.DataFrame) -> str:
    """T13's footnote: safety N, the definitions, units, sources, cut-off."""
    return footnote(
        results,
        "Safety population",
        _safety_n(Lookup(results, "T13")),
        [
            "Duration of treatment: (TRTEDT - TRTSDT + 1) / 30.4375 months. A cycle is started "
            "when it has an administration with a dose > 0; cycles per phase over the subjects "
            "who started one. Subjects dosed: at least one administration with a dose > 0 in "
            "the phase, percentages of N; administrations and actual cumulative dose per dosed "
            "subject (isatuximab mg/kg, dexamethasone mg, melphalan mg/m2). n, mean (SD, n - 1 "
            "divisor), median, min-max.",
        ],
        ["ADSL", "ADEX"],
    )
