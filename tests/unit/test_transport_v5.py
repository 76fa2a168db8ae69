"""The numpy transport v5 writer gives the bytes pyreadstat's writer gives, for the same frame.

pyreadstat (ReadStat) is the reference implementation of TS-140 here; comparing whole files
byte for byte checks the headers, NAMESTRs, IBM doubles, blank padding and record padding at
once. The timestamp is the only thing the two choose independently, so it is taken from the
reference file.
"""

from __future__ import annotations

from datetime import datetime
from fractions import Fraction

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from dagster_project.lib.export import transport_v5
from dagster_project.lib.export.transport_v5 import (
    Field,
    ibm_words,
    transport_chunks,
)

TRICKY = [0.0, -0.0, 1.0, -1.5, 2e10, np.nan, 1e-70, 1e70, 3.14159, -7e-5, 2.0**-260, 16.0**62]


def _reference(tmp_path, df: pd.DataFrame, labels, name, label, formats) -> bytes:
    path = tmp_path / "reference.xpt"
    pyreadstat.write_xport(
        df,
        str(path),
        file_label=label,
        column_labels=labels,
        table_name=name,
        file_format_version=5,
        variable_format=formats,
    )
    return path.read_bytes()


def _ours(df: pd.DataFrame, fields: list[Field], name: str, label: str, stamp: datetime) -> bytes:
    columns = [df[f.name].to_numpy() for f in fields]
    return b"".join(transport_chunks(columns, fields, len(df), name, label, stamp))


def _stamp(reference: bytes) -> datetime:
    return datetime.strptime(reference[80 + 64 : 160].decode(), "%d%b%y:%H:%M:%S")


def _assert_same(tmp_path, df: pd.DataFrame, fields: list[Field], name="ADTS", label="L"):
    reference = _reference(
        tmp_path,
        df,
        [f.label for f in fields],
        name,
        label,
        {f.name: f.format for f in fields if f.format},
    )
    ours = _ours(df, fields, name, label, _stamp(reference))
    assert len(ours) == len(reference)
    if ours != reference:
        first = next(i for i, (a, b) in enumerate(zip(ours, reference, strict=True)) if a != b)
        pytest.fail(
            f"first differing byte {first}: {ours[first : first + 16]!r} vs "
            f"{reference[first : first + 16]!r}"
        )


def _char_width(values) -> int:
    return max(1, max((len(v) for v in values), default=0))


def test_mixed_frame_matches_pyreadstat_byte_for_byte(tmp_path):
    rng = np.random.default_rng(7)
    n = 1003
    numbers = np.concatenate(
        [TRICKY, rng.normal(size=n - len(TRICKY)) * 10.0 ** rng.integers(-60, 60, n - len(TRICKY))]
    )
    df = pd.DataFrame(
        {
            "USUBJID": rng.choice(["ISA-DEX-MM-AT01-001", "ISA-DEX-MM-HU04-112", ""], n),
            "AVAL": numbers,
            "ADT": rng.integers(-3000, 30000, n).astype(float),
            "FL": rng.choice(["Y", "N", ""], n),
        }
    )
    fields = [
        Field("USUBJID", "Unique Subject Identifier", True, _char_width(df.USUBJID)),
        Field("AVAL", "Analysis Value", False, 8),
        Field("ADT", "Analysis Date", False, 8, "DATE9."),
        Field("FL", "x" * 40, True, 1),
    ]
    _assert_same(tmp_path, df, fields, name="ADRS", label="Response Analysis Dataset")


def test_blocks_join_into_the_same_file(tmp_path, monkeypatch):
    """Rows are encoded BLOCK_ROWS at a time; a block boundary must not show in the bytes."""
    monkeypatch.setattr(transport_v5, "BLOCK_ROWS", 7)
    n = 50
    df = pd.DataFrame({"C": [f"v{i}" for i in range(n)], "N": np.arange(n) / 3})
    fields = [Field("C", "c", True, _char_width(df.C)), Field("N", "n", False, 8)]
    _assert_same(tmp_path, df, fields)


@pytest.mark.parametrize("n_rows", [0, 1, 10, 11])
def test_record_padding_matches(tmp_path, n_rows):
    """Row width 8: 10 rows fill exactly one 80-byte record, 11 need a padded second."""
    df = pd.DataFrame({"N": np.arange(n_rows, dtype=float)})
    _assert_same(tmp_path, df, [Field("N", "n", False, 8)])


def test_widest_char_and_many_variables(tmp_path):
    """A 200-byte value (the v5 maximum) and 30 variables (NAMESTRs span records)."""
    data = {f"V{i:02d}": [f"{i}" * (i % 5 + 1), ""] for i in range(29)}
    data["LONG"] = ["a" * 200, "b"]
    df = pd.DataFrame(data)
    fields = [Field(c, f"label {c}", True, _char_width(df[c])) for c in df.columns]
    _assert_same(tmp_path, df, fields)


def _ibm_value(word: int) -> Fraction:
    """Decode one IBM double exactly (TS-140: sign, excess-64 base-16 exponent, 56-bit
    fraction), independently of how ibm_words encodes."""
    sign = -1 if word >> 63 else 1
    exponent = ((word >> 56) & 0x7F) - 64
    fraction = Fraction(word & ((1 << 56) - 1), 1 << 56)
    return sign * fraction * Fraction(16) ** exponent


def test_ibm_words_are_exact_over_the_whole_range():
    rng = np.random.default_rng(3)
    exponents = rng.uniform(-259, 251, 20_000)
    values = rng.choice([-1.0, 1.0], 20_000) * 2.0**exponents
    values = np.concatenate([values, [2.0**-260, 16.0**63 * (1 - 2.0**-53), 1.0, 0.5, 0.0625]])
    words = ibm_words(values)
    for value, word in zip(values, words, strict=True):
        assert _ibm_value(int(word)) == Fraction(float(value))
        # normalised: the leading hex digit of the fraction is not zero
        assert (int(word) >> 52) & 0xF


def test_missing_and_zero_words():
    words = ibm_words(np.array([np.nan, 0.0, -0.0]))
    assert [int(w) for w in words] == [0x2E << 56, 0, 0]
