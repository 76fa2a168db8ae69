"""The digests the export compares a file read back with (lib/export/value_digest.py): equal
exactly when read_back_mismatches finds the values equal (text without trailing blanks, a
missing text value as '', numbers exactly, every missing number alike), and equal between
what our writer wrote and what the conformance check's reader (pyreadstat) reads of it."""

import numpy as np
import pandas as pd
import pytest

from dagster_project.lib.export.conformance import read_xpt
from dagster_project.lib.export.value_digest import column_digest, column_digests
from dagster_project.lib.export.xpt import (
    read_back_mismatches,
    variable_metadata,
    write_xpt_mapped,
)
from tests.unit.test_xpt_export import FAKE_MANIFEST, _frame


def _nan_with_payload() -> float:
    """A NaN whose bits are not numpy's NaN (a reader may give any quiet NaN)."""
    return float(np.frombuffer(np.uint64(0x7FF8000000000001).tobytes(), dtype="float64")[0])


def test_text_the_same_without_trailing_blanks_and_missing_as_blank():
    assert column_digest(np.array(["A  ", None, "B"], dtype=object), numeric=False) == (
        column_digest(np.array(["A", "", "B"], dtype=object), numeric=False)
    )


def test_text_differs_by_a_leading_blank_a_value_or_the_order():
    base = column_digest(np.array(["A", "B"], dtype=object), numeric=False)
    assert column_digest(np.array([" A", "B"], dtype=object), numeric=False) != base
    assert column_digest(np.array(["A", "C"], dtype=object), numeric=False) != base
    assert column_digest(np.array(["B", "A"], dtype=object), numeric=False) != base
    assert column_digest(np.array(["A", "B", ""], dtype=object), numeric=False) != base


def test_a_categorical_column_has_the_digest_of_its_values():
    """Categories in any order, unused ones, and a missing code give the digest of the
    values the rows hold."""
    values = pd.Categorical(["B", None, "A ", "B"], categories=["UNUSED", "B", "A "])
    assert column_digest(values, numeric=False) == column_digest(
        np.array(["B", "", "A", "B"], dtype=object), numeric=False
    )


def test_numbers_exactly_with_every_missing_value_and_zero_alike():
    base = column_digest(np.array([0.0, np.nan, 1 / 3]), numeric=True)
    assert column_digest(np.array([-0.0, _nan_with_payload(), 1 / 3]), numeric=True) == base
    assert column_digest(pd.array([0, None, 1 / 3], dtype="Float64"), numeric=True) == base
    assert column_digest(np.array([0.0, np.nan, 0.3333333333333333]), numeric=True) == base
    assert column_digest(np.array([0.0, np.nan, np.nextafter(1 / 3, 1)]), numeric=True) != base
    assert column_digest(np.array([0.0, 0.0, 1 / 3]), numeric=True) != base


@pytest.mark.parametrize("chunk_rows", [1, 3, 250_000])
def test_what_the_writer_wrote_is_what_the_conformance_reader_reads(tmp_path, chunk_rows):
    """Every variable of the awkward fixture frame (zero, negatives, missing numbers and
    text, dates at the SAS epoch) has the same digest written and read, in slices of any
    size; a file written with one value changed differs in that variable only, where
    read_back_mismatches names the row."""
    df = _frame()
    metas = variable_metadata(FAKE_MANIFEST, "adts", df)
    numeric = {m.name: m.type != "Char" for m in metas}
    path, as_written = write_xpt_mapped(df, tmp_path / "adts.xpt", metas, "ADTS", "L")
    written = column_digests(as_written, numeric)
    assert set(written) == set(numeric)
    assert column_digests(read_xpt(path, chunk_rows).frame, numeric) == written

    faulty = df.copy()
    faulty.loc[2, "USUBJID"] = "ISA-DEX-MM-02-009"
    faulty_path, _ = write_xpt_mapped(faulty, tmp_path / "faulty.xpt", metas, "ADTS", "L")
    read = column_digests(read_xpt(faulty_path, chunk_rows).frame, numeric)
    assert [n for n in numeric if read[n] != written[n]] == ["USUBJID"]
    assert read_back_mismatches(faulty_path, df, metas, "ADTS", "L") == [
        "ADTS.USUBJID: 1 value(s) differ (first row 3: "
        "'ISA-DEX-MM-02-009' read, 'ISA-DEX-MM-02-001' written)"
    ]
