"""T07: adverse events, safety population (endpoints.md T07).

Denominator N = SAFFL subjects; only ADAE rows of those subjects count, and only TEAEs
(TRTEMFL = Y) except in the fatal-AE block. Overview: subjects with at least one TEAE of
each kind. By SOC and PT: each subject is counted once per term at the worst grade (max
ATOXGR) of that term's TEAEs, so the grade 1, 2, 3, 4 and 5 columns partition the subjects
with a graded event (grade 3-4 is kept as a column of its own, the sum of 3 and 4), and a
subject with a grade 3 and a grade 5 event of one term appears only under grade 5; EVENTS is
the number of TEAEs. Sorted by descending any-grade frequency (SOC, then PT within SOC), ties
alphabetically; the order is stored as STAT ORDER so SQL readers can reproduce the printed
table.

By phase (APHASE): the same block over each phase's TEAEs, with N = the safety subjects who
entered the phase by the dates that define APHASE (adam.md, ADAE): INDUCTION every safety
subject, ASCT those with MELDT, MAINTENANCE those with MNTSDT; a subject with a TEAE of a
phase counts in its N whatever the dates say (so no percentage exceeds 100).

Serious TEAEs and fatal AEs by PT: subjects and events per PT. Fatal AEs are every ADAE row
of grade 5 of a safety subject, treatment-emergent or not (endpoints.md says serious TEAEs
but fatal AEs: a death from an AE that began after TRTEDT + 30 is still reported); the
overview's FATAL counts the treatment-emergent ones.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from .results import (
    Lookup,
    Row,
    flag,
    fmt_int,
    fmt_n_pct,
    footnote,
    population,
    proportion_rows,
    to_frame,
)

TABLEID = "T07"
OVERVIEW = "OVERVIEW"
# GROUP1 code -> label, in endpoints.md's order
OVERVIEW_ITEMS = {
    "ANY": "Any TEAE",
    "GR3PLUS": "TEAE of grade >= 3",
    "SERIOUS": "Serious TEAE",
    "RELISA": "TEAE related to isatuximab",
    "RELDEX": "TEAE related to dexamethasone",
    "DOSERED": "TEAE leading to dose reduction",
    "DISC": "TEAE leading to discontinuation",
    "FATAL": "TEAE with fatal outcome (grade 5)",
    "SPM": "Second primary malignancy (TEAE)",
}
# AEREL (site_extracts.md, ae): NOT RELATED, ISATUXIMAB, DEXAMETHASONE, BOTH
RELATED = {"RELISA": ("ISATUXIMAB", "BOTH"), "RELDEX": ("DEXAMETHASONE", "BOTH")}
# PARAMCD -> printed column; GR3_4 is stored (the table before issue 30 printed it) but the
# printed table shows each grade
GRADE_COLUMNS = {
    "GRANY": "Any grade",
    "GR1": "Grade 1",
    "GR2": "Grade 2",
    "GR3": "Grade 3",
    "GR4": "Grade 4",
    "GR5": "Grade 5",
}
GRADE_BLOCKS = ["GRANY", "GR1", "GR2", "GR3", "GR4", "GR3_4", "GR5"]
PHASES = ["INDUCTION", "ASCT", "MAINTENANCE"]
PHASE_LABELS = {"INDUCTION": "Induction", "ASCT": "ASCT", "MAINTENANCE": "Maintenance"}
# ADSL date whose presence says a subject entered the phase (adam.md, ADAE APHASE)
PHASE_ENTRY = {"ASCT": "MELDT", "MAINTENANCE": "MNTSDT"}
SERIOUS_BY_PT = "SERPT"
FATAL_BY_PT = "FATALPT"
UNCODED = "UNCODED"
TERM = "System organ class / Preferred term"
EVENTS = "Events"


def _safety_ae(adsl: pd.DataFrame, adae: pd.DataFrame) -> tuple[pd.Index, pd.DataFrame]:
    """Safety subjects and every ADAE row of theirs, with SOC, PT (UNCODED when empty),
    numeric GRADE and the TEAE flag."""
    saf = population(adsl, "SAFFL")
    ae = adae.loc[adae["USUBJID"].isin(saf)].copy()
    ae["USUBJID"] = ae["USUBJID"].astype(str)
    ae["SOC"] = ae["AEBODSYS"].where(ae["AEBODSYS"].notna() & ae["AEBODSYS"].ne(""), UNCODED)
    ae["PT"] = ae["AEDECOD"].where(ae["AEDECOD"].notna() & ae["AEDECOD"].ne(""), UNCODED)
    ae["GRADE"] = pd.to_numeric(ae["ATOXGR"], errors="coerce")
    ae["TEAE"] = flag(ae, "TRTEMFL")
    return saf, ae


def _overview_subjects(ae: pd.DataFrame) -> dict[str, set[str]]:
    action = ae["AEACN"].astype(object)
    relation = ae["AEREL"].astype(object)
    masks = {
        "ANY": pd.Series(True, index=ae.index),
        "GR3PLUS": ae["GRADE"].ge(3),
        "SERIOUS": flag(ae, "AESER"),
        "RELISA": relation.isin(RELATED["RELISA"]),
        "RELDEX": relation.isin(RELATED["RELDEX"]),
        "DOSERED": action.eq("DOSE REDUCED"),
        "DISC": action.eq("DRUG WITHDRAWN"),
        "FATAL": ae["GRADE"].eq(5),
        "SPM": flag(ae, "AESPM"),
    }
    return {code: set(ae.loc[mask, "USUBJID"]) for code, mask in masks.items()}


def _worst_grade_counts(ae: pd.DataFrame) -> dict[str, int]:
    """Subjects by worst grade in a set of AE rows (a subject whose events of the set are all
    ungraded counts under any grade only), and the number of events."""
    worst = ae.groupby("USUBJID")["GRADE"].max()
    counts = {"GRANY": int(worst.size), "EVENTS": len(ae)}
    counts |= {f"GR{g}": int(worst.eq(g).sum()) for g in range(1, 6)}
    counts["GR3_4"] = counts["GR3"] + counts["GR4"]
    return counts


def _block(prefix: str, soc: str, pt: str, order: int, ae: pd.DataFrame, N: int) -> list[Row]:
    counts = _worst_grade_counts(ae)
    rows: list[Row] = []
    for grade in GRADE_BLOCKS:
        paramcd = prefix + grade
        rows += proportion_rows(TABLEID, paramcd, counts[grade], N, soc, pt, ci=False)
        if grade == "GRANY":
            rows.append(Row(TABLEID, paramcd, "ORDER", order, soc, pt))
            rows.append(Row(TABLEID, paramcd, "EVENTS", counts["EVENTS"], soc, pt))
    return rows


def _by_frequency(ae: pd.DataFrame, column: str) -> list[str]:
    """Terms by descending number of subjects, ties alphabetically."""
    n = ae.groupby(column)["USUBJID"].nunique()
    return sorted(n.index, key=lambda term: (-int(n[term]), term))


def _soc_pt_rows(ae: pd.DataFrame, N: int, prefix: str = "") -> list[Row]:
    """The all-TEAE row, then each SOC followed by its PTs, by descending frequency."""
    rows = _block(prefix, "", "", 0, ae, N)
    order = 0
    # one pass per level instead of a scan per SOC and PT (rows keep their order)
    by_soc = dict(tuple(ae.groupby("SOC", sort=False)))
    for soc in _by_frequency(ae, "SOC"):
        in_soc = by_soc[soc]
        order += 1
        rows += _block(prefix, soc, "", order, in_soc, N)
        by_pt = dict(tuple(in_soc.groupby("PT", sort=False)))
        for pt in _by_frequency(in_soc, "PT"):
            order += 1
            rows += _block(prefix, soc, pt, order, by_pt[pt], N)
    return rows


def _pt_rows(paramcd: str, ae: pd.DataFrame, N: int) -> list[Row]:
    """Subjects (n, N, PCT) and EVENTS per PT (GROUP2; GROUP1 ''), the all-PT row first."""
    rows: list[Row] = []
    by_pt = dict(tuple(ae.groupby("PT", sort=False)))
    for order, (pt, mine) in enumerate(
        [("", ae), *((pt, by_pt[pt]) for pt in _by_frequency(ae, "PT"))]
    ):
        rows += proportion_rows(TABLEID, paramcd, mine["USUBJID"].nunique(), N, "", pt, ci=False)
        rows.append(Row(TABLEID, paramcd, "ORDER", order, "", pt))
        rows.append(Row(TABLEID, paramcd, "EVENTS", len(mine), "", pt))
    return rows


def _phase_population(adsl: pd.DataFrame, saf: pd.Index, phase: str, teae: pd.DataFrame) -> int:
    entered = set(saf)
    if phase in PHASE_ENTRY:
        dated = adsl.loc[adsl[PHASE_ENTRY[phase]].notna(), "USUBJID"].astype(str)
        entered &= set(dated)
    return len(entered | set(teae["USUBJID"]))


def build_t07(adsl: pd.DataFrame, adae: pd.DataFrame, cutoff: date) -> pd.DataFrame:
    """T07 tidy rows (docs/endpoints_results.md): PARAMCD OVERVIEW (GROUP1 ANY, GR3PLUS,
    SERIOUS, RELISA, RELDEX, DOSERED, DISC, FATAL, SPM; n, N, PCT); PARAMCD GRANY, GR1-GR5,
    GR3_4 with GROUP1 = SOC and GROUP2 = PT ('' for the SOC row; both '' for the all-TEAE
    row): n, N, PCT, and ORDER and EVENTS on GRANY; the same with PARAMCD <APHASE>_<grade>
    for INDUCTION, ASCT, MAINTENANCE (then any other phase found); SERPT (serious TEAEs) and
    FATALPT (grade-5 AEs) with GROUP2 = PT: n, N, PCT, ORDER, EVENTS."""
    saf, ae = _safety_ae(adsl, adae)
    teae = ae.loc[ae["TEAE"]]
    N = len(saf)
    rows: list[Row] = []
    for code, subjects in _overview_subjects(teae).items():
        rows += proportion_rows(TABLEID, OVERVIEW, len(subjects), N, code, ci=False)
    rows += _soc_pt_rows(teae, N)
    found = sorted(set(teae["APHASE"].dropna().astype(str)) - set(PHASES) - {""})
    for phase in PHASES + found:
        mine = teae.loc[teae["APHASE"].astype(object).eq(phase)]
        rows += _soc_pt_rows(mine, _phase_population(adsl, saf, phase, mine), f"{phase}_")
    rows += _pt_rows(SERIOUS_BY_PT, teae.loc[flag(teae, "AESER")], N)
    rows += _pt_rows(FATAL_BY_PT, ae.loc[ae["GRADE"].eq(5)], N)
    return to_frame(rows, cutoff)


# ---------------------------------------------------------------------------- displays


def display_t07_overview(results: pd.DataFrame) -> pd.DataFrame:
    """T07 overview as printed: subjects with at least one TEAE of each kind, n (%)."""
    lk = Lookup(results, TABLEID)
    N = lk.get(OVERVIEW, "N", "ANY")
    return pd.DataFrame(
        [
            {
                "Category": label,
                f"N = {fmt_int(N)}": fmt_n_pct(
                    lk.get(OVERVIEW, "n", code), lk.get(OVERVIEW, "PCT", code)
                ),
            }
            for code, label in OVERVIEW_ITEMS.items()
            if lk.has(OVERVIEW, "n", code)
        ],
        columns=["Category", f"N = {fmt_int(N)}"],
    )


def _ordered_keys(lk: Lookup, paramcd: str) -> list[tuple[str, str]]:
    f = lk.frame
    keys = f.loc[f["PARAMCD"].eq(paramcd) & f["STAT"].eq("ORDER"), ["GROUP1", "GROUP2", "VALUE"]]
    keys = keys.sort_values("VALUE", kind="stable")
    return [(soc, pt) for soc, pt, _ in keys.itertuples(index=False)]


def _grade_row(lk: Lookup, prefix: str, soc: str, pt: str, term: str) -> dict[str, str]:
    row = {TERM: term}
    for grade, label in GRADE_COLUMNS.items():
        paramcd = prefix + grade
        row[label] = fmt_n_pct(lk.get(paramcd, "n", soc, pt), lk.get(paramcd, "PCT", soc, pt))
    row[EVENTS] = fmt_int(lk.get(prefix + "GRANY", "EVENTS", soc, pt))
    return row


def _soc_pt_display(lk: Lookup, prefix: str) -> list[dict[str, str]]:
    out = []
    for soc, pt in _ordered_keys(lk, prefix + "GRANY"):
        term = "Any TEAE" if soc == "" else (soc if pt == "" else f"  {pt}")
        out.append(_grade_row(lk, prefix, soc, pt, term))
    return out


def display_t07(results: pd.DataFrame) -> pd.DataFrame:
    """T07 by SOC and PT as printed: the all-TEAE row, then each SOC followed by its PTs
    (indented), in the stored ORDER, with n (%) any grade and by worst grade 1-5, and the
    number of events."""
    lk = Lookup(results, TABLEID)
    return pd.DataFrame(_soc_pt_display(lk, ""), columns=[TERM, *GRADE_COLUMNS.values(), EVENTS])


def _phases(lk: Lookup) -> list[str]:
    prefixes = [p[: -len("_GRANY")] for p in lk.paramcds() if p.endswith("_GRANY")]
    return [p for p in PHASES if p in prefixes] + [p for p in prefixes if p not in PHASES]


def display_t07_by_phase(results: pd.DataFrame) -> pd.DataFrame:
    """T07 by phase as printed: per APHASE a header row naming the phase and its N, then its
    all-TEAE row and its SOCs and PTs as in the main table (percentages of the phase's N)."""
    lk = Lookup(results, TABLEID)
    columns = [TERM, *GRADE_COLUMNS.values(), EVENTS]
    out: list[dict[str, str]] = []
    for phase in _phases(lk):
        n_phase = fmt_int(lk.get(f"{phase}_GRANY", "N"))
        out.append(
            {c: "" for c in columns} | {TERM: f"{PHASE_LABELS.get(phase, phase)}, N = {n_phase}"}
        )
        out += _soc_pt_display(lk, f"{phase}_")
    return pd.DataFrame(out, columns=columns)


def _pt_display(results: pd.DataFrame, paramcd: str, first: str) -> pd.DataFrame:
    lk = Lookup(results, TABLEID)
    columns = ["Preferred term", "Subjects, n (%)", EVENTS]
    return pd.DataFrame(
        [
            {
                columns[0]: pt if pt else first,
                columns[1]: fmt_n_pct(lk.get(paramcd, "n", "", pt), lk.get(paramcd, "PCT", "", pt)),
                columns[2]: fmt_int(lk.get(paramcd, "EVENTS", "", pt)),
            }
            for _, pt in _ordered_keys(lk, paramcd)
        ],
        columns=columns,
    )


def display_t07_serious(results: pd.DataFrame) -> pd.DataFrame:
    """Serious TEAEs by PT as printed, by descending frequency: subjects n (%) and events."""
    return _pt_display(results, SERIOUS_BY_PT, "Any serious TEAE")


def display_t07_fatal(results: pd.DataFrame) -> pd.DataFrame:
    """Fatal (grade 5) AEs by PT as printed, treatment-emergent or not: subjects n (%) and
    events."""
    return _pt_display(results, FATAL_BY_PT, "Any fatal AE")


def footnote_t07(results: pd.DataFrame) -> str:
    """T07's footnote: safety N, counting rules, sources, cut-off."""
    return footnote(
        results,
        "Safety population",
        Lookup(results, TABLEID).get(OVERVIEW, "N", "ANY"),
        [
            "Treatment-emergent adverse events (TRTEMFL = Y). A subject is counted once per "
            "category, and once per SOC and PT at the worst grade (ATOXGR, CTCAE v5.0) of its "
            "events of that term; events: every TEAE. Percentages of N; by phase (APHASE), of "
            "the safety subjects who entered the phase (ASCT: with MELDT; maintenance: with "
            "MNTSDT). Related: AEREL names the drug or BOTH. Dose reduction and discontinuation: "
            "AEACN DOSE REDUCED and DRUG WITHDRAWN. Second primary malignancy: AESPM = Y. "
            "Fatal AEs: grade 5, treatment-emergent or not. SOCs and PTs by descending "
            "any-grade frequency, ties alphabetically.",
        ],
        ["ADSL", "ADAE"],
    )
