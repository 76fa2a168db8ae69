"""Read a warehouse table into pandas without one Python string per cell (export, GX,
endpoints).

DuckDB hands every VARCHAR cell to pandas as its own str object (~60 bytes each): ADRS at
100,000 subjects (2.3 million rows x 9 text columns) takes 1.3 GB that way. Most ADaM text
is repeated (STUDYID, PARAMCD, AVALC, USUBJID per record), so each column is read on its own
and its values are deduplicated (``pd.factorize``): equal strings then share one object and
the frame costs about a pointer per cell. Reading column by column keeps the transient cost
to one column's strings.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


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
    asserted here) a plain scan returns a table's rows in insertion order. A filtered read
    orders by ``rowid``: DuckDB 1.5 plans ``x IN (5 or more values)`` as a hash (mark) join,
    which returns rows in a different order on every query even with insertion order kept
    (measured on ADTTE at 100,000 subjects: 3% of rows aligned). The values and dtypes are
    what ``select * ... .df()`` gives (filtered: ``select * ... where ... order by rowid``).
    """
    (preserve,) = con.execute("select current_setting('preserve_insertion_order')").fetchone()
    if not preserve:
        raise RuntimeError("read_table needs preserve_insertion_order = true")
    if columns is None:
        columns = [d[0] for d in con.execute(f"select * from {table} limit 0").description]
    condition = f" where {where} order by rowid" if where else ""
    data: dict[str, pd.Series] = {}
    for name in columns:
        result = con.execute(f"select {_quoted(name)} from {table}{condition}")
        text = str(result.description[0][1]) == "VARCHAR"
        column = result.df()[name]
        if column.dtype == object:
            codes, uniques = pd.factorize(column, use_na_sentinel=True)
            if text_as_category and text:
                categories = pd.Index(uniques, dtype=object)
                data[name] = pd.Series(pd.Categorical.from_codes(codes, categories), name=name)
                continue
            values = column.to_numpy(dtype=object, copy=True)  # None/NaN stay as DuckDB gave them
            present = codes >= 0
            values[present] = np.asarray(uniques, dtype=object)[codes[present]]
            column = pd.Series(values, name=name, dtype=object)
        data[name] = column
    return pd.DataFrame(data)
