"""lib/run_log_sqlite.py: Dagster's SQLite storage in WAL mode with synchronous=NORMAL and a
connection kept open, so storing an event neither syncs the disk nor checkpoints on close;
what was committed is there for another process."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from dagster_project.lib import run_log_sqlite


def _rows_seen_by_another_process(path, table: str) -> int:
    """What another process (the Dagster UI, say) reads of what was committed."""
    read = subprocess.run(
        [sys.executable, "-c", f"import sqlite3; print(sqlite3.connect({str(path)!r})"
         f".execute('select count(*) from {table}').fetchone()[0])"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return int(read.stdout)


def test_events_stored_through_sqlalchemy_use_wal_and_stay_readable(tmp_path):
    path = tmp_path / "events.db"
    # As Dagster creates its databases: a rollback-journal file, a connection per statement.
    sqlite3.connect(path).execute("create table event_logs (id integer primary key, body text)")
    run_log_sqlite.install()
    engine = sa.create_engine(f"sqlite:///{path}", poolclass=NullPool)
    for i in range(20):
        with engine.begin() as con:
            con.execute(sa.text("insert into event_logs (body) values (:b)"), {"b": f"e{i}"})
    with engine.connect() as con:
        assert con.execute(sa.text("pragma journal_mode")).scalar() == "wal"
        assert con.execute(sa.text("pragma synchronous")).scalar() == 1  # NORMAL
    assert str(path) in run_log_sqlite.kept_files()
    # Every connection closed, yet no checkpoint on close: the kept one is still attached.
    assert path.with_name("events.db-wal").exists()
    assert _rows_seen_by_another_process(path, "event_logs") == 20


def test_in_memory_databases_keep_no_connection():
    """Dagster's ephemeral instance (tests, no DAGSTER_HOME) stores events in memory."""
    run_log_sqlite.install()
    before = run_log_sqlite.kept_files()
    engine = sa.create_engine("sqlite://")
    with engine.connect() as con:
        assert con.execute(sa.text("select 1")).scalar() == 1
    assert run_log_sqlite.kept_files() == before


def test_dagster_storages_get_one_engine_per_file_and_keep_it(tmp_path):
    """Dagster's SQLite storages create an engine per statement and dispose of it; installed,
    they get one per file, pooled, and what they commit is there for another process."""
    import importlib

    run_log_sqlite.install()
    for name in run_log_sqlite.STORAGE_MODULES:  # still a module name each storage calls
        assert importlib.import_module(name).create_engine is run_log_sqlite.kept_engine
    path = tmp_path / "run.db"
    url = f"sqlite:///{path}"
    engines = set()
    for i in range(5):  # as SqliteEventLogStorage._connect does, once per event
        engine = run_log_sqlite.kept_engine(url, poolclass=NullPool, connect_args={"timeout": 30})
        engines.add(id(engine))
        with engine.connect() as con, con.begin():
            con.execute(sa.text("create table if not exists events (n int)"))
            con.execute(sa.text("insert into events values (:n)"), {"n": i})
        engine.dispose()
    assert len(engines) == 1
    assert _rows_seen_by_another_process(path, "events") == 5
    # In memory, each engine is its own database, as without the patch.
    memory = run_log_sqlite.kept_engine("sqlite://", poolclass=NullPool)
    assert memory is not run_log_sqlite.kept_engine("sqlite://", poolclass=NullPool)
