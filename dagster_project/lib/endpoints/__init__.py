"""Endpoint tables T01-T15 (endpoints.md): pure builders from ADaM frames to tidy rows,
and the display tables a CSR prints. No Dagster here; defs/endpoints wraps these.

Every ``build_tNN(adsl, <adam frames>..., cutoff)`` returns the tidy frame of
``results.COLUMNS``; every ``display_tNN(results)`` turns that frame (or the whole
``endpoints.results``) into strings. ``TABLES`` lists them with the ADaM inputs each needs,
in the order of the builder's positional arguments after ``adsl``.

A builder uses ``cutoff`` only to stamp CUTOFFDT on its rows (``results.to_frame``): what
happens up to the cut-off is already in the ADaM rows. The endpoint step relies on it to keep
a table's statistics when only the cut-off moved (tests/unit/test_endpoint_tables.py builds
every table at two cut-offs).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import pandas as pd

from . import concordance, demographics, discontinuation, landmark
from .adverse_events import (
    build_t07,
    display_t07,
    display_t07_by_phase,
    display_t07_fatal,
    display_t07_overview,
    display_t07_serious,
    footnote_t07,
)
from .concordance import (
    build_t15,
    display_t15,
    display_t15_agreement,
    display_t15_dichotomies,
    display_t15_pfs,
    footnote_t15,
)
from .demographics import build_t11, display_t11, footnote_t11
from .discontinuation import build_t09, display_t09, footnote_t09
from .disposition import build_t12, display_t12, footnote_t12
from .exposure import (
    T08_PARAMS,
    T10_PARAMS,
    T13_PARAMS,
    build_t08,
    build_t10,
    build_t13,
    display_t08,
    display_t10,
    display_t13,
    display_t13_drug,
    footnote_t08,
    footnote_t10,
    footnote_t13,
)
from .landmark import build_t06, display_t06, footnote_t06
from .mrd import (
    MRD_PARAMS,
    build_t01,
    build_t05,
    display_t01,
    display_t05,
    footnote_t01,
    footnote_t05,
)
from .response import ADRS_PARAMS as T02_ADRS_PARAMS
from .response import build_t02, display_t02, footnote_t02
from .results import COLUMNS, KEY, drop_empty_columns
from .subgroups import build_t14, display_t14, footnote_t14
from .time_to_event import (
    T03_PARAMS,
    T04_PARAMS,
    build_t03,
    build_t04,
    display_t03,
    display_t04,
    footnote_t03,
    footnote_t04,
)


def no_footnote(results: pd.DataFrame) -> str:
    return ""


@dataclass(frozen=True)
class TableSpec:
    """One endpoint table: id, CSR title, the ADaM inputs after ADSL, builder, displays.

    ``params``: for a BDS input, the PARAMCD values the builder reads; the asset reads only
    those rows (ADRS at 100,000 subjects is 2.3 million rows, 1.6 million of them OVRLRESP,
    which no table reads). An input not listed is read whole. A test builds every table from
    the whole frames and from the filtered ones and requires the same rows.
    """

    tableid: str
    title: str
    inputs: tuple[str, ...]
    build: Callable[..., pd.DataFrame]
    displays: dict[str, Callable[[pd.DataFrame], pd.DataFrame]]
    params: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # printed under the table (endpoints.md, Presentation): a function of the table's rows,
    # because it names the population's N and the cut-off (CUTOFFDT)
    footnote: Callable[[pd.DataFrame], str] = no_footnote

    def present(self, display: pd.DataFrame, results: pd.DataFrame) -> tuple[pd.DataFrame, str]:
        """A display as the report prints it, and its footnote: the columns empty for every
        row at this cut-off are left out (endpoints.md, Presentation; the rows stay in
        endpoints.results) and named under the table."""
        shown, dropped = drop_empty_columns(display)
        note = self.footnote(results)
        if dropped:
            left_out = "; ".join(dropped)
            note = f"{note} Not shown, not estimable for any row at this cut-off: {left_out}."
        return shown, note.strip()


# The ADaM columns the builders read, per dataset: the endpoint step reads only these (ADSL
# has 47 columns and the tables use 6; at 100,000 subjects reading whole datasets was a third
# of the step). tests/e2e/test_pipeline_e2e.py builds every table from these columns and from
# the whole datasets and requires the same rows, and requires every column name the builder
# modules spell to be here.
ADAM_COLUMNS: dict[str, tuple[str, ...]] = {
    "adsl": (
        "USUBJID",
        "ITTFL",
        "SAFFL",
        "RESPFL",
        "ASCTDT",
        "CUTOFFDT",
        # T11 (demographics and baseline characteristics)
        *demographics.VARIABLES,
        # T13 (exposure)
        "TRTSDT",
        "TRTEDT",
        # T12 disposition, T14 subgroups (the others above)
        "ASCTFL",
        "MNTFL",
        "EOTSTT",
        "DCTREAS",
        "EOSSTT",
        "DCSREAS",
        # T07 by phase: who entered the ASCT and maintenance phases
        "MELDT",
        "MNTSDT",
    ),
    # ADRS and ADTTE carry a PARCAT1 too; no builder of theirs reads it, but the exposure tables
    # spell the name (ADEX's drug) and the projection must not drop a column a builder might mean
    "adrs": (
        "USUBJID",
        "PARAMCD",
        "AVALC",
        "AVAL",
        "ADT",
        "APHASE",
        "ITTFL",
        "WINCMPFL",
        "PARCAT1",
    ),
    "adtte": ("USUBJID", "PARAMCD", "ADT", "AVAL", "CNSR", "CMPEVFL", "PARCAT1"),
    "adae": (
        # ADAE carries ADSL's TRTSDT/TRTEDT; no AE builder reads them, but T13 spells the names
        # (for ADSL) and the projection must not drop a column a builder might mean
        "TRTSDT",
        "TRTEDT",
        "USUBJID",
        "AEDECOD",
        "AEBODSYS",
        "ATOXGR",
        "AESER",
        "AEACN",
        "AEREL",
        "AESPM",
        "SAFFL",
        "TRTEMFL",
        "APHASE",
    ),
    # BDS: T08, T10 and T13 read their parameters (exposure.T08_PARAMS, ...) side by side
    "adex": ("USUBJID", "PARCAT1", "APHASE", "PARAMCD", "AVAL", "AVALC"),
}

TABLES: tuple[TableSpec, ...] = (
    TableSpec(
        "T01",
        "Primary endpoint: MRD negativity within 12 months after ASCT (ITT)",
        ("adrs",),
        build_t01,
        {"t01": display_t01},
        {"adrs": ("MRD12",)},
        footnote_t01,
    ),
    TableSpec(
        "T02",
        "Response by phase (ITT, IMWG, confirmed)",
        ("adrs",),
        build_t02,
        {"t02": display_t02},
        {"adrs": T02_ADRS_PARAMS},
        footnote_t02,
    ),
    TableSpec(
        "T03",
        "Time-to-event endpoints (ITT)",
        ("adtte",),
        build_t03,
        {"t03": display_t03},
        {"adtte": tuple(T03_PARAMS)},
        footnote_t03,
    ),
    TableSpec(
        "T04",
        "Time to response (ITT)",
        ("adtte",),
        build_t04,
        {"t04": display_t04},
        {"adtte": tuple(T04_PARAMS)},
        footnote_t04,
    ),
    TableSpec(
        "T05",
        "MRD negativity rates (ITT)",
        ("adrs",),
        build_t05,
        {"t05": display_t05},
        {"adrs": tuple(MRD_PARAMS)},
        footnote_t05,
    ),
    TableSpec(
        "T06",
        "MRD and outcome: landmarks at ASCT + 365 and + 730 days, sustained MRD negativity "
        "as a time-dependent covariate",
        ("adrs", "adtte"),
        build_t06,
        {"t06": display_t06},
        {"adrs": landmark.ADRS_PARAMS, "adtte": tuple(landmark.OUTCOMES)},
        footnote_t06,
    ),
    TableSpec(
        "T07",
        "Treatment-emergent adverse events (safety population)",
        ("adae",),
        build_t07,
        {
            "t07": display_t07,
            "t07_overview": display_t07_overview,
            "t07_by_phase": display_t07_by_phase,
            "t07_serious": display_t07_serious,
            "t07_fatal": display_t07_fatal,
        },
        footnote=footnote_t07,
    ),
    TableSpec(
        "T08",
        "Dose reductions (safety population)",
        ("adex",),
        build_t08,
        {"t08": display_t08},
        {"adex": T08_PARAMS},
        footnote_t08,
    ),
    TableSpec(
        "T09",
        "Time to discontinuation due to AE or death from AE/SPM (competing risks)",
        ("adtte",),
        build_t09,
        {"t09": display_t09},
        {"adtte": (discontinuation.PARAMCD,)},
        footnote_t09,
    ),
    TableSpec(
        "T10",
        "Relative dose intensity (safety population)",
        ("adex",),
        build_t10,
        {"t10": display_t10},
        {"adex": T10_PARAMS},
        footnote_t10,
    ),
    # T11-T14: the tables a CSR opens with (issue 30)
    TableSpec(
        "T11",
        "Demographics and baseline characteristics (ITT)",
        (),
        build_t11,
        {"t11": display_t11},
        footnote=footnote_t11,
    ),
    TableSpec(
        "T12",
        "Disposition (all screened subjects)",
        (),
        build_t12,
        {"t12": display_t12},
        footnote=footnote_t12,
    ),
    TableSpec(
        "T13",
        "Exposure (safety population)",
        ("adex",),
        build_t13,
        {"t13": display_t13, "t13_drug": display_t13_drug},
        {"adex": T13_PARAMS},
        footnote_t13,
    ),
    TableSpec(
        "T14",
        "Primary endpoint by subgroup: MRD negativity within 12 months after ASCT (ITT)",
        ("adrs",),
        build_t14,
        {"t14": display_t14},
        {"adrs": ("MRD12",)},
        footnote_t14,
    ),
    TableSpec(
        "T15",
        "Concordance of investigator and computed IMWG response (ITT)",
        ("adrs", "adtte"),
        build_t15,
        {
            "t15": display_t15,
            "t15_agreement": display_t15_agreement,
            "t15_dichotomies": display_t15_dichotomies,
            "t15_pfs": display_t15_pfs,
        },
        {"adrs": concordance.ADRS_PARAMS, "adtte": concordance.ADTTE_PARAMS},
        footnote_t15,
    ),
)

__all__ = [
    "ADAM_COLUMNS",
    "COLUMNS",
    "KEY",
    "TABLES",
    "TableSpec",
    "build_t01",
    "build_t15",
    "build_t02",
    "build_t03",
    "build_t04",
    "build_t05",
    "build_t06",
    "build_t07",
    "build_t08",
    "build_t09",
    "build_t10",
    "build_t11",
    "build_t12",
    "build_t13",
    "build_t14",
    "display_t01",
    "display_t02",
    "display_t03",
    "display_t04",
    "display_t05",
    "display_t06",
    "display_t07",
    "display_t07_by_phase",
    "display_t07_fatal",
    "display_t07_overview",
    "display_t07_serious",
    "display_t08",
    "display_t09",
    "display_t10",
    "display_t11",
    "display_t12",
    "display_t13",
    "display_t13_drug",
    "display_t14",
]
