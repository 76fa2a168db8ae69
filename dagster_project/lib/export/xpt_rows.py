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
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import pyreadstat

RECORD = 80
# The record after which the observations start (SAS TS-140: "OBS HEADER RECORD", "OBSV8" in
# the version 8 format); the header before it is whole 80-byte records.
OBS_HEADER = re.compile(rb"HEADER RECORD\*{7}OBS(?:V8)? *HEADER RECORD!{7}")
# Header bytes searched for the OBS record: eight records and a 140-byte NAMESTR per variable
# (9,999 variables at most in v5) fit well within it.
HEADER_SEARCH_BYTES = 2 << 20


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
    at = next((m.start() for m in OBS_HEADER.finditer(head) if m.start() % RECORD == 0), None)
    if at is None:
        raise ValueError(f"{path}: no OBS header record; not a SAS transport file")
    # OBSV8 ends in the number of observations, right-aligned; OBS in zeros and blanks.
    count = head[at + 48 : at + RECORD].strip()
    declared = int(count) if head[at + 20 : at + 25] == b"OBSV8" and count.isdigit() else None
    return Layout(at + RECORD, width, os.path.getsize(path), tuple(meta.column_names), declared)


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
