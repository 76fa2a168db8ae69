"""The GX expectation suites of the ADaM datasets, defined as code and committed as JSON.

One suite per dataset (adsl, adrs, adtte, adae, adex, adlb). Every expectation carries three `meta`
keys that say how it runs:

- ``check``: ``conformance`` (ADaM structure and the spec's code lists; a failure blocks the
  endpoints) or ``plausibility`` (clinical chronology; a failure is a warning);
- ``batch``: ``rows`` (the dataset's rows, plus ``ADSL_*`` context columns for plausibility)
  or ``columns`` (the column catalogue: one row per variable with NAME, DATA_TYPE, LABEL and
  NAME_TYPE = NAME:DATA_TYPE);
- ``rule``: the rule in words, as the report shows it.

Rules that need ADSL read ``ADSL_<variable>`` columns added to the rows by USUBJID
(``datasets.ADSL_CONTEXT``), not suite parameters: GX spends far more on a large parameter
set than on a column pair. The JSON under
``expectations/gx/expectations`` is written by :func:`write_suites`
(``python -m dagster_project.lib.validation.suites``); a unit test keeps it equal to this module.
"""

import json
import uuid
from pathlib import Path

import great_expectations as gx
import great_expectations.expectations as gxe
from great_expectations.expectations.row_conditions import Column

from dagster_project.lib.validation.datasets import (
    COLUMNS,
    CONFORMANCE,
    DATASETS,
    PLAUSIBILITY,
    ROWS,
    SUITES_DIR,
)

_ID_NAMESPACE = uuid.UUID("6f1c2f0e-3a57-4a43-9d1e-1c0a5e0d1a11")

V, N, D, F = "VARCHAR", "INTEGER", "DATE", "DOUBLE"  # N: integer (E741 bans I)

# adam.md variables each dataset must carry, with the DuckDB type of the enforced dbt contract.
REQUIRED_VARIABLES: dict[str, dict[str, str]] = {
    "adsl": {
        "STUDYID": V, "USUBJID": V, "SUBJID": V, "SITEID": V, "AGE": N, "AGEU": V, "AGEGR1": V,
        "SEX": V, "RACE": V, "ISS": V, "HRCYTO": V, "MMTYPE": V, "LCTYPE": V, "PRIORLN": N,
        "REIND": V, "REINDRSP": V, "DIAGDT": D, "DIAGDTF": V, "ICFDT": D, "ELIGDT": D,
        "ITTFL": V, "SAFFL": V, "RESPFL": V, "TRTSDT": D, "TRTEDT": D, "MELDT": D, "ASCTDT": D,
        "ASCTFL": V, "MNTSDT": D, "MNTFL": V, "EOTDT": D, "EOTSTT": V, "DCTREAS": V, "EOSDT": D,
        "EOSSTT": V, "DCSREAS": V, "DTHDT": D, "DTHDTF": V, "DTHCAUS": V, "DTHFL": V,
        "LSTALVDT": D, "LSTASDT": D, "PDDT": D, "NT2SDT": D, "PD2DT": D, "PD2DTSRC": V,
        "CUTOFFDT": D, "REINDSDT": D, "MEASDIS": V,
        # submission.md, treatment variables
        "ARM": V, "ACTARM": V, "TRT01P": V, "TRT01A": V, "TRTDURD": N,
    },
    "adrs": {
        "STUDYID": V, "USUBJID": V, "PARAMCD": V, "PARAM": V, "AVALC": V, "AVAL": N, "ADT": D,
        "APHASE": V, "WINCMPFL": V,
        "ASEQ": N, "ADY": N, "TRTP": V, "TRTA": V,
    },
    "adtte": {
        "STUDYID": V, "USUBJID": V, "PARAMCD": V, "PARAM": V, "STARTDT": D, "ADT": D, "AVAL": N,
        "AVALU": V, "CNSR": N, "EVNTDESC": V, "CNSDTDSC": V, "SRCDOM": V, "SRCVAR": V,
        "CMPEVFL": V,
        "ASEQ": N, "ADY": N, "TRTP": V, "TRTA": V,
    },
    "adae": {
        "STUDYID": V, "USUBJID": V, "AETERM": V, "AEDECOD": V, "AEBODSYS": V, "ASTDT": D,
        "ASTDTF": V, "AENDT": D, "AENDTF": V, "ATOXGR": N, "TRTEMFL": V, "APHASE": V,
        "WGRPTFL": V, "WGRSOCFL": V, "WGRFL": V,
        "AESEQ": N, "ASTDY": N, "AENDY": N, "TRTP": V, "TRTA": V,
    },
    # submission.md: BDS, one row per subject x drug (PARCAT1) x phase x parameter
    "adex": {
        "STUDYID": V, "USUBJID": V, "ASEQ": N, "PARCAT1": V, "APHASE": V, "PARAMCD": V,
        "PARAM": V, "PARAMN": N, "AVAL": F, "AVALC": V, "AVALU": V, "TRTP": V, "TRTA": V,
    },
    # response.md section 2
    "adlb": {
        "STUDYID": V, "USUBJID": V, "PARAMCD": V, "PARAM": V, "PARCAT1": V, "AVAL": F,
        "AVALC": V, "ADT": D, "ADY": N, "ABLFL": V, "BASE": F, "CHG": F, "PCHG": F, "NADIR": F,
        "ASEQ": N, "TRTP": V, "TRTA": V,
    },
}  # fmt: skip

FLAGS: dict[str, tuple[str, ...]] = {
    "adsl": ("ITTFL", "SAFFL", "RESPFL", "ASCTFL", "MNTFL", "DTHFL"),
    "adrs": ("WINCMPFL",),
    "adtte": ("CMPEVFL",),
    "adae": ("TRTEMFL", "WGRPTFL", "WGRSOCFL", "WGRFL"),
    "adex": (),
    "adlb": ("ABLFL",),
}
# adam.md, then the confirmed investigator response (response.md section 1) and the
# response computed from the labs (section 3)
ADRS_PARAMCD = (
    "OVRLRESP",
    "BORIND",
    "BORASCT",
    "BOR",
    "MRD12",
    "MRD24",
    "MRDSUS",
    "MRDANY",
    "COVR",
    "CBORIND",
    "CBORASCT",
    "CBOR",
    "ALGRESP",
    "ALGCOVR",
    "ALGCBOR",
)
# adam.md: the parameters whose rows carry WINCMPFL (whether the window is complete)
ADRS_WINDOWED = ("MRD12", "MRD24")
# the parameters with one row per rs record or computed time point; every other is one row
# per subject
ADRS_PER_ASSESSMENT = ("OVRLRESP", "COVR", "ALGRESP", "ALGCOVR")
ADTTE_PARAMCD = (
    "PFS", "TTP", "OS", "TNT", "PFS2", "DOR", "TTPR", "TTVGPR", "TTCR", "TTSCR", "TTDISC",
    "PFSALG",
)  # fmt: skip
ADEX_APHASE = ("INDUCTION", "ASCT", "MAINTENANCE", "ALL")
ADEX_DRUGS = ("ISATUXIMAB", "DEXAMETHASONE", "MELPHALAN")
ADEX_PARAMCD = ("CUMDOSE", "PLDOSE", "RDI", "NADM", "NRED", "NSKIP", "DURD", "NCYCLE", "REDCAUS")
ADEX_CAUSES = ("ADVERSE EVENT", "OTHER", "UNKNOWN")
ADLB_NUMERIC = ("SMPROT", "UMPROT", "KAPPA", "LAMBDA", "BMPC", "IFLC", "UFLC", "DFLC", "FLCR")
ADLB_POS_NEG = ("SIFE", "SIFEADJ", "UIFE", "BMCLON")
MEASDIS = ("SERUM", "URINE", "SERUM AND URINE", "FLC", "NONE")

_NOT_EMPTY_DATE = "either_value_is_missing"


def _meta(check: str, batch: str, rule: str) -> dict[str, str]:
    return {"check": check, "batch": batch, "rule": rule}


def _conf(rule: str, batch: str = ROWS) -> dict[str, str]:
    return _meta(CONFORMANCE, batch, rule)


def _plaus(rule: str) -> dict[str, str]:
    return _meta(PLAUSIBILITY, ROWS, rule)


def _catalogue(dataset: str) -> list[gxe.Expectation]:
    """ADaM metadata on the column catalogue: required variables with their types, names of at
    most 8 upper-case characters, a label of 1-40 characters on every variable."""
    required = sorted(f"{name}:{kind}" for name, kind in REQUIRED_VARIABLES[dataset].items())
    return [
        gxe.ExpectColumnDistinctValuesToContainSet(
            column="NAME_TYPE",
            value_set=required,
            meta=_conf("required variables present with the spec's types", COLUMNS),
        ),
        gxe.ExpectColumnValueLengthsToBeBetween(
            column="NAME", min_value=1, max_value=8,
            meta=_conf("variable names at most 8 characters", COLUMNS),
        ),
        gxe.ExpectColumnValuesToMatchRegex(
            column="NAME", regex=r"^[A-Z][A-Z0-9_]*$",
            meta=_conf("variable names upper case", COLUMNS),
        ),
        gxe.ExpectColumnValuesToNotBeNull(
            column="LABEL", meta=_conf("every variable has a label", COLUMNS),
        ),
        gxe.ExpectColumnValueLengthsToBeBetween(
            column="LABEL", min_value=1, max_value=40,
            meta=_conf("labels at most 40 characters", COLUMNS),
        ),
    ]  # fmt: skip


def _flags(dataset: str) -> list[gxe.Expectation]:
    # Flags are 'Y' or empty (NULL); GX skips NULLs, so an 'N' or '' is what fails.
    return [
        gxe.ExpectColumnValuesToBeInSet(
            column=flag, value_set=["Y"], meta=_conf(f"{flag} is Y or empty")
        )
        for flag in FLAGS[dataset]
    ]


def _in_adsl(dataset: str) -> list[gxe.Expectation]:
    return [
        gxe.ExpectColumnValuesToNotBeNull(column="USUBJID", meta=_conf("USUBJID present")),
        # ADSL_USUBJID is USUBJID looked up in ADSL: empty when the subject is not there.
        gxe.ExpectColumnPairValuesToBeEqual(
            column_A="USUBJID",
            column_B="ADSL_USUBJID",
            ignore_row_if="both_values_are_missing",
            meta=_conf(f"every {dataset.upper()} USUBJID is in ADSL"),
        ),
    ]


def _not_after_cutoff(column: str) -> gxe.Expectation:
    return gxe.ExpectColumnPairValuesAToBeGreaterThanB(
        column_A="ADSL_CUTOFFDT",
        column_B=column,
        or_equal=True,
        ignore_row_if=_NOT_EMPTY_DATE,
        meta=_plaus(f"{column} not after the cut-off"),
    )


def _after(a: str, b: str, rule: str, or_equal: bool) -> gxe.Expectation:
    return gxe.ExpectColumnPairValuesAToBeGreaterThanB(
        column_A=a, column_B=b, or_equal=or_equal, ignore_row_if=_NOT_EMPTY_DATE,
        meta=_plaus(rule),
    )  # fmt: skip


def adsl_expectations() -> list[gxe.Expectation]:
    return [
        *_catalogue("adsl"),
        gxe.ExpectColumnValuesToNotBeNull(column="USUBJID", meta=_conf("USUBJID present")),
        gxe.ExpectColumnValuesToBeUnique(column="USUBJID", meta=_conf("one ADSL row per USUBJID")),
        gxe.ExpectColumnValuesToBeInSet(
            column="STUDYID", value_set=["ISA-DEX-MM"], meta=_conf("STUDYID is ISA-DEX-MM")
        ),
        *_flags("adsl"),
        gxe.ExpectColumnValuesToBeInSet(
            column="MEASDIS", value_set=list(MEASDIS), meta=_conf("MEASDIS in the spec's set")
        ),
        _after("DTHDT", "ICFDT", "death not before consent", or_equal=True),
        _after("ASCTDT", "ICFDT", "ASCT after consent", or_equal=False),
        # ADSL carries no end-of-induction date: ASCT after the first induction dose and on or
        # after melphalan conditioning here; the dose-level rule is the findings model's.
        _after("ASCTDT", "TRTSDT", "ASCT after induction (after TRTSDT)", or_equal=False),
        _after("ASCTDT", "MELDT", "ASCT on or after melphalan (MELDT)", or_equal=True),
        *(
            _after("CUTOFFDT", col, f"{col} not after the cut-off", or_equal=True)
            for col in ("DTHDT", "LSTALVDT", "PDDT", "EOTDT", "EOSDT")
        ),
    ]


def adrs_expectations() -> list[gxe.Expectation]:
    # MRD12 = Y of a subject still on study (EOSDT empty)
    on_study = (
        (Column("PARAMCD") == "MRD12") & (Column("AVALC") == "Y") & Column("ADSL_EOSDT").is_null()
    )
    return [
        *_catalogue("adrs"),
        *_in_adsl("adrs"),
        gxe.ExpectColumnValuesToBeInSet(
            column="PARAMCD", value_set=list(ADRS_PARAMCD), meta=_conf("PARAMCD in the spec's set")
        ),
        gxe.ExpectColumnValuesToNotBeNull(column="PARAMCD", meta=_conf("PARAMCD present")),
        gxe.ExpectCompoundColumnsToBeUnique(
            column_list=["USUBJID", "PARAMCD"],
            row_condition=Column("PARAMCD").is_not_in(list(ADRS_PER_ASSESSMENT)),
            meta=_conf("one row per subject and subject-level parameter"),
        ),
        _not_after_cutoff("ADT"),
        # adam.md MRD12 (a): negative in (ASCTDT, ASCTDT + 365]; rule (b), early leavers, may
        # precede ASCT, so the rule applies to subjects without EOSDT.
        gxe.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="ADT", column_B="ADSL_ASCTDT", or_equal=False,
            ignore_row_if=_NOT_EMPTY_DATE, row_condition=on_study,
            meta=_plaus("MRD12 = Y only after ASCT (subjects still on study)"),
        ),
        gxe.ExpectColumnValuesToNotBeNull(
            column="ADSL_ASCTDT", row_condition=on_study,
            meta=_plaus("MRD12 = Y only with an ASCT (subjects still on study)"),
        ),
        *_flags("adrs"),
        # adam.md WINCMPFL: only on the MRD12 and MRD24 rows, and Y whenever AVALC = Y there
        gxe.ExpectColumnValuesToBeNull(
            column="WINCMPFL", row_condition=Column("PARAMCD").is_not_in(list(ADRS_WINDOWED)),
            meta=_conf("WINCMPFL only on MRD12 and MRD24 rows"),
        ),
        gxe.ExpectColumnValuesToNotBeNull(
            column="WINCMPFL",
            row_condition=Column("PARAMCD").is_in(list(ADRS_WINDOWED)) & (Column("AVALC") == "Y"),
            meta=_conf("WINCMPFL = Y on MRD12 / MRD24 rows with AVALC = Y"),
        ),
    ]  # fmt: skip


def adtte_expectations() -> list[gxe.Expectation]:
    return [
        *_catalogue("adtte"),
        *_in_adsl("adtte"),
        gxe.ExpectColumnValuesToBeInSet(
            column="PARAMCD", value_set=list(ADTTE_PARAMCD), meta=_conf("PARAMCD in the spec's set")
        ),
        gxe.ExpectCompoundColumnsToBeUnique(
            column_list=["USUBJID", "PARAMCD"], meta=_conf("one row per subject and parameter")
        ),
        gxe.ExpectColumnValuesToNotBeNull(column="CNSR", meta=_conf("CNSR present")),
        gxe.ExpectColumnValuesToBeInSet(
            column="CNSR", value_set=list(range(9)), meta=_conf("CNSR in its codes 0-8")
        ),
        gxe.ExpectColumnValuesToNotBeNull(column="AVAL", meta=_conf("AVAL present")),
        # A warning, not blocking: AVAL < 1 comes only from an event dated before STARTDT (death
        # before consent), which site_extracts.md says must load and be reported as a finding.
        # The endpoints keep such a time as R's survfit does; this check names the rows.
        gxe.ExpectColumnValuesToBeBetween(column="AVAL", min_value=1, meta=_plaus("AVAL >= 1")),
        gxe.ExpectColumnValuesToNotBeNull(column="AVALU", meta=_conf("AVALU present")),
        gxe.ExpectColumnValuesToBeInSet(
            column="AVALU", value_set=["DAYS"], meta=_conf("AVALU = DAYS")
        ),
        *_flags("adtte"),
        _after("ADT", "STARTDT", "ADT on or after STARTDT", or_equal=True),
        _not_after_cutoff("ADT"),
    ]


def adae_expectations() -> list[gxe.Expectation]:
    worst = [
        ("WGRPTFL", ["USUBJID", "AEDECOD"], "one WGRPTFL per subject and AEDECOD"),
        ("WGRSOCFL", ["USUBJID", "AEBODSYS"], "one WGRSOCFL per subject and AEBODSYS"),
    ]
    return [
        *_catalogue("adae"),
        *_in_adsl("adae"),
        *_flags("adae"),
        gxe.ExpectColumnValuesToBeUnique(
            column="USUBJID",
            row_condition=Column("WGRFL") == "Y",
            meta=_plaus("one WGRFL per subject"),
        ),
        *(
            gxe.ExpectCompoundColumnsToBeUnique(
                column_list=keys,
                row_condition=Column(flag) == "Y",
                meta=_plaus(rule),
            )
            for flag, keys, rule in worst
        ),
        _after("AENDT", "ASTDT", "AENDT on or after ASTDT", or_equal=True),
        _not_after_cutoff("ASTDT"),
        _not_after_cutoff("AENDT"),
    ]


def adex_expectations() -> list[gxe.Expectation]:
    causes = Column("PARAMCD") == "REDCAUS"
    not_causes = Column("PARAMCD") != "REDCAUS"
    return [
        *_catalogue("adex"),
        *_in_adsl("adex"),
        *_flags("adex"),
        gxe.ExpectColumnValuesToBeInSet(
            column="APHASE", value_set=list(ADEX_APHASE), meta=_conf("APHASE in the spec's set")
        ),
        gxe.ExpectColumnValuesToBeInSet(
            column="PARCAT1", value_set=list(ADEX_DRUGS), meta=_conf("PARCAT1 is a study drug")
        ),
        gxe.ExpectColumnValuesToNotBeNull(column="PARAMCD", meta=_conf("PARAMCD present")),
        gxe.ExpectColumnValuesToBeInSet(
            column="PARAMCD", value_set=list(ADEX_PARAMCD), meta=_conf("PARAMCD in the spec's set")
        ),
        # the key (dbt meta.keys): AVALC tells the REDCAUS rows of one drug and phase apart
        gxe.ExpectCompoundColumnsToBeUnique(
            column_list=["USUBJID", "PARCAT1", "APHASE", "PARAMCD"], row_condition=not_causes,
            meta=_conf("one row per subject, drug, phase and parameter"),
        ),
        gxe.ExpectCompoundColumnsToBeUnique(
            column_list=["USUBJID", "PARCAT1", "APHASE", "AVALC"], row_condition=causes,
            meta=_conf("one REDCAUS row per subject, drug, phase and cause"),
        ),
        gxe.ExpectColumnValuesToNotBeNull(
            column="AVAL", row_condition=not_causes, meta=_conf("AVAL present but on REDCAUS rows"),
        ),
        gxe.ExpectColumnValuesToBeInSet(
            column="AVALC", value_set=list(ADEX_CAUSES), row_condition=causes,
            meta=_conf("REDCAUS AVALC in the spec's causes"),
        ),
        gxe.ExpectColumnValuesToBeBetween(
            column="AVAL", min_value=0, max_value=1.5, strict_min=True,
            row_condition=Column("PARAMCD") == "RDI", meta=_plaus("RDI within (0, 1.5]"),
        ),
    ]  # fmt: skip


def adlb_expectations() -> list[gxe.Expectation]:
    pos_neg = Column("PARAMCD").is_in(list(ADLB_POS_NEG))
    return [
        *_catalogue("adlb"),
        *_in_adsl("adlb"),
        *_flags("adlb"),
        gxe.ExpectColumnValuesToBeInSet(
            column="PARAMCD", value_set=[*ADLB_NUMERIC, *ADLB_POS_NEG],
            meta=_conf("PARAMCD in the spec's set"),
        ),
        gxe.ExpectColumnValuesToBeInSet(
            column="PARCAT1", value_set=["IMWG"], meta=_conf("PARCAT1 = IMWG")
        ),
        gxe.ExpectCompoundColumnsToBeUnique(
            column_list=["USUBJID", "PARAMCD", "ADT"],
            meta=_conf("one row per subject, parameter and date"),
        ),
        gxe.ExpectCompoundColumnsToBeUnique(
            column_list=["USUBJID", "PARAMCD"], row_condition=Column("ABLFL") == "Y",
            meta=_conf("one baseline per subject and parameter"),
        ),
        gxe.ExpectColumnValuesToBeInSet(
            column="AVALC", value_set=["POS", "NEG"], row_condition=pos_neg,
            meta=_conf("AVALC POS or NEG for the immunofixation and clonality tests"),
        ),
        # FLC and M-protein concentrations and marrow percentages cannot be negative
        gxe.ExpectColumnValuesToBeBetween(
            column="AVAL", min_value=0, row_condition=Column("PARAMCD") != "DFLC",
            meta=_plaus("AVAL >= 0 (DFLC aside)"),
        ),
        _not_after_cutoff("ADT"),
    ]  # fmt: skip


BUILDERS = {
    "adsl": adsl_expectations,
    "adrs": adrs_expectations,
    "adtte": adtte_expectations,
    "adae": adae_expectations,
    "adex": adex_expectations,
    "adlb": adlb_expectations,
}


def build_suite(dataset: str) -> gx.ExpectationSuite:
    """The suite of one dataset, with ids derived from (dataset, rule) so that the committed
    JSON is reproducible byte for byte (rules are unique within a suite)."""
    suite = gx.ExpectationSuite(
        name=dataset,
        expectations=BUILDERS[dataset](),
        meta={"dataset": f"adam.{dataset}", "source": "dagster_project/lib/validation/suites.py"},
    )
    suite.id = str(uuid.uuid5(_ID_NAMESPACE, dataset))
    for expectation in suite.expectations:
        expectation.id = str(uuid.uuid5(_ID_NAMESPACE, f"{dataset}:{expectation.meta['rule']}"))
    return suite


def suite_json(suite: gx.ExpectationSuite) -> str:
    data = suite.to_json_dict()
    data["meta"].pop("great_expectations_version", None)  # an upgrade must not rewrite the suites
    return json.dumps(data, indent=2, sort_keys=True, default=str) + "\n"


def write_suites(directory: Path = SUITES_DIR) -> list[Path]:
    """Write every suite as GX file-context JSON (<directory>/<dataset>.json)."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for dataset in DATASETS:
        path = directory / f"{dataset}.json"
        path.write_text(suite_json(build_suite(dataset)))
        paths.append(path)
    return paths


def load_suites(directory: Path = SUITES_DIR) -> dict[str, gx.ExpectationSuite]:
    """The committed suites, as GX objects (what runs is what was reviewed)."""
    return {
        dataset: gx.ExpectationSuite(**json.loads((directory / f"{dataset}.json").read_text()))
        for dataset in DATASETS
    }


if __name__ == "__main__":
    for written in write_suites():
        print(written)
