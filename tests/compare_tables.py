"""Compare a table of expected values, written as text, with the rows the warehouse returns:
one line per difference, each naming the dataset, the row's key and the variable, so a failure
lists every differing value at once (`adsl USUBJID=... AGE: expected '65', got '64'`).

A warehouse value is compared as the expectation files write it (``norm``): ISO dates, ''
for NULL, integers without a decimal point; numbers that differ in text are equal within
5e-7 (``same``), the half unit of the sixth decimal the files write RDI to.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence

import pandas as pd


def norm(value: object) -> str:
    """Warehouse value as the expectation files write it: ISO dates, '' for NULL,
    integers without a decimal point."""
    if value is None:
        return ""
    if isinstance(value, float) and math.isnan(value):
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def same(expected: str, actual: object) -> bool:
    got = norm(actual)
    if expected == got:
        return True
    try:  # numbers: RDI to the 6 decimals written, others exactly
        return abs(float(expected) - float(got)) <= 5e-7
    except ValueError:
        return False


def frame(rows: Sequence[Sequence[object]], columns: Sequence[str]) -> pd.DataFrame:
    """Rows as fetched, every value the Python object the driver returned: dtype object, so
    pandas turns no NULL into NaN, no date into a Timestamp, no integer into a float."""
    return pd.DataFrame(list(rows), columns=list(columns), dtype=object)


def _label(dataset: str, keys: Sequence[str], key: tuple[str, ...]) -> str:
    return " ".join([dataset, *(f"{k}={v}" for k, v in zip(keys, key, strict=True))])


def _got(value: object) -> str:
    return "NULL" if norm(value) == "" and not isinstance(value, str) else repr(norm(value))


def table_differences(
    dataset: str,
    expected: pd.DataFrame,
    actual: pd.DataFrame,
    keys: Sequence[str],
    variables: Sequence[str],
) -> list[str]:
    """Every difference between `expected` (text, '' for empty) and `actual` (warehouse
    values), rows matched on `keys` (actual's key values as ``norm`` writes them): a row
    missing or extra, a key held by more than one actual row (each of them compared), a
    variable `actual` lacks, and each value not ``same``. In expected's row order."""
    absent = [v for v in [*keys, *variables] if v not in expected.columns]
    if absent:
        raise KeyError(f"{dataset}: the expected table has no {', '.join(absent)}")
    lines = [
        f"{dataset} {v}: no such variable in the actual table"
        for v in [*keys, *variables]
        if v not in actual.columns
    ]
    if any(k not in actual.columns for k in keys):
        return lines
    compared = [v for v in variables if v in actual.columns]

    want = {tuple(norm(r[k]) for k in keys): r for r in expected.to_dict("records")}
    if len(want) != len(expected):
        raise ValueError(f"{dataset}: the expected table repeats a key of {', '.join(keys)}")
    got: dict[tuple[str, ...], list[dict]] = {}
    for row in actual.to_dict("records"):
        got.setdefault(tuple(norm(row[k]) for k in keys), []).append(row)

    for key, row in want.items():
        label = _label(dataset, keys, key)
        if key not in got:
            lines.append(f"{label}: missing row")
            continue
        rows = got[key]
        if len(rows) > 1:
            lines.append(f"{label}: {len(rows)} rows, expected 1")
        for n, actual_row in enumerate(rows, 1):
            which = f" (row {n} of {len(rows)})" if len(rows) > 1 else ""
            lines += [
                f"{label} {var}{which}: expected {row[var]!r}, got {_got(actual_row[var])}"
                for var in compared
                if not same(row[var], actual_row[var])
            ]
    lines += [f"{_label(dataset, keys, key)}: extra row" for key in got if key not in want]
    return lines


def assert_same_table(
    dataset: str,
    expected: pd.DataFrame,
    actual: pd.DataFrame,
    keys: Sequence[str],
    variables: Sequence[str],
) -> None:
    """Fails with every line of ``table_differences``, after one line counting them."""
    lines = table_differences(dataset, expected, actual, keys, variables)
    if lines:
        head = (
            f"{dataset}: {len(lines)} difference(s) "
            f"({len(expected)} expected rows x {len(variables)} variables)"
        )
        raise AssertionError("\n".join([head, *lines]))
