"""A build by subject equals a full build: every dbt relation and endpoint table of two
warehouses holds the same rows, and the tables written in an order (the ADaM datasets,
findings) the same order, because the export and the fingerprints read them by row position.
Used by tests/e2e/test_build_by_subject.py and tests/e2e/test_incremental_reuse.py, whose runs
are tests/conftest.py's incremental_runs."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta
from pathlib import Path

import duckdb

from dagster_project.lib.synthetic.transfer_writer import transfer_id_for, write_transfer_chunks

# Written in the order of their model (ORDER BY): compared row by row, not as sets.
ORDERED = {"adsl", "adae", "adex", "adrs", "adtte", "findings", "findings_by_site"}


def rows(path: Path) -> dict[tuple[str, str], list[tuple]]:
    """Every dbt relation's and endpoint table's rows, tables in row order."""
    from dagster_project.defs.warehouse.dbt_models import _built_relations

    out = {}
    with duckdb.connect(str(path), read_only=True) as con:
        endpoints = con.execute(
            "select schema_name, table_name from duckdb_tables() where schema_name = 'endpoints'"
        ).fetchall()
        tables = {
            (s, n)
            for s, n in con.execute(
                "select schema_name, table_name from duckdb_tables()"
            ).fetchall()
        }
        for schema, name in sorted(_built_relations()) + sorted(endpoints):
            order = " order by rowid" if (schema, name) in tables else ""
            out[(schema, name)] = con.execute(f'select * from {schema}."{name}"{order}').fetchall()
    return out


def assert_same_build(built: Path, fresh: Path) -> None:
    mine, theirs = rows(built), rows(fresh)
    assert mine.keys() == theirs.keys()
    assert len(mine) > 60  # every model, seed and endpoint table
    for key in sorted(mine):
        a, b = mine[key], theirs[key]
        if key == ("intermediate", "int_dose_plan_by_age"):
            # A lookup by AGE, phase and cycle: by subject it keeps keys no subject has any
            # more (macros/build_by_subject.sql, new_keys); each of the full build's is there.
            assert set(b) <= set(a), key
        elif key[1] in ORDERED:
            assert a == b, key
        else:
            assert sorted(a, key=repr) == sorted(b, key=repr), key


def build_state(warehouse: Path) -> tuple:
    """(DONE, BY_SUBJECT, REASON, SCOPE_SUBJECTS) of the warehouse's last dbt build."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(
            "select DONE, BY_SUBJECT, REASON, SCOPE_SUBJECTS from quality.build_state"
        ).fetchone()


def delete_subject(landing: Path, site: str, after_days: int = 1) -> tuple[str, str]:
    """The site's newest transfer sent again a day after the newest extract, without one
    subject (its rows gone from every form, as a site deleting a subject sends it)."""
    manifests = [
        json.loads(m.read_text()) | {"dir": m.parent} for m in landing.glob("*/manifest.json")
    ]
    newest = max(m["extract_datetime"] for m in manifests)
    latest = max(
        (m for m in manifests if m["site_id"] == site), key=lambda m: m["extract_datetime"]
    )
    when = datetime.fromisoformat(newest.replace("Z", "+00:00")) + timedelta(days=after_days)
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    dm = list(csv.DictReader(io.StringIO((latest["dir"] / "dm.csv").read_text())))
    gone = dm[0]["SUBJID"]
    files = {}
    for name in latest["files"]:
        text = (latest["dir"] / name).read_text()
        lines = text.splitlines(keepends=True)
        header = next(csv.reader([lines[0]]))
        at = header.index("SUBJID")
        kept = [lines[0]] + [ln for ln in lines[1:] if next(csv.reader([ln]))[at] != gone]
        files[name] = (["".join(kept).encode()], len(kept) - 1)
    tid = transfer_id_for(site, stamp)
    write_transfer_chunks(landing, site, stamp, files, tid)
    return gone, tid
