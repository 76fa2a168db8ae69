"""Slices of a transport file read with pyreadstat and with numpy (lib/export/xpt_rows.py), and
the conformance check's chunked reader built on them: the layout comes from the file itself, and
every slice, whole read and chunked read gives the rows pyreadstat gives for the whole file;
the conformance reader refuses a numpy reading pyreadstat does not confirm."""

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from dagster_project.lib.export import conformance
from dagster_project.lib.export.conformance import read_xpt
from dagster_project.lib.export.transport_v5 import ibm_words, observations_offset
from dagster_project.lib.export.xpt_rows import (
    HASH_MULTIPLIER,
    decode_rows,
    group_bytes,
    ibm_values,
    layout,
    read_rows,
    text_values,
)

ROWS = 7
FRAME = pd.DataFrame(
    {
        "USUBJID": [f"S-{i % 3}" for i in range(ROWS)],
        "PARAMCD": ["BOR", "PFS", "", "OS", "BOR", "PFS", "OS"],
        "AVAL": [1.5, np.nan, 3.0, 0.0, -2.25, 6.0, 7.0],
    }
)


@pytest.fixture(params=[5, 8], ids=["v5", "v8"])
def xpt(tmp_path, request):
    path = tmp_path / "adts.xpt"
    pyreadstat.write_xport(FRAME, str(path), table_name="ADTS", file_format_version=request.param)
    return path


def _whole(path) -> dict:
    back, _ = pyreadstat.read_xport(
        str(path), output_format="dict", disable_datetime_conversion=True
    )
    return back


def test_layout_found_in_the_file_is_where_the_writer_put_the_rows(tmp_path):
    path = tmp_path / "adts.xpt"
    pyreadstat.write_xport(FRAME, str(path), table_name="ADTS", file_format_version=5)
    shape = layout(path)
    # USUBJID 3 bytes, PARAMCD 3, AVAL 8: 14 bytes a row; the header as our writer lays it out.
    assert shape.width == 14
    assert shape.observations == observations_offset(3)
    # the last 80-byte record's padding may read as rows; never fewer than the rows written
    assert ROWS <= shape.rows_at_most <= ROWS + 80 // shape.width


@pytest.mark.parametrize("start, stop", [(0, 1), (1, 4), (0, ROWS), (6, ROWS)])
def test_a_slice_reads_like_those_rows_of_the_whole_file(xpt, start, stop):
    whole = _whole(xpt)
    part = read_rows(xpt, start, stop)
    assert list(part) == list(whole)
    for column, values in part.items():
        assert _same(values, whole[column][start:stop]), column


def test_a_slice_to_the_end_counts_the_rows_left_and_an_empty_slice_none(xpt):
    whole = _whole(xpt)
    tail = read_rows(xpt, 4, to_end=True)
    assert _same(tail["USUBJID"], whole["USUBJID"][4:])
    assert len(tail["AVAL"]) == ROWS - 4
    assert read_rows(xpt, 3, 3) == {"USUBJID": [], "PARAMCD": [], "AVAL": []}


def test_a_file_without_its_obs_header_record_is_refused(tmp_path):
    path = tmp_path / "adts.xpt"
    pyreadstat.write_xport(FRAME, str(path), table_name="ADTS", file_format_version=5)
    path.write_bytes(path.read_bytes().replace(b"*******OBS     HEADER", b"*******OBX     HEADER"))
    with pytest.raises((ValueError, pyreadstat.ReadstatError)):
        layout(path)


@pytest.mark.parametrize("chunk_rows", [1, 2, 3, ROWS, 1000])
def test_read_in_chunks_gives_the_whole_files_values(xpt, chunk_rows):
    data = read_xpt(xpt, chunk_rows=chunk_rows)
    whole, _ = pyreadstat.read_xport(str(xpt), disable_datetime_conversion=True)
    assert list(data.frame.columns) == ["USUBJID", "PARAMCD", "AVAL"]
    assert len(data.frame) == ROWS
    pd.testing.assert_series_equal(data.frame["AVAL"], whole["AVAL"], check_names=False)
    for column in ("USUBJID", "PARAMCD"):
        text = data.frame[column]
        assert isinstance(text.dtype, pd.CategoricalDtype)
        # sorted categories: sorting the column sorts its values
        assert list(text.cat.categories) == sorted(text.cat.categories)
        assert text.astype(object).tolist() == whole[column].tolist()
    assert data.numeric == {"USUBJID": False, "PARAMCD": False, "AVAL": True}


def test_an_all_text_dataset_keeps_a_blank_row_inside_it(tmp_path):
    # A reader takes blank rows at the end of what it reads for record padding; a chunk of an
    # all-Char dataset could end in one, so such a dataset is read in one piece.
    frame = pd.DataFrame({"A": ["x", "", "", "y"]})
    path = tmp_path / "t.xpt"
    pyreadstat.write_xport(frame, str(path), table_name="T", file_format_version=5)
    assert read_xpt(path, chunk_rows=1).frame["A"].astype(object).tolist() == ["x", "", "", "y"]


@pytest.mark.parametrize("start, stop", [(0, 1), (1, 4), (0, ROWS), (6, ROWS), (3, 3)])
def test_numpy_reads_a_slice_as_pyreadstat_does(xpt, start, stop):
    rows = decode_rows(xpt, start, stop)
    whole = _whole(xpt)
    assert list(rows) == list(whole)
    for column, values in rows.items():
        got = values.tolist() if values.dtype.kind == "f" else text_values(values).tolist()
        want = [np.nan if v is None else v for v in whole[column][start:stop]]
        assert _same(got, want), column


@pytest.mark.parametrize("start", [0, 4, 6])
def test_numpy_reads_to_the_end_without_the_records_padding(xpt, start):
    # ROWS rows of 14 bytes: the last record's blank padding holds whole rows in a v5 file
    rows = decode_rows(xpt, start, to_end=True)
    assert len(rows["AVAL"]) == ROWS - start
    want = [np.nan if v is None else v for v in _whole(xpt)["AVAL"][start:]]
    assert _same(rows["AVAL"].tolist(), want)


def test_numpy_reads_an_all_text_file_like_pyreadstat(tmp_path):
    frame = pd.DataFrame(
        {"A": ["x", "", " lead", "y"] + [""] * 3, "B": ["é", "", "", "z"] + [""] * 3}
    )
    path = tmp_path / "t.xpt"
    pyreadstat.write_xport(frame, str(path), table_name="T", file_format_version=5)
    rows = decode_rows(path, 0, to_end=True)
    whole = _whole(path)
    # trailing blank rows go, as pyreadstat drops them; a leading blank stays
    assert [text_values(rows[c]).tolist() for c in "AB"] == [whole["A"], whole["B"]]
    assert whole["A"] == ["x", "", " lead", "y"]


def test_ibm_values_invert_the_writers_words_exactly():
    rng = np.random.default_rng(5)
    values = rng.choice([-1.0, 1.0], 20_000) * 2.0 ** rng.uniform(-259, 251, 20_000)
    values = np.concatenate([values, [0.0, 1.0, -118.625, 2.0**-260, 16.0**62, np.nan]])
    back = ibm_values(ibm_words(values))
    np.testing.assert_array_equal(back, values)


def test_ibm_values_of_known_words_and_every_missing_value():
    # TS-140's example, -118.625 = C2 76 A0 00 ...; 1.0 = 41 10 00 ...; zero; '.', '.A', '._'
    words = np.array(
        [0xC276A00000000000, 0x4110000000000000, 0, 0x2E << 56, 0x41 << 56, 0x5F << 56],
        dtype=np.uint64,
    )
    got = ibm_values(words)
    assert got[:3].tolist() == [-118.625, 1.0, 0.0]
    assert np.isnan(got[3:]).all()


def test_grouping_text_sorts_out_a_hash_collision():
    # two 16-byte values whose words hash alike (h = w0 * K xor w1), and a third value
    mask = (1 << 64) - 1
    w0, w1, v0 = 0x4141414141414141, 0x4242424242424242, 0x4343434343434343
    v1 = w1 ^ ((w0 * HASH_MULTIPLIER) & mask) ^ ((v0 * HASH_MULTIPLIER) & mask)
    a = w0.to_bytes(8, "little") + w1.to_bytes(8, "little")
    b = v0.to_bytes(8, "little") + v1.to_bytes(8, "little")
    raw = np.array([a, b, a, b"C" * 16], dtype="S16")
    codes, distinct = group_bytes(raw)
    assert distinct[codes].tolist() == raw.tolist()
    assert len(distinct) == 3


def test_the_conformance_reader_refuses_a_numpy_reading_pyreadstat_does_not_confirm(
    xpt, monkeypatch
):
    real = conformance.decode_rows

    def one_value_off(*args, **kwargs):
        rows = real(*args, **kwargs)
        rows["AVAL"] = rows["AVAL"].copy()
        rows["AVAL"][0] += 1
        return rows

    monkeypatch.setattr(conformance, "decode_rows", one_value_off)
    with pytest.raises(
        ValueError, match=r"row 1, AVAL: the numpy reader reads 2.5, pyreadstat 1.5"
    ):
        read_xpt(xpt)


def test_the_conformance_reader_refuses_a_numpy_reading_short_of_pyreadstats_rows(xpt, monkeypatch):
    real = conformance.decode_rows

    def last_row_lost(*args, **kwargs):
        return {c: v[:-1] for c, v in real(*args, **kwargs).items()}

    monkeypatch.setattr(conformance, "decode_rows", last_row_lost)
    with pytest.raises(
        ValueError, match=f"pyreadstat reads {ROWS} rows, the numpy reader {ROWS - 1}"
    ):
        read_xpt(xpt)


def _same(got: list, want: list) -> bool:
    return len(got) == len(want) and all(
        g == w
        or (isinstance(g, float) and isinstance(w, float) and np.isnan(g) and np.isnan(w))
        or (g is None and w is None)
        for g, w in zip(got, want, strict=True)
    )


def test_a_layout_whose_types_pyreadstat_reads_otherwise_is_refused(xpt):
    """The NAMESTRs give the numpy reader each variable's type (``Field.text``) and the
    conformance reader its numeric columns; pyreadstat must read the same types, as it must
    the same lengths."""
    _, meta = pyreadstat.read_xport(str(xpt), metadataonly=True)
    assert [f.text for f in layout(xpt, meta).fields] == [True, True, False]
    meta.readstat_variable_types["AVAL"] = "string"
    with pytest.raises(ValueError, match="AVAL's NAMESTR type differs from pyreadstat's"):
        layout(xpt, meta)
