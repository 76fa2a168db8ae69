"""Content fingerprints of warehouse tables: what lets a step reuse its last output when its
input did not change (the export's .xpt files, a GX validation).

A new transfer of one site rebuilds every ADaM table, but most of them come out identical
(README, Performance: incremental run). A fingerprint says "same rows, same order, same
columns" without reading the table into Python: DuckDB hashes each row together with its
position (``rowid``, the insertion order every reader here relies on) and sums the hashes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

import duckdb


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _column_types(
    con: duckdb.DuckDBPyConnection, table: str, wanted: Sequence[str]
) -> dict[str, str]:
    """{column: DuckDB type} of every column of ``table``; KeyError naming those of ``wanted``
    it does not have."""
    described = con.execute(f"select * from {table} limit 0").description
    types = {d[0]: str(d[1]) for d in described}
    missing = [c for c in wanted if c not in types]
    if missing:
        raise KeyError(f"{table} has no column {', '.join(missing)}")
    return types


def table_fingerprint(
    con: duckdb.DuckDBPyConnection, table: str, columns: Sequence[str] | None = None
) -> str:
    """SHA-256 (hex) of ``columns`` (default: all, in table order) of ``table``
    (``schema.name``): their names and types, the row count, and the sum over rows of DuckDB's
    64-bit ``hash(rowid, row)``.

    The row's position is part of its hash, so a reordering changes the fingerprint, as it
    changes a file written from the rows. Two different tables share a fingerprint only when
    their sums of 64-bit row hashes collide (about 2^-64 for an unplanned change); DuckDB's
    hash is not cryptographic, so this guards against change, not against forgery.
    """
    types = _column_types(con, table, columns or ())
    names = list(columns) if columns is not None else list(types)
    fields = ", ".join(f"{_quoted(c)} := t.{_quoted(c)}" for c in names)
    row = f"struct_pack({fields})" if names else "0"  # no column: the row count alone
    count, total = con.execute(
        f"select count(*), coalesce(sum(hash(t.rowid, {row})), 0) from {table} t"
    ).fetchone()
    return fingerprint_of(
        {"columns": [[c, types[c]] for c in names], "rows": count, "hash": str(total)}
    )


def column_fingerprints(
    con: duckdb.DuckDBPyConnection, table: str, columns: Sequence[str]
) -> tuple[int, dict[str, str]]:
    """(row count, {column: SHA-256 (hex) of its name, type, the row count and the sum over
    rows of DuckDB's 64-bit ``hash(rowid, value)``}) for ``columns`` of ``table``, in one scan.

    What a consumer reading a few columns depends on: fingerprints of the columns it reads,
    combined, change exactly when ``table_fingerprint`` of those columns would (the row's
    position is in each hash, so the columns' values stay tied to their rows)."""
    types = _column_types(con, table, columns)
    sums = "".join(f", coalesce(sum(hash(t.rowid, t.{_quoted(c)})), 0)" for c in columns)
    count, *totals = con.execute(f"select count(*){sums} from {table} t").fetchone()
    return count, {
        c: fingerprint_of({"column": [c, types[c]], "rows": count, "hash": str(total)})
        for c, total in zip(columns, totals, strict=True)
    }


def fingerprint_of(value: object) -> str:
    """SHA-256 (hex) of a JSON-serialisable value (keys sorted): combines the parts a cached
    output depends on (table fingerprints, metadata, code version)."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def transfers_fingerprint(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """SHA-256 (hex) of what a raw table holds, for a table that only ever gains whole
    transfers (raw.<form>, raw.quarantine, raw.deletions, raw.extra_columns): its transfers,
    each with its row count and the SHA-256 of the manifest it was loaded from.

    Loading is append-only and a transfer's rows are a function of its checksummed files, so
    this changes exactly when the table's content does, without hashing millions of rows."""
    rows = con.execute(
        f"with counted as (select TRANSFER_ID, count(*) as n from {table} group by TRANSFER_ID), "
        "loaded as (select TRANSFER_ID, max(MANIFEST_SHA256) as sha from raw.transfers "
        "where STATUS = 'LOADED' group by TRANSFER_ID) "
        "select counted.TRANSFER_ID, counted.n, loaded.sha from counted "
        "left join loaded using (TRANSFER_ID) order by counted.TRANSFER_ID"
    ).fetchall()
    return fingerprint_of({"table": table, "transfers": rows})


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    """Streamed SHA-256 (hex) of a file: large files never sit in memory whole."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()
