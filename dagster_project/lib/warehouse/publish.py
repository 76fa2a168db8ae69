"""Stage a run's outputs as one read-only publication, record it, and switch to it at once.

The order is what makes a publication all-or-nothing:

1. everything is staged under ``<stem>.work.publish/`` (a working name no reader opens): a
   byte copy of the checkpointed working file, made fit to publish (``prepare_db``), and the
   run's report folder; each file hashed as it is copied, then made read-only (0444, folders
   0555);
2. the staged folder is renamed into ``<stem>.cuts/<cut>`` (one rename, same file system);
3. the ledger record is appended: this is the commit point;
4. ``<stem>.current`` is switched to the new cut by renaming a new link over it, which moves
   every stable name at once.

A run killed before 3 leaves only working names behind (the next publication clears them);
killed between 3 and 4 (a few system calls), the recorded publication is switched to at once by
`isadex run`'s supervisor, which outlives its worker (:func:`complete_interrupted`,
lib/runtime/supervise.py); only when the supervisor was killed too is that left to the next
publication or run, and `isadex verify` says so meanwhile.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from dagster_project.lib.warehouse import ledger
from dagster_project.lib.warehouse.fingerprint import sha256_file
from dagster_project.lib.warehouse.layout import Layout

READ_ONLY_DIR = 0o555
# Working files of the report folder that are not part of a publication: the reuse state of the
# steps that wrote it, and files a step was still writing when it failed.
UNPUBLISHED = (".state",)
UNPUBLISHED_SUFFIXES = (".partial", ".tmp")
CHUNK = 1 << 20  # bytes read at a time while copying and hashing


@dataclass(frozen=True)
class Publication:
    cut: str
    folder: Path
    record: dict


def checkpoint(db: Path) -> None:
    """Fold the write-ahead log into the file so a byte copy of it is complete."""
    con = duckdb.connect(str(db))
    try:
        con.execute("checkpoint")
    finally:
        con.close()


def _copy_hashed(source: Path, target: Path) -> str:
    digest = hashlib.sha256()
    with open(source, "rb") as src, open(target, "xb") as dst:
        while block := src.read(CHUNK):
            digest.update(block)
            dst.write(block)
        dst.flush()
        os.fsync(dst.fileno())
    return digest.hexdigest()


def _published_report_files(report: Path) -> list[Path]:
    if not report.is_dir():
        return []
    files = []
    for path in sorted(report.rglob("*")):
        relative = path.relative_to(report)
        if relative.parts[0] in UNPUBLISHED or path.name.endswith(UNPUBLISHED_SUFFIXES):
            continue
        if path.is_file() and not path.is_symlink():
            files.append(path)
    return files


def make_writable(folder: Path) -> None:
    """Give the owner write permission on a folder tree again (to remove it)."""
    if not folder.exists():
        return
    for root, dirs, _files in os.walk(folder):
        os.chmod(root, stat.S_IRWXU | stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH)
        for d in dirs:
            path = Path(root) / d
            if not path.is_symlink():
                os.chmod(path, stat.S_IRWXU | READ_ONLY_DIR)


def remove_tree(folder: Path) -> None:
    make_writable(folder)
    shutil.rmtree(folder, ignore_errors=True)


def _freeze(folder: Path) -> None:
    """Files 0444, folders 0555, deepest first: nobody but root can change a publication."""
    for root, dirs, files in os.walk(folder, topdown=False):
        for name in files:
            os.chmod(Path(root) / name, ledger.READ_ONLY)
        for name in dirs:
            os.chmod(Path(root) / name, READ_ONLY_DIR)
    os.chmod(folder, READ_ONLY_DIR)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def stage(layout: Layout, cut: str, prepare_db: Callable[[Path], None] | None) -> dict[str, str]:
    """Copy the working warehouse and report into ``layout.staging / cut``; the SHA-256 of
    every file, by path inside the publication."""
    remove_tree(layout.staging)
    folder = layout.staging / cut
    folder.mkdir(parents=True)
    checkpoint(layout.work_db)
    db = folder / layout.db_name
    shutil.copyfile(layout.work_db, db)
    if prepare_db is not None:
        prepare_db(db)
        checkpoint(db)
    Path(str(db) + ".wal").unlink(missing_ok=True)
    files = {layout.db_name: sha256_file(db)}
    for source in _published_report_files(layout.work_report):
        relative = Path(Layout.REPORT) / source.relative_to(layout.work_report)
        (folder / relative).parent.mkdir(parents=True, exist_ok=True)
        files[relative.as_posix()] = _copy_hashed(source, folder / relative)
    _freeze(folder)
    return files


def _link(target: str, name: Path) -> None:
    """Point ``name`` at ``target`` by renaming a new link over it (atomic)."""
    if name.is_symlink() and os.readlink(name) == target:
        return
    tmp = name.with_name(f".{name.name}.swap")
    tmp.unlink(missing_ok=True)
    os.symlink(target, tmp)
    os.replace(tmp, name)


def switch(layout: Layout, cut: str) -> None:
    """Point ``<stem>.current`` at the cut, then make sure the stable names go through it."""
    parent = layout.warehouse.parent
    _link(os.path.relpath(layout.publication(cut), parent), layout.current)
    # A write-ahead log beside the stable name belongs to no published file: the next opener
    # would replay it into the new cut.
    Path(str(layout.warehouse) + ".wal").unlink(missing_ok=True)
    _link(os.path.relpath(layout.current / layout.db_name, parent), layout.warehouse)
    report = layout.report
    report.parent.mkdir(parents=True, exist_ok=True)
    if report.exists() and not report.is_symlink():
        # A report folder written in place by an earlier version of the warehouse: kept aside.
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        os.replace(report, report.with_name(f"{report.name}.unpublished-{stamp}"))
    _link(os.path.relpath(layout.current / Layout.REPORT, report.parent), report)
    _fsync_dir(parent)


def current_cut(layout: Layout) -> str | None:
    if not layout.current.is_symlink():
        return None
    return Path(os.readlink(layout.current)).name


def _records(layout: Layout) -> list[dict]:
    return ledger.records(layout.ledger) if layout.ledger.exists() else []


def _last_of(records: list[dict]) -> str | None:
    pruned = ledger.pruned(records)
    alive = [r for r in ledger.publications(records) if r["cut"] not in pruned]
    return alive[-1]["cut"] if alive else None


def last_recorded(layout: Layout) -> str | None:
    """The cut of the ledger's last publication not pruned, or None."""
    return _last_of(_records(layout))


def complete_interrupted(layout: Layout) -> str | None:
    """Settle what a run killed while publishing left: a cut folder it renamed into place but
    did not record (killed between steps 2 and 3) is removed, as no reader ever opened it and
    `isadex verify` names an unrecorded folder; and when it was killed between recording its
    publication and switching to it, the switch is made. The cut switched to, or None."""
    records = _records(layout)
    recorded = {r["cut"] for r in ledger.publications(records)}
    current = current_cut(layout)
    if layout.cuts.is_dir():
        for folder in layout.cuts.iterdir():
            if folder.name not in recorded and folder.name != current:
                remove_tree(folder)
    last = _last_of(records)
    if last is None or current == last:
        return None
    if not layout.publication(last).is_dir():
        return None
    switch(layout, last)
    return last


def publish(
    layout: Layout,
    cut: str,
    fields: dict,
    prepare_db: Callable[[Path], None] | None = None,
) -> Publication:
    """Stage, record and switch one publication (module docstring); ``fields`` go into its
    ledger record beside the cut, its folder, the stable names and every file's SHA-256."""
    complete_interrupted(layout)
    folder = layout.publication(cut)
    if folder.exists():
        raise FileExistsError(f"publication {folder} exists already")
    files = stage(layout, cut, prepare_db)
    layout.cuts.mkdir(parents=True, exist_ok=True)
    os.rename(layout.staging / cut, folder)
    _fsync_dir(layout.cuts)
    remove_tree(layout.staging)
    parent = layout.warehouse.parent
    record = ledger.append(
        layout.ledger,
        {
            **fields,
            "kind": "publication",
            "cut": cut,
            "folder": os.path.relpath(folder, parent),
            "warehouse": os.path.relpath(layout.warehouse, parent),
            "report": os.path.relpath(layout.report, parent),
            "published_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "files": files,
        },
    )
    switch(layout, cut)
    return Publication(cut, folder, record)
