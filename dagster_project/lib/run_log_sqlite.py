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

- one SQLAlchemy engine per database file for the process, reused, with its connections
  pooled, where Dagster's SQLite run and event storages create an engine for every statement
  they run and dispose of it after: each event paid a new SQLite connection (and the two
  pragmas above) and compiled its INSERT again, SQLAlchemy's statement cache being the
  engine's. py-spy of a 60-subject run: ~4.8 s of the main thread in storing events, of which
  ~1.2 s compiling and ~1.2 s connecting. The transactions are Dagster's, unchanged: each
  ``with conn.begin()`` commits as before; a pooled connection is idle between them.

The warehouse (DuckDB) is not touched: this is only the record of runs the UI reads.
"""

from __future__ import annotations

import sqlite3
import threading

_kept: dict[str, sqlite3.Connection] = {}
_engines: dict[tuple[str, str], object] = {}
_lock = threading.Lock()
_installed = False

# Dagster's SQLite storages, each of which imports `create_engine` as a module name (pinned:
# dagster 1.13.27, requirements.lock; tests/unit/test_run_log_sqlite.py checks they still do).
STORAGE_MODULES = (
    "dagster._core.storage.event_log.sqlite.sqlite_event_log",
    "dagster._core.storage.runs.sqlite.sqlite_run_storage",
    "dagster._core.storage.schedules.sqlite.sqlite_schedule_storage",
)


def install() -> None:
    """Apply the settings to every SQLite connection SQLAlchemy opens from now on, and give
    Dagster's SQLite storages one engine per file."""
    global _installed
    with _lock:
        if _installed:
            return
        import importlib

        from sqlalchemy import event
        from sqlalchemy.engine import Engine

        event.listen(Engine, "connect", _on_connect)
        for name in STORAGE_MODULES:
            importlib.import_module(name).create_engine = kept_engine
        _installed = True


def kept_engine(url, poolclass=None, connect_args=None, **kwargs):  # noqa: ARG001
    """The engine of this database URL and connect arguments, made once (SQLAlchemy's pool
    for files, QueuePool, instead of the NullPool asked for); ``dispose`` keeps it."""
    import sqlalchemy as sa

    if not sa.engine.make_url(url).database or ":memory:" in str(url):
        # An in-memory database lives with its connection: nothing to share.
        return sa.create_engine(url, poolclass=poolclass, connect_args=connect_args or {}, **kwargs)
    key = (str(url), repr(sorted((connect_args or {}).items())))
    with _lock:
        engine = _engines.get(key)
        if engine is None:
            engine = sa.create_engine(url, connect_args=connect_args or {}, **kwargs)
            engine.dispose = _keep  # Dagster disposes of its engine after every statement
            _engines[key] = engine
        return engine


def _keep(*_args, **_kwargs) -> None:
    """What ``dispose`` does on a kept engine: nothing; its pool lives with the process."""


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
