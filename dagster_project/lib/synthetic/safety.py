"""ae: adverse events with MedDRA preferred terms and system organ classes.

Background AEs: Poisson, 0.35 per month of treatment (first dose to last dose + 30
days), onset uniform in that window; 4% of subjects also have one before the
first dose and 5% one after the treatment-emergent window (not TEAEs). Linked AEs:
infusion-related reaction on C1D1 (35%), the AE behind a dexamethasone reduction
(AEACN DOSE REDUCED), the AE behind a discontinuation for toxicity (DRUG
WITHDRAWN), a grade-5 AE ending on the death date for deaths from an adverse
event, a fatal second primary malignancy for SPM deaths, and non-fatal SPMs
(2%). Durations are exponential (mean 10 + 10 x grade days); 7% never resolve.
Start dates are partial (YYYY-MM 2.8%, YYYY 0.7%), end dates likewise (2.5%, 0.5%).
An AE entered before it resolved appears ongoing (empty AEENDT) in the extracts
before its resolution was entered.
"""

from __future__ import annotations

import numpy as np

from .cohort import ADVERSE, C_AE, C_SPM, Cohort
from .table import Table, concat
from .treatment import ADJ_AE, Exposure
from .vec import FAR, NA, choice, entry_lag, explode, rng_for, uniform_int

BLOOD = "Blood and lymphatic system disorders"
INFECT = "Infections and infestations"
GENERAL = "General disorders and administration site conditions"
GI = "Gastrointestinal disorders"
NEOPL = "Neoplasms benign, malignant and unspecified (incl cysts and polyps)"

# PT, SOC, verbatim terms, grade 1-4 probabilities, relatedness (NOT RELATED, ISA, DEX, BOTH)
CATALOGUE: list[tuple[str, str, tuple[str, ...], tuple[float, ...], tuple[float, ...], float]] = [
    (
        "Neutropenia",
        BLOOD,
        ("Neutropenia", "Low neutrophil count"),
        (0.1, 0.3, 0.4, 0.2),
        (0.2, 0.7, 0, 0.1),
        10,
    ),
    (
        "Thrombocytopenia",
        BLOOD,
        ("Thrombocytopenia", "Low platelets"),
        (0.3, 0.3, 0.3, 0.1),
        (0.4, 0.5, 0, 0.1),
        5,
    ),
    ("Anaemia", BLOOD, ("Anaemia", "Anemia"), (0.3, 0.4, 0.3, 0), (0.6, 0.3, 0, 0.1), 5),
    (
        "Febrile neutropenia",
        BLOOD,
        ("Febrile neutropenia",),
        (0, 0, 0.8, 0.2),
        (0.4, 0.5, 0, 0.1),
        1,
    ),
    (
        "Infusion related reaction",
        "Injury, poisoning and procedural complications",
        ("Infusion related reaction", "Infusion reaction"),
        (0.4, 0.5, 0.1, 0),
        (0, 1, 0, 0),
        1,
    ),
    (
        "Pneumonia",
        INFECT,
        ("Pneumonia", "Pneumonia, right lower lobe", "Chest infection"),
        (0, 0.4, 0.5, 0.1),
        (0.5, 0.3, 0.05, 0.15),
        4,
    ),
    (
        "Upper respiratory tract infection",
        INFECT,
        ("URTI", "Common cold"),
        (0.5, 0.4, 0.1, 0),
        (0.6, 0.3, 0, 0.1),
        8,
    ),
    ("Bronchitis", INFECT, ("Bronchitis",), (0.3, 0.6, 0.1, 0), (0.6, 0.3, 0, 0.1), 4),
    (
        "COVID-19",
        INFECT,
        ("COVID-19", "SARS-CoV-2 infection"),
        (0.4, 0.4, 0.15, 0.05),
        (0.8, 0.1, 0, 0.1),
        3,
    ),
    ("Sepsis", INFECT, ("Sepsis",), (0, 0, 0.6, 0.4), (0.5, 0.3, 0, 0.2), 1),
    (
        "Insomnia",
        "Psychiatric disorders",
        ("Insomnia", "Difficulty sleeping"),
        (0.6, 0.35, 0.05, 0),
        (0.1, 0, 0.9, 0),
        6,
    ),
    (
        "Hyperglycaemia",
        "Metabolism and nutrition disorders",
        ("Hyperglycemia", "High glucose"),
        (0.4, 0.4, 0.2, 0),
        (0.1, 0, 0.9, 0),
        5,
    ),
    ("Fatigue", GENERAL, ("Fatigue", "Tiredness"), (0.6, 0.35, 0.05, 0), (0.3, 0.3, 0.1, 0.3), 8),
    ("Pyrexia", GENERAL, ("Fever", "Pyrexia"), (0.6, 0.35, 0.05, 0), (0.6, 0.3, 0, 0.1), 4),
    (
        "Diarrhoea",
        GI,
        ("Diarrhoea", "Diarrhea, watery"),
        (0.6, 0.3, 0.1, 0),
        (0.5, 0.3, 0.1, 0.1),
        5,
    ),
    ("Nausea", GI, ("Nausea",), (0.7, 0.25, 0.05, 0), (0.5, 0.3, 0.1, 0.1), 4),
    ("Stomatitis", GI, ("Mucositis oral",), (0.3, 0.4, 0.3, 0), (0.8, 0.1, 0, 0.1), 2),
    (
        "Peripheral sensory neuropathy",
        "Nervous system disorders",
        ("Peripheral neuropathy", "Tingling in feet"),
        (0.6, 0.35, 0.05, 0),
        (0.8, 0.1, 0, 0.1),
        4,
    ),
    (
        "Hypertension",
        "Vascular disorders",
        ("Hypertension",),
        (0.3, 0.5, 0.2, 0),
        (0.5, 0, 0.4, 0.1),
        3,
    ),
    (
        "Back pain",
        "Musculoskeletal and connective tissue disorders",
        ("Back pain",),
        (0.5, 0.4, 0.1, 0),
        (0.9, 0.05, 0, 0.05),
        4,
    ),
]
FATAL = ("Pneumonia", "Sepsis", "COVID-19")
SPM_TERMS = [  # PT, verbatim, fatal-capable
    ("Basal cell carcinoma", "Basal cell carcinoma, left cheek", False),
    ("Squamous cell carcinoma of skin", "Squamous cell carcinoma skin", False),
    ("Prostate cancer", "Prostate adenocarcinoma", False),
    ("Myelodysplastic syndrome", "MDS", True),
    ("Acute myeloid leukaemia", "AML", True),
]

PTS = tuple([x[0] for x in CATALOGUE] + [x[0] for x in SPM_TERMS])
SOCS = tuple(dict.fromkeys([x[1] for x in CATALOGUE] + [NEOPL]))
TERMS = tuple(dict.fromkeys([v for x in CATALOGUE for v in x[2]] + [x[1] for x in SPM_TERMS]))
_PT_SOC = np.array([SOCS.index(x[1]) for x in CATALOGUE] + [SOCS.index(NEOPL)] * len(SPM_TERMS))
_PT = {name: i for i, name in enumerate(PTS)}
_GRADE_CDF = np.cumsum(np.array([x[3] for x in CATALOGUE]), axis=1)
_REL_CDF = np.cumsum(np.array([x[4] for x in CATALOGUE]), axis=1)
_VERB = [np.array([TERMS.index(v) for v in x[2]]) for x in CATALOGUE] + [
    np.array([TERMS.index(x[1])]) for x in SPM_TERMS
]
REL_NR, REL_ISA, REL_DEX, REL_BOTH = range(4)
ACN_NONE, ACN_RED, ACN_INT, ACN_WD = range(4)


def _cdf_draw(rng: np.random.Generator, cdf_rows: np.ndarray) -> np.ndarray:
    u = rng.random(cdf_rows.shape[0])[:, None]
    return (u >= cdf_rows[:, :-1]).sum(axis=1)


def ae_table(seed: int, c: Cohort, ex: Exposure) -> tuple[Table, np.ndarray]:
    rng = rng_for(seed, 8)
    n = c.n
    safety = ex.trt_start < FAR
    end_obs = np.minimum(c.exit_day, c.cutoff)
    win_end = np.minimum(np.where(safety, ex.trt_end + 30, 0), end_obs - 1)
    win = np.where(safety, np.maximum(win_end - ex.trt_start, 0), 0)
    pieces: list[dict[str, np.ndarray]] = []

    def add(subj, onset, pt, grade=None, rel=None, acn=None, end=None, ser=None):
        k = subj.size
        pieces.append(
            {
                "subj": subj,
                "onset": onset,
                "pt": pt,
                "grade": grade if grade is not None else np.full(k, -1),
                "rel": rel if rel is not None else np.full(k, -1),
                "acn": acn if acn is not None else np.full(k, -1),
                "end": end if end is not None else np.full(k, NA),
                "ser": ser if ser is not None else np.full(k, -1),
            }
        )

    weights = np.array([x[5] for x in CATALOGUE], float)
    own, _ = explode(np.minimum(rng.poisson(0.35 * win / 30.4375), 40))
    subj = own  # counts are per subject, so the owner is the subject index
    onset = ex.trt_start[subj] + np.floor(rng.random(subj.size) * (win[subj] + 1)).astype(np.int64)
    add(subj, onset, choice(rng, weights, subj.size).astype(np.int64))

    pre = np.flatnonzero(safety & (rng.random(n) < 0.04) & (ex.trt_start > c.icf + 1))
    onset = c.icf[pre] + np.floor(rng.random(pre.size) * (ex.trt_start[pre] - c.icf[pre])).astype(
        np.int64
    )
    add(pre, onset, choice(rng, weights, pre.size).astype(np.int64))
    post = np.flatnonzero(safety & (rng.random(n) < 0.05) & (ex.trt_end + 31 < end_obs))
    onset = (
        ex.trt_end[post]
        + 31
        + np.floor(rng.random(post.size) * (end_obs[post] - ex.trt_end[post] - 31)).astype(np.int64)
    )
    add(post, onset, choice(rng, weights, post.size).astype(np.int64))

    irr = np.flatnonzero(safety & (rng.random(n) < 0.35) & (ex.trt_start == c.c1d1))
    add(
        irr,
        c.c1d1[irr],
        np.full(irr.size, _PT["Infusion related reaction"]),
        end=c.c1d1[irr] + (rng.random(irr.size) < 0.3),
    )

    red = np.flatnonzero((ex.red_day < FAR) & (ex.red_reason == ADJ_AE))
    add(
        red,
        np.maximum(ex.red_day[red] - uniform_int(rng, 1, 14, red.size), ex.trt_start[red]),
        np.where(rng.random(red.size) < 0.5, _PT["Insomnia"], _PT["Hyperglycaemia"]),
        rel=np.full(red.size, REL_DEX),
        acn=np.full(red.size, ACN_RED),
    )

    tox = np.flatnonzero(c.itt & (c.eot_reason == ADVERSE) & (c.eot < FAR) & safety)
    add(
        tox,
        np.maximum(c.eot[tox] - uniform_int(rng, 0, 10, tox.size), ex.trt_start[tox]),
        choice(rng, weights, tox.size).astype(np.int64),
        grade=np.array([2, 3, 4])[choice(rng, [0.1, 0.6, 0.3], tox.size)],
        acn=np.full(tox.size, ACN_WD),
    )

    died = c.itt & (c.exit_kind == 1)
    on_trt = c.eot >= c.t_death
    fat = np.flatnonzero(died & (c.death_cause == C_AE) & safety)
    add(
        fat,
        np.maximum(c.t_death[fat] - uniform_int(rng, 1, 14, fat.size), ex.trt_start[fat]),
        np.array([_PT[t] for t in FATAL])[choice(rng, [0.5, 0.3, 0.2], fat.size)],
        grade=np.full(fat.size, 5),
        end=c.t_death[fat],
        ser=np.zeros(fat.size, np.int64),
        acn=np.where(on_trt[fat], ACN_WD, ACN_NONE),
    )
    spm = np.flatnonzero(died & (c.death_cause == C_SPM) & safety)
    add(
        spm,
        np.maximum(c.t_death[spm] - uniform_int(rng, 30, 200, spm.size), ex.trt_start[spm]),
        np.where(
            rng.random(spm.size) < 0.5,
            _PT["Myelodysplastic syndrome"],
            _PT["Acute myeloid leukaemia"],
        ),
        grade=np.full(spm.size, 5),
        end=c.t_death[spm],
        ser=np.zeros(spm.size, np.int64),
        rel=np.full(spm.size, REL_NR),
        acn=np.where(on_trt[spm], ACN_WD, ACN_NONE),
    )
    nf = np.flatnonzero(safety & (rng.random(n) < 0.02) & (win > 0))
    add(
        nf,
        ex.trt_start[nf] + np.floor(rng.random(nf.size) * win[nf]).astype(np.int64),
        np.array([_PT[t[0]] for t in SPM_TERMS[:3]])[choice(rng, [0.5, 0.3, 0.2], nf.size)],
        rel=np.full(nf.size, REL_NR),
    )

    a = {k: np.concatenate([p[k] for p in pieces]).astype(np.int64) for k in pieces[0]}
    subj, onset, pt = a["subj"], a["onset"], a["pt"]
    m = subj.size
    cat = np.minimum(pt, len(CATALOGUE) - 1)
    is_spm = pt >= len(CATALOGUE)
    grade = np.where(a["grade"] >= 0, a["grade"], 1 + _cdf_draw(rng, _GRADE_CDF[cat]))
    grade = np.where(is_spm & (a["grade"] < 0), 1 + choice(rng, [0.4, 0.4, 0.2], m), grade)
    rel = np.where(a["rel"] >= 0, a["rel"], _cdf_draw(rng, _REL_CDF[cat]))
    rel = np.where(onset < ex.trt_start[subj], REL_NR, rel)  # nothing given yet
    acn = np.where(
        a["acn"] >= 0, a["acn"], np.array([ACN_NONE, ACN_INT])[choice(rng, [0.9, 0.1], m)]
    )
    ser_p = np.where(grade >= 3, 0.35, 0.03)
    ser = np.where(grade == 5, 0, np.where(rng.random(m) < ser_p, 0, 1))  # codes (Y, N)
    dur = np.floor(rng.exponential(1.0, m) * (10 + 10 * grade)).astype(np.int64)
    end = np.where(a["end"] != NA, a["end"], onset + dur)
    never = (a["end"] == NA) & (rng.random(m) < 0.07)
    # unknown when still going on at death, withdrawal or loss to follow-up
    end = np.where(never | (end >= c.exit_day[subj]) & (grade < 5), NA, end)
    pick = rng.random(m)
    term = np.empty(m, np.int64)
    for i in np.unique(pt):
        sel = pt == i
        opts = _VERB[i]
        term[sel] = opts[np.minimum((pick[sel] * opts.size).astype(int), opts.size - 1)]

    o = np.lexsort((pt, onset, subj))
    subj, onset, pt, grade, rel, acn, ser, end, term, is_spm = (
        x[o] for x in (subj, onset, pt, grade, rel, acn, ser, end, term, is_spm)
    )
    first = np.r_[True, subj[1:] != subj[:-1]]
    spid = np.arange(m) - np.maximum.accumulate(np.where(first, np.arange(m), 0)) + 1
    st_prec = choice(rng, [0.965, 0.028, 0.007], m)
    en_prec = choice(rng, [0.97, 0.025, 0.005], m)
    e1 = onset + entry_lag(rng, m, mean=10)
    e2 = np.where(end == NA, FAR, end + entry_lag(rng, m, mean=10))
    one = e2 <= e1  # resolution known when first entered: a single version
    cols = {
        "AESPID": spid,
        "AETERM": term.astype(np.int16),
        "AEDECOD": pt.astype(np.int16),
        "AEBODSYS": _PT_SOC[pt].astype(np.int16),
        "AESTDT": onset,
        "AESTDT__prec": st_prec,
        "AEENDT": end,
        "AEENDT__prec": en_prec,
        "AETOXGR": grade,
        "AESER": ser.astype(np.int16),
        "AEREL": rel.astype(np.int16),
        "AEACN": acn.astype(np.int16),
        "AESPM": np.where(is_spm, 0, 1).astype(np.int16),
    }
    cats = {"AETERM": TERMS, "AEDECOD": PTS, "AEBODSYS": SOCS}
    resolved = Table("ae", subj, spid, np.where(one, e1, e2), dict(cols), cats=cats)
    v1 = np.flatnonzero(~one)
    ongoing_cols = {k: v[v1] for k, v in cols.items()}
    ongoing_cols["AEENDT"] = np.full(v1.size, NA)
    ongoing = Table("ae", subj[v1], spid[v1], e1[v1], ongoing_cols, to=e2[v1], cats=cats)
    final = resolved.take(np.flatnonzero((end != NA) | one))
    n_ae = np.bincount(subj, minlength=n)
    return concat([final, ongoing]), n_ae
