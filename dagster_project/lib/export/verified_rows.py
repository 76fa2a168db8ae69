"""The rows of a rewritten .xpt file that an earlier read-back already checked.

A new transfer of one site rewrites every ADaM file, yet most subjects' rows come out as they
were. Reading a file back with pyreadstat (``xpt.read_back_rows``) is the export's costliest
part, so the read-back skips the subjects whose rows it has already checked, and reads the
rest.

A subject's run of rows (consecutive rows with one USUBJID) is known by a digest of, row by
row, the values as written (the transport frame the read-back compares with) and the row's
bytes in the file. A run whose digest is among those of a file that read back without a
difference, under the same variable layout, export code and reader version
(``layout_key``), holds the same bytes that decoded to the same values then. A row's bytes are
its fields end to end and do not depend on where the row is, so reading it back again would
give the same result. Every other run is read back. The header is always read, and so is the
file's end (``read_back_plan_of``), so a row too many is still counted.

A run is moved as a whole, so a subject whose rows change is read back whole, and a dataset in
which every subject changes (ADSL when the cut-off moves) is read back whole. The digests are
64-bit, like the content fingerprints that decide what else a run keeps.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from dagster_project.lib.fingerprint import fingerprint_of

# Rows hashed per block: bounds the padded copy (~30 MB) whatever the file's size.
BLOCK_ROWS = 200_000
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
# Ranges to read back closer than this are read as one: a pyreadstat call and its file cost
# about what reading a thousand rows does, and changed subjects are often scattered (ADTTE
# when the cut-off moves).
MERGE_GAP = 1_000


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64's finalizer, element-wise on uint64 (wraps, as it is meant to)."""
    x = x ^ (x >> np.uint64(30))
    x = x * np.uint64(0xBF58476D1CE4E5B9)
    x = x ^ (x >> np.uint64(27))
    x = x * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def byte_row_hashes(rows: np.ndarray) -> np.ndarray:
    """One uint64 per row of a (rows x width) uint8 array: the row's bytes, in order."""
    n, width = rows.shape
    words = -(-width // 8)
    out = np.empty(n, dtype=np.uint64)
    for start in range(0, n, BLOCK_ROWS):
        stop = min(start + BLOCK_ROWS, n)
        block = np.zeros((stop - start, words * 8), dtype=np.uint8)
        block[:, :width] = rows[start:stop]
        as_words = block.view("<u8")
        h = np.full(stop - start, np.uint64(width), dtype=np.uint64)
        for j in range(words):
            h = _mix(h ^ as_words[:, j])
        out[start:stop] = h
    return out


def row_keys(written: pd.DataFrame, rows: np.ndarray) -> np.ndarray:
    """Per row: its values as written (text by content, Categorical or not) and its bytes."""
    values = pd.util.hash_pandas_object(written, index=False).to_numpy(dtype=np.uint64)
    return _mix(values ^ _mix(byte_row_hashes(rows)))


def subject_runs(subjects: pd.Series | np.ndarray) -> np.ndarray:
    """Where each run of equal consecutive values starts (row numbers, ascending)."""
    codes, _ = pd.factorize(pd.Series(subjects), use_na_sentinel=False)
    if not len(codes):
        return np.zeros(0, dtype=np.int64)
    return np.concatenate([[0], np.flatnonzero(codes[1:] != codes[:-1]) + 1])


def run_digests(keys: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """One digest per run: its row keys in order and its length."""
    n = len(keys)
    if not n:
        return np.zeros(0, dtype=np.uint64)
    lengths = np.diff(np.append(starts, n))
    position = (np.arange(n) - np.repeat(starts, lengths)).astype(np.uint64)
    sums = np.add.reduceat(_mix(keys + position * _GOLDEN), starts)
    return _mix(sums ^ _mix(lengths.astype(np.uint64)))


def unverified_ranges(
    digests: np.ndarray, starts: np.ndarray, n_rows: int, known: np.ndarray
) -> list[tuple[int, int]]:
    """(start, stop) of the rows to read back: the runs whose digest is not ``known``,
    neighbouring runs merged."""
    if not n_rows:
        return []
    stops = np.append(starts[1:], n_rows)
    unknown = ~np.isin(digests, known)
    ranges: list[tuple[int, int]] = []
    for start, stop in zip(starts[unknown].tolist(), stops[unknown].tolist(), strict=True):
        if ranges and ranges[-1][1] == start:
            ranges[-1] = (ranges[-1][0], stop)
        else:
            ranges.append((start, stop))
    return ranges


def read_back_plan_of(
    ranges: Sequence[tuple[int, int]], n_rows: int, chunk_rows: int, merge_gap: int = MERGE_GAP
) -> list[tuple[int, int, bool]]:
    """(start, stop, to_end) of each chunk read back: the ranges, those less than
    ``merge_gap`` rows apart read as one, ``chunk_rows`` rows at a time; the last chunk is
    read to the end of the file, and when the last rows need no reading the file's last row
    is read again, to the end, so rows beyond the expected ones are counted. An empty dataset
    is one chunk, read to the end."""
    if not n_rows:
        return [(0, 0, True)]
    ranges = list(ranges)
    if not ranges or ranges[-1][1] < n_rows:
        ranges.append((n_rows - 1, n_rows))
    merged: list[tuple[int, int]] = []
    for start, stop in ranges:
        if merged and start - merged[-1][1] < merge_gap:
            merged[-1] = (merged[-1][0], stop)
        else:
            merged.append((start, stop))
    plan = [
        (s, min(s + chunk_rows, stop), False)
        for start, stop in merged
        for s in range(start, stop, chunk_rows)
    ]
    plan[-1] = (plan[-1][0], plan[-1][1], True)
    return plan


def layout_key(variables: Sequence[dict], code: str, reader: str) -> str:
    """What a row's bytes and their reading depend on besides the row: the variables (names,
    types, lengths, order), the export code and the reader's version."""
    return fingerprint_of({"variables": list(variables), "code": code, "reader": reader})[:16]


def load_known(folder: Path, dataset: str, layout: str) -> np.ndarray:
    """The run digests of ``dataset``'s last file that read back whole, under ``layout``
    (none when there is no such record)."""
    path = folder / f"{dataset}.{layout}.npy"
    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError):
        return np.zeros(0, dtype=np.uint64)


def save_known(folder: Path, dataset: str, layout: str, digests: np.ndarray) -> None:
    """Record the run digests of a file that read back whole; drop the dataset's older ones."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{dataset}.{layout}.npy"
    partial = folder / f"{dataset}.{layout}.partial.npy"
    np.save(partial, np.asarray(digests, dtype=np.uint64), allow_pickle=False)
    os.replace(partial, target)
    for old in folder.glob(f"{dataset}.*.npy"):
        if old != target:
            old.unlink(missing_ok=True)
