"""Write each kind of bad input of site_extracts.md ("What bad input gets") into a landing dir.

Every fault starts from `valid_frames` (a small, hand-built, contract-valid
site extract) written with the transfer writer, then breaks exactly one thing.
Each writer returns a FaultCase stating the outcome the contract prescribes,
so the CLI's `--faults` option and the tests share one list of expectations.
Each fault gets its own site, so cases never interact (deletions, duplicates).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from dagster_project.lib.ingest.contract import DEFAULT_CONTRACT_VERSION, FORMS, forms_of

from .transfer_writer import build_manifest, transfer_id_for, write_manifest, write_transfer

T1 = "2026-01-31T08:00:00Z"  # baseline transfer, when a fault needs an earlier one in force
T2 = "2026-03-31T08:00:00Z"  # the faulty transfer


@dataclass(frozen=True)
class FaultCase:
    """One bad input and the outcome the contract prescribes for it."""

    name: str
    problem: str  # the contract table's wording
    site_id: str
    transfer_id: str  # the faulty transfer
    delivery: str  # its folder name
    status: str  # expected raw.transfers STATUS of `delivery`
    reason_contains: tuple[str, ...] = ()  # substrings of its REASON (transfer or quarantine)
    quarantined: tuple[tuple[str, int, str | None], ...] = ()  # (FORM, ROWNUM, COLUMN)
    baseline_delivery: str | None = None  # earlier delivery of the site that must stay LOADED


# --------------------------------------------------------------------------- valid input


def valid_frames(
    site_id: str = "IT01", n_subjects: int = 3, contract_version: str = DEFAULT_CONTRACT_VERSION
) -> dict[str, pd.DataFrame]:
    """A contract-valid cumulative extract of `n_subjects` subjects (all values as strings).

    Subject i (i < 18) consents on 2025-01-(10+i), gets 3 induction isatuximab
    doses one week apart from 2025-02-(1+i), ASCT, one lab panel, responses, and
    is alive; subject 2 (when present) has an AE; subject 3 has a partial
    diagnosis date (YYYY-MM).

    Contract 1.1 adds (and 1.0 has none of it): re-induction from 2024-09-(10+i); imaging on
    2024-08-(10+i) (before it; subject 3 with a 6.25 cm2 plasmacytoma) and at screening on
    2025-01-(11+i); a SIFEADJ beside the SIFE (POS: the M-protein is still there); subject 3
    progresses on 2025-09-13, by imaging (a new lesion that day).
    """
    v11 = contract_version != "1.0"
    rows: dict[str, list[dict]] = {name: [] for name in forms_of(contract_version)}
    for i in range(1, n_subjects + 1):
        s = f"{site_id}-{i:03d}"
        d = 10 + (i % 18)
        ids = {"SITEID": site_id, "SUBJID": s}
        rows["dm"].append(
            {
                **ids,
                "BRTHYR": str(1950 + i),
                "SEX": "MF"[i % 2],
                "RACE": "WHITE",
                "HEIGHT": "170.5",
                "WEIGHT": "72",
            }
        )
        rows["enr"].append(
            {
                **ids,
                "ICFDT": f"2025-01-{d:02d}",
                "ELIGDT": f"2025-01-{d + 2:02d}",
                "ENRLFL": "Y",
                "REIND": "KRD",
                "REINDSDT": f"2024-09-{d:02d}",
                "REINDRSP": "VGPR",
                "MOBFL": "Y",
            }
        )
        rows["dx"].append(
            {
                **ids,
                "DIAGDT": "2019-05" if i == 3 else f"2019-03-{d:02d}",
                "MMTYPE": "IGG",
                "LCTYPE": "KAPPA",
                "ISS": "II",
                "HRCYTO": "N",
                "PRIORLN": "1",
            }
        )
        first_dose = 1 + i % 14
        for day in (1, 8, 15):
            rows["ex"].append(
                {
                    **ids,
                    "EXTRT": "ISATUXIMAB",
                    "PHASE": "INDUCTION",
                    "CYCLE": "1",
                    "DAY": str(day),
                    "EXSTDT": f"2025-02-{first_dose + day - 1:02d}",
                    "EXDOSE": "10",
                    "EXDOSU": "MG/KG",
                    "EXADJ": "",
                }
            )
        rows["ex"].append(
            {
                **ids,
                "EXTRT": "MELPHALAN",
                "PHASE": "ASCT",
                "CYCLE": "1",
                "DAY": "-2",
                "EXSTDT": f"2025-04-{d:02d}",
                "EXDOSE": "200",
                "EXDOSU": "MG/M2",
                "EXADJ": "",
            }
        )
        rows["sct"].append(
            {**ids, "MELDT": f"2025-04-{d:02d}", "ASCTDT": f"2025-04-{d + 2:02d}", "CD34": "4.2"}
        )
        labs = [("SMPROT", "0.4"), ("SIFE", "POS"), ("KAPPA", "12.5")]
        if v11:
            labs.insert(2, ("SIFEADJ", "POS"))
        for code, res in labs:
            rows["lb"].append({**ids, "LBDT": f"2025-03-{d:02d}", "LBTESTCD": code, "LBORRES": res})
        rows["rs"].append(
            {
                **ids,
                "RSDT": f"2025-03-{d:02d}",
                "PHASE": "INDUCTION",
                "RSORRES": "VGPR",
                "RSCOMPL": "Y",
                "RSPDTYP": "",
            }
        )
        rows["rs"].append(
            {
                **ids,
                "RSDT": f"2025-06-{d:02d}",
                "PHASE": "ASCT",
                "RSORRES": "CR",
                "RSCOMPL": "Y",
                "RSPDTYP": "",
            }
        )
        if v11:
            plasmacytoma = ("Y", "6.25") if i == 3 else ("N", "")
            for imdt, newles, (plasmfl, plspd) in (
                (f"2024-08-{d:02d}", "N", plasmacytoma),
                (f"2025-01-{d + 1:02d}", "N", ("N", "")),
                *([(f"2025-09-{d:02d}", "Y", ("N", ""))] if i == 3 else []),
            ):
                rows["im"].append(
                    {
                        **ids,
                        "IMDT": imdt,
                        "IMMETH": "PET-CT",
                        "NEWLES": newles,
                        "PLASMFL": plasmfl,
                        "PLSPD": plspd,
                    }
                )
            if i == 3:
                rows["rs"].append(
                    {
                        **ids,
                        "RSDT": f"2025-09-{d:02d}",
                        "PHASE": "FOLLOW-UP",
                        "RSORRES": "PD",
                        "RSCOMPL": "Y",
                        "RSPDTYP": "IMAGING",
                    }
                )
        rows["mrd"].append(
            {
                **ids,
                "MRDDT": f"2025-06-{d:02d}",
                "MRDMETH": "NGF",
                "MRDSENS": "1E-5",
                "MRDRES": "NEGATIVE",
            }
        )
        rows["fu"].append({**ids, "FUDT": f"2025-12-{d:02d}", "FUSTAT": "ALIVE"})
        if i == 2:
            rows["ae"].append(
                {
                    **ids,
                    "AESPID": "1",
                    "AETERM": "Neutropenia, febrile",
                    "AEDECOD": "Febrile neutropenia",
                    "AEBODSYS": "Blood and lymphatic system disorders",
                    "AESTDT": "2025-04",
                    "AEENDT": "",
                    "AETOXGR": "3",
                    "AESER": "Y",
                    "AEREL": "ISATUXIMAB",
                    "AEACN": "DRUG INTERRUPTED",
                    "AESPM": "N",
                }
            )
    frames = {}
    for name, form in forms_of(contract_version).items():
        frames[name] = pd.DataFrame(rows[name], columns=form.column_names, dtype="string")
    return frames


def _write(
    landing: Path,
    site: str,
    when: str,
    frames: dict[str, pd.DataFrame],
    version: str = DEFAULT_CONTRACT_VERSION,
) -> Path:
    return write_transfer(landing, site, when, frames, contract_version=version)


def _rewrite_manifest(folder: Path, **overrides: object) -> None:
    """Recompute the manifest from the files as they now are, then apply overrides."""
    old = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    m = build_manifest(
        folder,
        old["site_id"],
        old["transfer_id"],
        old["extract_datetime"],
        contract_version=old.get("contract_version", DEFAULT_CONTRACT_VERSION),
    )
    m.update(overrides)
    write_manifest(folder, m)


def _baseline(landing: Path, site: str) -> str:
    return _write(landing, site, T1, valid_frames(site)).name


def _case(
    name: str,
    problem: str,
    site: str,
    status: str,
    reason: tuple[str, ...],
    quarantined: tuple = (),
    baseline: str | None = None,
    delivery: str | None = None,
    transfer_id: str | None = None,
) -> FaultCase:
    tid = transfer_id or transfer_id_for(site, T2)
    return FaultCase(
        name, problem, site, tid, delivery or tid, status, reason, quarantined, baseline
    )


# --------------------------------------------------------------------------- transfer refusals


def manifest_missing(landing: Path, site: str = "FA01") -> FaultCase:
    base = _baseline(landing, site)
    folder = _write(landing, site, T2, valid_frames(site))
    (folder / "manifest.json").unlink()
    return _case(
        "manifest_missing",
        "manifest missing",
        site,
        "REFUSED",
        (folder.name, "manifest missing"),
        baseline=base,
    )


def manifest_unreadable(landing: Path, site: str = "FA02") -> FaultCase:
    base = _baseline(landing, site)
    folder = _write(landing, site, T2, valid_frames(site))
    (folder / "manifest.json").write_text('{"study_id": "ISA-DEX-MM", "files": {', "utf-8")
    return _case(
        "manifest_unreadable",
        "manifest unreadable",
        site,
        "REFUSED",
        (folder.name, "manifest unreadable"),
        baseline=base,
    )


def wrong_study(landing: Path, site: str = "FA03") -> FaultCase:
    base = _baseline(landing, site)
    folder = _write(landing, site, T2, valid_frames(site))
    _rewrite_manifest(folder, study_id="ISA-LEN-MM")
    return _case(
        "wrong_study",
        "wrong study",
        site,
        "REFUSED",
        (folder.name, "wrong study", "ISA-LEN-MM"),
        baseline=base,
    )


def checksum_mismatch(landing: Path, site: str = "FA04") -> FaultCase:
    """dm.csv edited after the manifest was written (same row count, other bytes)."""
    base = _baseline(landing, site)
    folder = _write(landing, site, T2, valid_frames(site))
    dm = folder / "dm.csv"
    dm.write_text(dm.read_text("utf-8").replace("170.5", "175.5", 1), "utf-8")
    return _case(
        "checksum_mismatch",
        "checksum mismatch",
        site,
        "REFUSED",
        (folder.name, "checksum mismatch", "dm.csv"),
        baseline=base,
    )


def row_count_mismatch(landing: Path, site: str = "FA05") -> FaultCase:
    base = _baseline(landing, site)
    folder = _write(landing, site, T2, valid_frames(site))
    m = json.loads((folder / "manifest.json").read_text("utf-8"))
    m["files"]["lb.csv"]["rows"] += 1
    write_manifest(folder, m)
    return _case(
        "row_count_mismatch",
        "row-count mismatch",
        site,
        "REFUSED",
        (folder.name, "row-count mismatch", "lb.csv"),
        baseline=base,
    )


def site_mismatch(landing: Path, site: str = "FA06") -> FaultCase:
    """The manifest says `site`; one ae row (and its subject) belongs to another site."""
    base = _baseline(landing, site)
    frames = valid_frames(site)
    other = "ZZ99"
    frames["ae"].loc[0, "SITEID"] = other
    frames["ae"].loc[0, "SUBJID"] = f"{other}-001"
    folder = _write(landing, site, T2, frames)
    return _case(
        "site_mismatch",
        "site mismatch",
        site,
        "REFUSED",
        (folder.name, "site mismatch", "ae.csv", other),
        baseline=base,
    )


def missing_required_column(landing: Path, site: str = "FA07") -> FaultCase:
    base = _baseline(landing, site)
    frames = valid_frames(site)
    frames["ex"] = frames["ex"].drop(columns=["EXSTDT"])
    folder = _write(landing, site, T2, frames)
    return _case(
        "missing_required_column",
        "missing required column",
        site,
        "REFUSED",
        (folder.name, "ex.csv", "missing required column", "EXSTDT"),
        baseline=base,
    )


# --------------------------------------------------------------------------- row quarantine


def unparseable_value(landing: Path, site: str = "FA08") -> FaultCase:
    """dm row 2 HEIGHT 'tall'; ae row 1 AETOXGR '3.5' (not an integer)."""
    frames = valid_frames(site)
    frames["dm"].loc[1, "HEIGHT"] = "tall"
    frames["ae"].loc[0, "AETOXGR"] = "3.5"
    _write(landing, site, T2, frames)
    return _case(
        "unparseable_value",
        "unparseable value",
        site,
        "LOADED",
        ("dm.csv row 2 HEIGHT: not a number 'tall'", "ae.csv row 1 AETOXGR: not an integer '3.5'"),
        quarantined=(("dm", 2, "HEIGHT"), ("ae", 1, "AETOXGR")),
    )


def unknown_code(landing: Path, site: str = "FA09") -> FaultCase:
    """rs row 3 RSORRES 'VGRP' (typo)."""
    frames = valid_frames(site)
    frames["rs"].loc[2, "RSORRES"] = "VGRP"
    _write(landing, site, T2, frames)
    return _case(
        "unknown_code",
        "unknown code",
        site,
        "LOADED",
        ("rs.csv row 3 RSORRES: unknown code 'VGRP'",),
        quarantined=(("rs", 3, "RSORRES"),),
    )


def impossible_date(landing: Path, site: str = "FA10") -> FaultCase:
    """ex row 2 EXSTDT '2026-02-30'."""
    frames = valid_frames(site)
    frames["ex"].loc[1, "EXSTDT"] = "2026-02-30"
    tid = transfer_id_for(site, T2)
    _write(landing, site, T2, frames)
    return _case(
        "impossible_date",
        "impossible date",
        site,
        "LOADED",
        (f"{tid} ex.csv row 2 EXSTDT: impossible date '2026-02-30'",),
        quarantined=(("ex", 2, "EXSTDT"),),
    )


def partial_date_not_allowed(landing: Path, site: str = "FA11") -> FaultCase:
    """enr row 1 ICFDT '2025-01' (ICFDT is a full date)."""
    frames = valid_frames(site)
    frames["enr"].loc[0, "ICFDT"] = "2025-01"
    _write(landing, site, T2, frames)
    return _case(
        "partial_date_not_allowed",
        "partial date where none is allowed",
        site,
        "LOADED",
        ("enr.csv row 1 ICFDT: partial date not allowed '2025-01'",),
        quarantined=(("enr", 1, "ICFDT"),),
    )


def duplicate_key(landing: Path, site: str = "FA12") -> FaultCase:
    """lb row 1 repeated as row 10 (other result): both rows quarantined."""
    frames = valid_frames(site)
    lb = frames["lb"]
    dup = lb.iloc[[0]].copy()
    dup["LBORRES"] = "0.5"
    frames["lb"] = pd.concat([lb, dup], ignore_index=True)
    n = len(frames["lb"])
    _write(landing, site, T2, frames)
    return _case(
        "duplicate_key",
        "duplicate key",
        site,
        "LOADED",
        ("lb.csv row 1", f"lb.csv row {n}", "duplicate key"),
        quarantined=(("lb", 1, "SUBJID,LBTESTCD,LBDT"), ("lb", n, "SUBJID,LBTESTCD,LBDT")),
    )


def malformed_csv_row(landing: Path, site: str = "FA13") -> FaultCase:
    """fu.csv gets a row with too many fields and ae.csv one with a broken quote.

    The manifest is recomputed afterwards (the site's own export wrote them), so
    the transfer itself is whole and only those rows are quarantined.
    """
    frames = valid_frames(site)
    folder = _write(landing, site, T2, frames)
    n_fu = len(frames["fu"])
    with open(folder / "fu.csv", "a", encoding="utf-8") as f:
        f.write(f"{site},{site}-001,2025-12-30,ALIVE,EXTRA_FIELD\n")
    with open(folder / "fu.csv", "a", encoding="utf-8") as f:
        f.write(f"{site},{site}-002,2025-12-30,ALIVE\n")
    n_ae = len(frames["ae"])
    with open(folder / "ae.csv", "a", encoding="utf-8") as f:
        f.write(
            f'{site},{site}-001,2,"Nausea" mild,Nausea,Gastrointestinal disorders,'
            "2025-05,,1,N,NOT RELATED,NONE,N\n"
        )
    _rewrite_manifest(folder)
    return _case(
        "malformed_csv_row",
        "malformed CSV row",
        site,
        "LOADED",
        (f"fu.csv row {n_fu + 1}", "malformed CSV row", f"ae.csv row {n_ae + 1}"),
        quarantined=(("fu", n_fu + 1, None), ("ae", n_ae + 1, None)),
    )


# logically_inconsistent's subject 3: a response and an MRD result dated before its consent
RESPONSE_BEFORE_CONSENT = {
    "RSDT": "2025-01-05",
    "PHASE": "INDUCTION",
    "RSORRES": "SCR",
    "RSCOMPL": "Y",
}
MRD_BEFORE_CONSENT = {
    "MRDDT": "2025-01-06",
    "MRDMETH": "NGF",
    "MRDSENS": "1E-5",
    "MRDRES": "NEGATIVE",
}


def _with_row(frame: pd.DataFrame, row: dict[str, str]) -> pd.DataFrame:
    """``frame`` with one more row (the columns it lacks empty, as a site sends them)."""
    added = pd.DataFrame([row], dtype="string").reindex(columns=frame.columns)
    return pd.concat([frame, added], ignore_index=True)


def logically_inconsistent(landing: Path, site: str = "FA14") -> FaultCase:
    """Death before consent, response after death, ASCT before consent, a response and an MRD
    sample dated before consent (subject 3: an SCR and a negative no on-study parameter may
    count), and subject 3's first isatuximab dose recorded in MG (720 MG at 72 kg: 10 MG/KG):
    all load."""
    frames = valid_frames(site)
    s1, s2, s3 = f"{site}-001", f"{site}-002", f"{site}-003"
    icf1 = frames["enr"].loc[0, "ICFDT"]  # 2025-01-11
    frames["dth"] = pd.DataFrame(
        [{"SITEID": site, "SUBJID": s1, "DTHDT": "2025-01-02", "DTHCAUS": "OTHER"}],
        columns=FORMS["dth"].column_names,
        dtype="string",
    )
    assert "2025-01-02" < icf1  # death before consent; rs rows of s1 are after death
    frames["sct"].loc[frames["sct"]["SUBJID"] == s2, ["MELDT", "ASCTDT"]] = [
        "2024-12-01",
        "2024-12-03",
    ]
    assert RESPONSE_BEFORE_CONSENT["RSDT"] < frames["enr"].loc[2, "ICFDT"]  # 2025-01-13
    frames["rs"] = _with_row(
        frames["rs"], {"SITEID": site, "SUBJID": s3, **RESPONSE_BEFORE_CONSENT}
    )
    frames["mrd"] = _with_row(frames["mrd"], {"SITEID": site, "SUBJID": s3, **MRD_BEFORE_CONSENT})
    ex = frames["ex"]
    first_isatuximab = ex.index[(ex["SUBJID"] == s3) & (ex["EXTRT"] == "ISATUXIMAB")][0]
    assert frames["dm"].loc[2, "WEIGHT"] == "72"
    ex.loc[first_isatuximab, ["EXDOSE", "EXDOSU"]] = ["720", "MG"]
    _write(landing, site, T2, frames)
    return _case(
        "logically_inconsistent", "logically inconsistent but parseable", site, "LOADED", ()
    )


# --------------------------------------------------------------------------- re-deliveries


def same_transfer_twice(landing: Path, site: str = "FA15") -> FaultCase:
    """The T2 transfer, byte for byte, in a second folder: a no-op DUPLICATE row."""
    first = _write(landing, site, T2, valid_frames(site))
    second = first.parent / f"{first.name}_redelivered"
    shutil.copytree(first, second)
    return _case(
        "same_transfer_twice",
        "same transfer delivered twice",
        site,
        "DUPLICATE",
        (first.name, "duplicate"),
        baseline=first.name,
        delivery=second.name,
    )


def same_id_different_content(landing: Path, site: str = "FA16") -> FaultCase:
    """A second folder under the same transfer_id whose dm.csv differs: REFUSED, first kept."""
    first = _write(landing, site, T2, valid_frames(site))
    frames = valid_frames(site)
    frames["dm"].loc[0, "WEIGHT"] = "80"
    # write_transfer names the folder after the transfer_id, so write elsewhere and move in.
    tmp = landing / ".staging"
    written = write_transfer(tmp, site, T2, frames)
    second = landing / f"{first.name}_resent"
    shutil.move(str(written), str(second))
    shutil.rmtree(tmp)
    return _case(
        "same_id_different_content",
        "same transfer_id with different content",
        site,
        "REFUSED",
        (first.name, "already loaded", "different content", "dm.csv"),
        baseline=first.name,
        delivery=second.name,
    )


# --------------------------------------------------------------------------- hardening (issue 27)


def _copy_transfer(src: Path, dst: Path, **manifest: object) -> Path:
    """A copy of a written transfer under another folder name, manifest recomputed."""
    shutil.copytree(src, dst)
    _rewrite_manifest(dst, **manifest)
    return dst


def glob_folder_name(landing: Path, site: str = "FA17") -> FaultCase:
    """A folder named like a glob pattern that matches its neighbour: read literally.

    `FA17_2026033[1]T0800` (transfer FA17_GLOB) sits beside `FA17_20260331T0800`, whose name
    the pattern matches. Only the glob folder's ae row 1 has AETERM GLOBMARKER and AETOXGR 9
    (above maximum), so its quarantine row exists only when its own file is the one read.
    """
    base = _write(landing, site, T2, valid_frames(site)).name
    frames = valid_frames(site)
    frames["ae"].loc[0, ["AETERM", "AETOXGR"]] = ["GLOBMARKER", "9"]
    staged = write_transfer(landing / ".staging", site, "2026-03-31T09:00:00Z", frames)
    folder = landing / f"{site}_2026033[1]T0800"
    _copy_transfer(staged, folder, transfer_id=f"{site}_GLOB")
    shutil.rmtree(landing / ".staging")
    return _case(
        "glob_folder_name",
        "folder names with characters that mean something to a reader",
        site,
        "LOADED",
        ("ae.csv row 1 AETOXGR: value '9' above maximum",),
        quarantined=(("ae", 1, "AETOXGR"),),
        baseline=base,
        delivery=folder.name,
        transfer_id=f"{site}_GLOB",
    )


def odd_folder_name(landing: Path, site: str = "FA18") -> FaultCase:
    """Spaces, quotes and braces in a folder name: read literally, one quarantined row."""
    frames = valid_frames(site)
    frames["rs"].loc[0, "RSORRES"] = "VGRP"
    staged = _write(landing / ".staging", site, T2, frames)
    folder = landing / f"""{site} export "final" O'Brien {{v1,v2}}"""
    _copy_transfer(staged, folder)
    shutil.rmtree(landing / ".staging")
    return _case(
        "odd_folder_name",
        "folder names with characters that mean something to a reader",
        site,
        "LOADED",
        ("rs.csv row 1 RSORRES: unknown code 'VGRP'",),
        quarantined=(("rs", 1, "RSORRES"),),
        delivery=folder.name,
    )


def nul_byte(landing: Path, site: str = "FA19") -> FaultCase:
    """ae row 1 AETERM 'Nausea<NUL>': the row is quarantined, the rest loads."""
    frames = valid_frames(site)
    frames["ae"].loc[0, "AETERM"] = "Nau\x00sea"
    _write(landing, site, T2, frames)
    return _case(
        "nul_byte",
        "a NUL byte",
        site,
        "LOADED",
        ("ae.csv row 1 AETERM: NUL byte in value",),
        quarantined=(("ae", 1, "AETERM"),),
    )


def invalid_utf8(landing: Path, site: str = "FA20") -> FaultCase:
    """fu.csv gets a line with bytes that are not UTF-8 (Latin-1 'é'): that row is quarantined."""
    frames = valid_frames(site)
    folder = _write(landing, site, T2, frames)
    n_fu = len(frames["fu"])
    with open(folder / "fu.csv", "ab") as f:
        f.write(f"{site},{site}-001,2025-12-30,ALIVE".encode() + b"\xe9\n")
    _rewrite_manifest(folder)
    return _case(
        "invalid_utf8",
        "a line that cannot be decoded as UTF-8",
        site,
        "LOADED",
        (f"fu.csv row {n_fu + 1}: malformed CSV row (invalid encoding)",),
        quarantined=(("fu", n_fu + 1, None),),
    )


OVERSIZE_FIELD_BYTES = 10 * 1024 * 1024


def oversize_field(landing: Path, site: str = "FA21") -> FaultCase:
    """ae row 1 AETERM is a 10 MB quoted field (over every CSV reader's default limit)."""
    frames = valid_frames(site)
    frames["ae"].loc[0, "AETERM"] = "Nausea, " + "x" * OVERSIZE_FIELD_BYTES
    _write(landing, site, T2, frames)
    return _case(
        "oversize_field",
        "a field the CSV reader cannot hold",
        site,
        "LOADED",
        ("ae.csv row 1: malformed CSV row (line size over maximum)",),
        quarantined=(("ae", 1, None),),
    )


# Bytes DuckDB's strict CSV state machine cannot parse at all (not a per-row reject).
UNPARSEABLE_BODY = b'\r\r\r"x"\r"y"zz"\n'


def unparseable_file(landing: Path, site: str = "FA22") -> FaultCase:
    """dth.csv: a valid header, then bytes no CSV reader can parse: the transfer is refused."""
    base = _baseline(landing, site)
    folder = _write(landing, site, T2, valid_frames(site))
    dth = folder / "dth.csv"
    dth.write_bytes(dth.read_bytes() + UNPARSEABLE_BODY)
    _rewrite_manifest(folder)
    return _case(
        "unparseable_file",
        "a file that cannot be parsed at all",
        site,
        "REFUSED",
        (folder.name, "dth.csv", "cannot be parsed"),
        baseline=base,
    )


def implausible_date(landing: Path, site: str = "FA23") -> FaultCase:
    """ex row 2 EXSTDT 0001-01-01; ae row 1 AESTDT 2027 (partial, after the extract year);
    fu row 3 FUDT 2026-04-01 (the day after the extract date 2026-03-31)."""
    frames = valid_frames(site)
    frames["ex"].loc[1, "EXSTDT"] = "0001-01-01"
    frames["ae"].loc[0, "AESTDT"] = "2027"
    frames["fu"].loc[2, "FUDT"] = "2026-04-01"
    _write(landing, site, T2, frames)
    return _case(
        "implausible_date",
        "a date before 1900-01-01 or after the transfer's extract date",
        site,
        "LOADED",
        (
            "ex.csv row 2 EXSTDT: implausible date '0001-01-01' (before 1900-01-01)",
            "ae.csv row 1 AESTDT: implausible date '2027' (after the extract date 2026-03-31)",
            "fu.csv row 3 FUDT: implausible date '2026-04-01' (after the extract date 2026-03-31)",
        ),
        quarantined=(("ae", 1, "AESTDT"), ("ex", 2, "EXSTDT"), ("fu", 3, "FUDT")),
    )


def _outside(landing: Path) -> Path:
    """A folder beside the landing zone, outside it, for the link faults to point into."""
    return landing.parent / f"{landing.name}_outside"


def symlinked_file(landing: Path, site: str = "FA24") -> FaultCase:
    """dm.csv is a symbolic link to an identical file outside the landing zone: refused."""
    base = _baseline(landing, site)
    folder = _write(landing, site, T2, valid_frames(site))
    target = _outside(landing) / site / "dm.csv"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(folder / "dm.csv"), str(target))
    (folder / "dm.csv").symlink_to(target)
    return _case(
        "symlinked_file",
        "a listed file that is a symbolic link",
        site,
        "REFUSED",
        (folder.name, "dm.csv", "symbolic link"),
        baseline=base,
    )


def symlinked_folder(landing: Path, site: str = "FA25") -> FaultCase:
    """The transfer folder is a symbolic link to a transfer outside the landing zone: refused."""
    base = _baseline(landing, site)
    written = _write(_outside(landing), site, T2, valid_frames(site))
    folder = landing / written.name
    folder.symlink_to(written, target_is_directory=True)
    return _case(
        "symlinked_folder",
        "a path that resolves outside the transfer's folder",
        site,
        "REFUSED",
        (folder.name, "symbolic link"),
        baseline=base,
    )


EXTRA_COLUMN_VALUE = "Jane EXTRAMARKER Doe"


def extra_column(landing: Path, site: str = "FA26") -> FaultCase:
    """ae.csv carries a PATIENT_NAME column: loads (kept in raw EXTRA), raised as a finding."""
    frames = valid_frames(site)
    frames["ae"]["PATIENT_NAME"] = EXTRA_COLUMN_VALUE
    _write(landing, site, T2, frames)
    return _case("extra_column", "an extra column", site, "LOADED", ())


def enrolled_without_start_dates(landing: Path, site: str = "FA27") -> FaultCase:
    """Subject 1 enrolled without ELIGDT, subject 2 without ICFDT: both optional dates in the
    contract, so the rows load, and a finding asks for each date. Subject 1 stays ITT without a
    TNT row (TNT starts at ELIGDT); subject 2 is in no dataset (ADSL counts from consent).
    Subject 3 has every form but enr: in no dataset, and a finding names the forms."""
    frames = valid_frames(site)
    frames["enr"].loc[0, "ELIGDT"] = pd.NA
    frames["enr"].loc[1, "ICFDT"] = pd.NA
    frames["enr"] = frames["enr"].iloc[:2]
    _write(landing, site, T2, frames)
    return _case(
        "enrolled_without_start_dates", "logically inconsistent but parseable", site, "LOADED", ()
    )


# A verbatim AE term in a site's language, and one over SAS v5's 200 bytes: UTF-8 text the
# contract accepts, which a transport file cannot hold as sent.
NON_ASCII_AETERM = "Fièvre neutropénique"
LONG_AETERM = " ".join(["Neutropenia, febrile,", *["with a long verbatim description"] * 6])


def ae_text_not_transportable(landing: Path, site: str = "FA28") -> FaultCase:
    """ae.csv sends AESPID 1's AETERM in French and AESPID 2's at over 200 bytes: the rows load
    as sent, the .xpt holds them transliterated / cut to 200 bytes, and a finding asks the
    site for each (AE_TEXT_NOT_TRANSPORTABLE). Either once refused every site's publication."""
    frames = valid_frames(site)
    first = frames["ae"].iloc[[0]]
    frames["ae"] = pd.concat(
        [first.assign(AETERM=NON_ASCII_AETERM), first.assign(AESPID="2", AETERM=LONG_AETERM)],
        ignore_index=True,
    )
    _write(landing, site, T2, frames)
    return _case(
        "ae_text_not_transportable", "a text value over SAS v5's limits", site, "LOADED", ()
    )


FAULTS: tuple[Callable[[Path], FaultCase], ...] = (
    manifest_missing,
    manifest_unreadable,
    wrong_study,
    checksum_mismatch,
    row_count_mismatch,
    site_mismatch,
    missing_required_column,
    unparseable_value,
    unknown_code,
    impossible_date,
    partial_date_not_allowed,
    duplicate_key,
    malformed_csv_row,
    logically_inconsistent,
    same_transfer_twice,
    same_id_different_content,
    glob_folder_name,
    odd_folder_name,
    nul_byte,
    invalid_utf8,
    oversize_field,
    unparseable_file,
    implausible_date,
    symlinked_file,
    symlinked_folder,
    extra_column,
    enrolled_without_start_dates,
    ae_text_not_transportable,
)


def write_all_faults(landing: Path) -> list[FaultCase]:
    """Write every fault (each on its own site) into `landing`; return the expectations."""
    landing = Path(landing)
    landing.mkdir(parents=True, exist_ok=True)
    return [fault(landing) for fault in FAULTS]


# --------------------------------------------------------------------------- contract versions
# (issue 29). Their own list: FAULTS is the contract's bad-input table as it stood, which the
# tests of earlier issues enumerate; `isadex generate --faults` writes both.


def _baseline_v(landing: Path, site: str, version: str) -> str:
    return _write(landing, site, T1, valid_frames(site, contract_version=version), version).name


def contract_1_1_missing_a_1_1_column(landing: Path, site: str = "FB01") -> FaultCase:
    """A 1.1 transfer whose enr.csv has no REINDSDT: refused like any missing column."""
    base = _baseline_v(landing, site, "1.1")
    frames = valid_frames(site, contract_version="1.1")
    frames["enr"] = frames["enr"].drop(columns=["REINDSDT"])
    folder = _write(landing, site, T2, frames, "1.1")
    return _case(
        "contract_1_1_missing_a_1_1_column",
        "missing required column (a 1.1 column in a 1.1 transfer)",
        site,
        "REFUSED",
        (folder.name, "enr.csv", "missing required column", "REINDSDT"),
        baseline=base,
    )


def contract_1_1_missing_im_csv(landing: Path, site: str = "FB02") -> FaultCase:
    """A 1.1 transfer without im.csv (neither sent nor listed): refused like any missing form."""
    base = _baseline_v(landing, site, "1.1")
    folder = _write(landing, site, T2, valid_frames(site, contract_version="1.1"), "1.1")
    (folder / "im.csv").unlink()
    _rewrite_manifest(folder)
    return _case(
        "contract_1_1_missing_im_csv",
        "manifest invalid (a 1.1 form not sent)",
        site,
        "REFUSED",
        (folder.name, "form files not listed: im.csv"),
        baseline=base,
    )


def contract_1_0_with_im_csv(landing: Path, site: str = "FB03") -> FaultCase:
    """A 1.0 transfer that lists an im.csv: refused (a 1.0 transfer sends no im.csv)."""
    base = _baseline(landing, site)
    folder = _write(landing, site, T2, valid_frames(site))
    im = valid_frames(site, contract_version="1.1")["im"]
    im.to_csv(folder / "im.csv", index=False, lineterminator="\n")
    _rewrite_manifest(folder)
    return _case(
        "contract_1_0_with_im_csv",
        "manifest invalid (a 1.1 form in a 1.0 transfer)",
        site,
        "REFUSED",
        (folder.name, "im.csv is a form of contract 1.1", "contract_version 1.0"),
        baseline=base,
    )


def unknown_contract_version(landing: Path, site: str = "FB04") -> FaultCase:
    base = _baseline(landing, site)
    folder = _write(landing, site, T2, valid_frames(site))
    _rewrite_manifest(folder, contract_version="2.0")
    return _case(
        "unknown_contract_version",
        "any other contract version",
        site,
        "REFUSED",
        (folder.name, "unknown contract version", "'2.0'"),
        baseline=base,
    )


def unknown_pd_basis(landing: Path, site: str = "FB05") -> FaultCase:
    """rs row 7 (IT01-003's PD) RSPDTYP 'PET': an unknown code, quarantined."""
    frames = valid_frames(site, contract_version="1.1")
    frames["rs"].loc[6, "RSPDTYP"] = "PET"
    _write(landing, site, T2, frames, "1.1")
    return _case(
        "unknown_pd_basis",
        "unknown code (a 1.1 column)",
        site,
        "LOADED",
        ("rs.csv row 7 RSPDTYP: unknown code 'PET'",),
        quarantined=(("rs", 7, "RSPDTYP"),),
    )


def pd_basis_inconsistent(landing: Path, site: str = "FB06") -> FaultCase:
    """A PD without RSPDTYP, a VGPR with one: parseable, so both load (findings
    PD_BASIS_MISSING and PD_BASIS_WITHOUT_PD in quality.findings)."""
    frames = valid_frames(site, contract_version="1.1")
    frames["rs"].loc[6, "RSPDTYP"] = ""
    frames["rs"].loc[0, "RSPDTYP"] = "CLINICAL"
    _write(landing, site, T2, frames, "1.1")
    return _case(
        "pd_basis_inconsistent", "logically inconsistent but parseable", site, "LOADED", ()
    )


CONTRACT_VERSION_FAULTS: tuple[Callable[[Path], FaultCase], ...] = (
    contract_1_1_missing_a_1_1_column,
    contract_1_1_missing_im_csv,
    contract_1_0_with_im_csv,
    unknown_contract_version,
    unknown_pd_basis,
    pd_basis_inconsistent,
)


def write_contract_version_faults(landing: Path) -> list[FaultCase]:
    """Write the contract-version faults (each on its own site); return the expectations."""
    landing = Path(landing)
    landing.mkdir(parents=True, exist_ok=True)
    return [fault(landing) for fault in CONTRACT_VERSION_FAULTS]


# --------------------------------------------------------------------------- missing values


def missing_optional_values(landing: Path) -> list[tuple[str, str, str, str]]:
    """In each site's newest transfer, empty one value of every column that is not a key
    (site_extracts.md: "Empty field = missing"), each on a subject of its own where the sites
    allow it, and rewrite the manifests. Returns (form, column, SITEID, SUBJID) of each."""
    newest: dict[str, tuple[str, Path]] = {}
    for folder in (p for p in Path(landing).iterdir() if p.is_dir()):
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        extracted = (manifest["extract_datetime"], folder)
        newest[manifest["site_id"]] = max(newest.get(manifest["site_id"], extracted), extracted)
    used: set[tuple[str, str]] = set()
    emptied: list[tuple[str, str, str, str]] = []
    for form in FORMS.values():
        paths = {site: folder / f"{form.name}.csv" for site, (_, folder) in sorted(newest.items())}
        frames = {
            site: pd.read_csv(path, dtype=str, keep_default_na=False)
            for site, path in paths.items()
            if path.exists()
        }
        edited: set[str] = set()
        for column in (c.name for c in form.columns if not c.required):
            for site, frame in frames.items():
                if column not in frame:
                    continue
                taken = {subject for s, subject in used if s == site}
                free = frame[(frame[column] != "") & ~frame["SUBJID"].isin(taken)]
                if free.empty:
                    continue
                row = free.index[0]
                frame.loc[row, column] = ""
                subject = frame.loc[row, "SUBJID"]
                used.add((site, subject))
                emptied.append((form.name, column, site, subject))
                edited.add(site)
                break
        for site in edited:
            frames[site].to_csv(paths[site], index=False, lineterminator="\n")
    for site in {site for _, _, site, _ in emptied}:
        _rewrite_manifest(newest[site][1])
    return emptied
