"""What contract 1.1 adds to a drawn trial (site_extracts.md, Contract versions).

Filled from what the generator already knows, never by drawing the 1.0 forms again: every
draw here comes from a stream of its own (30), so a 1.1 trial's 1.0 content is the 1.0
trial's of the same seed, value for value (tested), and the default demo keeps its numbers.

- REINDSDT (enr): the re-induction (outside the study, before consent, response >= PR)
  started 100-220 days before ICFDT: three to six 28-day cycles of a carfilzomib-based
  regimen and the weeks to screening.
- im: a baseline imaging 0-21 days before REINDSDT (the IMWG baseline is the disease before
  the re-induction, response.md) for every screened subject; one at screening, between
  ICFDT and ELIGDT, for every enrolled subject; one on the day of each documented
  progression (the rs PD). Each subject keeps one method (IMWG asks for the same one at
  follow-up). A soft-tissue plasmacytoma at baseline in PLASMACYTOMA of subjects (PLSPD
  lognormal around 8 cm2); after the re-induction (>= PR) it is gone or at most half its
  size (half of them each); at a progression it is grown 1.5-2.5 times when the imaging
  made the PD, else within 0.8-1.2 times.
- RSPDTYP (rs): on every PD call and nowhere else; IMAGING for IMAGING_PD of the subjects
  (whose PD imaging shows a new lesion, NEWLES = Y), else BIOCHEMICAL (the generator's PD is
  a rise of the M-protein and free light chains, disease.py). CLINICAL is never written:
  the model has no clinical progression.
- SIFEADJ (lb): isatuximab is an IgG-kappa antibody, so in IgG-kappa subjects serum
  immunofixation from their first dose (C1D1) on stays positive (response.md, 5): their SIFE
  reads POS and a SIFEADJ on the same sample carries the adjudicated result, the one SIFE has
  in a 1.0 trial (NEG from CR). The adjudication is entered a geometric mean of 14 days after
  the SIFE, so a transfer can hold the SIFE before its SIFEADJ.
"""

from __future__ import annotations

import numpy as np

from dagster_project.lib.ingest.contract import PD_BASES, RAW_FORMS

from .cohort import Cohort
from .disease import R_PD, SIFE
from .table import Table, concat
from .vec import choice, entry_lag, rng_for, uniform_int

PLASMACYTOMA = 0.12  # subjects with a soft-tissue plasmacytoma before the re-induction
IMAGING_PD = 0.25  # progressions documented by imaging
# Imaging methods in the contract's order (PET-CT, CT, MRI, WBLDCT, X-RAY).
METHOD_SHARE = (0.40, 0.10, 0.15, 0.30, 0.05)
Y, N = 0, 1  # yn codes
SIFEADJ = RAW_FORMS["lb"].column("LBTESTCD").codes.index("SIFEADJ")
BIOCHEMICAL, IMAGING = PD_BASES.index("BIOCHEMICAL"), PD_BASES.index("IMAGING")
POS = 0  # table.POS_NEG


def add_contract_1_1(seed: int, c: Cohort, tables: dict[str, Table]) -> None:
    """Add REINDSDT, RSPDTYP, SIFEADJ and the im form to `tables` (see module docstring)."""
    rng = rng_for(seed, 30)
    n = c.n
    # Per subject, all drawn up front, so no count decides what a later draw is.
    reindsdt = c.icf - uniform_int(rng, 100, 220, n)
    method = choice(rng, list(METHOD_SHARE), n)
    plasma0 = rng.random(n) < PLASMACYTOMA
    plspd0 = np.round(rng.lognormal(np.log(8.0), 0.6, n), 2)
    plasma_kept = plasma0 & (rng.random(n) < 0.5)
    plspd_scr = np.round(plspd0 * rng.uniform(0.1, 0.5, n), 2)
    imaging_pd = rng.random(n) < IMAGING_PD
    growth = np.where(imaging_pd, rng.uniform(1.5, 2.5, n), rng.uniform(0.8, 1.2, n))
    base_day = reindsdt - uniform_int(rng, 0, 21, n)
    scr_frac = rng.random(n)
    lag_base, lag_scr, lag_pd = (entry_lag(rng, n) for _ in range(3))

    enr = tables["enr"]
    enr.cols["REINDSDT"] = reindsdt[enr.subj]

    rs = tables["rs"]
    is_pd = rs.cols["RSORRES"] == R_PD
    basis = np.where(imaging_pd[rs.subj], IMAGING, BIOCHEMICAL)
    rs.cols["RSPDTYP"] = np.where(is_pd, basis, -1).astype(np.int16)

    tables["lb"] = _adjudicated_immunofixation(rng, c, tables["lb"])
    tables["im"] = _imaging(
        c,
        rs.subj[is_pd],
        rs.cols["RSDT"][is_pd],
        base_day,
        scr_frac,
        (lag_base, lag_scr, lag_pd),
        method,
        (plasma0, plspd0, plasma_kept, plspd_scr, growth),
        imaging_pd,
    )


def _adjudicated_immunofixation(rng: np.random.Generator, c: Cohort, lb: Table) -> Table:
    igg_kappa = (c.mmtype == 0) & (c.lctype == 0)
    on_isatuximab = (
        (lb.cols["LBTESTCD"] == SIFE) & igg_kappa[lb.subj] & (lb.cols["LBDT"] >= c.c1d1[lb.subj])
    )
    idx = np.flatnonzero(on_isatuximab)
    adj = lb.take(idx)
    adj.cols["LBTESTCD"][:] = SIFEADJ
    adj.order = adj.cols["LBDT"] * 16 + SIFEADJ
    adj.entry = adj.entry + entry_lag(rng, idx.size, mean=14)
    lb.cols["LBORRES__txt"][idx] = POS  # the antibody's band
    return concat([lb, adj])


def _imaging(
    c: Cohort,
    pd_subj: np.ndarray,
    pd_day: np.ndarray,
    base_day: np.ndarray,
    scr_frac: np.ndarray,
    lags: tuple[np.ndarray, np.ndarray, np.ndarray],
    method: np.ndarray,
    plasmacytoma: tuple[np.ndarray, ...],
    imaging_pd: np.ndarray,
) -> Table:
    plasma0, plspd0, plasma_kept, plspd_scr, growth = plasmacytoma
    lag_base, lag_scr, lag_pd = lags
    n = c.n
    first_pd = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first_pd, pd_subj, pd_day)

    base = np.arange(n, dtype=np.int64)
    scr_day = c.icf + 1 + np.floor(scr_frac * (c.elig - c.icf - 1)).astype(np.int64)
    scr = np.flatnonzero(c.itt & (scr_day < first_pd))  # a PD before screening ends it there
    nan = np.full(n, np.nan)

    parts = [
        # (subjects, day, entry, NEWLES, PLASMFL, PLSPD)
        (base, base_day, c.icf + lag_base, N, plasma0, np.where(plasma0, plspd0, nan)),
        (
            scr,
            scr_day[scr],
            scr_day[scr] + lag_scr[scr],
            N,
            plasma_kept[scr],
            np.where(plasma_kept, plspd_scr, nan)[scr],
        ),
        (
            pd_subj,
            pd_day,
            pd_day + lag_pd[pd_subj],
            np.where(imaging_pd[pd_subj], Y, N),
            plasma_kept[pd_subj],
            np.where(plasma_kept, np.round(plspd_scr * growth, 2), nan)[pd_subj],
        ),
    ]
    subj, day, entry, newles, plasmfl, plspd = (
        np.concatenate([np.broadcast_to(np.asarray(p[k]), p[0].shape) for p in parts])
        for k in range(6)
    )
    return Table(
        "im",
        subj.astype(np.int64),
        day.astype(np.int64),
        entry.astype(np.int64),
        {
            "IMDT": day.astype(np.int64),
            "IMMETH": method[subj].astype(np.int16),
            "NEWLES": newles.astype(np.int16),
            "PLASMFL": np.where(plasmfl, Y, N).astype(np.int16),
            "PLSPD": plspd.astype(np.float64),
        },
    )
