"""Slices of a transport file read with pyreadstat (lib/export/xpt_rows.py), and the
conformance check's chunked reader built on them: the layout comes from the file itself, and
every slice, whole read and chunked read gives the rows pyreadstat gives for the whole file."""

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from dagster_project.lib.export.conformance import read_xpt
from dagster_project.lib.export.transport_v5 import observations_offset
from dagster_project.lib.export.xpt_rows import layout, read_rows

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


def _same(got: list, want: list) -> bool:
    return len(got) == len(want) and all(
        g == w
        or (isinstance(g, float) and isinstance(w, float) and np.isnan(g) and np.isnan(w))
        or (g is None and w is None)
        for g, w in zip(got, want, strict=True)
    )
