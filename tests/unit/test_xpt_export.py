"""SAS transport v5 export: values and labels survive a round trip through pyreadstat, every v5
limit is refused before anything is written, and the define listing says what the manifest says.

Expected values are hand-derived: SAS dates count days from 1960-01-01 (1959-12-31 is -1;
2024-02-29 is 64 * 365 + 16 leap days (1960 ... 2020) + 59 = 23435), Char lengths are the
byte lengths of the longest value as typed here.
"""

import csv
import json
import math
from datetime import date

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from dagster_project.lib.export.xpt import (
    V5Violation,
    VariableMeta,
    check_v5,
    dataset_label,
    origin,
    read_back_findings,
    read_back_mismatches,
    read_back_piece,
    read_back_plan,
    sas_type,
    split_description,
    transport_frame,
    transport_text,
    variable_metadata,
    write_define,
    write_xpt,
    write_xpt_mapped,
)
from tests.fixtures.dbt_manifest import column, model

# A small manifest shaped like dbt's: one model, columns in yml order. PARAMCD has no
# meta.label (label = description up to the first '. '); DTHDT's derivation says "imputed".
FAKE_MANIFEST = {
    "nodes": {
        "test.isadex.not_a_model": {"resource_type": "test", "name": "adts", "columns": {}},
        **model(
            "adts",
            [
                column("STUDYID", "varchar", "Study Identifier. ISA-DEX-MM.", "Study Identifier"),
                column(
                    "USUBJID",
                    "varchar",
                    "Unique Subject Identifier. ADSL.USUBJID.",
                    "Unique Subject Identifier",
                ),
                column("PARAMCD", "varchar", "Parameter Code. PFS or OS."),
                column(
                    "AVAL",
                    "integer",
                    "Analysis Value. ADT - STARTDT + 1, in days.",
                    "Analysis Value",
                ),
                column("AVALU", "varchar", "Analysis Value Unit. DAYS.", "Analysis Value Unit"),
                column(
                    "RDI",
                    "double",
                    "Relative Dose Intensity. CUMDOSE / PCUMDOSE.",
                    "Relative Dose Intensity",
                ),
                column(
                    "ADT", "date", "Analysis Date. The event or censoring date.", "Analysis Date"
                ),
                column(
                    "DTHDT",
                    "date",
                    "Date of Death. dth.DTHDT imputed: missing day 1st of month.",
                    "Date of Death",
                ),
                column(
                    "CMPEVFL",
                    "varchar",
                    "Competing Event Flag. Y when CNSR = 8, else empty.",
                    "Competing Event Flag",
                ),
            ],
            "Test Analysis Dataset. One row per subject x parameter. Built for the tests.",
            label="Test Analysis Dataset",
        ),
        **model(
            "adnl",
            [column("STUDYID", "varchar", "Study Identifier. ISA-DEX-MM.", "Study Identifier")],
            "ADNL: one row per subject (key USUBJID), adam.md ADNL. Long description.",
        ),
    }
}


def _frame() -> pd.DataFrame:
    """Four rows with the awkward values: 0 (pandas' v5 reader gives 5.4e-79), negatives,
    missing numbers, empty and NULL text, dates at and before the SAS epoch, a leap day."""
    return pd.DataFrame(
        {
            "STUDYID": ["ISA-DEX-MM"] * 4,
            "USUBJID": ["ISA-DEX-MM-01-001", "ISA-DEX-MM-01-002", "ISA-DEX-MM-02-001", "X"],
            "PARAMCD": ["PFS", "OS", "", None],
            "AVAL": pd.array([0, -4, None, 1], dtype="Int32"),
            "AVALU": ["DAYS", "DAYS", "DAYS", "DAYS"],
            "RDI": [0.0, -0.6875, np.nan, 1 / 3],
            "ADT": pd.to_datetime(["1960-01-01", "1959-12-31", "2024-02-29", None]),
            "DTHDT": [date(2024, 2, 29), None, None, date(1960, 1, 2)],
            "CMPEVFL": ["Y", "", None, ""],
        }
    )


@pytest.fixture
def written(tmp_path):
    df = _frame()
    metas = variable_metadata(FAKE_MANIFEST, "adts", df)
    path = write_xpt(df, tmp_path / "adts.xpt", metas, "ADTS", "Test Analysis Dataset")
    return path, df, metas


# --- round trip ------------------------------------------------------------------------------


def test_round_trip_values_read_back_with_pyreadstat(written):
    path, _, _ = written
    back, info = pyreadstat.read_xport(str(path))
    assert list(back.columns) == [
        "STUDYID", "USUBJID", "PARAMCD", "AVAL", "AVALU", "RDI", "ADT", "DTHDT", "CMPEVFL"
    ]  # fmt: skip
    assert len(back) == 4
    assert back["AVAL"].iloc[0] == 0.0  # exactly zero, not 5.4e-79
    assert back["AVAL"].iloc[1] == -4.0
    assert math.isnan(back["AVAL"].iloc[2])
    assert back["RDI"].iloc[0] == 0.0
    assert back["RDI"].iloc[1] == -0.6875
    assert math.isnan(back["RDI"].iloc[2])
    assert back["RDI"].iloc[3] == 1 / 3  # IBM doubles carry >= 53 bits: exact
    assert back["PARAMCD"].tolist() == ["PFS", "OS", "", ""]  # NULL text becomes ''
    assert back["CMPEVFL"].tolist() == ["Y", "", "", ""]
    assert back["ADT"].iloc[:3].tolist() == [
        date(1960, 1, 1),
        date(1959, 12, 31),
        date(2024, 2, 29),
    ]
    assert pd.isna(back["ADT"].iloc[3])
    assert back["DTHDT"].iloc[0] == date(2024, 2, 29)
    assert back["DTHDT"].iloc[3] == date(1960, 1, 2)


def test_dates_are_sas_day_numbers_with_date9(written):
    path, _, _ = written
    raw, info = pyreadstat.read_xport(str(path), disable_datetime_conversion=True)
    assert raw["ADT"].iloc[:3].tolist() == [0.0, -1.0, 23435.0]
    assert raw["DTHDT"].iloc[[0, 3]].tolist() == [23435.0, 1.0]
    assert info.original_variable_types["ADT"] == "DATE9"
    assert info.original_variable_types["DTHDT"] == "DATE9"
    assert info.readstat_variable_types["ADT"] == "double"
    assert info.readstat_variable_types["CMPEVFL"] == "string"  # flags stay Char


def test_round_trip_labels_name_and_widths(written):
    path, _, _ = written
    _, info = pyreadstat.read_xport(str(path))
    assert info.table_name == "ADTS"
    assert info.file_label == "Test Analysis Dataset"
    assert info.column_labels == [
        "Study Identifier",
        "Unique Subject Identifier",
        "Parameter Code",
        "Analysis Value",
        "Analysis Value Unit",
        "Relative Dose Intensity",
        "Analysis Date",
        "Date of Death",
        "Competing Event Flag",
    ]
    widths = info.variable_storage_width
    assert (widths["STUDYID"], widths["USUBJID"], widths["PARAMCD"], widths["CMPEVFL"]) == (
        10,
        17,
        3,
        1,
    )
    assert widths["AVAL"] == widths["ADT"] == 8


def test_file_is_transport_version_5(written):
    path, _, _ = written
    head = path.read_bytes()[:80].decode("ascii")
    # v5 opens with a LIBRARY header; v8 would say LIBV8.
    assert head == "HEADER RECORD*******LIBRARY HEADER RECORD!!!!!!!" + "0" * 30 + "  "


def test_read_back_mismatches_none_for_a_good_file(written):
    path, df, metas = written
    assert read_back_mismatches(path, df, metas, "ADTS", "Test Analysis Dataset") == []


@pytest.mark.parametrize("chunk_rows", [1, 3, 4, 100])
def test_read_back_in_chunks_compares_every_row(written, chunk_rows):
    """Chunk edges (1 row, a partial last chunk, an exact fit, one chunk) lose no row: a value
    changed in the last row is found and named with its file row number."""
    path, df, metas = written
    assert read_back_mismatches(path, df, metas, "ADTS", "Test Analysis Dataset", chunk_rows) == []
    changed = df.copy()
    changed.loc[3, "USUBJID"] = "Y"
    changed.loc[2, "RDI"] = 2.0
    assert read_back_mismatches(
        path, changed, metas, "ADTS", "Test Analysis Dataset", chunk_rows
    ) == [
        "ADTS.USUBJID: 1 value(s) differ (first row 4: 'X' read, 'Y' written)",
        "ADTS.RDI: 1 value(s) differ (first row 3: nan read, 2.0 written)",
    ]


def test_frame_as_written_is_the_mapped_frame_and_serves_the_read_back(written, tmp_path):
    """write_xpt_mapped hands back what it wrote; the read-back on it finds the same as when
    it maps the frame itself (nothing for a good file, the changed value for a changed one)."""
    _, df, metas = written
    path, as_written = write_xpt_mapped(
        df, tmp_path / "m.xpt", metas, "ADTS", "Test Analysis Dataset"
    )
    pd.testing.assert_frame_equal(as_written, transport_frame(df, metas))
    assert (
        read_back_mismatches(path, df, metas, "ADTS", "Test Analysis Dataset", expected=as_written)
        == []
    )
    changed = as_written.copy()
    changed.loc[3, "USUBJID"] = "Y"
    assert read_back_mismatches(
        path, df, metas, "ADTS", "Test Analysis Dataset", expected=changed
    ) == ["ADTS.USUBJID: 1 value(s) differ (first row 4: 'X' read, 'Y' written)"]


def test_read_back_plan_covers_every_row_once_and_reads_the_last_chunk_to_the_end():
    assert read_back_plan(5, 2) == [(0, 2, False), (2, 4, False), (4, 5, True)]
    assert read_back_plan(4, 2) == [(0, 2, False), (2, 4, True)]
    assert read_back_plan(3, 100) == [(0, 3, True)]
    assert read_back_plan(0, 100) == [(0, 0, True)]  # an empty dataset: extra rows still counted


@pytest.mark.parametrize("start, stop", [(0, 1), (1, 3), (0, 4), (3, 4)])
def test_a_piece_reads_back_like_the_rows_of_the_file(written, start, stop):
    """read_back_piece copies the header and rows start..stop to a file of their own: it
    reads the rows pyreadstat reads at that offset of the whole file, and names a difference
    by its row number in the file."""
    path, df, metas = written
    expected = transport_frame(df, metas)
    to_end = stop == len(df)
    piece = read_back_piece(path, metas, start, expected.iloc[start:stop], to_end)
    whole, _ = pyreadstat.read_xport(
        str(path), row_offset=start, row_limit=0 if to_end else stop - start
    )
    assert piece.rows == len(whole) == stop - start and piece.differ == {}
    altered = expected.copy()
    altered.loc[start, "RDI"] = 0.5  # a row whose RDI is not missing (NaN != NaN)
    piece = read_back_piece(path, metas, start, altered.iloc[start:stop], to_end)
    assert piece.differ["RDI"][:2] == [1, start]
    assert not list(path.parent.glob("*.piece.xpt"))  # the copy is removed


def test_a_piece_read_to_the_end_counts_a_row_too_many(tmp_path):
    """The file has 4 rows where 3 are expected: the last piece, read to the end, gives 2."""
    df = _frame()
    metas = variable_metadata(FAKE_MANIFEST, "adts", df)
    path = write_xpt(df, tmp_path / "adts.xpt", metas, "ADTS", "Test Analysis Dataset")
    expected = transport_frame(df.iloc[:3], metas)
    head = read_back_piece(path, metas, 0, expected.iloc[0:2])
    piece = read_back_piece(path, metas, 2, expected.iloc[2:3], to_end=True)
    assert (head.rows, piece.rows) == (2, 2)
    found = read_back_findings("ADTS", metas, 3, [head, piece])
    assert found == ["4 rows, expected 3"]


def _as_categories(df: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """The text columns as read_table(text_as_category=True) gives them, plus an unused
    category (a slice of a wider read keeps its categories)."""
    out = df.copy()
    for name in columns:
        values = df[name].astype(object)
        categories = [*dict.fromkeys(v for v in values if isinstance(v, str)), "UNUSED"]
        out[name] = pd.Categorical(values, categories=categories)
    return out


def test_categorical_text_writes_the_same_bytes(tmp_path, fixed_clock):
    """A frame whose text columns are Categorical (the export reads them so) gives the same
    metadata, the same frame as written (values) and byte for byte the same file as the
    object-column frame; the file reads back clean."""
    df = _frame()
    text = ["STUDYID", "USUBJID", "PARAMCD", "AVALU", "CMPEVFL"]
    categorical = _as_categories(df, text)
    metas = variable_metadata(FAKE_MANIFEST, "adts", df)
    assert variable_metadata(FAKE_MANIFEST, "adts", categorical) == metas
    plain, as_written = write_xpt_mapped(df, tmp_path / "plain.xpt", metas, "ADTS", "L")
    coded, coded_written = write_xpt_mapped(categorical, tmp_path / "cat.xpt", metas, "ADTS", "L")
    assert coded.read_bytes() == plain.read_bytes()
    for name in text:
        assert isinstance(coded_written[name].dtype, pd.CategoricalDtype)
    pd.testing.assert_frame_equal(coded_written.astype(object), as_written.astype(object))
    assert read_back_mismatches(coded, categorical, metas, "ADTS", "L", 3, coded_written) == []


def test_categorical_text_is_checked_like_object_text(tmp_path):
    """The v5 value checks see the same values through categories: text rendered for v5 (too
    long, not ASCII; two categories that render alike become one), booleans as Y/N, a number
    where text belongs."""
    df = pd.DataFrame({"A": ["x", "y" * 201, None, "Müller", "Muller"]})
    found = check_v5(_as_categories(df, ["A"]), _one_var(length=7), "L", "T")
    assert found == check_v5(df, _one_var(length=7), "L", "T") != []
    metas = _one_var(length=200)
    assert check_v5(_as_categories(df, ["A"]), metas, "L", "T") == []
    path = write_xpt(_as_categories(df, ["A"]), tmp_path / "c.xpt", metas, "T", "L")
    assert pyreadstat.read_xport(str(path))[0]["A"].tolist() == [
        "x", "y" * 200, "", "Muller", "Muller",
    ]  # fmt: skip
    meta = [VariableMeta("T", "FL", "A flag", "Char", 1, "", "Derived", "", "boolean")]
    flags = pd.DataFrame({"FL": pd.Categorical([True, None, False, True])})
    path = write_xpt(flags, tmp_path / "t.xpt", meta, "T", "L")
    assert pyreadstat.read_xport(str(path))[0]["FL"].tolist() == ["Y", "", "N", "Y"]
    numbers = pd.DataFrame({"A": pd.Categorical([1, 2])})
    assert check_v5(numbers, _one_var(), "L", "T") == [
        "T.A: values do not fit Char (varchar): 1 (int) is not a varchar value"
    ]


def test_read_back_counts_rows(written):
    path, df, metas = written
    found = read_back_mismatches(path, df.iloc[:3], metas, "ADTS", "Test Analysis Dataset", 2)
    assert found == ["4 rows, expected 3"]


def test_read_back_catches_pyreadstats_silent_label_truncation(tmp_path):
    """Written around write_xpt, a 41-character label comes back cut at 40: the read-back
    comparison must see it."""
    df = pd.DataFrame({"A": ["x"]})
    label = "L" * 41
    meta = VariableMeta("T", "A", label, "Char", 1, "", "Derived", "", "varchar")
    path = tmp_path / "t.xpt"
    pyreadstat.write_xport(
        df, str(path), file_format_version=5, table_name="T", column_labels=[label]
    )
    found = read_back_mismatches(path, df, [meta], "T", "")
    assert found == [f"T.A: label {'L' * 40!r}, expected {label!r}"]


def test_empty_dataset_round_trips(tmp_path):
    df = _frame().iloc[0:0]
    metas = variable_metadata(FAKE_MANIFEST, "adts", df)
    path = write_xpt(df, tmp_path / "adts.xpt", metas, "ADTS", "Test Analysis Dataset")
    back, info = pyreadstat.read_xport(str(path))
    assert len(back) == 0
    assert info.column_names == [m.name for m in metas]
    assert read_back_mismatches(path, df, metas, "ADTS", "Test Analysis Dataset") == []


# --- refusals --------------------------------------------------------------------------------


def _one_var(name: str = "A", label: str = "A label", length: int = 1) -> list[VariableMeta]:
    return [VariableMeta("T", name, label, "Char", length, "", "Derived", "", "varchar")]


def _refused(tmp_path, df, metas, name="T", label="Dataset label") -> list[str]:
    path = tmp_path / "t.xpt"
    with pytest.raises(V5Violation) as excinfo:
        write_xpt(df, path, metas, name, label)
    assert not path.exists()
    assert not list(tmp_path.iterdir())  # no partial file either
    return excinfo.value.violations


def test_refuses_a_41_character_variable_label(tmp_path):
    label = "Date of Last Complete Disease Assessments"
    assert len(label) == 41
    found = _refused(tmp_path, pd.DataFrame({"A": ["x"]}), _one_var(label=label))
    assert found == [f"T.A: label is 41 characters (max 40): {label!r}"]


def test_accepts_a_40_character_label(tmp_path):
    label = "Date of Last Complete Disease Assessment"
    assert len(label) == 40
    metas = _one_var(label=label)
    path = write_xpt(pd.DataFrame({"A": ["x"]}), tmp_path / "t.xpt", metas, "T", label)
    _, info = pyreadstat.read_xport(str(path))
    assert info.column_labels == [label]
    assert info.file_label == label


def test_refuses_a_41_character_dataset_label(tmp_path):
    found = _refused(tmp_path, pd.DataFrame({"A": ["x"]}), _one_var(), label="D" * 41)
    assert found == [f"dataset T: label is 41 characters (max 40): {'D' * 41!r}"]


def test_refuses_a_9_character_variable_name(tmp_path):
    found = _refused(tmp_path, pd.DataFrame({"PARAMCD12": ["x"]}), _one_var(name="PARAMCD12"))
    assert found == ["T.PARAMCD12: name 'PARAMCD12' is 9 characters (max 8)"]


def test_refuses_a_9_character_dataset_name(tmp_path):
    metas = [VariableMeta("ADTTEXYZW", "A", "A label", "Char", 1, "", "Derived", "", "varchar")]
    found = _refused(tmp_path, pd.DataFrame({"A": ["x"]}), metas, name="ADTTEXYZW")
    assert found == ["dataset: name 'ADTTEXYZW' is 9 characters (max 8)"]


def test_refuses_lower_case_and_leading_digit_names(tmp_path):
    metas = [
        VariableMeta("T", "aval", "A label", "Char", 1, "", "Derived", "", "varchar"),
        VariableMeta("T", "1AVAL", "A label", "Char", 1, "", "Derived", "", "varchar"),
    ]
    found = _refused(tmp_path, pd.DataFrame({"aval": ["x"], "1AVAL": ["y"]}), metas)
    assert found == [
        "T.aval: name 'aval' is not [A-Z_][A-Z0-9_]*",
        "T.1AVAL: name '1AVAL' is not [A-Z_][A-Z0-9_]*",
    ]


def test_refuses_a_non_ascii_label(tmp_path):
    found = _refused(tmp_path, pd.DataFrame({"A": ["x"]}), _one_var(label="Dose (µg/kg)"))
    assert found == ["T.A: label is not printable ASCII: 'Dose (µg/kg)'"]


def test_a_value_over_200_bytes_keeps_its_first_200_and_the_file_says_200(tmp_path):
    """A site's verbatim text over v5's 200 bytes refused the whole publication (fuzzing,
    2026-12-07); the file now holds its first 200 characters, the warehouse all of it, and the
    metadata's length is the 200 the file holds (a 201 in the metadata is refused)."""
    df = pd.DataFrame({"A": ["x", "y" * 201]})
    found = _refused(tmp_path, df, _one_var(length=201))
    assert found == ["T.A: length 201 in the metadata, the data need 200"]
    path = write_xpt(df, tmp_path / "ok.xpt", _one_var(length=200), "T", "L")
    back, info = pyreadstat.read_xport(str(path))
    assert back["A"].tolist() == ["x", "y" * 200]
    assert info.variable_storage_width["A"] == 200
    assert read_back_mismatches(path, df, _one_var(length=200), "T", "L") == []


def test_text_outside_ascii_is_written_transliterated(tmp_path):
    """A verbatim AE term in a site's language ('Fièvre', 'Müdigkeit') refused the whole
    publication; v5 declares no encoding, so the file holds it in ASCII (anyascii), with the
    length of what it holds, and reads back as written."""
    assert [transport_text(v) for v in ("Fièvre", "Straße", "Œdème", "plain")] == [
        "Fievre", "Strasse", "Oedeme", "plain",
    ]  # fmt: skip
    assert transport_text("é" * 150) == "e" * 150 and len(transport_text("ü" * 250)) == 200
    df = pd.DataFrame({"A": ["Müdigkeit", None, "Fièvre"]})
    metas = variable_metadata(
        {"nodes": model("t", [column("A", "varchar", "A label. ae.AETERM.", "A label")], "T.")},
        "t",
        df,
    )
    assert metas[0].length == len("Mudigkeit")
    path = write_xpt(df, tmp_path / "t.xpt", metas, "T", "L")
    assert pyreadstat.read_xport(str(path))[0]["A"].tolist() == ["Mudigkeit", "", "Fievre"]
    assert read_back_mismatches(path, df, metas, "T", "L") == []


def test_refuses_numbers_transport_v5_cannot_hold(tmp_path):
    metas = [VariableMeta("T", "N", "A number", "Num", 8, "", "Derived", "", "double")]
    found = _refused(tmp_path, pd.DataFrame({"N": [1.0, np.inf, 1e76, 1e-80]}), metas)
    assert found == [
        "T.N: 3 value(s) infinite or outside the IBM double range of transport v5 "
        "(first row 2: inf)"
    ]


def test_refuses_text_in_a_num_variable_and_a_time_in_a_date(tmp_path):
    metas = [
        VariableMeta("T", "N", "A number", "Num", 8, "", "Derived", "", "integer"),
        VariableMeta("T", "D", "A date", "Num", 8, "DATE9.", "Derived", "", "date"),
    ]
    df = pd.DataFrame(
        {"N": [1, "2"], "D": [pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-01 12:00")]}
    )
    found = _refused(tmp_path, df, metas)
    assert len(found) == 2
    assert found[0].startswith("T.N: values do not fit Num (integer)")
    assert (
        found[1] == "T.D: values do not fit Num (date): 1 value(s) carry a time of day, not a date"
    )


def test_lists_every_violation_at_once(tmp_path):
    """One refusal names all problems: the lead fixes the metadata in one pass."""
    metas = [
        VariableMeta("T", "LONGNAME9", "L" * 41, "Char", 1, "", "Derived", "", "varchar"),
        VariableMeta("T", "B", "", "Char", 1, "", "Derived", "", "varchar"),
    ]
    df = pd.DataFrame({"LONGNAME9": ["x"], "B": ["éa"]})
    found = _refused(tmp_path, df, metas, label="")
    assert found == [
        "dataset T: label is empty",
        "T.LONGNAME9: name 'LONGNAME9' is 9 characters (max 8)",
        f"T.LONGNAME9: label is 41 characters (max 40): {'L' * 41!r}",
        "T.B: label is empty",
        "T.B: length 1 in the metadata, the data need 2",
    ]


def test_refuses_columns_that_differ_from_the_metadata():
    df = pd.DataFrame({"B": ["x"], "A": ["y"]})
    metas = _one_var("A") + _one_var("B")
    assert check_v5(df, metas, "L") == [
        "dataset T: frame columns differ from the metadata (order differs)"
    ]
    assert check_v5(df[["A"]], metas, "L") == [
        "dataset T: frame columns differ from the metadata (missing ['B'], extra [])"
    ]


# --- metadata and define listing -------------------------------------------------------------


def test_variable_metadata_from_the_manifest():
    df = _frame()
    metas = variable_metadata(FAKE_MANIFEST, "ADTS", df)
    rows = [(m.name, m.label, m.type, m.length, m.format, m.origin, m.derivation) for m in metas]
    assert rows == [
        ("STUDYID", "Study Identifier", "Char", 10, "", "Assigned", "ISA-DEX-MM."),
        ("USUBJID", "Unique Subject Identifier", "Char", 17, "", "Predecessor", "ADSL.USUBJID."),
        ("PARAMCD", "Parameter Code", "Char", 3, "", "Derived", "PFS or OS."),
        ("AVAL", "Analysis Value", "Num", 8, "", "Derived", "ADT - STARTDT + 1, in days."),
        ("AVALU", "Analysis Value Unit", "Char", 4, "", "Assigned", "DAYS."),
        ("RDI", "Relative Dose Intensity", "Num", 8, "", "Derived", "CUMDOSE / PCUMDOSE."),
        ("ADT", "Analysis Date", "Num", 8, "DATE9.", "Derived", "The event or censoring date."),
        (
            "DTHDT",
            "Date of Death",
            "Num",
            8,
            "DATE9.",
            "Derived",
            "dth.DTHDT imputed: missing day 1st of month.",
        ),
        (
            "CMPEVFL",
            "Competing Event Flag",
            "Char",
            1,
            "",
            "Derived",
            "Y when CNSR = 8, else empty.",
        ),
    ]
    assert {m.dataset for m in metas} == {"ADTS"}
    # without data every Char is as long as in an empty dataset
    assert {m.length for m in variable_metadata(FAKE_MANIFEST, "adts") if m.type == "Char"} == {1}


def test_dataset_label_from_meta_or_description():
    assert dataset_label(FAKE_MANIFEST, "adts") == "Test Analysis Dataset"
    # no meta.label: the description up to the first '. ', which here breaks the v5 limit
    assert (
        dataset_label(FAKE_MANIFEST, "adnl")
        == "ADNL: one row per subject (key USUBJID), adam.md ADNL"
    )
    with pytest.raises(KeyError):
        dataset_label(FAKE_MANIFEST, "adxx")


def test_split_description():
    assert split_description("Age. Completed years.", "Age") == ("Age", "Completed years.")
    assert split_description("Analysis Value (C). Y / N.", None) == ("Analysis Value (C)", "Y / N.")
    assert split_description("Censor.", None) == ("Censor", "")
    # a meta.label that is not the start of the description keeps the description whole
    assert split_description("Some text. More.", "Other") == ("Other", "Some text. More.")
    # folded YAML: line breaks and double spaces read as single spaces
    assert split_description("Phase.\n  INDUCTION or\n ASCT.", "Phase") == (
        "Phase",
        "INDUCTION or ASCT.",
    )


@pytest.mark.parametrize(
    ("derivation", "expected"),
    [
        ("dm.SEX.", "Predecessor"),
        ("ADSL.TRTSDT.", "Predecessor"),
        ("ae.AESPID, the AE number within the subject.", "Predecessor"),
        ("enr.SUBJID (SITEID-nnn).", "Predecessor"),
        ("dx.DIAGDT imputed: missing day 1st of month, missing month 1 Jan.", "Derived"),
        ("YEARS.", "Assigned"),
        ("site_extracts.md: ISA-DEX-MM.", "Assigned"),
        ("STUDYID || '-' || SUBJID.", "Derived"),
        ("Y when ASCTDT present.", "Derived"),
        ("", "Derived"),
    ],
)
def test_origin_rule(derivation, expected):
    assert origin(derivation) == expected


def test_sas_types():
    assert sas_type("varchar") == ("Char", "")
    assert sas_type("VARCHAR(20)") == ("Char", "")
    assert sas_type("boolean") == ("Char", "")  # flags stay Char
    assert sas_type("integer") == ("Num", "")
    assert sas_type("double") == ("Num", "")
    assert sas_type("decimal(10,2)") == ("Num", "")
    assert sas_type("date") == ("Num", "DATE9.")
    with pytest.raises(ValueError, match="timestamp"):
        sas_type("timestamp")


def test_booleans_are_written_as_y_n(tmp_path):
    meta = [VariableMeta("T", "FL", "A flag", "Char", 1, "", "Derived", "", "boolean")]
    path = write_xpt(pd.DataFrame({"FL": [True, None, False]}), tmp_path / "t.xpt", meta, "T", "L")
    back, _ = pyreadstat.read_xport(str(path))
    assert back["FL"].tolist() == ["Y", "", "N"]


def test_refuses_an_all_char_dataset_ending_in_a_blank_row(tmp_path):
    """Such a row is indistinguishable from record padding: pyreadstat reads 1 row of 3."""
    df = pd.DataFrame({"A": ["x", "", None]})
    found = _refused(tmp_path, df, _one_var())
    assert found == [
        "dataset T: the last row is blank in every (Char) variable; v5 readers drop trailing "
        "blank rows as record padding"
    ]
    # a Num variable (missing is '.', not blank) keeps the row
    metas = _one_var() + [VariableMeta("T", "N", "A number", "Num", 8, "", "Derived", "", "double")]
    path = write_xpt(df.assign(N=np.nan), tmp_path / "ok.xpt", metas, "T", "L")
    assert len(pyreadstat.read_xport(str(path))[0]) == 3


def test_define_listing(tmp_path):
    metas = {"adts": variable_metadata(FAKE_MANIFEST, "adts", _frame())}
    csv_path, json_path = write_define(metas, tmp_path, {"adts": "Test Analysis Dataset"})
    assert (csv_path.name, json_path.name) == ("define.csv", "define.json")
    with csv_path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == [
        "dataset",
        "variable",
        "label",
        "type",
        "length",
        "format",
        "origin",
        "derivation",
    ]
    assert len(rows) == 1 + 9
    assert rows[1] == [
        "ADTS",
        "STUDYID",
        "Study Identifier",
        "Char",
        "10",
        "",
        "Assigned",
        "ISA-DEX-MM.",
    ]
    assert rows[7] == [
        *("ADTS", "ADT", "Analysis Date", "Num", "8", "DATE9."),
        *("Derived", "The event or censoring date."),
    ]
    document = json.loads(json_path.read_text(encoding="utf-8"))
    assert [d["dataset"] for d in document["datasets"]] == ["ADTS"]
    assert document["datasets"][0]["label"] == "Test Analysis Dataset"
    variables = document["datasets"][0]["variables"]
    assert [v["variable"] for v in variables] == [r[1] for r in rows[1:]]
    assert variables[1] == {
        "variable": "USUBJID",
        "label": "Unique Subject Identifier",
        "type": "Char",
        "length": 17,
        "format": "",
        "origin": "Predecessor",
        "derivation": "ADSL.USUBJID.",
    }


def test_an_all_char_dataset_is_read_back_in_one_piece(tmp_path):
    """A piece whose last row is blank in every (Char) variable loses that row (a reader takes
    it for the piece's padding), so an all-Char dataset is read back in one piece."""
    df = pd.DataFrame({"A": ["x", "", "", "y"]})
    metas = _one_var()
    path = write_xpt(df, tmp_path / "t.xpt", metas, "T", "L")
    expected = transport_frame(df, metas)
    assert read_back_piece(path, metas, 1, expected.iloc[1:2]).rows == 0
    plan = read_back_plan(4, 1, metas)
    assert plan == [(0, 4, True)]
    chunks = [read_back_piece(path, metas, s, expected.iloc[s:e], end) for s, e, end in plan]
    assert read_back_findings("T", metas, 4, chunks) == []
    # a Num variable (missing is '.', not blank) keeps every piece's rows
    assert (
        len(
            read_back_plan(
                4, 1, [*metas, VariableMeta("T", "N", "N", "Num", 8, "", "", "", "double")]
            )
        )
        == 4
    )
