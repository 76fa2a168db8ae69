"""What produced a warehouse: code version and the run record written into quality.runs."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from datetime import date, datetime
from importlib import metadata
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[3]

RUNS_DDL = """
create table if not exists quality.runs (
    RUN_ID varchar,
    FINISHED_AT timestamp,
    CUTOFFDT date,
    AS_OF timestamp,
    TRANSFERS varchar,
    CODE_VERSION varchar,
    DBT_INVOCATION_ID varchar,
    VALIDATION varchar,
    PUBLISHED_FILE varchar
)
"""


def code_version(repo: Path | None = None) -> str:
    """``git describe --tags --always --dirty`` of the repository, with the package version.

    Falls back to the installed package version alone when git or the repository is absent
    (an installed wheel, a container without .git).
    """
    try:
        package = metadata.version("isadex")
    except metadata.PackageNotFoundError:
        package = ""
    repo = repo or ROOT
    try:
        described = subprocess.run(
            ["git", "-C", str(repo), "describe", "--tags", "--always", "--dirty"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        described = ""
    if described and package:
        return f"git {described} (isadex {package})"
    if described:
        return f"git {described}"
    return f"isadex {package}" if package else "unknown"


@dataclass(frozen=True)
class RunRecord:
    run_id: str
    cutoff: date
    as_of: datetime | None
    transfers: list[dict]
    code_version: str
    dbt_invocation_id: str | None
    validation: dict
    published_file: str


def transfers_in_force(con: duckdb.DuckDBPyConnection) -> list[dict]:
    rows = con.execute(
        """
        select t.TRANSFER_ID, t.SITEID, strftime(t.EXTRACT_DATETIME, '%Y-%m-%dT%H:%M:%SZ'),
               t.MANIFEST_SHA256, t.FILES_SHA256
        from raw.transfers as t
        inner join staging.stg_transfers_in_force as f on t.TRANSFER_ID = f.transfer_id
        where t.STATUS = 'LOADED'
        order by t.SITEID, t.TRANSFER_ID
        """
    ).fetchall()
    return [
        {
            "transfer_id": tid,
            "site_id": site,
            "extract_datetime": ts,
            "manifest_sha256": msha,
            "files_sha256": json.loads(fsha) if fsha else {},
        }
        for tid, site, ts, msha, fsha in rows
    ]


def record_run(con: duckdb.DuckDBPyConnection, record: RunRecord) -> None:
    con.execute("create schema if not exists quality")
    con.execute(RUNS_DDL)
    con.execute(
        "insert into quality.runs values (?, now()::timestamp, ?, ?, ?, ?, ?, ?, ?)",
        [
            record.run_id,
            record.cutoff,
            record.as_of,
            json.dumps(record.transfers),
            record.code_version,
            record.dbt_invocation_id,
            json.dumps(record.validation, sort_keys=True),
            record.published_file,
        ],
    )


def forget_unpublished(con: duckdb.DuckDBPyConnection, published_run_ids: list[str]) -> int:
    """Delete the quality.runs rows of runs that never published: not in the ledger, and their
    file absent (a row from before the ledger names a file that exists). The count deleted."""
    exists = con.execute(
        "select count(*) from duckdb_tables() where schema_name = 'quality' and table_name = 'runs'"
    ).fetchone()[0]
    if not exists:
        return 0
    rows = con.execute("select distinct RUN_ID, PUBLISHED_FILE from quality.runs").fetchall()
    never = [
        run_id
        for run_id, path in rows
        if run_id not in published_run_ids and not (path and Path(path).is_file())
    ]
    if never:
        con.execute("delete from quality.runs where list_contains(?::varchar[], RUN_ID)", [never])
    return len(never)


def source_version(*modules) -> str:
    """A short hash of the source files of the given modules or packages.

    Used as the Dagster code_version of Python assets, so the UI shows an asset as stale when
    the code that computes it changes (dbt models get theirs from their SQL).
    """
    import hashlib

    digest = hashlib.sha256()
    for module in modules:
        path = Path(module.__file__)
        files = sorted(path.parent.rglob("*.py")) if path.name == "__init__.py" else [path]
        for file in files:
            digest.update(file.relative_to(ROOT).as_posix().encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()[:12]
