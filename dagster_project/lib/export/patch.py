"""A new .xpt file made from the previous one: the subjects whose rows did not change keep
their bytes, only the others are read from the warehouse and encoded.

Why: a site's next transfer at 100,000 subjects changes the ADRS rows of about 600 subjects
of 92,000 (ADAE 1,300, ADEX 500), yet the export read, mapped, encoded and hashed all 2.3
million ADRS rows again: about 20 of its 28 s (README, Performance).

How a subject is known to be unchanged: per subject, DuckDB sums a 64-bit hash of each of its
rows over every column (``subject_digests``); the rows of a subject are in a fixed order (the
ADaM tables are sorted by USUBJID and a key unique within the subject), so the same rows give
the same run of rows. The sums of the previous file's subjects are kept beside it
(``save_runs``). A file is patched only when what makes a row's bytes is the same: the
variables (names, labels, types, formats, Char lengths; the lengths are the longest values of
the whole table, measured in DuckDB, ``char_lengths``), the export code, the reader and
DuckDB's version (its hash). Otherwise the export writes the file in full, as it always did.

The row's bytes are its fields end to end and do not depend on where the row is (TS-140), so
the new file is: a new header, then per subject either its bytes from the previous file or its
newly encoded rows, then the padding of the last record (``write_patched``). The file's last
subject is always encoded again, so the read-back can read the file's end against values it
holds.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from dagster_project.lib.export import transport_v5
from dagster_project.lib.export.transport_v5 import RECORD, Field, observations_offset
from dagster_project.lib.fingerprint import fingerprint_of

# Past this share of changed rows, reading the changed rows and copying the rest costs about
# what writing the file in full does (ADSL changes whole when the cut-off moves).
MAX_CHANGED_SHARE = 0.5
_TEXT_TYPES = ("VARCHAR",)
_FLAG_TYPES = ("BOOLEAN",)


@dataclass(frozen=True)
class SubjectRuns:
    """A table's (or file's) subjects in row order, each one run of consecutive rows."""

    usubjid: np.ndarray  # str, unique
    rows: np.ndarray  # int64, rows per subject
    content: np.ndarray  # uint64, the subject's rows (``subject_digests``)
    verified: np.ndarray | None = None  # uint64, ``verified_rows`` run digests, once known

    @property
    def starts(self) -> np.ndarray:
        return (np.cumsum(self.rows) - self.rows).astype(np.int64)

    @property
    def n_rows(self) -> int:
        return int(self.rows.sum())


def runs_key(layout: str) -> str:
    """What a stored subject digest depends on besides the rows: the file's layout
    (``verified_rows.layout_key``) and DuckDB's hash function (its version)."""
    return fingerprint_of({"layout": layout, "duckdb": duckdb.__version__})[:16]


def subject_digests(con: duckdb.DuckDBPyConnection, table: str) -> SubjectRuns | None:
    """Per subject of ``table``, in the table's row (rowid) order: its USUBJID, its rows and
    the sum (mod 2**64) of a hash of each row's values, every column. None when a subject's
    rows are not one run (another subject's rows between them): the table is then not in
    subject order and nothing is patched."""
    columns = [d[0] for d in con.execute(f"select * from {table} limit 0").description]
    if "USUBJID" not in columns:
        return None
    every = ", ".join(f'"{c}"' for c in columns)
    found = con.execute(
        f"""
        select USUBJID, count(*) as n, min(rowid) as first, max(rowid) as last,
               (sum(hash({every})) % 18446744073709551616)::ubigint as content
        from {table}
        group by USUBJID
        order by first
        """
    ).fetchnumpy()
    first, last = np.asarray(found["first"]), np.asarray(found["last"])
    if len(first) > 1 and (first[1:] <= last[:-1]).any():
        return None
    usubjid = np.asarray(found["USUBJID"], dtype=object)
    if pd.isna(usubjid).any():
        return None
    return SubjectRuns(
        usubjid.astype(str),
        np.asarray(found["n"], dtype=np.int64),
        np.asarray(found["content"], dtype=np.uint64),
    )


def char_lengths(con: duckdb.DuckDBPyConnection, table: str, metas: Sequence) -> list | None:
    """``metas`` with each Char length the one ``xpt.variable_metadata`` gives from the whole
    table (the longest value in UTF-8 bytes, at least 1; a flag is Y or N), measured in
    DuckDB. None when a Char variable is neither text nor a flag in the table."""
    types = {d[0]: str(d[1]) for d in con.execute(f"select * from {table} limit 0").description}
    text = [m.name for m in metas if m.type == "Char" and types.get(m.name) in _TEXT_TYPES]
    if any(m.type == "Char" and types.get(m.name) not in _TEXT_TYPES + _FLAG_TYPES for m in metas):
        return None
    longest: dict[str, int] = {}
    if text:
        row = con.execute(
            "select " + ", ".join(f'max(strlen("{n}"))' for n in text) + f" from {table}"
        ).fetchone()
        longest = {n: max(1, int(v or 0)) for n, v in zip(text, row, strict=True)}
    return [replace(m, length=longest.get(m.name, 1)) if m.type == "Char" else m for m in metas]


@dataclass(frozen=True)
class Patch:
    """Which of the new file's subjects come from the previous file (``source`` >= 0: the
    previous file's subject number) and which are encoded again (-1)."""

    new: SubjectRuns
    source: np.ndarray  # int64 per new subject

    @property
    def encoded(self) -> np.ndarray:
        return self.source < 0

    @property
    def rows_to_encode(self) -> int:
        return int(self.new.rows[self.encoded].sum())


def plan_patch(old: SubjectRuns, new: SubjectRuns) -> Patch:
    """Each new subject whose rows hash as the previous file's same subject did is taken from
    the previous file; every other one, and always the last, is encoded again."""
    position = {u: i for i, u in enumerate(old.usubjid.tolist())}
    source = np.array([position.get(u, -1) for u in new.usubjid.tolist()], dtype=np.int64)
    known = source >= 0
    same = np.zeros(len(source), dtype=bool)
    same[known] = (old.content[source[known]] == new.content[known]) & (
        old.rows[source[known]] == new.rows[known]
    )
    source[~same] = -1
    if len(source):
        source[-1] = -1
    return Patch(new, source)


def encoded_rows(written: pd.DataFrame, fields: Sequence[Field]) -> np.ndarray:
    """The rows of ``written`` (a transport frame) as their bytes, one row per line."""
    width = sum(f.length for f in fields)
    columns = [
        written[f.name].array
        if isinstance(written[f.name].dtype, pd.CategoricalDtype)
        else written[f.name].to_numpy()
        for f in fields
    ]
    body = b"".join(transport_v5.observation_blocks(columns, fields, len(written)))
    return np.frombuffer(body[: len(written) * width], dtype=np.uint8).reshape(len(written), width)


def write_patched(
    old_path: Path,
    old: SubjectRuns,
    patch: Patch,
    encoded: np.ndarray,
    fields: Sequence[Field],
    path: Path,
    dataset_name: str,
    dataset_label: str,
    stamp: datetime | None = None,
) -> Path:
    """The new file: a new header, each subject's rows (from ``old_path`` or, in order, from
    ``encoded``: the encoded subjects' rows end to end), the last record padded with blanks.
    Written beside and renamed, as ``xpt.write_xpt_mapped`` does."""
    width = sum(f.length for f in fields)
    header = transport_v5.header_bytes(fields, dataset_name, dataset_label, stamp or datetime.now())
    offset = observations_offset(len(fields))
    old_starts = old.starts
    partial = path.with_name(path.name + ".partial")
    path.parent.mkdir(parents=True, exist_ok=True)
    taken = 0
    with old_path.open("rb") as source, partial.open("wb") as target:
        target.write(header)
        for first, stop, j in _segments(patch.source):
            rows = int(patch.new.rows[first:stop].sum())
            if j < 0:
                target.write(encoded[taken : taken + rows].tobytes())
                taken += rows
            else:
                source.seek(offset + int(old_starts[j]) * width)
                target.write(source.read(rows * width))
        written = patch.new.n_rows * width
        target.write(b" " * (-written % RECORD))
    if taken != len(encoded):
        partial.unlink(missing_ok=True)
        raise ValueError(f"{len(encoded)} rows encoded, {taken} placed")
    os.replace(partial, path)
    return path


def _segments(source: np.ndarray):
    """(first, stop, j) per stretch of new subjects written in one call: encoded subjects
    next to each other (j = -1), or subjects that follow each other in the old file too (j:
    the old file's subject number of the first)."""
    n = len(source)
    first = 0
    while first < n:
        j = int(source[first])
        stop = first + 1
        if j < 0:
            while stop < n and source[stop] < 0:
                stop += 1
        else:
            while stop < n and source[stop] == j + (stop - first):
                stop += 1
        yield first, stop, j
        first = stop


def save_runs(folder: Path, dataset: str, key: str, runs: SubjectRuns) -> None:
    """The subjects of ``dataset``'s file, their digests and verified run digests; drops the
    dataset's older record."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{dataset}.{key}.npz"
    partial = folder / f"{dataset}.{key}.partial.npz"
    np.savez(
        partial,
        usubjid=runs.usubjid.astype(str),
        rows=runs.rows,
        content=runs.content,
        verified=runs.verified if runs.verified is not None else np.zeros(0, np.uint64),
    )
    os.replace(partial, target)
    for older in folder.glob(f"{dataset}.*.npz"):
        if older != target:
            older.unlink(missing_ok=True)


def load_runs(folder: Path, dataset: str, key: str) -> SubjectRuns | None:
    """The record ``save_runs`` left under ``key``, or None."""
    try:
        with np.load(folder / f"{dataset}.{key}.npz", allow_pickle=False) as saved:
            runs = SubjectRuns(
                saved["usubjid"].astype(str),
                saved["rows"].astype(np.int64),
                saved["content"].astype(np.uint64),
                saved["verified"].astype(np.uint64),
            )
    except (OSError, ValueError, KeyError):
        return None
    if runs.verified is None or len(runs.verified) != len(runs.usubjid):
        return None
    return runs
