"""Dagster's SQLite run and event storage during `isadex run`: fewer disk syncs, same data.

Why: Dagster's SQLite storage opens a connection for every event it stores (SQLAlchemy
NullPool), commits and closes it. Dagster asks for WAL mode when it creates a database, but
inside SQLAlchemy's transaction, where SQLite ignores it: the files stay in rollback-journal
mode (checked: `pragma journal_mode` = delete on every one), with synchronous=FULL, so every
event writes and syncs a journal and the database file. A 60-subject run stores ~760 events:
py-spy put 6.4 s of a 30 s run into those commits, connects and closes.

What this changes (WAL is a property of the file, which the Dagster UI and daemon then use
too, as Dagster intended; the other two settings are this process's only):
- journal_mode=WAL on every SQLite database SQLAlchemy opens (a no-op when already WAL, and
  SQLite refuses it, harmlessly, while another process holds the file open).
- synchronous=NORMAL on every SQLite connection SQLAlchemy opens: in WAL mode a commit no
  longer waits for the disk; the log is synced at each checkpoint. A crash of the process
  loses nothing committed; a power cut can lose the last events before a checkpoint, never
  corrupt the file (SQLite's documented guarantee for WAL + NORMAL).
- one idle connection kept open per database file until the process ends, so closing an
  event's connection is no longer the last close and does not checkpoint each time; SQLite
  checkpoints by itself every 1,000 pages, and the next process to open the file finishes
  the log. The kept connection reads once to attach to the log and then stays idle: it holds
  no read transaction, so it blocks no checkpoint.

The warehouse (DuckDB) is not touched: this is only the record of runs the UI reads.
"""

from __future__ import annotations

import sqlite3
import threading

_kept: dict[str, sqlite3.Connection] = {}
_lock = threading.Lock()
_installed = False


def install() -> None:
    """Apply the two settings to every SQLite connection SQLAlchemy opens from now on."""
    global _installed
    with _lock:
        if _installed:
            return
        from sqlalchemy import event
        from sqlalchemy.engine import Engine

        event.listen(Engine, "connect", _on_connect)
        _installed = True


def _on_connect(dbapi_connection, _record) -> None:
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("pragma journal_mode=WAL")
        cursor.execute("pragma synchronous=NORMAL")
        path = cursor.execute("pragma database_list").fetchone()[2]
    finally:
        cursor.close()
    if not path:  # an in-memory database: nothing to keep
        return
    with _lock:
        if path not in _kept:
            keeper = sqlite3.connect(path, check_same_thread=False)
            # One read attaches it to the write-ahead log (the shared-memory index), which is
            # what makes another connection's close not the last; the read ends at once.
            keeper.execute("select count(*) from sqlite_master").fetchone()
            _kept[path] = keeper


def kept_files() -> list[str]:
    """The database files a connection is kept open to (for tests and diagnostics)."""
    with _lock:
        return sorted(_kept)
