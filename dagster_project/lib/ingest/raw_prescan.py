"""Type many form files in one DuckDB statement: the fast path of raw_load for clean files.

Why: raw_load checks one file at a time with a few dozen statements each. At
scale, with thousands of files, the cost was the statements' fixed cost and a
window numbering the rows of every file, not the parsing. Here every file of
one form in a group of deliveries is read by a single `read_csv` over the list
of files (DuckDB spreads the files over its threads), typed with raw_load's
own expressions, and summarised per file.

A file is *clean* when every one of its records is: the reader set nothing
aside, its record count equals the manifest's, every value passes its
column's checks, every SITEID is the manifest's site and no key repeats. A
clean file's load is then one INSERT from the typed rows (raw_load.load_prescanned);
any other file, and every file this module could not read, goes through
raw_load.load_form exactly as before, so refusals, quarantine rows and their
messages have one implementation.

Row numbers: `row_number() OVER ()` over the whole read numbers the records in
scan order (the CSV reader's order: the list of files, each in record order,
the same guarantee raw_load relies on for one file). Without the window the
typed rows' rowids were NOT in that order: with 4 threads, a CTAS of these
expressions stored the start of a 400,000-row file after its end (measured,
DuckDB 1.5.6; a test pins the numbering at 4 threads). A clean file's
ROWNUM is then n - its first n + 1; its rows being contiguous in that
numbering (last - first + 1 = count) is checked per file, else it is not
clean.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from .contract import RAW_FORMS, Form, forms_of
from .raw_load import (
    CleanFile,
    clean_sql,
    column_names,
    extra_json_sql,
    extra_names,
    header_problems,
    ident,
    read_header,
    sql_str,
    typed_expr,
    value_sql,
)

_PREFIX = "_prescan_"


class PrescanFailed(Exception):
    """DuckDB could not read one of the files (and so aborted the open transaction): the
    caller rolls back and loads those deliveries file by file, where the file is named."""


@dataclass(frozen=True)
class FormFile:
    """One form file of a delivery to prescan."""

    form: str
    path: Path
    site_id: str
    manifest_rows: int
    extract_date: date | None = None  # None: no upper date bound (raw_load.load_form)
    contract_version: str = "1.0"  # the delivery's: the form's columns and codes it is checked on


def prescan(con: duckdb.DuckDBPyConnection, files: list[FormFile]) -> dict[Path, CleanFile]:
    """Type `files` in one statement per form and header; the clean ones by path.

    The temp tables stay until drop_prescan. A statement DuckDB refuses (a file it
    cannot parse at all, say) raises PrescanFailed: DuckDB has then aborted the open
    transaction, so the caller rolls back and sends these files the per-file way.
    """
    clean: dict[Path, CleanFile] = {}
    for name in RAW_FORMS:
        # One statement per contract version and header: a 1.0 and a 1.1 file of a form are
        # typed against different columns and codes, so they never share a read.
        groups: dict[tuple[str, tuple[str, ...]], list[FormFile]] = {}
        for f in files:
            if f.form != name:
                continue
            header = read_header(f.path)
            if header_problems(forms_of(f.contract_version)[name], header) is None:
                groups.setdefault((f.contract_version, tuple(header)), []).append(f)
        for n, ((version, header), members) in enumerate(groups.items()):
            table = f"{_PREFIX}{name}_{n}"
            form = forms_of(version)[name]
            try:
                clean.update(_prescan_group(con, form, list(header), members, table))
            except (duckdb.BinderException, duckdb.ParserException, duckdb.CatalogException):
                raise  # our SQL is wrong: fail loudly, never fall back silently
            except duckdb.Error as exc:
                raise PrescanFailed(str(exc)) from exc
    return clean


def drop_prescan(con: duckdb.DuckDBPyConnection) -> None:
    """Drop every prescan temp table of this connection."""
    tables = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE temporary AND starts_with(table_name, ?)",
        [_PREFIX],
    ).fetchall()
    for (t,) in tables:
        con.execute(f"DROP TABLE {t}")


def _per_file_date(dates: list[date | None]) -> str | None:
    """SQL: each row's file's extract date, like the site list (None when no file has one)."""
    if all(d is None for d in dates):
        return None
    items = ", ".join("NULL::DATE" if d is None else f"DATE '{d.isoformat()}'" for d in dates)
    return f"([{items}])[s.file_index::BIGINT + 1]"


def _prescan_group(
    con: duckdb.DuckDBPyConnection,
    form: Form,
    header: list[str],
    members: list[FormFile],
    table: str,
) -> dict[Path, CleanFile]:
    names = column_names(header)
    raw, val = value_sql(form, names)
    # The manifest's site of each row's file: a constant list indexed by the reader's file_index
    # (a projection, so the rows keep their order; a join would not).
    sites = "[" + ", ".join(sql_str(m.site_id) for m in members) + "]"
    site = f"({sites})[s.file_index::BIGINT + 1]"
    extract = _per_file_date([m.extract_date for m in members])
    typed = {c.name: typed_expr(c, val[c.name], site, extract) for c in form.columns}
    extras = [raw[n] for n in extra_names(form, names)]
    ok = f"coalesce(({clean_sql(form, val, typed, extras)}) AND {val['SITEID']} = {site}, false)"
    extra = extra_json_sql(form, names, raw)
    paths = "[" + ", ".join(sql_str(str(m.path)) for m in members) + "]"
    cols = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(names)))
    rej, rejscan = f"{table}_rej", f"{table}_rejscan"
    con.execute(
        f"""
        CREATE TEMP TABLE {table} AS
        SELECT s.file_index AS _file, row_number() OVER () AS _n,
               {", ".join(f"{typed[c.name]} AS {ident(c.name)}" for c in form.columns)},
               {extra} AS _extra,
               {ok} AS _ok
        FROM read_csv({paths}, columns={{{cols}}}, header=true, auto_detect=false,
                      delim=',', quote='"', escape='"', null_padding=false, strict_mode=true,
                      store_rejects=true, rejects_table='{rej}', rejects_scan='{rejscan}') s
        """
    )
    rejected = {
        p
        for (p,) in con.execute(
            f"SELECT DISTINCT sc.file_path FROM {rej} r JOIN {rejscan} sc USING (scan_id, file_id)"
        ).fetchall()
    }
    con.execute(f"DROP TABLE {rej}")
    con.execute(f"DROP TABLE {rejscan}")
    keys = ", ".join(ident(k) for k in form.key)
    keys_nn = " AND ".join(f"{ident(k)} IS NOT NULL" for k in form.key)
    # Per file: records, first and last row number, records failing a check, repeated keys.
    summary = {
        fi: (n, first, last, bad, dups)
        for fi, n, first, last, bad, dups in con.execute(
            f"""
            WITH per_file AS (
                SELECT _file, count(*) AS n, min(_n) AS first, max(_n) AS last,
                       count(*) FILTER (WHERE NOT _ok) AS bad
                FROM {table} GROUP BY _file
            ),
            repeated_keys AS (
                SELECT _file, count(*) AS dups FROM (
                    SELECT _file, {keys} FROM {table} WHERE {keys_nn}
                    GROUP BY ALL HAVING count(*) > 1
                ) GROUP BY _file
            )
            SELECT p._file, p.n, p.first, p.last, p.bad, coalesce(d.dups, 0)
            FROM per_file p LEFT JOIN repeated_keys d USING (_file)
            """
        ).fetchall()
    }
    clean = {}
    for fi, m in enumerate(members):
        n, first, last, bad, dups = summary.get(fi, (0, 0, -1, 0, 0))
        if (
            str(m.path) not in rejected
            and n == m.manifest_rows
            and last - first + 1 == n
            and bad == 0
            and dups == 0
        ):
            clean[m.path] = CleanFile(table, fi, first, n, tuple(extra_names(form, names)))
    return clean
