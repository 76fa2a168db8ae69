"""Write one site transfer exactly as site_extracts.md describes it.

Used by the synthetic generator, the fault writer and the tests, so every
landing zone this project makes has the same shape a site's EDC export has.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from dagster_project.lib.ingest.contract import DEFAULT_CONTRACT_VERSION, STUDY_ID, forms_of
from dagster_project.lib.ingest.landing import count_csv_rows
from dagster_project.lib.warehouse.fingerprint import sha256_file


def count_data_rows(path: Path) -> int:
    """Data rows of a CSV (header excluded), honouring quoted line breaks: as ingestion counts."""
    return count_csv_rows(path)


def transfer_id_for(site_id: str, extract_datetime: str) -> str:
    """IT01 + 2026-03-31T08:00:00Z -> IT01_20260331T0800."""
    stamp = extract_datetime.replace("-", "").replace(":", "")[:13]
    return f"{site_id}_{stamp}"


def write_manifest(folder: Path, manifest: Mapping) -> Path:
    path = folder / "manifest.json"
    path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return path


def build_manifest(
    folder: Path,
    site_id: str,
    transfer_id: str,
    extract_datetime: str,
    study_id: str = STUDY_ID,
    known: Mapping[str, tuple[str, int]] | None = None,
    contract_version: str = DEFAULT_CONTRACT_VERSION,
) -> dict:
    """Manifest of every CSV in `folder`, in file-name order, declaring `contract_version`.

    `known` maps file name -> (sha256, data rows) for files whose checksum and row
    count the caller computed while writing them, so large extracts are not re-read.
    """
    known = known or {}
    files = {}
    for csv_path in sorted(folder.glob("*.csv")):
        sha, rows = known.get(csv_path.name) or (sha256_file(csv_path), count_data_rows(csv_path))
        files[csv_path.name] = {"sha256": sha, "rows": rows}
    return {
        "study_id": study_id,
        "site_id": site_id,
        "transfer_id": transfer_id,
        "extract_datetime": extract_datetime,
        "contract_version": contract_version,
        "files": files,
    }


def write_transfer(
    landing: Path,
    site_id: str,
    extract_datetime: str,
    frames: Mapping[str, pd.DataFrame],
    transfer_id: str | None = None,
    contract_version: str = DEFAULT_CONTRACT_VERSION,
) -> Path:
    """Write every form of `contract_version` (header-only when a form has no records) and
    its manifest.

    `frames` maps form name -> DataFrame with the contract's column names; values
    are written as given (strings stay strings, so tests can write bad values).
    Forms absent from `frames` are written header-only; frames of forms the version does not
    have are not written.
    """
    transfer_id = transfer_id or transfer_id_for(site_id, extract_datetime)
    folder = Path(landing) / transfer_id
    folder.mkdir(parents=True, exist_ok=True)
    for name, form in forms_of(contract_version).items():
        frame = frames.get(name)
        if frame is None:
            frame = pd.DataFrame(columns=form.column_names)
        frame.to_csv(folder / f"{name}.csv", index=False, lineterminator="\n")
    manifest = build_manifest(
        folder, site_id, transfer_id, extract_datetime, contract_version=contract_version
    )
    write_manifest(folder, manifest)
    return folder


def write_transfer_chunks(
    landing: Path,
    site_id: str,
    extract_datetime: str,
    files: Mapping[str, tuple[Sequence[bytes | memoryview], int]],
    transfer_id: str | None = None,
    contract_version: str = DEFAULT_CONTRACT_VERSION,
) -> Path:
    """Write already-formatted CSV files (header included) and their manifest.

    `files` maps file name (`dm.csv`, ...) -> (byte chunks in order, data rows). The
    checksum is computed from the bytes as they are written; the caller vouches for the
    row count (the generator knows it exactly). Fast path for large synthetic trials.
    """
    transfer_id = transfer_id or transfer_id_for(site_id, extract_datetime)
    folder = Path(landing) / transfer_id
    folder.mkdir(parents=True, exist_ok=True)
    known: dict[str, tuple[str, int]] = {}
    for name, (chunks, rows) in files.items():
        h = hashlib.sha256()
        with open(folder / name, "wb") as f:
            for chunk in chunks:
                h.update(chunk)
                f.write(chunk)
        known[name] = (h.hexdigest(), rows)
    manifest = build_manifest(
        folder,
        site_id,
        transfer_id,
        extract_datetime,
        known=known,
        contract_version=contract_version,
    )
    write_manifest(folder, manifest)
    return folder
