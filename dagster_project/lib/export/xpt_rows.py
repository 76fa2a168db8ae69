"""Rows of a SAS transport (v5) file, read with pyreadstat a slice at a time.

Why not one ``pyreadstat.read_xport`` call: a v5 file does not say how many rows it holds, so
pyreadstat grows its pandas columns 100,000 rows at a time with ``np.append`` (quadratic: 83 of
the 305 s it took to read the 100,000-subject package), and its dict output holds a Python
object per value (about four times the file's size in memory, 6 GB for that package's ADLB).
Why not ``row_offset``: pyreadstat cannot seek, so skipping rows costs it a good part of
reading them.

Every row of a v5 file has the same width, so a slice of rows is where the layout puts it: the
file's own header (up to and including the OBS header record, SAS TS-140) and the bytes of the
rows wanted are copied to a small file of their own beside it, which pyreadstat reads from its
first row. The layout is read from the file itself (the OBS header record and pyreadstat's
storage widths), nothing of our writer's: the conformance check reads files it did not write.

    rows = read_rows(path, start, stop)          # dict: variable -> list of values
    rows = read_rows(path, start, to_end=True)   # from ``start`` to the end of the file
    for start, stop, to_end in slice_plan(layout(path).rows_at_most, 250_000): ...

``decode_rows`` reads the same rows without pyreadstat, with numpy over the row bytes: each
variable at the position and length its NAMESTR gives, numbers converted from IBM doubles in
one array operation, text left as fixed-width bytes. pyreadstat parses a value at a time
(~3.5 us a row for ADRS), which at 100,000 subjects made reading the package most of the
conformance check; the conformance reader checks that ``decode_rows`` agrees with ``read_rows``
on the first and last rows of every file it reads.
"""

from __future__ import annotations

import os
import re
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat

RECORD = 80
# The record after which the observations start (SAS TS-140: "OBS HEADER RECORD", "OBSV8" in
# the version 8 format); the header before it is whole 80-byte records.
OBS_HEADER = re.compile(rb"HEADER RECORD\*{7}OBS(?:V8)? *HEADER RECORD!{7}")
# Header bytes searched for the OBS record: eight records and a 140-byte NAMESTR per variable
# (9,999 variables at most in v5) fit well within it.
HEADER_SEARCH_BYTES = 2 << 20
MEMBER_HEADER = re.compile(rb"HEADER RECORD\*{7}MEMB(?:ER |V8 ) *HEADER RECORD!{7}")
NAMESTR_HEADER = re.compile(rb"HEADER RECORD\*{7}(?:NAMESTR|NAMSTV8) HEADER RECORD!{7}")
BLANK = 0x20
# The first byte of a missing Num value: '.', '.A'-'.Z' as 'A'-'Z', '._' as '_' (TS-140); the
# other seven bytes are zero.
# Mixes a text value's 8-byte words into one hash (2**64 / golden ratio, an odd number).
HASH_MULTIPLIER = 0x9E3779B97F4A7C15
MISSING_FIRST_BYTES = np.array([0x2E, 0x5F, *range(0x41, 0x5B)], dtype=np.uint64)


@dataclass(frozen=True)
class Field:
    """One variable's place in a row, as its NAMESTR declares it."""

    position: int
    length: int
    text: bool


@dataclass(frozen=True)
class Layout:
    """Where a file's rows are: the byte they start at, the bytes per row, the file's size;
    and its variables."""

    observations: int
    width: int
    size: int
    columns: tuple[str, ...]
    # the row count a version 8 file's OBSV8 record declares (a v5 file declares none)
    declared_rows: int | None = None
    # per variable of ``columns``, its place in a row
    fields: tuple[Field, ...] = ()

    @property
    def rows_at_most(self) -> int:
        """The rows the file holds, or for a v5 file can hold: its last record's blank padding
        may count as rows (a reader drops blank rows at the end), so fewer may be read."""
        if self.declared_rows is not None:
            return self.declared_rows
        return (self.size - self.observations) // self.width if self.width else 0


def layout(path: str | Path, meta=None) -> Layout:
    """The file's layout, from its own header (raises ValueError when it has none). ``meta``:
    pyreadstat's metadata of the file, when the caller has read it."""
    if meta is None:
        _, meta = pyreadstat.read_xport(str(path), metadataonly=True)
    width = sum(int(meta.variable_storage_width[c]) for c in meta.column_names)
    with open(path, "rb") as f:
        head = f.read(HEADER_SEARCH_BYTES)
    at = _record(OBS_HEADER, head)
    if at is None:
        raise ValueError(f"{path}: no OBS header record; not a SAS transport file")
    # OBSV8 ends in the number of observations, right-aligned; OBS in zeros and blanks.
    count = head[at + 48 : at + RECORD].strip()
    declared = int(count) if head[at + 20 : at + 25] == b"OBSV8" and count.isdigit() else None
    columns = tuple(meta.column_names)
    fields = _fields(path, head, columns, width)
    # The NAMESTRs place and type every value the numpy reader decodes; pyreadstat, which
    # vouches for that reader, must see the same lengths and types.
    for name, field in zip(columns, fields, strict=True):
        if field.length != int(meta.variable_storage_width[name]):
            raise ValueError(f"{path}: {name}'s NAMESTR length differs from pyreadstat's")
        if field.text != (meta.readstat_variable_types[name] == "string"):
            raise ValueError(f"{path}: {name}'s NAMESTR type differs from pyreadstat's")
    return Layout(at + RECORD, width, os.path.getsize(path), columns, declared, fields)


def _record(pattern: re.Pattern, head: bytes) -> int | None:
    """Where the first header record ``pattern`` matches starts (on a record boundary)."""
    return next((m.start() for m in pattern.finditer(head) if m.start() % RECORD == 0), None)


def _fields(path, head: bytes, columns: tuple[str, ...], width: int) -> tuple[Field, ...]:
    """Each variable's type, length and position in the row, from its NAMESTR (TS-140: ntype
    at byte 0, nlng at 4, npos at 84), one after the NAMESTR header record for each of
    ``columns``; a NAMESTR is 140 bytes long, or as long as the member header says (136 on
    VAX/VMS)."""
    member, at = _record(MEMBER_HEADER, head), _record(NAMESTR_HEADER, head)
    if member is None or at is None:
        raise ValueError(f"{path}: no member or NAMESTR header record; not a SAS transport file")
    size = head[member + 75 : member + 78]
    size = int(size) if size.isdigit() else 140
    fields = []
    for i in range(len(columns)):
        namestr = head[at + RECORD + i * size : at + RECORD + (i + 1) * size]
        kind, length = struct.unpack(">h2xh", namestr[:6])
        (position,) = struct.unpack(">i", namestr[84:88])
        if kind not in (1, 2) or position < 0 or position + length > width:
            raise ValueError(f"{path}: the NAMESTR of {columns[i]} does not fit a row")
        fields.append(Field(position, length, kind == 2))
    return tuple(fields)


def slice_plan(rows: int, chunk_rows: int, text_only: bool = False) -> list[tuple[int, int, bool]]:
    """(start, stop, to_end) of each slice of a file of ``rows`` rows: ``chunk_rows`` at a
    time, the last read to the end of the file so that rows beyond ``rows`` are counted (an
    empty file is one slice, read to the end). A file of text variables only (``text_only``)
    is one slice: a reader takes rows blank in every variable at the end of what it reads for
    the last record's padding, so a slice ending in one would lose it (a number's missing
    value is not blank)."""
    if text_only:
        chunk_rows = max(rows, 1)
    starts = range(0, rows, chunk_rows) if rows else [0]
    return [(s, min(s + chunk_rows, rows), s + chunk_rows >= rows) for s in starts]


def read_rows(
    path: str | Path,
    start: int,
    stop: int | None = None,
    to_end: bool = False,
    shape: Layout | None = None,
) -> dict:
    """pyreadstat's dict output (variable -> list of values, dates as day numbers) of rows
    ``start`` to ``stop`` of the file, or from ``start`` to its end with ``to_end`` (its padding
    included, so that pyreadstat counts the rows as it would in the whole file). ``shape``: the
    file's ``layout``, when the caller reads several slices of it."""
    path = Path(path)
    shape = shape or layout(path)
    rows = _rows_wanted(shape, start, stop, to_end)
    if rows == 0:
        return {name: [] for name in shape.columns}
    piece = path.with_name(f".{path.stem}.{os.getpid()}.{start}.piece.xpt")
    try:
        with path.open("rb") as source, piece.open("wb") as target:
            target.write(source.read(shape.observations))
            source.seek(shape.observations + start * shape.width)
            if to_end:
                while block := source.read(1 << 24):
                    target.write(block)
            else:
                body = source.read((stop - start) * shape.width)
                target.write(body + b" " * (-len(body) % RECORD))
        back, _ = pyreadstat.read_xport(
            str(piece),
            row_limit=rows or 0,  # 0: all there are
            disable_datetime_conversion=True,
            output_format="dict",
        )
    finally:
        piece.unlink(missing_ok=True)
    return back


def _rows_wanted(shape: Layout, start: int, stop: int | None, to_end: bool) -> int | None:
    """The rows the piece is read for: those asked for; to the end, all there are (None), but
    a v8 file's header declares all its rows, and the piece keeps that header, so the rows
    left are said."""
    if not to_end:
        return max((stop or 0) - start, 0)
    if shape.declared_rows is None:
        return None
    return max(shape.declared_rows - start, 0)


def decode_rows(
    path: str | Path,
    start: int,
    stop: int | None = None,
    to_end: bool = False,
    shape: Layout | None = None,
) -> dict[str, np.ndarray]:
    """The rows ``read_rows`` reads (``start`` to ``stop``, or to the end with ``to_end``),
    each variable as one array: numbers as float64 (dates as day numbers, every missing value
    NaN), text as the file's fixed-width bytes NUL-padded to whole 8-byte words (trailing
    blanks kept; ``text_values`` gives pyreadstat's values). As pyreadstat does at the end of
    what it reads, rows blank in every byte at the end of the slice are taken for the last
    record's padding and dropped."""
    path = Path(path)
    shape = shape or layout(path)
    end = shape.rows_at_most if to_end else max(stop or 0, start)
    with path.open("rb") as source:
        source.seek(shape.observations + start * shape.width)
        body = source.read(max(end - start, 0) * shape.width) if shape.width else b""
    rows = len(body) // shape.width if shape.width else 0
    block = np.frombuffer(body, dtype=np.uint8, count=rows * shape.width).reshape(rows, shape.width)
    if shape.declared_rows is None and rows and (block[-1] == BLANK).all():
        written = np.flatnonzero((block != BLANK).any(axis=1))
        block = block[: written[-1] + 1 if len(written) else 0]
    out = {}
    for name, field in zip(shape.columns, shape.fields, strict=True):
        part = block[:, field.position : field.position + field.length]
        if field.text:  # padded to whole 8-byte words, as ``group_bytes`` hashes them
            cells = np.zeros((len(part), -(-field.length // 8) * 8), dtype=np.uint8)
            cells[:, : field.length] = part
            out[name] = cells.view(f"S{cells.shape[1]}").ravel()
        else:
            words = np.zeros((len(part), 8), dtype=np.uint8)  # a shorter Num is truncated
            words[:, : field.length] = part
            out[name] = ibm_values(words.view(">u8").ravel())
    return out


def ibm_values(words: np.ndarray) -> np.ndarray:
    """IBM System/360 doubles (uint64 words) as float64: 0.F x 16**(E - 64), a sign bit, a
    7-bit exponent E and a 56-bit fraction F; a zero fraction under a missing value's first
    byte is NaN. Exact for every number an IEEE double was written as (its 53 bits fit the
    fraction); a 56-bit fraction that does not fit is rounded to the nearest double."""
    words = np.asarray(words, dtype=np.uint64)
    fraction = words & np.uint64((1 << 56) - 1)
    first = words >> np.uint64(56)
    exponent = (first & np.uint64(0x7F)).astype(np.int64)
    values = np.ldexp(fraction.astype(np.float64), 4 * (exponent - 64) - 56)
    np.negative(values, out=values, where=(first & np.uint64(0x80)) != 0)
    values[(fraction == 0) & np.isin(first, MISSING_FIRST_BYTES)] = np.nan
    return values


def text_values(raw: np.ndarray) -> pd.Categorical:
    """Fixed-width text (``decode_rows``) as pyreadstat gives it, trailing blanks dropped and
    UTF-8 decoded, as a Categorical: each distinct value decoded once."""
    codes, distinct = group_bytes(raw)
    text = np.array([value.rstrip(b" ").decode("utf-8") for value in distinct], dtype=object)
    # values that differ only in trailing NULs, which numpy's bytes drop, read as one
    merged, categories = pd.factorize(text)
    return pd.Categorical.from_codes(merged[codes], categories)


def group_bytes(raw: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Fixed-width values as codes and a value per code. Rows are grouped by a 64-bit hash of
    their bytes (``pd.factorize`` on integers), then every row is compared with its group's
    value, so a hash collision is found (and sorted out by ``np.unique``) rather than
    trusted: 0.4 s against np.unique's 1-9 s for 5 million values."""
    length = raw.dtype.itemsize
    if not len(raw):
        return np.zeros(0, dtype=np.intp), raw
    if length % 8:  # NUL padding: numpy's bytes values stay the same
        raw = raw.astype(f"S{-(-length // 8) * 8}")
    raw = np.ascontiguousarray(raw)
    words = raw.view("<u8").reshape(len(raw), -1)
    hashes = words[:, 0].copy()
    for j in range(1, words.shape[1]):
        hashes *= np.uint64(HASH_MULTIPLIER)  # wraps modulo 2**64, as intended
        hashes ^= words[:, j]
    codes, _ = pd.factorize(hashes)
    one_row = np.empty(codes.max() + 1, dtype=np.intp)
    one_row[codes] = np.arange(len(raw))  # any row of each group
    distinct = raw[one_row]
    if not (distinct[codes] == raw).all():
        distinct, codes = np.unique(raw, return_inverse=True)
    return codes, distinct
