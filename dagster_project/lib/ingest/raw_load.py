"""Load one verified transfer's CSV files into raw.<form>, set-based in DuckDB.

Method, per form file (contract.py is the only description of the forms; every
check below is SQL generated from it, so no Python touches a data row):

1. The header is read with the csv module (one record). Names are trimmed and
   upper-cased; a contract column missing from it refuses the file, and so the
   transfer (a cumulative snapshot must be whole). Column order is free, extra
   columns are kept as JSON in EXTRA.
2. DuckDB reads the file with `read_csv` under an explicit all-VARCHAR schema
   (header skipped, so a UTF-8 BOM is harmless) and `store_rejects`, so
   structurally malformed records (too many / too few fields, broken quoting,
   invalid UTF-8) are set aside with their record number instead of failing
   the read. `row_number() over ()` numbers the good records in file order
   (DuckDB keeps scan order with preserve_insertion_order, the default; a test
   pins this on a large file read with several threads), and the rejected
   record numbers are merged back in with an ASOF join so ROWNUM is the 1-based
   data-record number in the file.
3. Any SITEID differing from the manifest's site_id refuses the transfer. The
   records DuckDB saw (good + rejected) must equal the manifest's row count, so
   nothing can go missing between the two. A blank line is no record for either: DuckDB
   skips it, and the manifest counts data rows (landing.verify_files, count_csv_rows).
4. Each column gets a typed expression and an error expression (empty ->
   NULL, trim, codes upper-cased and checked, strict integers / numbers /
   dates / partial dates, min-max ranges, required keys, SUBJID shape and
   site). Key duplicates are found with a GROUP BY on the typed key over all
   records; every record sharing a duplicated key is quarantined.
5. Clean records go to raw.<form>; every other record becomes exactly one
   raw.quarantine row (first bad column in contract order, all reasons listed,
   whole raw record as JSON). So rows in file = loaded + quarantined.

The caller owns the transaction: a refusal raises TransferRefused and the
caller undoes its writes, so nothing of a refused transfer stays in raw.*.

Fast path: raw_prescan types many files in one statement with these same
expressions; a file it found clean (every record passes 2-5, no duplicate
key) is inserted from there by load_prescanned. Every other file takes the
path above, so each refusal and quarantine message has one implementation.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from .contract import RAW_FORMS, Column, Form, forms_of


@dataclass(frozen=True)
class CleanFile:
    """Where a clean file's typed rows are: temp table, file index, its first row number, count."""

    table: str
    file_index: int
    first_row: int
    rows: int
    extras: tuple[str, ...] = ()  # header names the contract does not name (raw.extra_columns)


SUBJID_PATTERN = "[A-Z]{2}[0-9]{2}-[0-9]{3}"
_INT_RE = "[+-]?[0-9]+"
_NUM_RE = r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?"
_DATE_RE = "[0-9]{4}-[0-9]{2}-[0-9]{2}"
_PARTIAL_RE = "[0-9]{4}(-[0-9]{2})?"
_YM_RE = "[0-9]{4}-(0[1-9]|1[0-2])"
# Dates before this are implausible in this trial (site_extracts.md, What bad input gets).
EARLIEST_DATE = "1900-01-01"
# A NUL byte passes DuckDB's reader as a character and broke the transport-file export later.
_NUL = "chr(0)"

# Temp tables one form load uses; dropped after each form.
_REJ, _REJSCAN = "_ingest_rej", "_ingest_rejscan"
_BADREC, _GAP, _Q = "_ingest_badrec", "_ingest_gap", "_ingest_q"
# Keys (raw text, contract key order) of the records the reader set aside as malformed.
_BADKEY = "_ingest_badkey"
_BAD, _DUP, _TYPED = "_ingest_bad", "_ingest_dup", "_ingest_typed"
_RENUM = "_ingest_renum"


class TransferRefused(Exception):
    """The transfer cannot be loaded; str(exc) is the reason for raw.transfers."""


class UnreadableFile(TransferRefused):
    """DuckDB's reader cannot parse the file at all (not one bad record: the whole read failed).

    Unlike other refusals, DuckDB has aborted the caller's open transaction (it has no
    savepoints), so the caller must roll back before it can record the refusal. ``path``: the
    file the reader failed on, when known.
    """

    def __init__(self, message: str, path: Path | None = None) -> None:
        super().__init__(message)
        self.path = path


def unreadable(
    transfer_id: str, fname: str, exc: duckdb.Error, path: Path | None = None
) -> UnreadableFile:
    """The refusal for a file whose read failed, with the first line of DuckDB's message."""
    detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return UnreadableFile(
        f"{transfer_id}: {fname} refused: it cannot be parsed as CSV ({detail})", path
    )


@dataclass(frozen=True)
class FormLoad:
    form: str
    rows_in: int
    rows_loaded: int
    rows_quarantined: int
    rows_malformed: int  # of rows_quarantined: records the CSV reader could not split
    deletions: int


# --------------------------------------------------------------------------- SQL helpers


def sql_str(value: str) -> str:
    """A SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _quoted(expr: str) -> str:
    """SQL expression: the value in single quotes, for messages."""
    return f"'''' || {expr} || ''''"


def parse_expr(col: Column, v: str) -> str:
    """SQL parsing `v` (trimmed value or NULL) as `col`'s type; NULL when it does not parse.

    Strict on purpose: DuckDB's own casts accept '1.5' as BIGINT 2 and '2026-2-3'
    as a date, so the shape is checked by pattern before the cast.
    """
    match col.type:
        case "text":
            return v
        case "code" | "yn":
            return f"upper({v})"
        case "int":
            return f"CASE WHEN regexp_full_match({v}, '{_INT_RE}') THEN try_cast({v} AS BIGINT) END"
        case "num":
            return (
                f"CASE WHEN regexp_full_match({v}, '{_NUM_RE}') "
                f"AND isfinite(try_cast({v} AS DOUBLE)) THEN try_cast({v} AS DOUBLE) END"
            )
        case "date":
            return f"CASE WHEN regexp_full_match({v}, '{_DATE_RE}') THEN try_cast({v} AS DATE) END"
        case "partial_date":
            return (
                f"CASE WHEN regexp_full_match({v}, '[0-9]{{4}}') "
                f"OR regexp_full_match({v}, '{_YM_RE}') "
                f"OR (regexp_full_match({v}, '{_DATE_RE}') AND try_cast({v} AS DATE) IS NOT NULL) "
                f"THEN {v} END"
            )
    raise ValueError(f"unknown column type {col.type}")


def _rules(col: Column, v: str, site: str, extract: str | None) -> list[tuple[str, str]]:
    """(condition on the parsed value p, message) pairs a parsed value must pass.

    `extract`: SQL DATE of the transfer's extract date, or None (no upper date bound).
    """
    p = parse_expr(col, v)
    q = _quoted(v)
    rules = []
    if col.type == "text":
        # Other types cannot parse with a NUL in them; text would load it.
        rules.append((f"NOT contains({v}, {_NUL})", "'NUL byte in value'"))
    rules += _plausible_date_rules(col, p, q, extract)
    if col.min_value is not None:
        rules.append(
            (f"{p} >= {col.min_value}", f"'value ' || {q} || ' below minimum {col.min_value:g}'")
        )
    if col.max_value is not None:
        rules.append(
            (f"{p} <= {col.max_value}", f"'value ' || {q} || ' above maximum {col.max_value:g}'")
        )
    if col.not_values:
        listed = ", ".join(str(x) for x in col.not_values)
        rules.append(
            (
                f"{p} NOT IN ({listed})",
                f"'value ' || {q} || {sql_str(f' not allowed ({col.not_values_why})')}",
            )
        )
    if col.codes:
        in_list = ", ".join(sql_str(c) for c in col.codes)
        rules.append(
            (
                f"{p} IN ({in_list})",
                f"'unknown code ' || {q} || "
                f"{sql_str(' (expected one of ' + ', '.join(col.codes) + ')')}",
            )
        )
    if col.name == "SUBJID":
        rules += [
            (
                f"regexp_full_match({v}, '{SUBJID_PATTERN}')",
                f"'not a subject id (SITEID-NNN) ' || {q}",
            ),
            (
                f"starts_with({v}, {site} || '-')",
                f"'subject ' || {q} || ' does not belong to site ' || {site}",
            ),
        ]
    return rules


def _plausible_date_rules(
    col: Column, p: str, q: str, extract: str | None
) -> list[tuple[str, str]]:
    """A date before EARLIEST_DATE or after the extract date is implausible.

    A partial date is judged by what it can mean: a year before 1900, or a year (year and
    month) after the extract's. ISO text compares in date order, so the partial value is
    compared with the extract date cut to its own length.
    """
    if col.type == "date":
        low, high = f"{p} >= DATE '{EARLIEST_DATE}'", f"{p} <= {extract}"
    elif col.type == "partial_date":
        low = f"left({p}, 4) >= '{EARLIEST_DATE[:4]}'"
        high = f"{p} <= left(({extract})::VARCHAR, length({p}))"
    else:
        return []
    rules = [(low, f"'implausible date ' || {q} || ' (before {EARLIEST_DATE})'")]
    if extract is not None:
        rules.append(
            (
                high,
                f"'implausible date ' || {q} || ' (after the extract date ' "
                f"|| ({extract})::VARCHAR || ')'",
            )
        )
    return rules


def typed_expr(col: Column, v: str, site: str, extract: str | None = None) -> str:
    """SQL for the stored value of `col`: NULL exactly when `v` is missing or invalid.

    So a row is clean iff every required column's typed value is non-NULL and
    every optional column is either empty or typed non-NULL: a cheap filter on
    stored columns, leaving the (costlier) messages to the few bad rows.
    """
    p = parse_expr(col, v)
    rules = _rules(col, v, site, extract)
    if not rules:
        return p
    return f"CASE WHEN {' AND '.join(f'({c})' for c, _ in rules)} THEN {p} END"


def error_expr(col: Column, v: str, site: str, extract: str | None = None) -> str:
    """SQL for the error message of `col` (NULL when acceptable); evaluated on bad rows only.

    `v` is the trimmed raw value or NULL; `site` the manifest's site_id literal
    (rows of another site have already refused the transfer).
    """
    p = parse_expr(col, v)
    q = _quoted(v)
    # First, so no message quotes a NUL byte (the row's RECORD keeps the value, escaped).
    whens: list[tuple[str, str]] = [(f"contains({v}, {_NUL})", "'NUL byte in value'")]
    if col.required:
        whens.append((f"{v} IS NULL", "'required value missing'"))
    match col.type:
        case "int":
            whens.append((f"{v} IS NOT NULL AND {p} IS NULL", f"'not an integer ' || {q}"))
        case "num":
            whens.append((f"{v} IS NOT NULL AND {p} IS NULL", f"'not a number ' || {q}"))
        case "date":
            whens += [
                (
                    f"{v} IS NOT NULL AND {p} IS NULL AND regexp_full_match({v}, '{_DATE_RE}')",
                    f"'impossible date ' || {q}",
                ),
                (
                    f"{v} IS NOT NULL AND regexp_full_match({v}, '{_PARTIAL_RE}')",
                    f"'partial date not allowed ' || {q}",
                ),
                (f"{v} IS NOT NULL AND {p} IS NULL", f"'not a date (YYYY-MM-DD) ' || {q}"),
            ]
        case "partial_date":
            whens += [
                (
                    f"{v} IS NOT NULL AND {p} IS NULL AND "
                    f"(regexp_full_match({v}, '{_DATE_RE}') "
                    f"OR regexp_full_match({v}, '{_PARTIAL_RE}'))",
                    f"'impossible date ' || {q}",
                ),
                (
                    f"{v} IS NOT NULL AND {p} IS NULL",
                    f"'not a date (YYYY, YYYY-MM or YYYY-MM-DD) ' || {q}",
                ),
            ]
    whens += [
        (f"{v} IS NOT NULL AND NOT ({c})", m)
        for c, m in _rules(col, v, site, extract)
        if m != "'NUL byte in value'"
    ]
    return "CASE " + " ".join(f"WHEN {c} THEN {m}" for c, m in whens) + " END"


# --------------------------------------------------------------------------- file level


def read_header(path: Path) -> list[str]:
    """Column names of a CSV: first record, BOM dropped, trimmed, upper-cased."""
    with open(path, newline="", encoding="utf-8-sig", errors="replace") as f:
        first = next(csv.reader(f), None)
    return [] if first is None else [h.strip().upper() for h in first]


def column_names(header: list[str]) -> list[str]:
    """Header names as loaded: a blank name becomes COLUMN_<position>."""
    return [h or f"COLUMN_{i + 1}" for i, h in enumerate(header)]


def extra_json_sql(form: Form, names: list[str], raw: dict[str, str]) -> str:
    """SQL for EXTRA: the columns the contract does not name as a JSON object, else NULL."""
    extras = [n for n in names if n not in form.column_names]
    if not extras:
        return "NULL::VARCHAR"
    return "json_object(" + ", ".join(f"{sql_str(n)}, {raw[n]}" for n in extras) + ")::VARCHAR"


def header_problems(form: Form, header: list[str]) -> str | None:
    if not header:
        return "no header row"
    seen: set[str] = set()
    dups = sorted({h for h in header if h and (h in seen or seen.add(h))})
    if dups:
        return f"duplicate column(s) {', '.join(dups)}"
    missing = [c for c in form.column_names if c not in header]
    if missing:
        return f"missing required column(s) {', '.join(missing)}"
    return None


def _read_csv_sql(path: Path, n_cols: int) -> str:
    cols = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(n_cols))
    return (
        f"read_csv({sql_str(str(path))}, columns={{{cols}}}, header=true, auto_detect=false, "
        "delim=',', quote='\"', escape='\"', null_padding=false, strict_mode=true, "
        f"store_rejects=true, rejects_table='{_REJ}', rejects_scan='{_REJSCAN}')"
    )


def _drop_temps(con: duckdb.DuckDBPyConnection) -> None:
    for t in (_REJ, _REJSCAN, _BADREC, _BADKEY, _GAP, _BAD, _DUP, _Q, _TYPED, _RENUM):
        con.execute(f"DROP TABLE IF EXISTS {t}")


@dataclass(frozen=True)
class _Sql:
    """The generated SQL fragments of one form file (see load_form)."""

    source: str  # FROM clause: numbered good records, raw columns c0.., alias s
    names: list[str]  # header names, file order
    raw: dict[str, str]  # header name -> raw column expression
    val: dict[str, str]  # contract column -> trimmed value or NULL
    typed: dict[str, str]  # contract column -> typed value (NULL when missing or invalid)
    clean: str  # predicate: every contract column acceptable, no NUL in an extra column
    errors: dict[str, str]  # contract column -> error message or NULL (for bad rows only)
    extras: list[str]  # header names the contract does not name, file order


def clean_sql(
    form: Form, val: dict[str, str], typed: dict[str, str], extra_raw: list[str] = ()
) -> str:
    """Predicate: every required column typed non-NULL, every optional one empty or typed,
    and no NUL byte in an extra column (`extra_raw`: their raw expressions)."""
    return " AND ".join(
        [
            f"({typed[c.name]}) IS NOT NULL"
            if c.required
            else f"({val[c.name]} IS NULL OR ({typed[c.name]}) IS NOT NULL)"
            for c in form.columns
        ]
        + [f"NOT coalesce(contains({r}, {_NUL}), false)" for r in extra_raw]
    )


def extra_names(form: Form, names: list[str]) -> list[str]:
    """Header names the contract does not name (kept in EXTRA), in file order."""
    return [n for n in names if n not in form.column_names]


def _materialise(con: duckdb.DuckDBPyConnection, form: Form, q: _Sql) -> _Sql:
    """Scan the file once into a temp table of raw and typed columns; SQL reading it.

    Parsing (patterns, casts) is the costly part, so it is done once per row;
    the checks, the duplicate search and the insert then read plain columns.
    """
    raw_cols = ", ".join(f"s.c{i}" for i in range(len(q.names)))
    typed_col = {c.name: ident(f"t_{c.name}") for c in form.columns}
    typed_sql = ", ".join(f"{q.typed[c.name]} AS {typed_col[c.name]}" for c in form.columns)
    con.execute(
        f"CREATE TEMP TABLE {_TYPED} AS SELECT s._rownum, {raw_cols}, {typed_sql} FROM {q.source}"
    )
    typed = {c.name: f"s.{typed_col[c.name]}" for c in form.columns}
    clean = clean_sql(form, q.val, typed, [q.raw[n] for n in q.extras])
    return _Sql(f"{_TYPED} s", q.names, q.raw, q.val, typed, clean, q.errors, q.extras)


def value_sql(form: Form, names: list[str]) -> tuple[dict[str, str], dict[str, str]]:
    """(header name -> raw column s.c<i>, contract column -> its value trimmed, blank as NULL):
    what every check and type reads, for the per-file load and the prescan alike."""
    raw = {n: f"s.c{i}" for i, n in enumerate(names)}
    val = {c.name: f"nullif(trim({raw[c.name]}), '')" for c in form.columns}
    return raw, val


def _build_sql(
    form: Form, path: Path, names: list[str], site_id: str, extract_date: date | None
) -> _Sql:
    raw, val = value_sql(form, names)
    site = sql_str(site_id)
    extract = None if extract_date is None else f"DATE '{extract_date.isoformat()}'"
    typed = {c.name: typed_expr(c, val[c.name], site, extract) for c in form.columns}
    extras = extra_names(form, names)
    clean = clean_sql(form, val, typed, [raw[n] for n in extras])
    # Good records numbered in file order; _renumber turns these ordinals into record numbers
    # when the reader set records aside.
    numbered = f"(SELECT row_number() OVER () AS _rownum, * FROM {_read_csv_sql(path, len(names))})"
    errors = {c.name: error_expr(c, val[c.name], site, extract) for c in form.columns}
    return _Sql(f"{numbered} s", names, raw, val, typed, clean, errors, extras)


def _renumber(con: duckdb.DuckDBPyConnection) -> None:
    """Good-record ordinal k -> file record number: k + rejects before it (see _build_gaps)."""
    _build_gaps(con)
    con.execute(
        f"CREATE TEMP TABLE {_RENUM} AS SELECT t._rownum + coalesce(g.j, 0) AS _rownum, "
        f"t.* EXCLUDE (_rownum) FROM {_TYPED} t "
        f"ASOF LEFT JOIN {_GAP} g ON t._rownum > g.good_before"
    )
    con.execute(f"DROP TABLE {_TYPED}")
    con.execute(f"ALTER TABLE {_RENUM} RENAME TO {_TYPED}")


def load_form(
    con: duckdb.DuckDBPyConnection,
    form: Form,
    path: Path,
    transfer_id: str,
    site_id: str,
    manifest_rows: int,
    prev_transfer_id: str | None = None,
    extract_date: date | None = None,
) -> FormLoad:
    """Load one form file of a transfer (see module docstring). Raises TransferRefused.

    `extract_date`: the transfer's extract date; a date after it is implausible (None: no
    upper bound, for callers without a manifest).

    Passes: one scan of the file parsing every row into a temp table of raw +
    typed columns while the reader collects structural rejects (parsing is the
    costly part, done once: it used to take a second, counting scan); then
    plain-column queries for the bad rows, duplicate keys, the insert and the
    quarantine.
    """
    fname = path.name
    header = read_header(path)
    problem = header_problems(form, header)
    if problem:
        raise TransferRefused(f"{transfer_id}: {fname} refused: {problem}")
    names = column_names(header)
    _drop_temps(con)

    # One scan of the file: parse, number and type every good record; the reader sets the
    # malformed ones aside in the rejects table as it goes. A file it cannot parse at all
    # (its state machine gives up) refuses the transfer, never the run.
    try:
        q = _materialise(con, form, _build_sql(form, path, names, site_id, extract_date))
    except duckdb.InvalidInputException as exc:
        raise unreadable(transfer_id, fname, exc, path) from exc
    n_good = con.execute(f"SELECT count(*) FROM {_TYPED}").fetchone()[0]
    # One row per malformed record (the reader may report several errors for one).
    con.execute(
        f"CREATE TEMP TABLE {_BADREC} AS SELECT line - 1 AS rownum, "
        "string_agg(DISTINCT lower(error_type::VARCHAR), ', ') AS kinds, "
        "first(trim(csv_line, chr(10) || chr(13))) AS csv_line, "
        "min(line_byte_position) AS byte_position, NULL::VARCHAR AS whole_line, "
        f"first(error_message) AS msg FROM {_REJ} GROUP BY line"
    )
    n_rej = con.execute(f"SELECT count(*) FROM {_BADREC}").fetchone()[0]
    if n_rej:
        _keep_whole_oversize_records(con, path)
        _number_rejects_by_record(con, path)
    if n_good + n_rej != manifest_rows:
        raise TransferRefused(
            f"{transfer_id}: {fname} refused: the CSV reader found {n_good + n_rej} records "
            f"but the manifest lists {manifest_rows} rows (unbalanced quotes?)"
        )
    if n_rej:
        _renumber(con)

    # Rows failing any check, or of another site, with their raw values.
    site_val = q.val["SITEID"]
    con.execute(
        f"CREATE TEMP TABLE {_BAD} AS SELECT s.*, "
        f"coalesce({site_val} <> {sql_str(site_id)}, false) AS other_site "
        f"FROM {q.source} WHERE NOT ({q.clean}) OR {site_val} <> {sql_str(site_id)}"
    )
    n_flagged = _check_site(con, transfer_id, fname, site_id, site_val)

    key_typed = [f"({q.typed[k]})" for k in form.key]
    key_cols = ", ".join(f"{t} AS k{i}" for i, t in enumerate(key_typed))
    key_nn = " AND ".join(f"{t} IS NOT NULL" for t in key_typed)
    # min/max instead of an ordered list: an ordered aggregate sorts every group, and
    # almost every key is unique. The row lists are built afterwards for the few dups.
    con.execute(
        f"CREATE TEMP TABLE {_DUP} AS SELECT {key_cols}, count(*) AS n "
        f"FROM {q.source} WHERE {key_nn} GROUP BY ALL HAVING count(*) > 1"
    )
    n_dup = con.execute(f"SELECT count(*) FROM {_DUP}").fetchone()[0]
    if n_dup:
        key_join = " AND ".join(f"d.k{i} = {t}" for i, t in enumerate(key_typed))
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {_DUP} AS SELECT d.*, "
            f"list(s._rownum ORDER BY s._rownum) AS rownums "
            f"FROM {q.source} JOIN {_DUP} d ON {key_join} GROUP BY ALL"
        )
        # Duplicate rows that passed every other check join the bad rows' table.
        con.execute(
            f"INSERT INTO {_BAD} SELECT s.*, false FROM {q.source} "
            f"WHERE s._rownum IN (SELECT unnest(rownums) FROM {_DUP}) "
            f"AND s._rownum NOT IN (SELECT _rownum FROM {_BAD})"
        )
    # Most files are clean: no bad row, no duplicate, so no quarantine table to build (a
    # statement with one CASE per column, with a fixed cost even on an empty input, for every
    # form of every transfer).
    n_bad = _build_quarantine(con, form, q, n_dup > 0) if n_flagged or n_dup else 0

    extra_sql = extra_json_sql(form, names, q.raw)
    target_cols = ", ".join(
        ["TRANSFER_ID", "ROWNUM", *(ident(c) for c in form.column_names), "EXTRA"]
    )
    select_cols = ", ".join(
        [sql_str(transfer_id), "s._rownum", *(q.typed[c] for c in form.column_names), extra_sql]
    )
    anti = f"WHERE s._rownum NOT IN (SELECT _rownum FROM {_Q})" if n_bad else ""
    con.execute(
        f"INSERT INTO raw.{form.name} ({target_cols}) SELECT {select_cols} FROM {q.source} {anti}"
    )

    prefix = f"{transfer_id} {fname} row "
    if n_bad:
        record = "json_object(" + ", ".join(f"{sql_str(n)}, {q.raw[n]}" for n in q.names) + ")"
        con.execute(
            f"""
            INSERT INTO raw.quarantine
            SELECT {sql_str(transfer_id)}, {sql_str(form.name)}, s._rownum,
                   s.errs[1].col, s.errs[1].val,
                   {sql_str(prefix)} || s._rownum || ' '
                     || array_to_string(list_transform(s.errs, e -> e.col || ': ' || e.msg), '; '),
                   {record}
            FROM {_Q} s
            """
        )
    if n_rej:
        con.execute(
            f"""
            INSERT INTO raw.quarantine
            SELECT {sql_str(transfer_id)}, {sql_str(form.name)}, rownum, NULL,
                   {_visible("csv_line")},
                   {sql_str(prefix)} || rownum || ': malformed CSV row (' || kinds || '): '
                     || coalesce(msg, ''),
                   json_object('CSV_LINE', coalesce(whole_line, csv_line))
            FROM {_BADREC}
            """
        )
    record_extra_columns(con, transfer_id, form.name, q.extras)
    deletions = 0
    if prev_transfer_id is not None:
        malformed = n_rej > 0 and _malformed_record_keys(con, form, names)
        deletions = _record_deletions(
            con,
            form,
            transfer_id,
            prev_transfer_id,
            site_id,
            key_typed,
            key_nn,
            n_bad > 0,
            malformed,
        )
    _drop_temps(con)
    return FormLoad(
        form=form.name,
        rows_in=manifest_rows,
        rows_loaded=n_good - n_bad,
        rows_quarantined=n_bad + n_rej,
        rows_malformed=n_rej,
        deletions=deletions,
    )


# DuckDB's rejects table cuts a record's csv_line at 10,000 characters: an oversize record
# is read again from the file for RECORD, up to this many bytes (the rest is marked cut).
WHOLE_RECORD_MAX_BYTES = 256 << 20


def _keep_whole_oversize_records(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Set whole_line of each record set aside as over the reader's line size: the record as
    the file has it, so RECORD keeps what the reader could not hold (nothing is lost)."""
    rows = con.execute(
        f"SELECT rownum, byte_position FROM {_BADREC} "
        "WHERE kinds LIKE '%line size%' AND byte_position IS NOT NULL"
    ).fetchall()
    for rownum, offset in rows:
        con.execute(
            f"UPDATE {_BADREC} SET whole_line = ? WHERE rownum = ?",
            [read_record(path, offset), rownum],
        )


def read_record(path: Path, offset: int, limit: int = WHOLE_RECORD_MAX_BYTES) -> str:
    """The CSV record starting at byte `offset`: up to its first line break outside quotes.

    `offset` is DuckDB's line_byte_position (see _record_start). A streamed byte scan
    (quotes toggle; a doubled quote toggles twice), so a record of any size costs one read
    of itself and no more than `limit` bytes of memory.
    """
    out = bytearray()
    quoted = False
    with open(path, "rb") as f:
        f.seek(_record_start(f, offset))
        while len(out) < limit and (block := f.read(1 << 20)):
            end = _record_end(block, quoted)
            if end >= 0:
                out += block[:end]
                break
            quoted ^= block.count(b'"') % 2 == 1
            out += block
    text = bytes(out[:limit]).rstrip(b"\r").decode("utf-8", errors="replace")
    return text if len(out) <= limit else text + " [cut at {limit} bytes]"


def _record_start(f, offset: int) -> int:
    """Where the record DuckDB places at `offset` (its line_byte_position) starts.

    DuckDB 1.5.6 gives the record's first byte after a CRLF but the byte after it when lines
    end in LF alone (measured), so the record starts after the last line break before
    `offset`; the header line guarantees there is one.
    """
    low = max(0, offset - 8)
    f.seek(low)
    window = f.read(offset - low)
    nl = window.rfind(b"\n")
    return offset if nl < 0 else low + nl + 1


def _record_end(block: bytes, quoted: bool) -> int:
    """Index of the first line break outside quotes in `block`, or -1 (state `quoted` on entry)."""
    pos = 0
    while True:
        nl = block.find(b"\n", pos)
        if nl < 0:
            return -1
        quoted ^= block.count(b'"', pos, nl) % 2 == 1
        if not quoted:
            return nl
        pos = nl + 1


def record_extra_columns(
    con: duckdb.DuckDBPyConnection, transfer_id: str, form: str, extras: Sequence[str]
) -> None:
    """One raw.extra_columns row per column of the file the contract does not name.

    Names only, never values: the data-quality finding reads it (site, form, column), and
    so does the scrub of a published copy (a malformed line of such a file holds values).
    """
    if extras:
        con.executemany(
            "INSERT INTO raw.extra_columns VALUES (?, ?, ?)",
            [[transfer_id, form, name] for name in extras],
        )


def _build_quarantine(con: duckdb.DuckDBPyConnection, form: Form, q: _Sql, dups: bool) -> int:
    """_Q: one row per bad record: its raw columns and its error list, in contract order.

    Messages are computed here only, on the few bad rows, never on the whole file.
    """
    err_items = ", ".join(
        [
            f"CASE WHEN NOT ({_clean_one(c, q)}) THEN {{'col': {sql_str(c.name)}, "
            f"'val': {_visible(q.val[c.name])}, 'msg': {q.errors[c.name]}}} END"
            for c in form.columns
        ]
        + [
            f"CASE WHEN contains({q.raw[n]}, {_NUL}) THEN {{'col': {sql_str(n)}, "
            f"'val': {_visible(q.raw[n])}, 'msg': 'NUL byte in value'}} END"
            for n in q.extras
        ]
    )
    key_names = ", ".join(form.key)
    key_value = " || ' | ' || ".join(f"d.k{i}::VARCHAR" for i in range(len(form.key)))
    key_join = " AND ".join(f"d.k{i} = ({q.typed[k]})" for i, k in enumerate(form.key))
    dup_item = (
        f"""CASE WHEN d.n IS NOT NULL THEN [{{'col': {sql_str(key_names.replace(" ", ""))},
            'val': {key_value},
            'msg': 'duplicate key (' || {sql_str(key_names)} || ') = (' || {key_value}
                   || ') shared by rows ' || array_to_string(d.rownums[1:20], ', ')
                   || CASE WHEN d.n > 20 THEN ', ...' ELSE '' END}}] ELSE [] END"""
        if dups
        else "[]"
    )
    dup_join = f"LEFT JOIN {_DUP} d ON {key_join}" if dups else ""
    con.execute(
        f"""
        CREATE TEMP TABLE {_Q} AS
        SELECT s.*, list_filter([{err_items}], x -> x IS NOT NULL) || {dup_item} AS errs
        FROM {_BAD} s {dup_join}
        """
    )
    return con.execute(f"SELECT count(*) FROM {_Q}").fetchone()[0]


def _visible(expr: str) -> str:
    """SQL: the value with any NUL byte shown as the two characters \\0 (for VALUE; RECORD
    keeps the raw value, JSON-escaped)."""
    return f"replace({expr}, {_NUL}, '\\0')"


def _clean_one(c: Column, q: _Sql) -> str:
    if c.required:
        return f"({q.typed[c.name]}) IS NOT NULL"
    return f"{q.val[c.name]} IS NULL OR ({q.typed[c.name]}) IS NOT NULL"


def _number_rejects_by_record(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Give each record the reader set aside its record number (ROWNUM: data records, header
    excluded), where the reader's line number is not one. DuckDB numbers a reject by its line,
    counting a blank line, which is no record (landing.py: the manifest does not count it):
    a malformed record after a blank line was numbered one too high, and the good record after
    it one too low (found by fuzzing). Counted with Python's csv module up to each reject's
    first byte (a record spanning lines is one record either way); only a file with a blank
    line between records, and a reject, is read again."""
    rejects = con.execute(
        f"SELECT rownum, byte_position FROM {_BADREC} WHERE byte_position IS NOT NULL "
        "ORDER BY byte_position"
    ).fetchall()
    data = path.read_bytes() if rejects else b""
    if not any(blank in data for blank in (b"\n\n", b"\r\r", b"\n\r\n")):
        return
    renumbered, records, start = [], -1, 0  # the header is no data record
    with open(path, "rb") as f:
        for rownum, position in rejects:
            first_byte = _record_start(f, position)
            before = data[start:first_byte].decode("utf-8", errors="surrogateescape")
            records += sum(1 for rec in csv.reader(io.StringIO(before, newline="")) if rec)
            start = first_byte
            renumbered.append((rownum, records + 1))
    con.execute("CREATE OR REPLACE TEMP TABLE _ingest_renumbered (old BIGINT, new BIGINT)")
    con.executemany("INSERT INTO _ingest_renumbered VALUES (?, ?)", renumbered)
    con.execute(
        f"UPDATE {_BADREC} SET rownum = r.new FROM _ingest_renumbered r "
        f"WHERE {_BADREC}.rownum = r.old"
    )
    con.execute("DROP TABLE _ingest_renumbered")


def _build_gaps(con: duckdb.DuckDBPyConnection) -> None:
    """Gap table turning good-record ordinals into file record numbers.

    Reject j (rank among rejects, record number d_j) has d_j - j good records
    before it; the k-th good record therefore follows every reject with
    d_j - j < k, and its record number is k plus the largest such j (an ASOF
    join on good_before < k).
    """
    con.execute(
        f"CREATE TEMP TABLE {_GAP} AS SELECT rownum - j AS good_before, max(j) AS j "
        f"FROM (SELECT rownum, row_number() OVER (ORDER BY rownum) AS j FROM {_BADREC}) "
        "GROUP BY 1"
    )


def _check_site(
    con: duckdb.DuckDBPyConnection, transfer_id: str, fname: str, site_id: str, site_val: str
) -> int:
    """Refuse the transfer when a row belongs to another site; else the number of bad rows."""
    row = con.execute(
        f"SELECT count(*) FILTER (WHERE s.other_site), "
        f"min(s._rownum) FILTER (WHERE s.other_site), "
        f"arg_min({site_val}, s._rownum) FILTER (WHERE s.other_site), count(*) FROM {_BAD} s"
    ).fetchone()
    if row[0]:
        raise TransferRefused(
            f"{transfer_id}: site mismatch: manifest site_id {site_id} but {fname} has "
            f"{row[0]} row(s) of another site (first: row {row[1]} SITEID '{row[2]}')"
        )
    return int(row[3])


def record_key_sql(key_exprs: list[str]) -> str:
    """RECORD_KEY text: key values in contract key order, as VARCHAR, joined by '|'."""
    return "concat_ws('|', " + ", ".join(f"({e})::VARCHAR" for e in key_exprs) + ")"


def _malformed_record_keys(con: duckdb.DuckDBPyConnection, form: Form, names: list[str]) -> bool:
    """Fill _BADKEY with the key fields of each record the reader set aside as malformed (too
    many or too few fields, bytes that are not UTF-8, ...), split as Python's csv module
    splits the record's text; False when none has them. Such a record is quarantined whole,
    but the site still sends it: without its key it read as a deletion at the site."""
    positions = [names.index(k) for k in form.key]
    keys = []
    for (text,) in con.execute(f"SELECT coalesce(whole_line, csv_line) FROM {_BADREC}").fetchall():
        try:
            fields = next(csv.reader(io.StringIO(text or "")), [])
        except csv.Error:
            continue
        if len(fields) > max(positions):
            keys.append([fields[i] for i in positions])
    if not keys:
        return False
    cols = ", ".join(f"c{i} VARCHAR" for i in range(len(positions)))
    con.execute(f"CREATE TEMP TABLE {_BADKEY} ({cols})")
    con.executemany(f"INSERT INTO {_BADKEY} VALUES ({', '.join('?' for _ in positions)})", keys)
    return True


def _record_deletions(
    con: duckdb.DuckDBPyConnection,
    form: Form,
    transfer_id: str,
    prev_transfer_id: str,
    site_id: str,
    key_typed: list[str],
    key_nn: str,
    quarantined: bool = True,
    malformed: bool = False,
) -> int:
    """Keys of the previous LOADED transfer absent from this file (loaded or quarantined).

    A record quarantined now is not a deletion at the site: its parsed key counts
    as present, and so does the key of a record quarantined as malformed (`malformed`:
    _BADKEY holds them, parsed as the key columns are). Only a record whose key no longer
    appears at all is reported. `quarantined` False: this file quarantined nothing (no _Q
    table to subtract).
    """
    in_quarantine = (
        f"EXCEPT SELECT {', '.join(key_typed)} FROM {_Q} s WHERE {key_nn}" if quarantined else ""
    )
    if malformed:
        parsed = [
            parse_expr(form.column(k), f"nullif(trim(b.c{i}), '')") for i, k in enumerate(form.key)
        ]
        in_quarantine += f" EXCEPT SELECT {', '.join(parsed)} FROM {_BADKEY} b"
    keys = ", ".join(ident(k) for k in form.key)
    k_alias = ", ".join(f"k{i}" for i in range(len(form.key)))
    inserted = con.execute(
        f"""
        INSERT INTO raw.deletions
        SELECT ?, ?, {record_key_sql([f"k{i}" for i in range(len(form.key))])}, ?, ?
        FROM (
            SELECT {keys} FROM raw.{form.name} WHERE TRANSFER_ID = ?
            EXCEPT
            SELECT {keys} FROM raw.{form.name} WHERE TRANSFER_ID = ?
            {in_quarantine}
        ) AS gone({k_alias})
        """,
        [site_id, form.name, prev_transfer_id, transfer_id, prev_transfer_id, transfer_id],
    ).fetchone()[0]
    return int(inserted)


def rechain_deletions(
    con: duckdb.DuckDBPyConnection, site_id: str, late_id: str, next_id: str
) -> int:
    """Deletions as if a late transfer had come in extract order: ``late_id`` was loaded after
    the site's newer transfer ``next_id``, whose deletions were found against their common
    predecessor. A record that disappears in a newer transfer is a deletion there
    (site_extracts.md) whatever order they arrived in, so those rows go, the late transfer's own
    load has recorded what vanished by it, and this records what the late transfer held and
    ``next_id`` does not: loaded there nor quarantined there (value-level quarantine, its key
    read from RECORD). Returns the rows recorded against ``next_id``."""
    con.execute(
        'DELETE FROM raw.deletions WHERE "SITEID" = ? AND "TRANSFER_ID" = ?', [site_id, next_id]
    )
    recorded = 0
    for name, form in RAW_FORMS.items():
        keys = ", ".join(ident(k) for k in form.key)
        k_alias = ", ".join(f"k{i}" for i in range(len(form.key)))
        quarantined = [
            parse_expr(
                form.column(k), f"nullif(trim(json_extract_string(q.RECORD, '$.\"{k}\"')), '')"
            )
            for k in form.key
        ]
        recorded += con.execute(
            f"""
            INSERT INTO raw.deletions
            SELECT ?, ?, {record_key_sql([f"k{i}" for i in range(len(form.key))])}, ?, ?
            FROM (
                SELECT {keys} FROM raw.{name} WHERE TRANSFER_ID = ?
                EXCEPT
                SELECT {keys} FROM raw.{name} WHERE TRANSFER_ID = ?
                EXCEPT
                SELECT {", ".join(quarantined)} FROM raw.quarantine q
                WHERE q.TRANSFER_ID = ? AND q.FORM = ?
            ) AS gone({k_alias})
            """,
            [site_id, name, late_id, next_id, late_id, next_id, next_id, name],
        ).fetchone()[0]
    return int(recorded)


def load_prescanned(
    con: duckdb.DuckDBPyConnection,
    form: Form,
    clean: CleanFile,
    transfer_id: str,
    site_id: str,
    prev_transfer_id: str | None = None,
) -> FormLoad:
    """Load a file raw_prescan found clean: its typed rows, numbered from its first row.

    Every record passed every check there, so nothing is quarantined; only the
    deletions against the site's previous transfer remain to be found.
    """
    cols = ", ".join(ident(c) for c in form.column_names)
    con.execute(
        f'INSERT INTO raw.{form.name} ("TRANSFER_ID", "ROWNUM", {cols}, "EXTRA") '
        f"SELECT ?, _n - ? + 1, {cols}, _extra FROM {clean.table} WHERE _file = ?",
        [transfer_id, clean.first_row, clean.file_index],
    )
    record_extra_columns(con, transfer_id, form.name, clean.extras)
    deletions = 0
    if prev_transfer_id is not None:
        deletions = _record_deletions(
            con, form, transfer_id, prev_transfer_id, site_id, [], "", quarantined=False
        )
    return FormLoad(form.name, clean.rows, clean.rows, 0, 0, deletions)


def load_transfer(
    con: duckdb.DuckDBPyConnection,
    transfer_id: str,
    site_id: str,
    files: dict[str, tuple[Path, int]],
    prev_transfer_id: str | None = None,
    prescanned: dict[Path, CleanFile] | None = None,
    extract_date: date | None = None,
    contract_version: str = "1.0",
) -> list[FormLoad]:
    """Load every form of one transfer; `files` maps 'dm.csv' -> (path, manifest rows).

    Runs inside the caller's transaction; raises TransferRefused on the first
    file that refuses the transfer. `prescanned` (raw_prescan.prescan's result,
    path -> CleanFile): files found clean there are inserted from their typed
    rows; every other file is loaded and checked here. Each file is checked against
    the forms of the transfer's `contract_version`; a form that version does not have
    (im in 1.0) has no rows in it, so each record the site's previous transfer held there
    is a deletion (a site back on 1.0 after 1.1), recorded as any other.
    """
    prescanned = prescanned or {}
    forms = forms_of(contract_version)
    loads = []
    for name, form in forms.items():
        path, rows = files[f"{name}.csv"]
        clean = prescanned.get(path)
        if clean is not None and clean.rows == rows:
            loads.append(load_prescanned(con, form, clean, transfer_id, site_id, prev_transfer_id))
        else:
            loads.append(
                load_form(
                    con, form, path, transfer_id, site_id, rows, prev_transfer_id, extract_date
                )
            )
    if prev_transfer_id is not None:
        for name, form in RAW_FORMS.items():
            if name in forms:
                continue
            gone = _record_deletions(
                con, form, transfer_id, prev_transfer_id, site_id, [], "", quarantined=False
            )
            if gone:
                loads.append(FormLoad(name, 0, 0, 0, 0, gone))
    return loads
