"""The site-extract contract (../shared/spec/site_extracts.md) as data.

One definition serves the synthetic generator, the ingestion checks, the raw
table DDL and the tests, so the three cannot drift apart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

STUDY_ID = "ISA-DEX-MM"
CONTRACT_VERSION = "1.0"
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


@dataclass(frozen=True)
class Form:
    name: str
    label: str
    key: tuple[str, ...]  # record key within a site; SUBJID is always part of it
    columns: tuple[Column, ...] = field(default_factory=tuple)

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


def _form(name: str, label: str, key: tuple[str, ...], *cols: Column) -> Form:
    full_key = key if "SUBJID" in key else ("SUBJID", *key)
    keyed = tuple(
        Column(c.name, c.type, c.label, c.codes, True, c.min_value, c.max_value)
        if c.name in full_key
        else c
        for c in cols
    )
    return Form(name, label, full_key, _id_columns() + keyed)


YN = ("Y", "N")
# IMWG categories in adam.md's order, best first: the one definition of the response order in
# Python (dbt's is macros/response_ranks.sql).
RESPONSES = ("SCR", "CR", "VGPR", "PR", "MR", "SD", "PD", "NE")

FORMS: dict[str, Form] = {
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
            Column("DAY", "int", "Day within Cycle", min_value=-2, max_value=28),
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
                ("SMPROT", "UMPROT", "SIFE", "UIFE", "KAPPA", "LAMBDA", "BMPC", "BMCLON"),
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
    )
}

FORM_FILES: tuple[str, ...] = tuple(f"{name}.csv" for name in FORMS)

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
