"""Whether a dbt build may be by subject, and which subjects it rebuilds.

docs/incremental_by_subject.md is the design; dbt/macros/build_by_subject.sql the dbt half.
When one site sends its next transfer, the subjects whose derived rows can change are:

- every subject of a site whose transfer in force changed, in the old transfer or the new one
  (so a subject deleted by the site goes too);
- every subject of a transfer loaded since the last build that is not in force (an earlier
  extract that arrived late): the findings' first-seen transfers look back over every loaded
  transfer, so its records can move them earlier (found by a differential test);
- when the default cut-off moves from C0 to a later C1, every subject with a date after C0 in
  its records in force (a partial date at the last day it can mean, a date that does not
  parse counted as after). Anyone else only has the cut-off's own value restamped
  (tests/e2e/test_cutoff_reach.py pins where it reaches).

The build is by subject only when the last build finished and was made by the same dbt
project, the same vars and the same tables; the cut-off did not move earlier. Anything else
is a full build (``dbt build --full-refresh``), which is always right.

The state lives in the warehouse (``quality.build_state``, one row): a build marks it not done
before dbt starts and done after dbt succeeded, so a failed build, whose working file stays
as it stopped, makes the next one full.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from importlib.metadata import version as package_version
from pathlib import Path

import duckdb

from dagster_project.lib.ingest.contract import RAW_FORMS, STUDY_ID

STATE = "quality.build_state"
MODE = "quality.build_mode"
SCOPE = "quality.build_scope"

# What makes a dbt project the same one: its SQL, macros, seeds and configuration, and the
# versions that run them.
PROJECT_FILES = ("dbt_project.yml", "models", "macros", "seeds")
ENGINE_PACKAGES = ("dbt-core", "dbt-duckdb", "duckdb")


@dataclass(frozen=True)
class Decision:
    """The kind of build and why; the scope when by subject."""

    by_subject: bool
    reason: str
    scope: tuple[str, ...] = ()  # SUBJID


def project_fingerprint(project_dir: Path) -> str:
    """SHA-256 over the dbt project's files (path and content) and the engine's versions."""
    digest = hashlib.sha256()
    for package in ENGINE_PACKAGES:
        digest.update(f"{package}=={package_version(package)}\n".encode())
    for entry in PROJECT_FILES:
        path = project_dir / entry
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            digest.update(str(file.relative_to(project_dir)).encode() + b"\0")
            digest.update(file.read_bytes() + b"\0")
    return digest.hexdigest()


def latest_possible_day(column: str) -> str:
    """SQL: the last day a (partial) date can mean, as dbt's partial_date_ceiling
    (dbt/macros/partial_dates.sql): 'YYYY' -> 31 Dec, 'YYYY-MM' -> the month's last day. NULL
    where the text is no date (try_cast: the caller counts it as after any cut-off)."""
    return (
        f"case length({column}) "
        f"when 4 then try_cast({column} || '-12-31' as date) "
        f"when 7 then cast(try_cast({column} || '-01' as date) + interval 1 month "
        f"- interval 1 day as date) "
        f"else try_cast({column} as date) end"
    )


def dated_rows_in_force(transfers_in_force: str) -> str:
    """SQL (subjid, day): every date of the records in force, each contract column of type date
    or partial_date, at the last day it can mean; 9999-12-31 where it does not parse.
    ``transfers_in_force``: a relation with transfer_id."""
    parts = []
    for form in RAW_FORMS.values():
        for column in form.columns:
            if column.type not in ("date", "partial_date"):
                continue
            value = f'raw_rows."{column.name}"'
            day = (
                f"try_cast({value} as date)"
                if column.type == "date"
                else (latest_possible_day(value))
            )
            parts.append(
                f"select raw_rows.SUBJID as subjid, "
                f"case when {value} is not null and {day} is null then date '9999-12-31' "
                f"else {day} end as day "
                f"from raw.{form.name} as raw_rows "
                f"join {transfers_in_force} as in_force "
                "on raw_rows.TRANSFER_ID = in_force.transfer_id"
            )
    return " union all ".join(parts)


def _subjects_of_transfers(con: duckdb.DuckDBPyConnection, transfer_ids: Sequence[str]) -> set[str]:
    if not transfer_ids:
        return set()
    union = " union ".join(
        f"select SUBJID from raw.{form.name} where TRANSFER_ID in (select unnest($ids))"
        for form in RAW_FORMS.values()
    )
    return {r[0] for r in con.execute(union, {"ids": list(transfer_ids)}).fetchall()}


def _subjects_dated_after(con: duckdb.DuckDBPyConnection, previous_cutoff: date) -> set[str]:
    rows = con.execute(
        f"select distinct subjid from ({dated_rows_in_force('staging.stg_transfers_in_force')}) "
        "where day > ?",
        [previous_cutoff],
    ).fetchall()
    return {r[0] for r in rows}


def _existing_relations(con: duckdb.DuckDBPyConnection) -> set[tuple[str, str]]:
    rows = con.execute(
        "select schema_name, table_name from duckdb_tables() "
        "union all select schema_name, view_name from duckdb_views() where not internal"
    ).fetchall()
    return {(schema, name) for schema, name in rows}


def _in_force(con: duckdb.DuckDBPyConnection) -> tuple[dict[str, str], date]:
    """The transfers in force by site and the cut-off, through the last build's own views: with
    the same project and vars they apply today's rules to today's raw layer."""
    in_force = dict(
        con.execute("select site_id, transfer_id from staging.stg_transfers_in_force").fetchall()
    )
    (cutoff,) = con.execute("select cutoff_date from staging.stg_data_cut").fetchone()
    return in_force, cutoff


def _loaded(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every LOADED transfer of the raw layer, in force or not."""
    rows = con.execute("select TRANSFER_ID from raw.transfers where STATUS = 'LOADED'").fetchall()
    return sorted(r[0] for r in rows)


def _previous_state(con: duckdb.DuckDBPyConnection) -> dict | None:
    if tuple(STATE.split(".")) not in _existing_relations(con):
        return None
    # A state written before LOADED was recorded has no such column (read-only here: the
    # column is added when a build starts).
    schema, table = STATE.split(".")
    (has_loaded,) = con.execute(
        "select count(*) from duckdb_columns() where schema_name = ? and table_name = ? "
        "and column_name = 'LOADED'",
        [schema, table],
    ).fetchone()
    loaded_column = "LOADED" if has_loaded else "null"
    row = con.execute(
        f"select DONE, PROJECT, VARS, IN_FORCE, CUTOFF, {loaded_column} from {STATE}"
    ).fetchone()
    if row is None:
        return None
    done, project, dbt_vars, in_force, cutoff, loaded = row
    return {
        "done": done,
        "project": project,
        "vars": dbt_vars,
        "in_force": json.loads(in_force),
        "cutoff": cutoff,
        "loaded": json.loads(loaded) if loaded is not None else None,
    }


def _add_loaded_column(con: duckdb.DuckDBPyConnection) -> None:
    """The state of a warehouse built before LOADED was recorded gains the column when a build
    starts (empty: that build's decision was full, as the state could not say)."""
    con.execute(f"alter table {STATE} add column if not exists LOADED varchar")


def last_build_done(con: duckdb.DuckDBPyConnection, relations: Iterable[tuple[str, str]]) -> bool:
    """Whether the working file holds a whole, finished build: the state marked done and every
    relation the project builds in place."""
    previous = _previous_state(con)
    return bool(previous and previous["done"]) and not set(relations) - _existing_relations(con)


def decide(
    con: duckdb.DuckDBPyConnection,
    *,
    project: str,
    dbt_vars: dict[str, str],
    relations: Iterable[tuple[str, str]],
    min_subjects: int = 0,
) -> Decision:
    """Full or by subject, and the scope, for the build about to run on ``con``'s warehouse.
    ``relations``: every (schema, name) the dbt project builds; ``min_subjects``: below this
    many subjects in ADSL the build is full (settings.by_subject_min_subjects says why)."""
    previous = _previous_state(con)
    if previous is None:
        return Decision(False, "no earlier build in this warehouse")
    if not previous["done"]:
        return Decision(False, "the last build did not finish, or built only some models")
    if previous["project"] != project:
        return Decision(False, "the dbt project or its engine changed")
    if previous["vars"] != json.dumps(dbt_vars, sort_keys=True):
        return Decision(False, "the dbt vars (cut-off, as_of) changed")
    missing = sorted(set(relations) - _existing_relations(con))
    if missing:
        return Decision(False, f"{len(missing)} relation(s) missing, e.g. {'.'.join(missing[0])}")
    (subjects,) = con.execute("select count(*) from adam.adsl").fetchone()
    if subjects < min_subjects:
        return Decision(
            False, f"{subjects} subjects: under {min_subjects}, a full build costs less"
        )
    in_force, cutoff = _in_force(con)
    previous_cutoff = previous["cutoff"]
    if cutoff < previous_cutoff:
        return Decision(False, f"the cut-off moved earlier ({previous_cutoff} -> {cutoff})")
    if previous["loaded"] is None:
        return Decision(False, "the last build did not record the transfers it had loaded")
    old = previous["in_force"]
    sites = sorted(s for s in set(old) | set(in_force) if old.get(s) != in_force.get(s))
    transfers = [t for s in sites for t in (old.get(s), in_force.get(s)) if t]
    late = sorted(set(_loaded(con)) - set(previous["loaded"]) - set(in_force.values()))
    scope = _subjects_of_transfers(con, transfers + late)
    if cutoff > previous_cutoff:
        scope |= _subjects_dated_after(con, previous_cutoff)
    reason = (
        f"{len(sites)} site(s) with a new transfer in force"
        + (f", {len(late)} earlier extract(s) arrived late" if late else "")
        + (f", cut-off {previous_cutoff} -> {cutoff}" if cutoff != previous_cutoff else "")
    )
    return Decision(True, reason, tuple(sorted(scope)))


def start(con: duckdb.DuckDBPyConnection, decision: Decision) -> None:
    """Before dbt: the state marked not done, the mode and the scope written."""
    con.execute("create schema if not exists quality")
    con.execute(
        f"create table if not exists {STATE} (DONE boolean, PROJECT varchar, VARS varchar, "
        "IN_FORCE varchar, CUTOFF date, BY_SUBJECT boolean, REASON varchar, SCOPE_SUBJECTS "
        "integer, FINISHED_AT timestamp, LOADED varchar)"
    )
    _add_loaded_column(con)
    con.execute(f"update {STATE} set DONE = false")
    con.execute(f"create table if not exists {MODE} (BY_SUBJECT boolean not null)")
    con.execute(
        f"create table if not exists {SCOPE} (SUBJID varchar not null, USUBJID varchar not null)"
    )
    con.execute(f"delete from {MODE}")
    con.execute(f"delete from {SCOPE}")
    if decision.by_subject:
        con.execute(
            f"insert into {SCOPE} select subjid, ? || '-' || subjid from unnest(?) as s(subjid)",
            [STUDY_ID, list(decision.scope)],
        )
        con.execute(f"insert into {MODE} values (true)")


def end(con: duckdb.DuckDBPyConnection) -> None:
    """After dbt, whatever happened: the staging views show every row again."""
    con.execute(f"delete from {MODE}")


def finish(
    con: duckdb.DuckDBPyConnection,
    decision: Decision,
    *,
    project: str,
    dbt_vars: dict[str, str],
    done: bool = True,
) -> None:
    """After dbt succeeded (and ``end``): the state this build leaves, marked done unless
    ``done`` is false (a build of some models only: the next build is full)."""
    in_force, cutoff = _in_force(con)
    con.execute(f"delete from {STATE}")
    con.execute(
        f"insert into {STATE} (DONE, PROJECT, VARS, IN_FORCE, CUTOFF, BY_SUBJECT, REASON, "
        "SCOPE_SUBJECTS, FINISHED_AT, LOADED) values (?, ?, ?, ?, ?, ?, ?, ?, now()::timestamp, ?)",
        [
            done,
            project,
            json.dumps(dbt_vars, sort_keys=True),
            json.dumps(in_force, sort_keys=True),
            cutoff,
            decision.by_subject,
            decision.reason,
            len(decision.scope),
            json.dumps(_loaded(con)),
        ],
    )
