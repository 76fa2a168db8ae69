"""Content fingerprints (lib/warehouse/fingerprint.py): what decides that a step may reuse
its output."""

import duckdb
import pytest

from dagster_project.lib.warehouse.fingerprint import (
    column_fingerprints,
    fingerprint_of,
    table_fingerprint,
)


@pytest.fixture
def con():
    con = duckdb.connect()
    con.execute(
        "create table t as select * from (values (1, 'A', date '2024-01-01'), "
        "(2, null, date '2024-01-02'), (3, 'C', null)) v(N, S, D)"
    )
    return con


def test_same_rows_same_fingerprint_in_another_table(con):
    con.execute("create table u as select * from t")
    assert table_fingerprint(con, "t") == table_fingerprint(con, "u")


@pytest.mark.parametrize(
    "change",
    [
        "update t set S = 'B' where N = 2",  # a missing value filled
        "update t set S = null where N = 1",  # a value removed
        "update t set D = date '2024-01-03' where N = 1",
        "delete from t where N = 3",
        "insert into t values (4, 'D', null)",
        "insert into t select * from t where N = 1",  # a duplicated row
    ],
)
def test_any_change_of_content_changes_it(con, change):
    before = table_fingerprint(con, "t")
    con.execute(change)
    assert table_fingerprint(con, "t") != before


def test_row_order_is_part_of_it(con):
    con.execute("create table u as select * from t order by N desc")
    assert table_fingerprint(con, "t") != table_fingerprint(con, "u")


def test_column_names_and_types_are_part_of_it(con):
    con.execute("create table renamed as select N, S as S2, D from t")
    con.execute("create table retyped as select N::double as N, S, D from t")
    fingerprints = {table_fingerprint(con, x) for x in ("t", "renamed", "retyped")}
    assert len(fingerprints) == 3


def test_only_the_named_columns_count(con):
    before = table_fingerprint(con, "t", ["N", "D"])
    con.execute("update t set S = 'Z'")
    assert table_fingerprint(con, "t", ["N", "D"]) == before
    assert table_fingerprint(con, "t", ["D", "N"]) != before  # column order counts
    with pytest.raises(KeyError, match="no column X"):
        table_fingerprint(con, "t", ["N", "X"])


def test_no_column_counts_rows(con):
    before = table_fingerprint(con, "t", [])
    con.execute("update t set S = 'Z'")
    assert table_fingerprint(con, "t", []) == before
    con.execute("delete from t where N = 1")
    assert table_fingerprint(con, "t", []) != before


def test_empty_table(con):
    con.execute("create table e as select * from t where false")
    assert table_fingerprint(con, "e") != table_fingerprint(con, "t")
    assert len(table_fingerprint(con, "e")) == 64


def test_fingerprint_of_ignores_key_order():
    assert fingerprint_of({"a": 1, "b": [1, 2]}) == fingerprint_of({"b": [1, 2], "a": 1})
    assert fingerprint_of({"a": 1}) != fingerprint_of({"a": 2})


@pytest.mark.parametrize(
    "change, changed",
    [
        ("update t set S = 'B' where N = 2", {"S"}),
        ("update t set D = date '2024-01-03' where N = 1", {"D"}),
        ("alter table t alter S type varchar(10)", set()),  # same type name in DuckDB
        ("alter table t alter N type bigint", {"N"}),
        ("delete from t where N = 3", {"N", "S", "D"}),  # row count and positions
    ],
)
def test_column_fingerprints_change_with_their_column_only(con, change, changed):
    """Each column's fingerprint follows its own values, type and the rows; the others stay
    (what lets a GX expectation be reused when the columns it reads did not change)."""
    count, before = column_fingerprints(con, "t", ["N", "S", "D"])
    assert count == 3
    con.execute(change)
    _, after = column_fingerprints(con, "t", ["N", "S", "D"])
    assert {c for c in before if before[c] != after[c]} == changed


def test_column_fingerprints_follow_row_order_and_name_missing_columns(con):
    """Values swapped between rows change the column (its values stay tied to their rows);
    the same rows in another table give the same fingerprints; a missing column is named."""
    con.execute("create table u as select * from t")
    assert column_fingerprints(con, "t", ["S"]) == column_fingerprints(con, "u", ["S"])
    con.execute("create or replace table u as select * from t order by N desc")
    assert column_fingerprints(con, "t", ["S"]) != column_fingerprints(con, "u", ["S"])
    assert column_fingerprints(con, "t", []) == (3, {})
    with pytest.raises(KeyError, match="has no column X"):
        column_fingerprints(con, "t", ["S", "X"])
