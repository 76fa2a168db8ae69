"""dm, enr, dx: one record per screened subject."""

from __future__ import annotations

import numpy as np

from .cohort import Cohort
from .table import Table
from .vec import NA, entry_lag, rng_for


def baseline_tables(seed: int, c: Cohort) -> list[Table]:
    rng = rng_for(seed, 2)
    n = c.n
    subj = np.arange(n, dtype=np.int64)
    zero = np.zeros(n, dtype=np.int64)
    dm = Table(
        "dm",
        subj,
        zero,
        c.icf + entry_lag(rng, n),
        {
            "BRTHYR": c.brthyr.astype(np.int64),
            "SEX": c.sex,
            "RACE": c.race,
            "HEIGHT": c.height,
            "WEIGHT": c.weight,
        },
    )
    enr_date = np.where(c.itt, c.elig, c.icf + 3)
    enr = Table(
        "enr",
        subj,
        zero,
        enr_date + entry_lag(rng, n),
        {
            "ICFDT": c.icf,
            "ELIGDT": np.where(c.itt, c.elig, NA),
            "ENRLFL": np.where(c.itt, 0, 1).astype(np.int16),  # codes (Y, N)
            "REIND": c.reind,
            "REINDRSP": (4 - c.reind_level).astype(np.int16),  # codes (SCR, CR, VGPR, PR)
            "MOBFL": np.where(c.mobilised, 0, 1).astype(np.int16),
        },
    )
    dx = Table(
        "dx",
        subj,
        zero,
        c.icf + entry_lag(rng, n),
        {
            "DIAGDT": c.diag,
            "DIAGDT__prec": c.diag_prec,
            "MMTYPE": c.mmtype,
            "LCTYPE": c.lctype,
            "ISS": c.iss,
            "HRCYTO": c.hrcyto,
            "PRIORLN": c.priorln,
        },
    )
    return [dm, enr, dx]
