"""Publish a finished warehouse so readers never block a run and never see half a build.

DuckDB lets one process write a file or several read it, not both. Dagster writes a working
file; when a run has finished and passed its checks, the working file is checkpointed and
copied to one file per cut-off, and the stable name readers open is swapped to it with an
atomic rename. A reader holding the previous file open keeps reading it (POSIX keeps the old
inode alive); the next reader that opens the stable name gets the new cut.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb


def checkpoint(db: Path) -> None:
    """Fold the write-ahead log into the file so a byte copy of it is complete."""
    con = duckdb.connect(str(db))
    try:
        con.execute("checkpoint")
    finally:
        con.close()


def publish(work_db: Path, warehouse: Path, cuts_dir: Path, cut_name: str) -> Path:
    """Copy `work_db` to `cuts_dir/<cut_name>.duckdb` and point `warehouse` at it atomically.

    The stable name is a hard link to the cut file (no second copy on disk); where the file
    system refuses hard links it is a copy. Returns the cut file.
    """
    checkpoint(work_db)
    cuts_dir.mkdir(parents=True, exist_ok=True)
    cut_file = cuts_dir / f"{cut_name}.duckdb"
    tmp_cut = cut_file.with_name(cut_file.name + ".partial")
    shutil.copyfile(work_db, tmp_cut)
    os.replace(tmp_cut, cut_file)

    warehouse.parent.mkdir(parents=True, exist_ok=True)
    tmp_link = warehouse.with_name(f".{warehouse.name}.{cut_name}.swap")
    tmp_link.unlink(missing_ok=True)
    # A WAL left beside the stable name by a reader that opened it read-write would be replayed
    # into the new cut by the next opener: it belongs to the superseded file.
    Path(str(warehouse) + ".wal").unlink(missing_ok=True)
    try:
        os.link(cut_file, tmp_link)
    except OSError:
        shutil.copyfile(cut_file, tmp_link)
    os.replace(tmp_link, warehouse)
    return cut_file
