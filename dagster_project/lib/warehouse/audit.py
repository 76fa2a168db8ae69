"""`isadex verify` and `isadex prune`: check a warehouse's published history, and thin it.

Verification recomputes, from the ledger alone: the chain of record hashes; for every
publication not pruned, the SHA-256 of each file its record lists, that each is read-only and
that its folder holds nothing else; and that the stable names lead to the last publication.
Each problem is one line naming the record or file.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from dagster_project.lib.warehouse import ledger
from dagster_project.lib.warehouse.fingerprint import sha256_file
from dagster_project.lib.warehouse.layout import Layout
from dagster_project.lib.warehouse.publish import current_cut, remove_tree


def _file_problems(folder: Path, files: dict[str, str], cut: str) -> list[str]:
    problems = []
    for relative, expected in sorted(files.items()):
        path = folder / relative
        if path.is_symlink() or not path.is_file():
            problems.append(f"{path}: missing (publication {cut})")
            continue
        if sha256_file(path) != expected:
            problems.append(f"{path}: SHA-256 differs from the ledger (publication {cut})")
        mode = path.stat().st_mode
        if mode & 0o222:
            problems.append(f"{path}: writable (mode {mode & 0o777:o})")
    listed = set(files)
    inside = sorted(folder.rglob("*"))
    for path in inside:
        relative = path.relative_to(folder).as_posix()
        if (path.is_file() or path.is_symlink()) and relative not in listed:
            problems.append(f"{path}: not in the ledger record of publication {cut}")
    for path in [folder, *(p for p in inside if p.is_dir())]:
        # a writable folder lets a file be added or replaced under its read-only siblings
        if path.is_symlink():
            continue
        mode = path.stat().st_mode
        if mode & 0o222:
            problems.append(f"{path}: writable folder (mode {mode & 0o777:o})")
    return problems


def _resolves_to(name: Path, target: Path) -> bool:
    try:
        return name.resolve(strict=True) == target.resolve(strict=True)
    except OSError:
        return False


def verify(warehouse: Path) -> list[str]:
    """Every problem with the published history of ``warehouse`` (empty when all holds)."""
    layout = Layout(warehouse, warehouse)  # the report's stable name is read from the ledger
    if not layout.ledger.exists():
        return [f"{layout.ledger}: no ledger (nothing has been published for {warehouse})"]
    entries = ledger.read(layout.ledger)
    problems = ledger.chain_problems(entries)
    mode = layout.ledger.stat().st_mode
    if mode & 0o222:
        problems.append(
            f"{layout.ledger}: writable (mode {mode & 0o777:o}); the ledger is read-only"
        )
    records = [e.fields for e in entries if e.fields is not None]
    pruned = ledger.pruned(records)
    parent = warehouse.parent
    kept = []
    for record in ledger.publications(records):
        cut = record.get("cut", "?")
        if cut in pruned:
            continue
        folder = parent / record.get("folder", "")
        if not folder.is_dir():
            problems.append(f"{folder}: publication {cut} is missing (not pruned)")
            continue
        problems += _file_problems(folder, record.get("files", {}), cut)
        kept.append(record)
    # A folder of publications no record names: a record removed, or a folder added (a run
    # killed before recording its cut has it removed by its supervisor or the next run).
    recorded = {r.get("cut") for r in ledger.publications(records)}
    if layout.cuts.is_dir():
        for folder in sorted(layout.cuts.iterdir()):
            if folder.name not in recorded:
                problems.append(f"{folder}: a publication folder no ledger record names")
    if not kept:
        return problems + [f"{layout.ledger}: no publication left to read"]
    last = kept[-1]
    pointed = current_cut(layout)
    if pointed not in recorded:
        problems.append(f"{layout.current}: points at {pointed!r}, which no ledger record names")
    elif pointed != last["cut"]:
        problems.append(
            f"{layout.current}: points at {pointed!r}, not at the last recorded "
            f"publication {last['cut']!r} (a run was stopped while switching; the next run "
            "completes it)"
        )
    # The stable names must lead through the one switch (whatever it points at).
    current = layout.current.resolve()
    if not _resolves_to(warehouse, current / layout.db_name):
        problems.append(f"{warehouse}: does not lead to {layout.current / layout.db_name}")
    report = parent / last.get("report", "")
    if not _resolves_to(report, current / Layout.REPORT):
        problems.append(f"{report}: does not lead to {layout.current / Layout.REPORT}")
    return problems


def prune(warehouse: Path, keep: int) -> list[str]:
    """Remove all but the newest ``keep`` publications (never the current one) and record it
    in the ledger; the cuts removed. Their ledger records stay."""
    if keep < 1:
        raise ValueError("--keep must be at least 1: the current publication is always kept")
    layout = Layout(warehouse, warehouse)
    records = ledger.records(layout.ledger)
    pruned = ledger.pruned(records)
    alive = [r for r in ledger.publications(records) if r["cut"] not in pruned]
    current = current_cut(layout)
    removed = [r["cut"] for r in alive[:-keep] if r["cut"] != current]
    if not removed:
        return []
    for record in alive:
        if record["cut"] in removed:
            remove_tree(warehouse.parent / record["folder"])
    ledger.append(
        layout.ledger,
        {
            "kind": "prune",
            "removed": removed,
            "keep": keep,
            "at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "by_pid": os.getpid(),
        },
    )
    return removed
