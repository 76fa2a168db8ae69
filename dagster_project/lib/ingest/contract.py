"""The site-extract contract (../shared/spec/site_extracts.md) as data.

One definition serves the synthetic generator, the ingestion checks, the raw
table DDL and the tests, so the three cannot drift apart.

Versions (site_extracts.md, "Contract versions"). Each later version only adds: columns,
codes and forms, each marked here with the version that added it (`since`), in the place
the spec lists it. `forms_of(version)` is what a transfer of that version must carry and is
checked against; `RAW_FORMS` (every version, so the newest) is what the raw tables hold.
A transfer is read under the version its manifest declares: a 1.0 transfer has no im.csv
and none of the 1.1 columns, so those read as missing (NULL) in raw.*; a 1.1 column a 1.0
file sends anyway is an extra column (kept in EXTRA, raised as a finding), and a 1.1 code
in a 1.0 file an unknown code.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field, replace
from typing import Literal

import yaml

from dagster_project.lib.runtime.settings import DBT_PROJECT_DIR

STUDY_ID = "ISA-DEX-MM"
# Every version a manifest may declare, oldest first; any other refuses the transfer.
CONTRACT_VERSIONS: tuple[str, ...] = ("1.0", "1.1")
# The version the generator and the transfer writer write unless asked otherwise: 1.0 while
# the analysis reads nothing of 1.1, so the default demo and every earlier fixture keep their
# files and numbers (issue 29).
DEFAULT_CONTRACT_VERSION = "1.0"
SITEID_RE = re.compile(r"^[A-Z]{2}[0-9]{2}$")
SUBJID_RE = re.compile(r"^[A-Z]{2}[0-9]{2}-[0-9]{3}$")

ColumnType = Literal["text", "int", "num", "date", "partial_date", "code", "yn"]

# DuckDB type each contract type is stored as in raw.*. Partial dates stay text
# (their precision is information: adam.md imputes from it and sets a flag).
DUCKDB_TYPE: dict[str, str] = {
    "text": "VARCHAR",
    "int": "BIGINT",
    "num": "DOUBLE",
    "date": "DATE",
    "partial_date": "VARCHAR",
    "code": "VARCHAR",
    "yn": "VARCHAR",
}


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType
    label: str
    codes: tuple[str, ...] = ()
    required: bool = False
    min_value: float | None = None
    max_value: float | None = None
    # Values inside [min_value, max_value] that are still not allowed, and why (in the reason).
    not_values: tuple[int, ...] = ()
    not_values_why: str = ""
    since: str = "1.0"  # the contract version that added the column
    # (code, version) for codes a later version added to `codes` (which lists them all)
    codes_since: tuple[tuple[str, str], ...] = ()

    def as_of(self, version: str) -> Column:
        """The column as contract `version` defines it: only the codes it knows."""
        if not self.codes_since:
            return self
        later = {code for code, v in self.codes_since if _rank(v) > _rank(version)}
        return replace(self, codes=tuple(c for c in self.codes if c not in later), codes_since=())


@dataclass(frozen=True)
class Form:
    name: str
    label: str
    key: tuple[str, ...]  # record key within a site; SUBJID is always part of it
    columns: tuple[Column, ...] = field(default_factory=tuple)
    since: str = "1.0"  # the contract version that added the form

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


def _id_columns() -> tuple[Column, ...]:
    return (
        Column("SITEID", "text", "Study Site Identifier", required=True),
        Column("SUBJID", "text", "Subject Identifier for the Study", required=True),
    )


def _form(name: str, label: str, key: tuple[str, ...], *cols: Column, since: str = "1.0") -> Form:
    full_key = key if "SUBJID" in key else ("SUBJID", *key)
    keyed = tuple(replace(c, required=True) if c.name in full_key else c for c in cols)
    return Form(name, label, full_key, _id_columns() + keyed, since)


def _rank(version: str) -> int:
    """Order of a known version (KeyError naming it otherwise): "1.10" must not sort first."""
    try:
        return CONTRACT_VERSIONS.index(version)
    except ValueError:
        raise KeyError(f"unknown contract version {version!r}") from None


YN = ("Y", "N")


def _imwg_response_order() -> tuple[str, ...]:
    """The IMWG categories best first, read from the dbt project var imwg_response_order
    (dbt/dbt_project.yml), the one definition of the order: dbt's response_rank macros loop
    over the same list, so Python and SQL cannot disagree (docs/architecture.md)."""
    project = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text())
    return tuple(project["vars"]["imwg_response_order"])


# IMWG categories in adam.md's order, best first (1 SCR .. 7 PD, 8 NE): every Python reader of
# the order takes it from here.
RESPONSES = _imwg_response_order()
# rs RSPDTYP (1.1): the basis of a PD. A 1.0 transfer has none: its PDs read as BIOCHEMICAL
# (response.md), which staging applies (stg_rs.pd_basis), so raw keeps what was sent.
PD_BASES = ("BIOCHEMICAL", "IMAGING", "CLINICAL")

# Every form and column of every version, each marked with the version that added it.
_ALL_FORMS: dict[str, Form] = {
    f.name: f
    for f in (
        _form(
            "dm",
            "Demographics",
            ("SUBJID",),
            Column("BRTHYR", "int", "Birth Year", min_value=1900, max_value=2100),
            Column("SEX", "code", "Sex", ("M", "F")),
            Column(
                "RACE",
                "code",
                "Race",
                ("WHITE", "BLACK OR AFRICAN AMERICAN", "ASIAN", "OTHER", "NOT REPORTED"),
            ),
            Column("HEIGHT", "num", "Height at Baseline (cm)", min_value=0),
            Column("WEIGHT", "num", "Weight at Baseline (kg)", min_value=0),
        ),
        _form(
            "enr",
            "Consent and Eligibility",
            ("SUBJID",),
            Column("ICFDT", "date", "Informed Consent Date"),
            Column("ELIGDT", "date", "Eligibility Confirmed Date"),
            Column("ENRLFL", "yn", "Enrolled Flag", YN),
            Column("REIND", "code", "Re-induction Regimen", ("KRD", "KD", "OTHER")),
            # The IMWG baseline is the disease before it (response.md, ADLB).
            Column("REINDSDT", "date", "Re-induction Start Date", since="1.1"),
            Column("REINDRSP", "code", "Response to Re-induction", ("SCR", "CR", "VGPR", "PR")),
            Column("MOBFL", "yn", "Stem Cells Mobilised Flag", YN),
        ),
        _form(
            "dx",
            "Disease at Baseline",
            ("SUBJID",),
            Column("DIAGDT", "partial_date", "Date of Initial Diagnosis"),
            Column("MMTYPE", "code", "Myeloma Type", ("IGG", "IGA", "LIGHT CHAIN", "OTHER")),
            Column("LCTYPE", "code", "Light Chain Type", ("KAPPA", "LAMBDA")),
            Column("ISS", "code", "ISS Stage", ("I", "II", "III")),
            Column("HRCYTO", "yn", "High-risk Cytogenetics Flag", YN),
            Column("PRIORLN", "int", "Prior Lines of Therapy", min_value=1),
        ),
        _form(
            "ex",
            "Study Drug Administration",
            ("EXTRT", "EXSTDT"),
            Column(
                "EXTRT", "code", "Name of Treatment", ("ISATUXIMAB", "DEXAMETHASONE", "MELPHALAN")
            ),
            Column("PHASE", "code", "Study Phase", ("INDUCTION", "ASCT", "MAINTENANCE")),
            Column("CYCLE", "int", "Cycle within Phase", min_value=1),
            Column(
                "DAY",
                "int",
                "Day within Cycle",
                min_value=-2,
                max_value=28,
                not_values=(-1, 0),
                not_values_why="a cycle's days are 1..28, melphalan's -2",
            ),
            Column("EXSTDT", "date", "Administration Date"),
            Column("EXDOSE", "num", "Dose Given", min_value=0),
            Column("EXDOSU", "code", "Dose Units", ("MG/KG", "MG", "MG/M2")),
            Column("EXADJ", "code", "Reason for Dose Adjustment", ("ADVERSE EVENT", "OTHER")),
        ),
        _form(
            "sct",
            "Stem-cell Transplant",
            ("SUBJID",),
            Column("MELDT", "date", "Melphalan Conditioning Date"),
            Column("ASCTDT", "date", "Stem-cell Reinfusion Date"),
            Column("CD34", "num", "CD34+ Cells Reinfused (10^6/kg)", min_value=0),
        ),
        _form(
            "lb",
            "Disease-assessment Laboratory",
            ("LBTESTCD", "LBDT"),
            Column("LBDT", "date", "Sample Date"),
            Column(
                "LBTESTCD",
                "code",
                "Lab Test Short Name",
                (
                    "SMPROT",
                    "UMPROT",
                    "SIFE",
                    "UIFE",
                    "KAPPA",
                    "LAMBDA",
                    "BMPC",
                    "BMCLON",
                    "SIFEADJ",  # serum immunofixation after adjudication of isatuximab
                ),
                codes_since=(("SIFEADJ", "1.1"),),
            ),
            Column("LBORRES", "text", "Result in Original Units"),
        ),
        _form(
            "rs",
            "Investigator Response Assessment",
            ("RSDT",),
            Column("RSDT", "date", "Assessment Date"),
            Column(
                "PHASE", "code", "Study Phase", ("INDUCTION", "ASCT", "MAINTENANCE", "FOLLOW-UP")
            ),
            Column("RSORRES", "code", "IMWG Response", RESPONSES),
            Column("RSCOMPL", "yn", "Complete Assessment Flag", YN),
            # Required when RSORRES = PD, empty otherwise: a rule across two parseable values,
            # so a row breaking it loads and quality.findings raises it (site_extracts.md,
            # bad input: logically inconsistent but parseable), never a quarantine that
            # would drop a progression from the analysis.
            Column(
                "RSPDTYP",
                "code",
                "Basis of Progressive Disease",
                PD_BASES,
                since="1.1",
            ),
        ),
        _form(
            "mrd",
            "Minimal Residual Disease",
            ("MRDDT",),
            Column("MRDDT", "date", "Bone-marrow Sample Date"),
            Column("MRDMETH", "code", "MRD Method", ("NGF",)),
            Column("MRDSENS", "num", "Sensitivity Reached", min_value=0),
            Column("MRDRES", "code", "MRD Result", ("NEGATIVE", "POSITIVE", "NOT EVALUABLE")),
        ),
        _form(
            "ae",
            "Adverse Events",
            ("AESPID",),
            Column("AESPID", "int", "Sponsor-defined AE Number", min_value=1),
            Column("AETERM", "text", "Reported Term"),
            Column("AEDECOD", "text", "Preferred Term"),
            Column("AEBODSYS", "text", "System Organ Class"),
            Column("AESTDT", "partial_date", "Onset Date"),
            Column("AEENDT", "partial_date", "Resolution Date"),
            Column("AETOXGR", "int", "CTCAE v5.0 Grade", min_value=1, max_value=5),
            Column("AESER", "yn", "Serious Event Flag", YN),
            Column(
                "AEREL", "code", "Causality", ("NOT RELATED", "ISATUXIMAB", "DEXAMETHASONE", "BOTH")
            ),
            Column(
                "AEACN",
                "code",
                "Action Taken with Study Treatment",
                ("NONE", "DOSE REDUCED", "DRUG INTERRUPTED", "DRUG WITHDRAWN"),
            ),
            Column("AESPM", "yn", "Second Primary Malignancy Flag", YN),
        ),
        _form(
            "ds",
            "Disposition",
            ("DSCAT",),
            Column("DSCAT", "code", "Disposition Category", ("END OF TREATMENT", "END OF STUDY")),
            Column("DSDT", "date", "Disposition Date"),
            Column(
                "DSDECOD",
                "code",
                "Disposition Reason",
                (
                    "COMPLETED",
                    "PROGRESSIVE DISEASE",
                    "ADVERSE EVENT",
                    "DEATH",
                    "WITHDRAWAL BY SUBJECT",
                    "LOST TO FOLLOW-UP",
                    "PHYSICIAN DECISION",
                    "OTHER",
                ),
            ),
        ),
        _form(
            "dth",
            "Death",
            ("SUBJID",),
            Column("DTHDT", "partial_date", "Date of Death"),
            Column(
                "DTHCAUS",
                "code",
                "Cause of Death",
                ("PROGRESSIVE DISEASE", "ADVERSE EVENT", "SECOND PRIMARY MALIGNANCY", "OTHER"),
            ),
        ),
        _form(
            "fu",
            "Follow-up Contacts",
            ("FUDT",),
            Column("FUDT", "date", "Contact Date"),
            Column("FUSTAT", "code", "Vital Status", ("ALIVE", "DEAD")),
        ),
        _form(
            "nt",
            "Subsequent Anti-myeloma Therapy",
            ("NTLINE",),
            Column("NTLINE", "int", "Line of Therapy", min_value=2),
            Column("NTSTDT", "date", "Start Date"),
            Column("NTREG", "text", "Regimen"),
            Column("NTPDDT", "date", "Progression on this Line"),
        ),
        _form(
            "im",
            "Imaging of Bone Lesions and Plasmacytomas",
            ("IMDT",),
            Column("IMDT", "date", "Imaging Date"),
            Column("IMMETH", "code", "Imaging Method", ("PET-CT", "CT", "MRI", "WBLDCT", "X-RAY")),
            Column("NEWLES", "yn", "New or Growing Lesion Flag", YN),
            Column("PLASMFL", "yn", "Soft-tissue Plasmacytoma Flag", YN),
            # Empty when PLASMFL = N: like RSPDTYP, a finding when broken, not a quarantine.
            Column("PLSPD", "num", "Plasmacytoma Sum of Diameter Products (cm2)", min_value=0),
            since="1.1",
        ),
    )
}


def _forms_as_of(version: str) -> dict[str, Form]:
    rank = _rank(version)
    return {
        name: replace(
            form,
            columns=tuple(c.as_of(version) for c in form.columns if _rank(c.since) <= rank),
        )
        for name, form in _ALL_FORMS.items()
        if _rank(form.since) <= rank
    }


_BY_VERSION: dict[str, dict[str, Form]] = {v: _forms_as_of(v) for v in CONTRACT_VERSIONS}


def forms_of(version: str) -> dict[str, Form]:
    """The forms a transfer of contract `version` carries, each with that version's columns
    and codes, in the spec's order (KeyError for an unknown version)."""
    _rank(version)
    return _BY_VERSION[version]


def form_files(version: str) -> tuple[str, ...]:
    """The files a transfer of contract `version` must list in its manifest."""
    return tuple(f"{name}.csv" for name in forms_of(version))


# Contract 1.0: what every transfer before 1.1 is, and what the generator and the transfer
# writer write unless asked for another version (the demo's numbers are 1.0's). Code that
# must cover every version uses forms_of(version) or RAW_FORMS.
FORMS: dict[str, Form] = forms_of("1.0")
# What raw.* holds: every form and column of every version (versions only add). A column a
# transfer's version lacks is NULL in its rows.
RAW_FORMS: dict[str, Form] = forms_of(CONTRACT_VERSIONS[-1])

# Columns ingestion adds to every raw.<form> table.
RAW_AUDIT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("TRANSFER_ID", "VARCHAR"),
    ("ROWNUM", "BIGINT"),  # 1-based data-row number in the file, header excluded
    ("EXTRA", "VARCHAR"),  # JSON of columns the contract does not name, kept for audit
)


def raw_table_ddl(form: Form, schema: str = "raw") -> str:
    cols = [f'"{n}" {t}' for n, t in RAW_AUDIT_COLUMNS[:2]]
    cols += [f'"{c.name}" {DUCKDB_TYPE[c.type]}' for c in form.columns]
    cols.append(f'"{RAW_AUDIT_COLUMNS[2][0]}" {RAW_AUDIT_COLUMNS[2][1]}')
    return f"create table if not exists {schema}.{form.name} ({', '.join(cols)})"


def raw_column_additions(form: Form, existing: Collection[str], schema: str = "raw") -> list[str]:
    """ALTER statements adding the contract columns a raw table made by an earlier version
    lacks (`existing`: its column names). The added columns come after EXTRA there and hold
    NULL for the rows already loaded; every reader and writer names its columns, so the order
    does not matter."""
    return [
        f'alter table {schema}.{form.name} add column "{c.name}" {DUCKDB_TYPE[c.type]}'
        for c in form.columns
        if c.name not in existing
    ]
