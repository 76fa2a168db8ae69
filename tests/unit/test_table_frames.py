"""read_table: the same frame as DuckDB's own `select * ... .df()`, with equal strings shared."""

import duckdb
import pandas as pd
import pytest

from dagster_project.lib.warehouse.table_frames import read_table


@pytest.fixture
def con():
    con = duckdb.connect()
    con.execute("create schema adam")
    con.execute(
        """create table adam.t as
        select 'ISA-DEX-MM' as STUDYID,
               'S-' || (i % 7) as "USUBJID",
               case when i % 5 = 0 then null else 'CR' end as AVALC,
               i as AVAL,
               case when i % 3 = 0 then null else i / 4 end as "AVAL 2",
               date '2024-01-01' + i::int as ADT,
               i % 2 = 0 as FL,
               null::varchar as EMPTY
        from range(20000) r(i)
        order by random()"""
    )
    # a second insert: rows of a later append come after the first ones
    con.execute("insert into adam.t select 'ISA-DEX-MM', 'LAST', null, -1, null, null, null, null")
    yield con
    con.close()


def test_same_frame_as_duckdb(con):
    got = read_table(con, "adam.t")
    want = con.execute("select * from adam.t").df()
    pd.testing.assert_frame_equal(got, want)
    assert got["USUBJID"].iloc[-1] == "LAST"


def test_chosen_columns(con):
    got = read_table(con, "adam.t", ["AVAL", "USUBJID"])
    want = con.execute("select AVAL, USUBJID from adam.t").df()
    pd.testing.assert_frame_equal(got, want)


def test_rows_filtered_line_up(con):
    """A filter keeps every column's rows aligned (each column is its own scan)."""
    where = "AVAL % 3 = 1 and \"USUBJID\" <> 'S-2'"
    got = read_table(con, "adam.t", where=where)
    want = con.execute(f"select * from adam.t where {where} order by rowid").df()
    pd.testing.assert_frame_equal(got, want)
    assert 0 < len(got) < 20000


def test_rows_filtered_by_a_long_in_list_line_up():
    """x IN (5+ values) is a hash join in DuckDB 1.5: without the rowid order two scans of
    one table return rows in different orders (3 million rows, 2 threads: ~2% aligned)."""
    con = duckdb.connect(config={"threads": 2})
    con.execute(
        "create table t as select 'S-' || (i % 7) as USUBJID, i as AVAL "
        "from range(3000000) r(i) order by random()"
    )
    where = "USUBJID in ('S-0', 'S-1', 'S-2', 'S-3', 'S-4', 'S-5')"
    got = read_table(con, "t", where=where)
    assert len(got) == 3000000 - 428571  # without i % 7 = 6: 6, 13, ..., 2999995
    assert (got["USUBJID"] == "S-" + (got["AVAL"] % 7).astype(str)).all()
    con.close()


def test_equal_strings_are_one_object(con):
    got = read_table(con, "adam.t")
    assert got["STUDYID"].map(id).nunique() == 1
    assert got["USUBJID"].map(id).nunique() == 8  # S-0 ... S-6 and LAST
    assert got["AVALC"].isna().sum() == 4001  # i % 5 = 0 for 4,000 of range(20000), and LAST


def test_refuses_without_insertion_order(con):
    con.execute("set preserve_insertion_order = false")
    with pytest.raises(RuntimeError, match="preserve_insertion_order"):
        read_table(con, "adam.t")


def test_text_as_category_holds_the_same_values(con):
    """VARCHAR columns come as Categorical (NULL missing, each distinct value once); every
    other column exactly as without the option."""
    got = read_table(con, "adam.t", text_as_category=True)
    want = con.execute("select * from adam.t").df()
    text = ["STUDYID", "USUBJID", "AVALC", "EMPTY"]
    for name in text:
        assert isinstance(got[name].dtype, pd.CategoricalDtype), name
        assert got[name].cat.categories.is_unique
        pd.testing.assert_series_equal(got[name].astype(object), want[name], check_dtype=False)
    assert got["AVALC"].isna().sum() == 4001
    assert sorted(got["USUBJID"].cat.categories) == ["LAST", *(f"S-{i}" for i in range(7))]
    assert list(got["EMPTY"].cat.categories) == []
    pd.testing.assert_frame_equal(got.drop(columns=text), want.drop(columns=text))


def test_view_reads_the_same_frame(con):
    """A view has no rowid: its text is factorized in pandas, with the same result."""
    con.execute("create view adam.v as select * from adam.t where AVAL % 2 = 0")
    got = read_table(con, "adam.v")
    want = con.execute("select * from adam.v").df()
    pd.testing.assert_frame_equal(got, want)
    assert got["USUBJID"].map(id).nunique() == 7  # S-0 ... S-6 (LAST has an odd AVAL)
    as_category = read_table(con, "adam.v", text_as_category=True)
    codes, uniques = pd.factorize(want["USUBJID"], use_na_sentinel=True)
    assert list(as_category["USUBJID"].cat.categories) == list(uniques)


def test_categories_in_order_of_first_appearance(con):
    """Text factorized in DuckDB gives what pd.factorize gives: the distinct values in the
    order they first appear in the table, NULL as code -1."""
    got = read_table(con, "adam.t", text_as_category=True)
    want = con.execute("select * from adam.t").df()
    for name in ["STUDYID", "USUBJID", "AVALC", "EMPTY"]:
        codes, uniques = pd.factorize(want[name], use_na_sentinel=True)
        assert list(got[name].cat.categories) == list(uniques), name
        assert (got[name].cat.codes.to_numpy() == codes).all(), name


def test_codes_of_hashes_by_hand():
    """Each row's code is its hash's position among the distinct values' hashes; NULL -1."""
    import numpy as np

    from dagster_project.lib.warehouse.table_frames import codes_of_hashes

    unique = np.array([900, 5, 70], dtype=np.uint64)  # codes 0, 1, 2 in order of first sight
    rows = np.array([900, 70, 5, 900, 123, 70], dtype=np.uint64)
    null = np.array([False, False, False, False, True, False])
    assert codes_of_hashes(rows, null, unique).tolist() == [0, 2, 1, 0, -1, 2]
    # two distinct values with one hash: ambiguous, the caller falls back to the join
    assert codes_of_hashes(rows, null, np.array([900, 5, 900], dtype=np.uint64)) is None
    # a row whose hash is not a distinct value's (cannot happen from one table): refused
    assert codes_of_hashes(np.array([6], dtype=np.uint64), np.array([False]), unique) is None
    # only NULLs, or no rows
    assert codes_of_hashes(rows[:2], np.array([True, True]), unique[:0]).tolist() == [-1, -1]
    assert codes_of_hashes(rows[:0], null[:0], unique).tolist() == []


def test_hash_collision_falls_back_to_the_join(con, monkeypatch):
    """With the hashed codes refused, the join gives the same frame."""
    from dagster_project.lib.warehouse import table_frames

    monkeypatch.setattr(table_frames, "codes_of_hashes", lambda *args: None)
    got = read_table(con, "adam.t")
    want = con.execute("select * from adam.t").df()
    pd.testing.assert_frame_equal(got, want)
    where = "AVAL % 3 = 1"
    got = read_table(con, "adam.t", where=where, text_as_category=True)
    want = con.execute(f"select * from adam.t where {where} order by rowid").df()
    for name in ["STUDYID", "USUBJID", "AVALC"]:
        codes, uniques = pd.factorize(want[name], use_na_sentinel=True)
        assert list(got[name].cat.categories) == list(uniques), name
        assert (got[name].cat.codes.to_numpy() == codes).all(), name
