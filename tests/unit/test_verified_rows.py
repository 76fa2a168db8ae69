"""The read-back skips only subjects whose rows (values as written and bytes in the file) an
earlier read-back checked: digests, ranges and plans on hand-built rows.

Expected ranges are worked out by hand from the runs: subjects A (rows 0-1), B (2), C (3-5),
D (6) in a 7-row file.
"""

from datetime import datetime

import numpy as np
import pandas as pd
import pytest

from dagster_project.lib.export import verified_rows as vr
from dagster_project.lib.export.transport_v5 import Field, header_bytes, observations_offset

SUBJECTS = ["A", "A", "B", "C", "C", "C", "D"]


def _written(values=None, subjects=SUBJECTS) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "USUBJID": subjects,
            "AVAL": values if values is not None else [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0],
        }
    )


def _bytes(n: int, width: int = 11) -> np.ndarray:
    return (np.arange(n * width, dtype=np.uint64) % 251).astype(np.uint8).reshape(n, width)


def _digests(written: pd.DataFrame, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    starts = vr.subject_runs(written["USUBJID"])
    return starts, vr.run_digests(vr.row_keys(written, rows), starts)


@pytest.mark.parametrize("n_fields", [1, 2, 4, 7, 47])
def test_observations_start_where_the_header_ends(n_fields):
    fields = [Field(f"V{i}", "label", i % 2 == 0, 8) for i in range(n_fields)]
    header = header_bytes(fields, "ADSL", "Subject-Level", datetime(2026, 12, 3))
    assert observations_offset(n_fields) == len(header)


def test_subject_runs_start_where_the_subject_changes():
    assert vr.subject_runs(pd.Series(SUBJECTS)).tolist() == [0, 2, 3, 6]
    # a subject met again later is a run of its own
    assert vr.subject_runs(pd.Series(["A", "B", "A"])).tolist() == [0, 1, 2]
    assert vr.subject_runs(pd.Series([], dtype=object)).tolist() == []


def test_each_run_digest_changes_with_its_own_values_bytes_and_order_only():
    rows = _bytes(7)
    starts, base = _digests(_written(), rows)
    assert len(base) == 4 and len(set(base.tolist())) == 4

    # a value of C (row 4) changes: only C's digest
    _, changed = _digests(_written([1.0, 2.0, 3.0, 4.0, 9.0, 6.0, 7.0]), rows)
    assert (changed != base).tolist() == [False, False, True, False]

    # a byte of B's row (row 2) changes, the values do not: only B's digest
    other = rows.copy()
    other[2, 5] ^= 1
    _, changed = _digests(_written(), other)
    assert (changed != base).tolist() == [False, True, False, False]

    # A's two rows swapped (values and bytes together): A's digest
    swapped = rows[[1, 0, 2, 3, 4, 5, 6]]
    _, changed = _digests(_written([2.0, 1.0, 3.0, 4.0, 5.0, 6.0, 7.0]), swapped)
    assert (changed != base).tolist() == [True, False, False, False]


def test_a_run_keeps_its_digest_wherever_it_is_in_the_file():
    """A new subject ahead of the others moves every row down; the runs keep their digests."""
    rows = _bytes(7)
    _, before = _digests(_written(), rows)
    moved_rows = np.vstack([np.full((1, 11), 7, dtype=np.uint8), rows])
    moved = _written([0.0, *range(1, 8)], ["0", *SUBJECTS])
    moved["AVAL"] = moved["AVAL"].astype(float)
    _, after = _digests(moved, moved_rows)
    assert after[1:].tolist() == before.tolist()


def test_text_values_count_by_content_categorical_or_not():
    rows = _bytes(7)
    plain = _written()
    categorical = plain.assign(USUBJID=pd.Categorical(SUBJECTS, categories=["D", "C", "B", "A"]))
    assert _digests(plain, rows)[1].tolist() == _digests(categorical, rows)[1].tolist()


def test_unverified_ranges_are_the_unknown_runs_merged():
    rows = _bytes(7)
    starts, digests = _digests(_written(), rows)
    assert vr.unverified_ranges(digests, starts, 7, digests) == []
    assert vr.unverified_ranges(digests, starts, 7, np.zeros(0, np.uint64)) == [(0, 7)]
    known_a_and_d = digests[[0, 3]]
    assert vr.unverified_ranges(digests, starts, 7, known_a_and_d) == [(2, 6)]
    known_b = digests[[1]]
    assert vr.unverified_ranges(digests, starts, 7, known_b) == [(0, 2), (3, 7)]
    assert vr.unverified_ranges(np.zeros(0, np.uint64), np.zeros(0, np.int64), 0, digests) == []


def test_the_plan_reads_the_ranges_and_always_the_end_of_the_file():
    # the last range reaches the end: it is read to the end
    assert vr.read_back_plan_of([(2, 7)], 7, 2, merge_gap=1) == [
        (2, 4, False), (4, 6, False), (6, 7, True)
    ]  # fmt: skip
    # the last rows were checked before: the last row is read again, to the end
    assert vr.read_back_plan_of([(2, 3)], 7, 100, merge_gap=1) == [(2, 3, False), (6, 7, True)]
    # nothing to read but the end
    assert vr.read_back_plan_of([], 7, 100) == [(6, 7, True)]
    # an empty dataset: extra rows still counted
    assert vr.read_back_plan_of([], 0, 100) == [(0, 0, True)]


def test_ranges_closer_than_the_merge_gap_are_read_as_one():
    ranges = [(0, 2), (4, 5), (20, 22)]
    assert vr.read_back_plan_of(ranges, 30, 100, merge_gap=3) == [
        (0, 5, False), (20, 22, False), (29, 30, True)
    ]  # fmt: skip
    # the end is merged like any other range
    assert vr.read_back_plan_of(ranges, 30, 100, merge_gap=10) == [(0, 5, False), (20, 30, True)]
    assert vr.read_back_plan_of(ranges, 30, 100, merge_gap=1) == [
        (0, 2, False), (4, 5, False), (20, 22, False), (29, 30, True)
    ]  # fmt: skip


def test_known_digests_are_kept_per_dataset_and_layout(tmp_path):
    digests = np.array([1, 2, 3], dtype=np.uint64)
    assert vr.load_known(tmp_path, "adsl", "k1").tolist() == []
    vr.save_known(tmp_path, "adsl", "k1", digests)
    vr.save_known(tmp_path, "adae", "k1", digests[:1])
    assert vr.load_known(tmp_path, "adsl", "k1").tolist() == [1, 2, 3]
    assert vr.load_known(tmp_path, "adsl", "k2").tolist() == []  # another layout knows nothing
    vr.save_known(tmp_path, "adsl", "k2", digests[1:])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["adae.k1.npy", "adsl.k2.npy"]


def test_the_layout_key_covers_variables_code_and_reader():
    variables = [{"name": "AVAL", "type": "Num", "length": 8}]
    key = vr.layout_key(variables, "code 1", "1.3.7")
    assert key == vr.layout_key(variables, "code 1", "1.3.7")
    assert key != vr.layout_key([{**variables[0], "length": 4}], "code 1", "1.3.7")
    assert key != vr.layout_key(variables, "code 2", "1.3.7")
    assert key != vr.layout_key(variables, "code 1", "1.3.8")
