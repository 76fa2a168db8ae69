"""Synthetic ISA-DEX-MM trial: a landing zone of cumulative site transfers (site_extracts.md).

`generate_trial` simulates every screened subject's course from a latent model
(model.py: the parameters and the true values they imply), derives each form's
records from it (cohort, baseline, treatment, disease, safety, disposition), and
writes 3-4 cumulative transfers per site (transfers.py). Everything is vectorised
with numpy and drawn from PCG64 streams seeded by `seed`, so a seed gives
byte-identical files.
"""

from __future__ import annotations

import json
from pathlib import Path

from dagster_project.lib.ingest.contract import DEFAULT_CONTRACT_VERSION

from .baseline import baseline_tables
from .cohort import MAX_PER_SITE, Cohort, build_cohort
from .contract_1_1 import add_contract_1_1
from .disease import lb_table, mrd_table, rs_table
from .disposition import ds_table, dth_table, fu_table, nt_table
from .model import MONTH, Parameters, parameters_dict, truth_values
from .safety import ae_table
from .transfers import inject_site_changes, schedule, write_all
from .treatment import ex_table, sct_table
from .vec import day_of, iso_of

DEFAULT_CUTOFF = "2026-10-31"

__all__ = ["DEFAULT_CUTOFF", "generate_trial"]


def generate_trial(
    out: Path,
    subjects: int = 60,
    sites: int = 6,
    seed: int = 20261125,
    cutoff: str | None = None,
    contract_version: str = DEFAULT_CONTRACT_VERSION,
) -> dict:
    """Write a synthetic landing zone under `out` and return the truth (also out/truth.json).

    `contract_version`: the version the transfers follow (site_extracts.md). 1.1 adds
    REINDSDT, RSPDTYP, SIFEADJ and the im form to the same trial, and writes lb and rs from
    each subject's disease kinetics (contract_1_1.py, kinetics.py) on the 1.0 trial's dates
    and events; every other form is the 1.0 trial's of the same seed. truth.json then has
    `kinetics`: what the kinetics realised (MEASDIS, PD bases, the investigator's noise).

    Sites: `max(sites, ceil(subjects / 900))` sites, so no site needs more than the
    3-digit SUBJID allows (100,000 subjects -> 112 sites). Enrolment runs from 36 to 18
    months before `cutoff` (default 2026-10-31), so follow-up is 18-36 months. Every
    site's last transfer is extracted on the cut-off date at 08:00:00Z; no record is
    dated on or after its transfer's extract date.

    truth.json:
      parameters     the generating model (model.Parameters; medians in months of 30.4375
                     days from ICFDT, yearly probabilities, ...)
      true           values those parameters imply for the ITT population, before any
                     censoring by cut-off, withdrawal or loss: PFS / TTP / OS median in
                     months from ICFDT and S(t) at 12, 24, 36 months (closed form,
                     model.true_survival); MRD12.probability = P(NGF 10^-5 negative
                     result in (ASCTDT, ASCTDT + 365]) (exact by construction)
      realized       counts in this sample: screened, ITT, screen failures, transplanted,
                     latent MRD12 responders (= the MRD12 = Y count an ADaM derivation
                     must find when every window closed before the cut-off, as with the
                     default dates), documented progressions, deaths, ...
      transfers      every transfer (site, transfer_id, extract_datetime)
      corrections    records whose value changed between a site's last two transfers
      deletions      records present in a site's penultimate transfer, absent from its last
      rows           data rows per form summed over all transfers
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    p = Parameters()
    cut = day_of(cutoff or DEFAULT_CUTOFF)
    c = build_cohort(seed, subjects, sites, cut, p)

    dm, enr, dx = baseline_tables(seed, c)
    ex, exposure = ex_table(seed, c)
    mrd = mrd_table(seed, c)
    rs, assessments = rs_table(seed, c, exposure, mrd.first_neg)
    tables = {
        "dm": dm,
        "enr": enr,
        "dx": dx,
        "ex": ex,
        "sct": sct_table(seed, c),
        "lb": lb_table(seed, c, assessments, mrd.table),
        "rs": rs,
        "mrd": mrd.table,
    }
    tables["ae"], n_ae = ae_table(seed, c, exposure)
    tables["ds"] = ds_table(seed, c)
    tables["dth"] = dth_table(seed, c)
    tables["fu"] = fu_table(seed, c)
    tables["nt"] = nt_table(seed, c, p)

    kinetics = None
    if contract_version != "1.0":
        # before the site changes, so the lb correction they make is on the kinetics' labs
        kinetics = add_contract_1_1(seed, c, tables)
    transfers = schedule(seed, c)
    corrections, deletions = inject_site_changes(seed, c, tables, transfers, n_ae)
    rows = write_all(out, c, tables, transfers, contract_version)

    truth = {
        "study_id": "ISA-DEX-MM",
        "seed": seed,
        "subjects": subjects,
        "sites": len(c.site_ids),
        "max_subjects_per_site": MAX_PER_SITE,
        "cutoff": iso_of(cut),
        "enrolment": {
            "first_possible_icf": iso_of(c.study_start),
            "last_possible_icf": iso_of(c.enrol_end),
        },
        "month_days": MONTH,
        "parameters": parameters_dict(p),
        "true": truth_values(p),
        "realized": _realized(c),
        "transfers": [
            {
                "site_id": t.site_id,
                "transfer_id": t.transfer_id,
                "extract_datetime": t.extract_datetime,
            }
            for t in transfers
        ],
        "corrections": corrections,
        "deletions": deletions,
        "rows": {**rows, "total": int(sum(rows.values()))},
    }
    if kinetics is not None:
        truth["kinetics"] = kinetics
    (out / "truth.json").write_text(json.dumps(truth, indent=2) + "\n", encoding="utf-8")
    return truth


def _realized(c: Cohort) -> dict:
    itt = c.itt
    cut = c.cutoff
    return {
        "screened": int(c.n),
        "itt": int(itt.sum()),
        "screen_failures": int((~itt).sum()),
        "age_ge_75_itt": int((itt & (c.age >= 75)).sum()),
        "transplanted_by_cutoff": int((c.asct & (c.asct_day < cut)).sum()),
        "maintenance_started_by_cutoff": int((c.mnt & (c.mnt1 < cut)).sum()),
        "mrd12_latent_responders": int(c.deep.sum()),
        "documented_progressions_by_cutoff": int((c.documented_pd & (c.t_prog < cut)).sum()),
        "deaths_by_cutoff": int((itt & (c.exit_kind == 1) & (c.t_death < cut)).sum()),
        "withdrawals_by_cutoff": int((itt & (c.exit_kind == 2) & (c.exit_day < cut)).sum()),
        "lost_by_cutoff": int((itt & (c.exit_kind == 3) & (c.exit_day < cut)).sum()),
        "ongoing_treatment_at_cutoff": int((itt & (c.eot >= cut)).sum()),
        "note": "counts from the latent course; records entered after the cut-off "
        "(entry lag) are not in the last transfer",
    }
