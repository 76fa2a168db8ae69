"""The table comparison of the hand-built trial (tests/compare_tables.py): every differing value
named with its row's key, missing, extra and repeated rows, and the per-value rules the
one-test-per-value version applied (NULL, NaN and '' alike; dates as ISO text, a timestamp by
its date; integers without a decimal point; numbers equal within 5e-7)."""

import datetime as dt
from decimal import Decimal

import pytest

from tests.compare_tables import assert_same_table, frame, norm, same, table_differences

KEYS = ("USUBJID", "PARAMCD")
VARS = ["ADT", "AVAL", "CNSR"]


def _expected(*rows: tuple[str, ...]):
    return frame(rows, [*KEYS, *VARS])


def _actual(*rows: tuple[object, ...]):
    return frame(rows, [*KEYS, *VARS])


def test_equal_tables_have_no_difference():
    expected = _expected(("S1", "OS", "2026-01-02", "30", "0"), ("S2", "OS", "", "", "1"))
    actual = _actual(("S2", "OS", None, None, 1), ("S1", "OS", dt.date(2026, 1, 2), 30, 0))
    assert table_differences("adtte", expected, actual, KEYS, VARS) == []
    assert_same_table("adtte", expected, actual, KEYS, VARS)


def test_every_differing_value_is_named_with_its_key_and_variable():
    expected = _expected(
        ("S1", "OS", "2026-01-02", "30", "0"),
        ("S1", "PFS", "2026-01-05", "33", "1"),
        ("S2", "OS", "", "", "1"),
    )
    actual = _actual(
        ("S1", "OS", dt.date(2026, 1, 3), 31, 0),
        ("S1", "PFS", dt.date(2026, 1, 5), 33, 1),
        ("S2", "OS", None, 12, "1"),
    )
    assert table_differences("adtte", expected, actual, KEYS, VARS) == [
        "adtte USUBJID=S1 PARAMCD=OS ADT: expected '2026-01-02', got '2026-01-03'",
        "adtte USUBJID=S1 PARAMCD=OS AVAL: expected '30', got '31'",
        "adtte USUBJID=S2 PARAMCD=OS AVAL: expected '', got '12'",
    ]


def test_the_failure_lists_every_line_after_a_count():
    expected = _expected(("S1", "OS", "2026-01-02", "30", "0"))
    actual = _actual(("S1", "OS", None, 31, 0))
    with pytest.raises(AssertionError) as failed:
        assert_same_table("adtte", expected, actual, KEYS, VARS)
    assert str(failed.value).splitlines() == [
        "adtte: 2 difference(s) (1 expected rows x 3 variables)",
        "adtte USUBJID=S1 PARAMCD=OS ADT: expected '2026-01-02', got NULL",
        "adtte USUBJID=S1 PARAMCD=OS AVAL: expected '30', got '31'",
    ]


def test_missing_extra_and_repeated_rows():
    expected = _expected(("S1", "OS", "", "30", "0"), ("S2", "OS", "", "40", "0"))
    actual = _actual(
        ("S1", "OS", None, 30, 0),
        ("S1", "OS", None, 99, 0),  # a second row of the key: counted, and compared too
        ("S3", "OS", None, 50, 0),
    )
    assert table_differences("adtte", expected, actual, KEYS, VARS) == [
        "adtte USUBJID=S1 PARAMCD=OS: 2 rows, expected 1",
        "adtte USUBJID=S1 PARAMCD=OS AVAL (row 2 of 2): expected '30', got '99'",
        "adtte USUBJID=S2 PARAMCD=OS: missing row",
        "adtte USUBJID=S3 PARAMCD=OS: extra row",
    ]


def test_actual_keys_are_matched_as_the_files_write_them():
    expected = frame([("S1", "2", "2026-01-02", "Y")], ["USUBJID", "AESPID", "ASTDT", "TRTEMFL"])
    actual = frame(
        [(" S1 ", 2.0, dt.datetime(2026, 1, 2, 23, 59), "Y ")],
        ["USUBJID", "AESPID", "ASTDT", "TRTEMFL"],
    )
    keys = ("USUBJID", "AESPID")
    assert table_differences("adae", expected, actual, keys, ["ASTDT", "TRTEMFL"]) == []


def test_a_variable_the_actual_table_lacks_is_named_once():
    """The per-value tests read a missing column as NULL, so it passed where '' was expected;
    a dropped variable is a difference of its own."""
    expected = _expected(("S1", "OS", "", "30", "0"))
    actual = frame([("S1", "OS", 30, 0)], [*KEYS, "AVAL", "CNSR"])
    assert table_differences("adtte", expected, actual, KEYS, VARS) == [
        "adtte ADT: no such variable in the actual table"
    ]


def test_an_expected_table_without_a_variable_is_a_mistake_in_the_test():
    with pytest.raises(KeyError, match="no CNSR"):
        table_differences("adtte", frame([], [*KEYS, "ADT", "AVAL"]), _actual(), KEYS, VARS)


@pytest.mark.parametrize(
    ("expected", "actual"),
    [
        ("", None),
        ("", float("nan")),
        ("", ""),
        ("", "  "),
        ("2026-01-02", dt.date(2026, 1, 2)),
        ("2026-01-02", dt.datetime(2026, 1, 2, 13, 30)),  # a timestamp compares by its date
        ("3", 3),
        ("3", 3.0),
        ("3", Decimal("3.000")),
        ("0.833333", 5 / 6),  # RDI written to 6 decimals: 3.3e-7 off
        ("0.8333333", 0.8333337),  # 4e-7: within 5e-7
        ("Y", " Y "),
    ],
)
def test_the_same_value(expected, actual):
    assert same(expected, actual)


@pytest.mark.parametrize(
    ("expected", "actual"),
    [
        ("0", None),
        ("", 0),
        ("", "N"),
        ("2026-01-02", dt.date(2026, 1, 3)),
        ("3", 3.5),
        ("0.833333", 0.8333339),  # 9e-7 off
        ("30", "30 days"),
        ("Y", "y"),
    ],
)
def test_not_the_same_value(expected, actual):
    assert not same(expected, actual)


def test_norm_writes_values_as_the_expectation_files_do():
    assert [norm(v) for v in (None, float("nan"), dt.date(2026, 1, 2), 30.0, 30.5, " x ")] == [
        "",
        "",
        "2026-01-02",
        "30",
        "30.5",
        "x",
    ]
