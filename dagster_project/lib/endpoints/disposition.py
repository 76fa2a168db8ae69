"""T12: disposition of all screened subjects (endpoints.md T12), the numbers of the CONSORT flow
figure F04.

Populations (ADSL, one row per screened subject): SCREENED every ADSL row; SCRNFAIL the screened
subjects not in ITT; ITTFL, SAFFL, ASCTFL, MNTFL the ITT subjects with the flag; end of treatment
(EOTSTT: ONGOING, COMPLETED, DISCONTINUED, and DCTREAS) and end of study (EOSSTT, DCSREAS) of the
ITT subjects. Every count of ITT subjects carries its percentage of ITT (endpoints.md: "n (% of
ITT)"); SCREENED and SCRNFAIL are counts of screened subjects, outside ITT, and carry no percent.

ADSL has no ENRLFL: a screened subject not in ITT was not enrolled (a screen failure) or was
enrolled with eligibility confirmed after the cut-off (still in screening at the cut,
int_subject_populations_flagged); SCRNFAIL counts both, which the footnote says.

The flow (F04): SCREENED -> ITT -> TREATED (SAFFL) -> ASCT (ASCTFL) -> MAINTENANCE (MNTFL). The
subjects leaving at a step (PARAMCD ``EXIT``, GROUP1 the step not reached, GROUP2 why, STAT n) are
those who reached the step before and not this one; why: DCTREAS, else DCSREAS, else COMPLETED
when treatment or study was completed, else ONGOING (on study, not reached the step by the cut-off);
at the ITT step DCSREAS, else NOT ENROLLED. A flag set without the one before it (maintenance
without a transplant) is not an exit of either step: the boxes are the flags' counts, and an
exit count is never negative.
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
    to_frame,
)

TABLEID = "T12"
# ADSL accepted values (dbt/models/adam/_adsl.yml), the contract's ds DSDECOD order
STATUSES = ("ONGOING", "COMPLETED", "DISCONTINUED")
REASONS = (
    "PROGRESSIVE DISEASE",
    "ADVERSE EVENT",
    "DEATH",
    "WITHDRAWAL BY SUBJECT",
    "LOST TO FOLLOW-UP",
    "PHYSICIAN DECISION",
    "OTHER",
)
POPULATIONS = {
    "ITTFL": "Enrolled, ITT",
    "SAFFL": "Treated, safety population",
    "ASCTFL": "Transplanted (ASCT)",
    "MNTFL": "Started maintenance",
}
# the CONSORT steps (F04): name, the ADSL flag, the box label
FLOW = (
    ("SCREENED", None, "Screened"),
    ("ITT", "ITTFL", "Enrolled (ITT)"),
    ("TREATED", "SAFFL", "Treated (safety population)"),
    ("ASCT", "ASCTFL", "Transplanted (ASCT)"),
    ("MAINTENANCE", "MNTFL", "Started maintenance"),
)
EXIT = "EXIT"
NOT_ENROLLED = "NOT ENROLLED"
ONGOING = "ONGOING"
COMPLETED = "COMPLETED"
# ADSL columns build_t12 reads
ADSL_COLUMNS = ("USUBJID", *POPULATIONS, "EOTSTT", "DCTREAS", "EOSSTT", "DCSREAS")

SCREEN_FAILURE_NOTE = (
    "Not in ITT: screened subjects not enrolled (screen failures) or enrolled with eligibility "
    "confirmed after the cut-off."
)
FLOW_NOTE = (
    "Leaving before a step: ITT subjects who reached the step before it but not this one, by "
    "reason for ending treatment, else for leaving the study; ongoing: on treatment and not yet "
    "at the step at the cut-off."
)


def _text(frame: pd.DataFrame, column: str) -> pd.Series:
    """A character column with NULL and blanks as ''."""
    return frame[column].astype(object).where(frame[column].notna(), "").astype(str).str.strip()


def _ordered(known: tuple[str, ...], values: pd.Series) -> list[str]:
    """The code list, then any value outside it (sorted) that the data hold."""
    extra = sorted(set(values) - set(known) - {""})
    return [*known, *extra]


def _why(itt: pd.DataFrame) -> pd.Series:
    """Why an ITT subject did not reach a step (module docstring)."""
    why = _text(itt, "DCTREAS")
    why = why.where(why.ne(""), _text(itt, "DCSREAS"))
    completed = _text(itt, "EOTSTT").eq(COMPLETED) | _text(itt, "EOSSTT").eq(COMPLETED)
    why = why.where(why.ne("") | ~completed, COMPLETED)
    return why.where(why.ne(""), ONGOING)


def _exit_rows(adsl: pd.DataFrame, itt_mask: pd.Series) -> list[Row]:
    """For each step after SCREENED: n leaving before it, by reason (every reason of the code
    list, ONGOING and COMPLETED, present with n = 0)."""
    rows: list[Row] = []
    previous = pd.Series(True, index=adsl.index)
    for step, column, _ in FLOW[1:]:
        reached = itt_mask if column == "ITTFL" else itt_mask & flag(adsl, column)
        leaving = previous & ~reached
        if column == "ITTFL":
            why = _text(adsl, "DCSREAS").where(lambda s: s.ne(""), NOT_ENROLLED)
            known: tuple[str, ...] = (*REASONS, NOT_ENROLLED)
        else:
            why = _why(adsl)
            known = (*REASONS, COMPLETED, ONGOING)
        counts = why[leaving].value_counts()
        for reason in _ordered(known, why[leaving]):
            rows.append(Row(TABLEID, EXIT, "n", int(counts.get(reason, 0)), step, reason))
        previous = reached
    return rows


def build_t12(adsl: pd.DataFrame, cutoff: date) -> pd.DataFrame:
    """T12: SCREENED, SCRNFAIL (n); ITTFL, SAFFL, ASCTFL, MNTFL (n, PCT of ITT); EOTSTT and
    EOSSTT by status, DCTREAS and DCSREAS by reason (GROUP1; n, PCT of ITT); the F04 exits
    (EXIT, GROUP1 step, GROUP2 reason, n)."""
    adsl = adsl.sort_values("USUBJID", kind="mergesort").reset_index(drop=True)
    itt_mask = flag(adsl, "ITTFL")
    itt = adsl.loc[itt_mask]
    n_itt = int(itt_mask.sum())

    def pct(n: int) -> float | None:
        return 100.0 * n / n_itt if n_itt else None

    def counted(paramcd: str, n: int, group1: str = "") -> list[Row]:
        return [
            Row(TABLEID, paramcd, "n", n, group1),
            Row(TABLEID, paramcd, "PCT", pct(n), group1),
        ]

    rows = [
        Row(TABLEID, "SCREENED", "n", len(adsl)),
        Row(TABLEID, "SCRNFAIL", "n", len(adsl) - n_itt),
    ]
    for column in POPULATIONS:
        rows += counted(column, int(flag(itt, column).sum()))
    for status_column, reason_column in (("EOTSTT", "DCTREAS"), ("EOSSTT", "DCSREAS")):
        status = _text(itt, status_column)
        for value in _ordered(STATUSES, status):
            rows += counted(status_column, int(status.eq(value).sum()), value)
        reason = _text(itt, reason_column)
        for value in _ordered(REASONS, reason):
            rows += counted(reason_column, int(reason.eq(value).sum()), value)
    rows += _exit_rows(adsl, itt_mask)
    return to_frame(rows, cutoff)


# ---------------------------------------------------------------------------- display

_LABELS = {
    "SCREENED": "Screened",
    "SCRNFAIL": "Not in ITT (screen failure or eligibility after the cut-off)",
    **POPULATIONS,
}
_STATUS_LABELS = {"ONGOING": "Ongoing", "COMPLETED": "Completed", "DISCONTINUED": "Discontinued"}
_BLOCKS = (
    ("EOTSTT", "DCTREAS", "End of treatment"),
    ("EOSSTT", "DCSREAS", "End of study"),
)
INDENT = "  "
COLUMN = "n (% of ITT)"


def reason_label(reason: str) -> str:
    """A DSDECOD as printed: first letter capitalised."""
    return reason[:1] + reason[1:].lower() if reason else reason


def display_t12(results: pd.DataFrame) -> pd.DataFrame:
    """T12 as printed: the populations, then end of treatment and end of study, each status
    with the reasons for discontinuation indented under DISCONTINUED; n (% of ITT)."""
    lk = Lookup(results, TABLEID)
    out: list[dict[str, str]] = []

    def line(label: str, paramcd: str, group1: str = "") -> None:
        n, pct = lk.get(paramcd, "n", group1), lk.get(paramcd, "PCT", group1)
        out.append({"Disposition": label, COLUMN: fmt_n_pct(n, pct)})

    for paramcd in ("SCREENED", "SCRNFAIL"):
        if lk.has(paramcd, "n"):
            out.append({"Disposition": _LABELS[paramcd], COLUMN: fmt_int(lk.get(paramcd, "n"))})
    for paramcd in POPULATIONS:
        if lk.has(paramcd, "n"):
            line(_LABELS[paramcd], paramcd)
    for status_column, reason_column, title in _BLOCKS:
        if status_column not in lk.paramcds():
            continue
        out.append({"Disposition": title, COLUMN: ""})
        for status in lk.groups1(status_column):
            line(INDENT + _STATUS_LABELS.get(status, reason_label(status)), status_column, status)
            if status == "DISCONTINUED":
                for reason in lk.groups1(reason_column):
                    line(INDENT * 2 + reason_label(reason), reason_column, reason)
    return pd.DataFrame(out, columns=["Disposition", COLUMN])


def footnote_t12(results: pd.DataFrame) -> str:
    """T12's footnote: screened and ITT N, what is counted, sources, cut-off."""
    lk = Lookup(results, TABLEID)
    screened = lk.get("SCREENED", "n")
    return footnote(
        results,
        f"All screened subjects, N = {fmt_int(screened)}; ITT population",
        lk.get("ITTFL", "n"),
        [
            "Percentages of the ITT N; screened subjects outside ITT are counted without a "
            "percentage.",
            SCREEN_FAILURE_NOTE,
            "Ongoing: no END OF TREATMENT (END OF STUDY) record at the cut-off; reasons for "
            "discontinuation as recorded (ds DSDECOD).",
            FLOW_NOTE,
        ],
        ["ADSL"],
    )
