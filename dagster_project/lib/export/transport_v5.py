"""The bytes of a SAS transport version 5 file, written with numpy a block of rows at a time.

Layout (SAS technical support document TS-140, "The record layout of a data set in SAS
transport (XPORT) format"): 80-byte records; a library header, a member header with the
dataset name and label, one 140-byte NAMESTR per variable, then the observations, each row the
variables' fixed-width fields end to end, the last record padded with blanks. Char fields are
ASCII padded with blanks; Num fields are 8-byte IBM System/360 doubles, the missing value '.'
is 0x2E followed by seven zero bytes.

Why not pyreadstat's writer: it is the reference this module was checked against byte for byte
(tests/unit/test_transport_v5.py), but it converts value by value, which is slow on millions of
rows. Here every column converts in one numpy operation. The caller (``xpt.write_xpt_mapped``)
has already checked every v5 limit, so this module only encodes: values are ASCII text of at
most the declared width, or finite numbers within the IBM double range (``xpt.check_v5``).
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd

RECORD = 80
NAMESTR_LENGTH = 140
BLANK = 0x20
MISSING = 0x2E << 56  # '.', SAS's ordinary missing value
# Rows encoded per block: bounds the encoding buffer whatever the dataset size.
BLOCK_ROWS = 200_000
# pyreadstat 1.3.7 writes these into the headers; kept so the two writers give the same bytes.
SAS_VERSION = "6.06"
OS_NAME = "bsd4.2"


@dataclass(frozen=True)
class Field:
    """One variable as the file declares it."""

    name: str
    label: str
    char: bool
    length: int  # bytes: Char the declared width, Num 8
    format: str = ""  # e.g. "DATE9." ("" for none)


def transport_chunks(
    columns: Sequence[np.ndarray | pd.Series | pd.Categorical],
    fields: Sequence[Field],
    n_rows: int,
    dataset_name: str,
    dataset_label: str,
    stamp: datetime,
):
    """The whole file, in order: the headers, then the observation blocks (see
    ``observation_blocks``); write each chunk as it comes."""
    yield header_bytes(fields, dataset_name, dataset_label, stamp)
    yield from observation_blocks(columns, fields, n_rows)


def header_bytes(
    fields: Sequence[Field], dataset_name: str, dataset_label: str, stamp: datetime
) -> bytes:
    """Library, member and NAMESTR headers, up to and including the OBS header record."""
    when = _sas_datetime(stamp)
    records = [
        _header_record("LIBRARY", "0" * 30),
        _text(f"{'SAS':8}{'SAS':8}{'SASLIB':8}{SAS_VERSION:8}{OS_NAME:8}{'':24}{when}"),
        _text(f"{when}{'':64}"),
        _header_record("MEMBER", "0" * 17 + "16" + "0" * 8 + "140"),
        _header_record("DSCRPTR", "0" * 30),
        _text(f"{'SAS':8}{dataset_name:8}{'SASDATA':8}{SAS_VERSION:8}{OS_NAME:8}{'':24}{when}"),
        _text(f"{when}{'':16}{dataset_label:40}{'':8}"),
        _header_record("NAMESTR", f"000000{len(fields):04d}" + "0" * 20),
    ]
    namestrs = b"".join(_namestr(f, i, pos) for i, (f, pos) in enumerate(_positions(fields)))
    return b"".join(records) + _pad(namestrs) + _header_record("OBS", "0" * 30)


def observations_offset(n_fields: int) -> int:
    """Where the observations start: eight header records, the NAMESTRs padded to a record,
    the OBS header record (``header_bytes``' length)."""
    return 8 * RECORD + -(-n_fields * NAMESTR_LENGTH // RECORD) * RECORD + RECORD


def observation_blocks(
    columns: Sequence[np.ndarray | pd.Series | pd.Categorical], fields: Sequence[Field], n_rows: int
):
    """The observation bytes, BLOCK_ROWS rows per yielded block, the last padded to a record.

    ``columns``: per field, Char values as str (ASCII, at most ``length`` bytes; an array or
    a Categorical without missing values) or Num values as float64 (NaN for missing).
    """
    width = sum(f.length for f in fields)
    written = 0
    for start in range(0, n_rows, BLOCK_ROWS):
        stop = min(start + BLOCK_ROWS, n_rows)
        rows = np.empty((stop - start, width), dtype=np.uint8)
        for (field, pos), values in zip(_positions(fields), columns, strict=True):
            part = values[start:stop]
            rows[:, pos : pos + field.length] = (
                _char_bytes(part, field.length) if field.char else _ibm_bytes(part)
            )
        block = rows.tobytes()
        written += len(block)
        yield block
    tail = -written % RECORD
    if tail:
        yield bytes([BLANK]) * tail


def ibm_words(values: np.ndarray) -> np.ndarray:
    """float64 -> IBM System/360 double as uint64 words; NaN -> the missing value '.'.

    IEEE 1.f x 2**e (53-bit significand) becomes 0.F x 16**(E - 64) with a 56-bit
    fraction: shifting the significand left by e mod 4 (at most 3 bits, so nothing is lost)
    makes the binary exponent a multiple of 4. Exact for every value in the IBM range;
    zero (either sign) is eight zero bytes, as pyreadstat writes it.
    """
    x = np.ascontiguousarray(values, dtype=np.float64)
    bits = x.view(np.uint64)
    sign = bits & np.uint64(1 << 63)
    biased = ((bits >> np.uint64(52)) & np.uint64(0x7FF)).astype(np.int64)
    significand = (bits & np.uint64((1 << 52) - 1)) | np.uint64(1 << 52)
    e = biased - 1023
    shift = e % 4
    fraction = significand << shift.astype(np.uint64)
    exponent = ((e - shift) // 4 + 65).astype(np.uint64)
    words = sign | (exponent << np.uint64(56)) | fraction
    words[biased == 0] = 0  # zero; subnormals are outside the IBM range (refused earlier)
    words[np.isnan(x)] = MISSING
    return words


def _ibm_bytes(values) -> np.ndarray:
    words = ibm_words(np.asarray(values, dtype=np.float64))
    return words.astype(">u8").view(np.uint8).reshape(len(words), 8)


def _char_bytes(values, length: int) -> np.ndarray:
    """Values as ``length`` ASCII bytes each, blank padded (numpy pads with NUL, so a NUL
    inside a value turns blank too; the read-back of the file reports such a value). A
    Categorical is encoded once per category and its rows taken by code."""
    if isinstance(values, pd.Categorical):
        if (values.codes < 0).any():  # code -1 would silently take the last category
            raise ValueError("a Char value is missing: map it to '' before encoding")
        return _char_bytes(values.categories.to_numpy(dtype=object), length)[values.codes]
    text = np.asarray(values, dtype=object).astype(f"S{length}")
    out = text.view(np.uint8).reshape(len(text), length).copy()
    out[out == 0] = BLANK
    return out


def _positions(fields: Sequence[Field]):
    pos = 0
    for f in fields:
        yield f, pos
        pos += f.length


def _namestr(f: Field, index: int, pos: int) -> bytes:
    """The 140-byte NAMESTR of one variable (TS-140), as pyreadstat fills it: type, hash
    (0), length, number; name, label, format name; format width, decimals, justification
    (right for Num); 2 fill bytes; informat name, width, decimals; position in the row; 52
    zero bytes."""
    fmt_name, fmt_width, fmt_decimals = _split_format(f.format)
    out = (
        struct.pack(">hhhh", 2 if f.char else 1, 0, f.length, index + 1)
        + _ascii(f.name, 8)
        + _ascii(f.label, 40)
        + _ascii(fmt_name, 8)
        + struct.pack(">hhh2x", fmt_width, fmt_decimals, 0 if f.char else 1)
        + _ascii("", 8)
        + struct.pack(">hhi52x", 0, 0, pos)
    )
    assert len(out) == NAMESTR_LENGTH
    return out


def _split_format(fmt: str) -> tuple[str, int, int]:
    """'DATE9.' -> ('DATE', 9, 0); '8.2' -> ('', 8, 2); '' -> ('', 0, 0)."""
    body = fmt.rstrip(".")
    if not body:
        return "", 0, 0
    head = body.rstrip("0123456789.")
    numbers = body[len(head) :]
    width, _, decimals = numbers.partition(".")
    return head, int(width or 0), int(decimals or 0)


def _header_record(kind: str, numbers: str) -> bytes:
    return _text(f"HEADER RECORD*******{kind:8}HEADER RECORD!!!!!!!{numbers:<30}  ")


def _sas_datetime(stamp: datetime) -> str:
    return stamp.strftime("%d%b%y:%H:%M:%S").upper()


def _ascii(text: str, width: int) -> bytes:
    return f"{text:<{width}}"[:width].encode("ascii")


def _text(line: str) -> bytes:
    data = line.encode("ascii")
    assert len(data) == RECORD, (len(data), line)
    return data


def _pad(data: bytes) -> bytes:
    return data + bytes([BLANK]) * (-len(data) % RECORD)
