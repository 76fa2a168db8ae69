"""Every expectation of the GX suites catches a dataset built to break it.

A hand-built, valid miniature of each ADaM dataset passes its suite; each case below breaks one
rule and asserts that exactly that rule fails. A coverage test makes sure every rule of the
committed suites has a case.
"""

from collections.abc import Callable

import duckdb
import pandas as pd
import pytest

from dagster_project.lib.validation import frames
from dagster_project.lib.validation import runner as gx_runner
from dagster_project.lib.validation.datasets import (
    ADSL_CONTEXT,
    COLUMNS,
    CONFORMANCE,
    DATASETS,
    PLAUSIBILITY,
    ROWS,
    SUITES_DIR,
)
from dagster_project.lib.validation.suites import (
    REQUIRED_VARIABLES,
    build_suite,
    load_suites,
    suite_json,
)

S1, S2 = "ISA-DEX-MM-IT01-001", "ISA-DEX-MM-IT01-002"


def d(text: str) -> pd.Timestamp:
    return pd.Timestamp(text)


NAT = pd.NaT


def valid_adsl() -> pd.DataFrame:
    # S1: transplanted, alive; S2: no transplant, died after consent.
    return pd.DataFrame(
        {
            "STUDYID": ["ISA-DEX-MM", "ISA-DEX-MM"],
            "USUBJID": [S1, S2],
            "ITTFL": ["Y", "Y"],
            "SAFFL": ["Y", "Y"],
            "RESPFL": ["Y", None],
            "ASCTFL": ["Y", None],
            "MNTFL": ["Y", None],
            "DTHFL": [None, "Y"],
            "ICFDT": [d("2026-01-05"), d("2026-01-10")],
            "TRTSDT": [d("2026-01-12"), d("2026-01-15")],
            "MELDT": [d("2026-04-01"), NAT],
            "ASCTDT": [d("2026-04-03"), NAT],
            "DTHDT": [NAT, d("2026-06-01")],
            "LSTALVDT": [d("2026-10-20"), d("2026-06-01")],
            "PDDT": [NAT, d("2026-05-01")],
            "EOTDT": [NAT, d("2026-05-02")],
            "EOSDT": [NAT, d("2026-06-01")],
            "CUTOFFDT": [d("2026-10-31"), d("2026-10-31")],
            "MEASDIS": ["SERUM AND URINE", "NONE"],
        }
    )


def valid_adrs() -> pd.DataFrame:
    rows = [
        (S1, "OVRLRESP", "PR", d("2026-02-01"), None),
        (S1, "OVRLRESP", "CR", d("2026-03-01"), None),
        (S1, "BOR", "CR", d("2026-03-01"), None),
        (S1, "MRD12", "Y", d("2026-09-01"), "Y"),
        (S2, "BOR", "PD", d("2026-05-01"), None),
        # Rule (b): S2 left the study (EOSDT) and may be MRD12 = Y without an ASCT.
        (S2, "MRD12", "Y", d("2026-03-15"), "Y"),
        # WINCMPFL: S1's MRD24 window (ASCT + 730) is still open at the cut-off
        (S1, "MRD24", "N", NAT, None),
    ]
    return pd.DataFrame(rows, columns=["USUBJID", "PARAMCD", "AVALC", "ADT", "WINCMPFL"])


def valid_adtte() -> pd.DataFrame:
    rows = [
        (S1, "PFS", d("2026-01-05"), d("2026-10-20"), 289, "DAYS", 1, None),
        (S1, "TTDISC", d("2026-01-12"), d("2026-10-31"), 293, "DAYS", 3, None),
        (S2, "PFS", d("2026-01-10"), d("2026-05-01"), 112, "DAYS", 0, None),
        (S2, "TTDISC", d("2026-01-15"), d("2026-05-02"), 108, "DAYS", 8, "Y"),
    ]
    columns = ["USUBJID", "PARAMCD", "STARTDT", "ADT", "AVAL", "AVALU", "CNSR", "CMPEVFL"]
    return pd.DataFrame(rows, columns=columns)


def valid_adae() -> pd.DataFrame:
    rows = [
        # S1 has two NAUSEA events: the grade-3 one carries the worst-grade flags.
        (S1, "NAUSEA", "GASTRO", d("2026-02-01"), d("2026-02-03"), "Y", None, None, None),
        (S1, "NAUSEA", "GASTRO", d("2026-03-01"), d("2026-03-05"), "Y", "Y", "Y", "Y"),
        (S2, "FATIGUE", "GENERAL", d("2026-02-10"), NAT, "Y", "Y", "Y", "Y"),
    ]
    columns = [
        "USUBJID", "AEDECOD", "AEBODSYS", "ASTDT", "AENDT", "TRTEMFL", "WGRPTFL", "WGRSOCFL",
        "WGRFL",
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=columns)


def valid_adex() -> pd.DataFrame:
    """BDS (submission.md): an RDI row first (the cases change row 0), a reduction's count and
    its two causes (REDCAUS rows, AVAL empty), a dose with its unit."""
    isa, mel = "ISATUXIMAB", "MELPHALAN"
    rows = [
        (S1, isa, "INDUCTION", "RDI", 1.0, None),
        (S1, isa, "ALL", "RDI", 0.95, None),
        (S2, isa, "INDUCTION", "RDI", 0.5, None),
        (S2, isa, "INDUCTION", "NRED", 2.0, None),
        (S2, isa, "INDUCTION", "REDCAUS", None, "ADVERSE EVENT"),
        (S2, isa, "INDUCTION", "REDCAUS", None, "UNKNOWN"),
        (S2, mel, "ASCT", "CUMDOSE", 200.0, None),  # no RDI row: nothing planned
    ]
    columns = ["USUBJID", "PARCAT1", "APHASE", "PARAMCD", "AVAL", "AVALC"]
    return pd.DataFrame(rows, columns=columns)


def valid_adlb() -> pd.DataFrame:
    rows = [
        # S1: SMPROT baseline and a later sample, a negative DFLC (IFLC below UFLC), SIFE POS
        (S1, "SMPROT", "IMWG", 2.0, None, d("2026-01-02"), "Y"),
        (S1, "SMPROT", "IMWG", 0.8, None, d("2026-03-01"), None),
        (S1, "DFLC", "IMWG", -5.0, None, d("2026-03-01"), None),
        (S1, "SIFE", "IMWG", None, "POS", d("2026-03-01"), None),
        (S2, "BMCLON", "IMWG", None, "NEG", d("2026-02-01"), "Y"),
    ]
    columns = ["USUBJID", "PARAMCD", "PARCAT1", "AVAL", "AVALC", "ADT", "ABLFL"]
    return pd.DataFrame(rows, columns=columns)


VALID_ROWS: dict[str, Callable[[], pd.DataFrame]] = {
    "adsl": valid_adsl,
    "adrs": valid_adrs,
    "adtte": valid_adtte,
    "adae": valid_adae,
    "adex": valid_adex,
    "adlb": valid_adlb,
}


def valid_catalogue(dataset: str) -> pd.DataFrame:
    names = list(REQUIRED_VARIABLES[dataset])
    return frames.catalogue_frame(
        pd.DataFrame(
            {
                "NAME": names,
                "DATA_TYPE": [REQUIRED_VARIABLES[dataset][n] for n in names],
                "COMMENT": [f"Label of {n}. Derivation." for n in names],
            }
        )
    )


@pytest.fixture(scope="module")
def suites():
    return load_suites()


def run(
    suites, dataset: str, check: str, rows: pd.DataFrame, catalogue: pd.DataFrame | None = None
):
    """The outcome of ``check`` on ``rows``, validated with both checks in one validation (as
    the asset check runs them, runner.validate_checks); every call also validates ``check``
    alone on the rows with their text as pandas Categorical (as the asset check reads them,
    frames.read_dataset) and requires the same outcome, expectation by expectation, samples
    included."""
    outcomes = []
    for text_as_category in (False, True):
        frame = rows.copy()
        if text_as_category:
            for name in frame.columns:
                if (
                    frame[name].dtype == object
                    and frame[name].map(lambda v: v is None or isinstance(v, str)).all()
                ):
                    frame[name] = frame[name].astype("category")
        frames.add_adsl_context(frame, valid_adsl(), ADSL_CONTEXT[dataset])
        batches = {
            ROWS: frame,
            COLUMNS: valid_catalogue(dataset) if catalogue is None else catalogue,
        }
        if text_as_category:
            outcomes.append(gx_runner.validate_check(suites[dataset], check, batches))
        else:
            both = gx_runner.validate_checks(suites[dataset], [CONFORMANCE, PLAUSIBILITY], batches)
            outcomes.append(both[check])
    plain, categorical = outcomes
    assert categorical.expectations == plain.expectations
    return plain


def failed_rules(outcome) -> set[str]:
    return {e.rule for e in outcome.failed}


@pytest.mark.parametrize("dataset", DATASETS)
@pytest.mark.parametrize("check", [CONFORMANCE, PLAUSIBILITY])
def test_valid_miniature_passes(suites, dataset, check):
    outcome = run(suites, dataset, check, VALID_ROWS[dataset]())
    assert outcome.passed, outcome.details


# --------------------------------------------------------------------------- row cases


def set_value(row: int, column: str, value) -> Callable[[pd.DataFrame], pd.DataFrame]:
    def mutate(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame.copy()
        if column not in frame:
            frame[column] = None
        frame[column] = frame[column].astype(object)
        frame.at[row, column] = value
        return frame

    return mutate


def duplicate_row(row: int) -> Callable[[pd.DataFrame], pd.DataFrame]:
    return lambda frame: pd.concat([frame, frame.iloc[[row]]], ignore_index=True)


ROW_CASES = [
    # ADSL conformance
    ("adsl", CONFORMANCE, "USUBJID present", set_value(1, "USUBJID", None)),
    ("adsl", CONFORMANCE, "one ADSL row per USUBJID", set_value(1, "USUBJID", S1)),
    ("adsl", CONFORMANCE, "STUDYID is ISA-DEX-MM", set_value(0, "STUDYID", "ISA-DEX")),
    ("adsl", CONFORMANCE, "ITTFL is Y or empty", set_value(0, "ITTFL", "N")),
    ("adsl", CONFORMANCE, "SAFFL is Y or empty", set_value(0, "SAFFL", "")),
    ("adsl", CONFORMANCE, "RESPFL is Y or empty", set_value(1, "RESPFL", "N")),
    ("adsl", CONFORMANCE, "ASCTFL is Y or empty", set_value(0, "ASCTFL", "y")),
    ("adsl", CONFORMANCE, "MNTFL is Y or empty", set_value(0, "MNTFL", "YES")),
    ("adsl", CONFORMANCE, "DTHFL is Y or empty", set_value(0, "DTHFL", "N")),
    # ADSL plausibility
    ("adsl", PLAUSIBILITY, "death not before consent", set_value(1, "DTHDT", d("2026-01-09"))),
    ("adsl", PLAUSIBILITY, "ASCT after consent", set_value(0, "ICFDT", d("2026-04-03"))),
    (
        "adsl", PLAUSIBILITY, "ASCT after induction (after TRTSDT)",
        set_value(0, "TRTSDT", d("2026-04-03")),
    ),
    (
        "adsl", PLAUSIBILITY, "ASCT on or after melphalan (MELDT)",
        set_value(0, "MELDT", d("2026-04-04")),
    ),
    ("adsl", PLAUSIBILITY, "DTHDT not after the cut-off", set_value(1, "DTHDT", d("2026-11-01"))),
    (
        "adsl", PLAUSIBILITY, "LSTALVDT not after the cut-off",
        set_value(0, "LSTALVDT", d("2026-11-01")),
    ),
    ("adsl", PLAUSIBILITY, "PDDT not after the cut-off", set_value(1, "PDDT", d("2026-11-01"))),
    ("adsl", PLAUSIBILITY, "EOTDT not after the cut-off", set_value(1, "EOTDT", d("2026-11-01"))),
    ("adsl", PLAUSIBILITY, "EOSDT not after the cut-off", set_value(1, "EOSDT", d("2026-11-01"))),
    # ADRS
    ("adrs", CONFORMANCE, "USUBJID present", set_value(0, "USUBJID", None)),
    (
        "adrs", CONFORMANCE, "every ADRS USUBJID is in ADSL",
        set_value(0, "USUBJID", "ISA-DEX-MM-IT01-999"),
    ),
    ("adrs", CONFORMANCE, "PARAMCD in the spec's set", set_value(2, "PARAMCD", "BESTRESP")),
    ("adrs", CONFORMANCE, "PARAMCD present", set_value(2, "PARAMCD", None)),
    ("adrs", CONFORMANCE, "one row per subject and subject-level parameter", duplicate_row(2)),
    ("adrs", PLAUSIBILITY, "ADT not after the cut-off", set_value(0, "ADT", d("2026-11-01"))),
    (
        "adrs", PLAUSIBILITY, "MRD12 = Y only after ASCT (subjects still on study)",
        set_value(3, "ADT", d("2026-04-03")),  # on the ASCT day: not after it
    ),
    ("adrs", CONFORMANCE, "WINCMPFL is Y or empty", set_value(6, "WINCMPFL", "N")),
    ("adrs", CONFORMANCE, "WINCMPFL only on MRD12 and MRD24 rows", set_value(2, "WINCMPFL", "Y")),
    (
        "adrs", CONFORMANCE, "WINCMPFL = Y on MRD12 / MRD24 rows with AVALC = Y",
        set_value(3, "WINCMPFL", None),
    ),
    # ADTTE
    ("adtte", CONFORMANCE, "USUBJID present", set_value(0, "USUBJID", None)),
    (
        "adtte", CONFORMANCE, "every ADTTE USUBJID is in ADSL",
        set_value(0, "USUBJID", "ISA-DEX-MM-IT01-999"),
    ),
    ("adtte", CONFORMANCE, "PARAMCD in the spec's set", set_value(0, "PARAMCD", "EFS")),
    ("adtte", CONFORMANCE, "one row per subject and parameter", duplicate_row(0)),
    ("adtte", CONFORMANCE, "CNSR present", set_value(0, "CNSR", None)),
    ("adtte", CONFORMANCE, "CNSR in its codes 0-8", set_value(0, "CNSR", 9)),
    ("adtte", CONFORMANCE, "AVAL present", set_value(0, "AVAL", None)),
    ("adtte", PLAUSIBILITY, "AVAL >= 1", set_value(0, "AVAL", 0)),
    ("adtte", CONFORMANCE, "AVALU present", set_value(0, "AVALU", None)),
    ("adtte", CONFORMANCE, "AVALU = DAYS", set_value(0, "AVALU", "MONTHS")),
    ("adtte", CONFORMANCE, "CMPEVFL is Y or empty", set_value(0, "CMPEVFL", "N")),
    ("adtte", PLAUSIBILITY, "ADT on or after STARTDT", set_value(0, "ADT", d("2026-01-04"))),
    ("adtte", PLAUSIBILITY, "ADT not after the cut-off", set_value(1, "ADT", d("2026-11-01"))),
    # ADAE
    ("adae", CONFORMANCE, "USUBJID present", set_value(0, "USUBJID", None)),
    (
        "adae", CONFORMANCE, "every ADAE USUBJID is in ADSL",
        set_value(0, "USUBJID", "ISA-DEX-MM-IT01-999"),
    ),
    ("adae", CONFORMANCE, "TRTEMFL is Y or empty", set_value(0, "TRTEMFL", "N")),
    ("adae", CONFORMANCE, "WGRPTFL is Y or empty", set_value(0, "WGRPTFL", "N")),
    ("adae", CONFORMANCE, "WGRSOCFL is Y or empty", set_value(0, "WGRSOCFL", "N")),
    ("adae", CONFORMANCE, "WGRFL is Y or empty", set_value(0, "WGRFL", "N")),
    (
        "adae", PLAUSIBILITY, "one WGRPTFL per subject and AEDECOD",
        set_value(0, "WGRPTFL", "Y"),
    ),
    (
        "adae", PLAUSIBILITY, "one WGRSOCFL per subject and AEBODSYS",
        set_value(0, "WGRSOCFL", "Y"),
    ),
    ("adae", PLAUSIBILITY, "one WGRFL per subject", set_value(0, "WGRFL", "Y")),
    ("adae", PLAUSIBILITY, "AENDT on or after ASTDT", set_value(0, "AENDT", d("2026-01-31"))),
    ("adae", PLAUSIBILITY, "ASTDT not after the cut-off", set_value(2, "ASTDT", d("2026-11-01"))),
    ("adae", PLAUSIBILITY, "AENDT not after the cut-off", set_value(1, "AENDT", d("2026-11-01"))),
    # ADEX
    ("adex", CONFORMANCE, "USUBJID present", set_value(0, "USUBJID", None)),
    (
        "adex", CONFORMANCE, "every ADEX USUBJID is in ADSL",
        set_value(0, "USUBJID", "ISA-DEX-MM-IT01-999"),
    ),
    ("adex", CONFORMANCE, "APHASE in the spec's set", set_value(0, "APHASE", "FOLLOW-UP")),
    ("adex", CONFORMANCE, "PARCAT1 is a study drug", set_value(0, "PARCAT1", "LENALIDOMIDE")),
    ("adex", CONFORMANCE, "PARAMCD present", set_value(0, "PARAMCD", None)),
    ("adex", CONFORMANCE, "PARAMCD in the spec's set", set_value(0, "PARAMCD", "REDFL")),
    (
        "adex", CONFORMANCE, "one row per subject, drug, phase and parameter",
        set_value(2, "PARAMCD", "NRED"),
    ),
    (
        "adex", CONFORMANCE, "one REDCAUS row per subject, drug, phase and cause",
        set_value(5, "AVALC", "ADVERSE EVENT"),
    ),
    ("adex", CONFORMANCE, "AVAL present but on REDCAUS rows", set_value(6, "AVAL", None)),
    ("adex", CONFORMANCE, "REDCAUS AVALC in the spec's causes", set_value(4, "AVALC", "AE")),
    ("adex", PLAUSIBILITY, "RDI within (0, 1.5]", set_value(0, "AVAL", 1.51)),
    # ADSL MEASDIS (response.md section 2)
    ("adsl", CONFORMANCE, "MEASDIS in the spec's set", set_value(0, "MEASDIS", "BOTH")),
    # ADLB
    ("adlb", CONFORMANCE, "USUBJID present", set_value(0, "USUBJID", None)),
    (
        "adlb", CONFORMANCE, "every ADLB USUBJID is in ADSL",
        set_value(0, "USUBJID", "ISA-DEX-MM-IT01-999"),
    ),
    ("adlb", CONFORMANCE, "ABLFL is Y or empty", set_value(1, "ABLFL", "N")),
    ("adlb", CONFORMANCE, "PARAMCD in the spec's set", set_value(0, "PARAMCD", "HGB")),
    ("adlb", CONFORMANCE, "PARCAT1 = IMWG", set_value(0, "PARCAT1", "RESPONSE")),
    (
        "adlb", CONFORMANCE, "one row per subject, parameter and date",
        set_value(0, "ADT", d("2026-03-01")),
    ),
    ("adlb", CONFORMANCE, "one baseline per subject and parameter", set_value(1, "ABLFL", "Y")),
    (
        "adlb", CONFORMANCE, "AVALC POS or NEG for the immunofixation and clonality tests",
        set_value(3, "AVALC", "POSITIVE"),
    ),
    ("adlb", PLAUSIBILITY, "AVAL >= 0 (DFLC aside)", set_value(1, "AVAL", -0.1)),
    ("adlb", PLAUSIBILITY, "ADT not after the cut-off", set_value(4, "ADT", d("2026-11-01"))),
]  # fmt: skip


# MRD12 = Y for a subject on study (no EOSDT) who never had an ASCT: S1 with its ASCT removed.
def _case_mrd12_no_asct(suites):
    adsl = valid_adsl()
    adsl.at[0, "ASCTDT"] = NAT
    rows = valid_adrs()
    frames.add_adsl_context(rows, adsl, ADSL_CONTEXT["adrs"])
    return gx_runner.validate_check(suites["adrs"], PLAUSIBILITY, {ROWS: rows})


@pytest.mark.parametrize(
    ("dataset", "check", "rule", "mutate"),
    ROW_CASES,
    ids=[f"{c[0]}:{c[2]}" for c in ROW_CASES],
)
def test_row_rule_catches_its_violation(suites, dataset, check, rule, mutate):
    outcome = run(suites, dataset, check, mutate(VALID_ROWS[dataset]()))
    assert failed_rules(outcome) == {rule}, outcome.details


def test_mrd12_without_asct_for_subject_on_study(suites):
    outcome = _case_mrd12_no_asct(suites)
    assert failed_rules(outcome) == {"MRD12 = Y only with an ASCT (subjects still on study)"}


def test_mrd12_early_leaver_before_asct_is_not_a_warning(suites):
    """adam.md MRD12 (b): S2 left the study without ASCT; its MRD12 = Y row is plausible."""
    outcome = run(suites, "adrs", PLAUSIBILITY, valid_adrs())
    assert outcome.passed
    assert all(e.success for e in outcome.expectations if "MRD12" in e.rule)


def test_rdi_zero_is_outside_the_open_interval(suites):
    outcome = run(suites, "adex", PLAUSIBILITY, set_value(0, "AVAL", 0.0)(valid_adex()))
    assert failed_rules(outcome) == {"RDI within (0, 1.5]"}
    edge = run(suites, "adex", PLAUSIBILITY, set_value(0, "AVAL", 1.5)(valid_adex()))
    assert edge.passed


def test_failure_reports_the_offending_values(suites):
    outcome = run(suites, "adtte", CONFORMANCE, set_value(0, "CNSR", 9)(valid_adtte()))
    (failed,) = outcome.failed
    assert failed.unexpected_count == 1 and failed.element_count == 4
    assert failed.sample == ("9",)
    assert "CNSR in its codes 0-8 (1 rows of 4) e.g. 9" in outcome.details


# --------------------------------------------------------------------------- catalogue cases


def _catalogue_with(dataset: str, change: Callable[[pd.DataFrame], pd.DataFrame]) -> pd.DataFrame:
    names = list(REQUIRED_VARIABLES[dataset])
    raw = pd.DataFrame(
        {
            "NAME": names,
            "DATA_TYPE": [REQUIRED_VARIABLES[dataset][n] for n in names],
            "COMMENT": [f"Label of {n}. Derivation." for n in names],
        }
    )
    return frames.catalogue_frame(change(raw))


def _drop(name):
    return lambda raw: raw[raw["NAME"] != name].reset_index(drop=True)


def _retype(name, kind):
    def change(raw):
        raw = raw.copy()
        raw.loc[raw["NAME"] == name, "DATA_TYPE"] = kind
        return raw

    return change


def _extra(name, kind="VARCHAR", comment="Extra Variable. Derivation."):
    return lambda raw: pd.concat(
        [raw, pd.DataFrame({"NAME": [name], "DATA_TYPE": [kind], "COMMENT": [comment]})],
        ignore_index=True,
    )


CATALOGUE_CASES = [
    ("adsl", "required variables present with the spec's types", _drop("TRTSDT")),
    ("adtte", "required variables present with the spec's types", _retype("CNSR", "VARCHAR")),
    ("adrs", "required variables present with the spec's types", _retype("ADT", "TIMESTAMP")),
    ("adae", "variable names at most 8 characters", _extra("ASTDTFLAG")),
    ("adex", "variable names upper case", _extra("rdi2", "DOUBLE")),
    ("adsl", "every variable has a label", _extra("EXTRA", comment=None)),
    ("adtte", "labels at most 40 characters", _extra("EXTRA", comment="A" * 41 + ". Too long.")),
]


@pytest.mark.parametrize(("dataset", "rule", "change"), CATALOGUE_CASES)
def test_catalogue_rule_catches_its_violation(suites, dataset, rule, change):
    catalogue = _catalogue_with(dataset, change)
    outcome = run(suites, dataset, CONFORMANCE, VALID_ROWS[dataset](), catalogue)
    assert failed_rules(outcome) == {rule}, outcome.details


def test_missing_variable_is_named(suites):
    outcome = run(
        suites, "adsl", CONFORMANCE, valid_adsl(), _catalogue_with("adsl", _drop("TRTSDT"))
    )
    assert outcome.failed[0].sample == ("TRTSDT:DATE",)


def test_every_rule_of_every_suite_has_a_breaking_case(suites):
    covered = {(ds, rule) for ds, _, rule, _ in ROW_CASES}
    covered |= {(ds, rule) for ds, rule, _ in CATALOGUE_CASES}
    covered.add(("adrs", "MRD12 = Y only with an ASCT (subjects still on study)"))
    catalogue_rules = {rule for _, rule, _ in CATALOGUE_CASES}
    for dataset, suite in suites.items():
        for e in suite.expectations:
            rule = e.meta["rule"]
            if rule in catalogue_rules:
                continue  # catalogue rules are the same expectation in every suite
            assert (dataset, rule) in covered, f"{dataset}: no test breaks {rule!r}"


# --------------------------------------------------------------------------- the suites as code


def test_committed_json_is_what_the_module_defines():
    for dataset in DATASETS:
        committed = (SUITES_DIR / f"{dataset}.json").read_text()
        assert committed == suite_json(build_suite(dataset)), (
            f"{dataset}.json is stale: run python -m dagster_project.lib.validation.suites"
        )


def test_rules_are_unique_and_tagged(suites):
    for suite in suites.values():
        rules = [e.meta["rule"] for e in suite.expectations]
        assert len(rules) == len(set(rules))
        assert {e.meta["check"] for e in suite.expectations} == {CONFORMANCE, PLAUSIBILITY}
        assert {e.meta["batch"] for e in suite.expectations} <= {ROWS, COLUMNS}


# --------------------------------------------------------------------------- frames from DuckDB


def test_label_is_the_leading_sentence_of_the_comment():
    assert frames.label_from_comment("Analysis Date. The event date.") == "Analysis Date"
    assert frames.label_from_comment("Parameter (N). 1 PFS ... 11 TTDISC.") == "Parameter (N)"
    assert frames.label_from_comment("Study Identifier") == "Study Identifier"
    assert frames.label_from_comment("  ") is None
    assert frames.label_from_comment(None) is None


def test_duckdb_dataset_validates_through_pandas(suites, tmp_path):
    """The GX SQL data source on a DuckDB file fails every expectation with `list index out of
    range` (it fetches after closing the connection; spec README, Validation). We read the table
    with DuckDB into pandas instead: a real DuckDB table with comments, read as the asset check
    reads it, is validated and a planted violation is caught."""
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("create schema adam")
    con.execute(
        "create table adam.adtte (STUDYID varchar, USUBJID varchar, PARAMCD varchar, "
        "PARAM varchar, STARTDT date, ADT date, AVAL integer, AVALU varchar, CNSR integer, "
        "EVNTDESC varchar, CNSDTDSC varchar, SRCDOM varchar, SRCVAR varchar, CMPEVFL varchar, "
        "ASEQ integer, ADY integer, TRTP varchar, TRTA varchar)"
    )
    for name in REQUIRED_VARIABLES["adtte"]:
        con.execute(f"comment on column adam.adtte.{name} is 'Label {name}. Derivation.'")
    con.execute(
        f"insert into adam.adtte values ('ISA-DEX-MM', '{S1}', 'PFS', 'PFS', date '2026-01-05', "
        "date '2026-01-05', 0, 'DAYS', 5, 'START', 'START DATE', 'ADSL', 'ICFDT', null, 1, 1, "
        "'ISATUXIMAB-DEXAMETHASONE', 'ISATUXIMAB-DEXAMETHASONE')"
    )
    rows = frames.read_dataset(con, "adtte")
    catalogue = frames.column_catalogue(con, "adtte")
    con.close()
    assert catalogue.loc[catalogue["NAME"] == "STARTDT", "LABEL"].item() == "Label STARTDT"
    outcome = run(suites, "adtte", PLAUSIBILITY, rows, catalogue)
    assert failed_rules(outcome) == {"AVAL >= 1"}


def test_event_before_origin_warns_without_blocking(suites):
    """A site's death before consent gives an event ADT before STARTDT and a negative AVAL.
    site_extracts.md: such rows load and raise a finding; so nothing blocks, and plausibility
    names both the inconsistent dates and the time below one day."""
    broken = valid_adtte()
    broken.at[2, "ADT"] = d("2026-01-02")  # S2 PFS event before STARTDT 2026-01-10
    broken.at[2, "AVAL"] = -7
    assert failed_rules(run(suites, "adtte", CONFORMANCE, broken)) == set()
    assert failed_rules(run(suites, "adtte", PLAUSIBILITY, broken)) == {
        "ADT on or after STARTDT",
        "AVAL >= 1",
    }


def test_adsl_context_is_the_same_for_categorical_and_plain_text():
    """The export and GX read text as Categorical; the ADSL lookup gives what it gives on plain
    text: per row the subject's value, empty for a subject ADSL does not have, dates as dates."""
    adsl = pd.DataFrame(
        {
            "USUBJID": ["S1", "S2", "S3"],
            "CUTOFFDT": pd.to_datetime(["2026-09-30", "2026-09-30", "2026-10-01"]),
            "ARM": ["A", None, "B"],
        }
    )
    rows = pd.DataFrame({"USUBJID": ["S2", "S1", "S9", "S2", "S3"]})
    plain, coded = rows.copy(), rows.astype({"USUBJID": "category"})
    frames.add_adsl_context(plain, adsl, ("CUTOFFDT", "ARM"))
    frames.add_adsl_context(coded, adsl.astype({"USUBJID": "category"}), ("CUTOFFDT", "ARM"))
    for column in ("ADSL_CUTOFFDT", "ADSL_ARM"):
        pd.testing.assert_series_equal(coded[column], plain[column])
    assert coded["ADSL_ARM"].tolist()[:2] == [None, "A"]
    assert pd.isna(coded["ADSL_ARM"].iloc[2]) and pd.isna(coded["ADSL_CUTOFFDT"].iloc[2])
    assert coded["ADSL_CUTOFFDT"].dt.strftime("%Y-%m-%d").tolist()[4] == "2026-10-01"
