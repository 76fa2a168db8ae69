"""Read a warehouse table into pandas without one Python string per cell (export, GX,
endpoints).

DuckDB hands every VARCHAR cell to pandas as its own str object: ADRS at 100,000 subjects
(2.3 million rows x 9 text columns) is then mostly string objects. Most ADaM text is
repeated (STUDYID, PARAMCD, AVALC, USUBJID per record), so a text column is factorized: each
row gets the code of its value and each distinct value is one object, and the frame costs
about a pointer per cell. The factorizing runs in DuckDB and numpy (one query for the distinct
values and their hashes, one for every row's hash, mapped to codes in numpy): hashing millions
of Python strings with ``pd.factorize`` had cost more than reading them. Reading column by
column keeps the transient cost to one column.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _has_rowid(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    """Tables have a rowid (their insertion order); views do not."""
    try:
        con.execute(f"select rowid from {table} limit 0")
    except duckdb.BinderException:
        return False
    return True


def _filtered(where: str | None) -> str:
    """The suffix of a scan that keeps ``where``'s rows in rowid order (see ``read_table``)."""
    return f" where {where} order by rowid" if where else ""


def _first_seen(scanned: str) -> str:
    return (
        f"select _value, min(_row) as _first from ({scanned}) where _value is not null "
        "group by _value"
    )


def _factorized(
    con: duckdb.DuckDBPyConnection, table: str, name: str, where: str | None
) -> tuple[np.ndarray, list[str]]:
    """(codes, uniques) of the column's values in rowid order, as ``pd.factorize`` gives them:
    the distinct values in order of first appearance, code -1 for NULL.

    DuckDB hashes every value and numpy maps each row's hash to the code of its distinct value
    (a sorted lookup): no join of every row to its code and no sort of the rows back into rowid
    order, which took longer. Two distinct values with one hash fall back to that join."""
    scanned = f"select rowid as _row, {_quoted(name)} as _value from {table}"
    if where:
        scanned += f" where {where}"
    distinct = con.execute(
        f"select _value, hash(_value) from ({_first_seen(scanned)}) order by _first"
    ).fetchall()
    uniques = [value for value, _ in distinct]
    unique_hashes = np.fromiter((h for _, h in distinct), dtype=np.uint64, count=len(distinct))
    rows = con.execute(
        f"select hash({_quoted(name)}) as _hash, {_quoted(name)} is null as _null "
        f"from {table}{_filtered(where)}"
    ).fetchnumpy()
    codes = codes_of_hashes(
        np.asarray(rows["_hash"], dtype=np.uint64),
        np.asarray(rows["_null"], dtype=bool),
        unique_hashes,
    )
    if codes is None:
        return _factorized_by_join(con, scanned), uniques
    return codes, uniques


def codes_of_hashes(
    hashes: np.ndarray, null: np.ndarray, unique_hashes: np.ndarray
) -> np.ndarray | None:
    """Each row's code: the position of its hash among ``unique_hashes`` (the distinct values'
    hashes in code order), -1 where ``null``. None when two distinct values share a hash (the
    codes would be ambiguous) or a row's hash is not among them."""
    order = np.argsort(unique_hashes, kind="stable")
    ordered = unique_hashes[order]
    if len(ordered) and (ordered[1:] == ordered[:-1]).any():
        return None
    if not len(ordered):
        return np.full(len(hashes), -1, dtype=np.int64) if null.all() else None
    at = np.searchsorted(ordered, hashes)
    at[at == len(ordered)] = 0
    present = ~null
    if not (ordered[at[present]] == hashes[present]).all():
        return None
    codes = order[at].astype(np.int64)
    codes[null] = -1
    return codes


def _factorized_by_join(con: duckdb.DuckDBPyConnection, scanned: str) -> np.ndarray:
    """The codes by joining every row to its value's code and sorting back into rowid order."""
    coded = (
        "select _value, (row_number() over (order by _first) - 1)::bigint as _code "
        f"from ({_first_seen(scanned)})"
    )
    codes = con.execute(
        f"with scanned as ({scanned}), coded as ({coded}) "
        "select coalesce(coded._code, -1) as _code "
        "from scanned left join coded using (_value) order by scanned._row"
    ).fetchnumpy()["_code"]
    return np.asarray(codes, dtype=np.int64)


def _deduplicated(column: pd.Series) -> pd.Series:
    """An object column whose equal values are one object; missing values stay as DuckDB
    gave them (None or NaN)."""
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    values = column.to_numpy(dtype=object, copy=True)
    present = codes >= 0
    values[present] = np.asarray(uniques, dtype=object)[codes[present]]
    return pd.Series(values, name=column.name, dtype=object)


def read_table(
    con: duckdb.DuckDBPyConnection,
    table: str,
    columns: list[str] | None = None,
    where: str | None = None,
    text_as_category: bool = False,
) -> pd.DataFrame:
    """``columns`` (default every column, in table order) of ``table`` (``schema.name``), text
    values deduplicated; ``where``: an SQL condition on the table's columns, rows kept.

    ``text_as_category``: VARCHAR columns come as pandas Categorical (a code per row, each
    distinct value once; NULL is a missing value) instead of object columns. The deduplication
    has the codes anyway, and a caller whose work is per value (the XPT export measures and
    encodes every text cell) can then do it once per distinct value.

    The columns line up row for row: with ``preserve_insertion_order`` (DuckDB's default,
    asserted here) a plain scan returns a table's rows in insertion order, which is rowid order,
    the order the factorized text columns are put in. A filtered read orders by ``rowid``:
    DuckDB 1.5 plans ``x IN (5 or more values)`` as a hash (mark) join, which returns rows in a
    different order on every query even with insertion order kept. The values and dtypes are
    what ``select * ... .df()`` gives (filtered: ``select * ... where ... order by rowid``). A
    view (no rowid) has its text factorized in pandas instead.
    """
    (preserve,) = con.execute("select current_setting('preserve_insertion_order')").fetchone()
    if not preserve:
        raise RuntimeError("read_table needs preserve_insertion_order = true")
    types = {d[0]: str(d[1]) for d in con.execute(f"select * from {table} limit 0").description}
    if columns is None:
        columns = list(types)
    in_duckdb = _has_rowid(con, table)
    condition = _filtered(where)
    data: dict[str, pd.Series] = {}
    # Everything but text (numbers, dates, flags) in one scan.
    plain = [name for name in columns if types.get(name) != "VARCHAR"]
    if plain:
        selected = ", ".join(_quoted(name) for name in plain)
        frame = con.execute(f"select {selected} from {table}{condition}").df()
        data.update({name: frame[name] for name in plain})
        del frame
    for name in columns:
        if types.get(name) != "VARCHAR":
            if data[name].dtype == object:  # e.g. TIME, UUID: equal values share one object
                data[name] = _deduplicated(data[name])
            continue
        if in_duckdb:
            codes, uniques = _factorized(con, table, name, where)
        else:
            column = con.execute(f"select {_quoted(name)} from {table}{condition}").df()[name]
            codes, uniques = pd.factorize(column, use_na_sentinel=True)
        if text_as_category:
            categories = pd.Index(uniques, dtype=object)
            data[name] = pd.Series(pd.Categorical.from_codes(codes, categories), name=name)
        else:
            # code -1 (NULL) takes the appended None, as DuckDB gives a NULL VARCHAR
            values = np.asarray([*uniques, None], dtype=object)[codes]
            data[name] = pd.Series(values, name=name, dtype=object)
    return pd.DataFrame({name: data[name] for name in columns})
