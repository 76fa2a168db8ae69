"""The frames a suite validates, read from the DuckDB warehouse (no Dagster here).

- rows: ``adam.<dataset>`` as pandas (DATE -> datetime64, NULL -> None/NaT/NaN);
- columns: the column catalogue, one row per variable: NAME, DATA_TYPE (DuckDB's name),
  LABEL and NAME_TYPE = NAME:DATA_TYPE. The label is the dbt ``meta.label`` when the manifest
  gives one, else the leading sentence of the column comment dbt persists (house rule: a
  description starts with the ADaM label).
"""

import json
import re
from collections.abc import Mapping
from pathlib import Path

import duckdb
import pandas as pd

from dagster_project.lib.warehouse.table_frames import read_table

_FIRST_SENTENCE = re.compile(r"^(.*?)\.(?:\s|$)", re.S)


def label_from_comment(comment: str | None) -> str | None:
    """'Analysis Date. The event ...' -> 'Analysis Date'; None or blank -> None."""
    if comment is None or not comment.strip():
        return None
    text = comment.strip()
    match = _FIRST_SENTENCE.match(text)
    return (match.group(1) if match else text).strip() or None


def manifest_labels(manifest_path: Path, schema: str = "adam") -> dict[str, dict[str, str]]:
    """{model: {COLUMN: meta.label}} for the models of `schema` in a dbt manifest."""
    if not manifest_path.exists():
        return {}
    nodes = json.loads(manifest_path.read_text())["nodes"].values()
    labels: dict[str, dict[str, str]] = {}
    for node in nodes:
        if node.get("resource_type") != "model" or node.get("config", {}).get("schema") != schema:
            continue
        labels[node["name"]] = {
            name: str(col["meta"]["label"])
            for name, col in node.get("columns", {}).items()
            if col.get("meta", {}).get("label")
        }
    return labels


def read_dataset(
    con: duckdb.DuckDBPyConnection,
    dataset: str,
    columns: list[str] | None = None,
    schema: str = "adam",
) -> pd.DataFrame:
    """`columns` of `schema.dataset` (default all); none at all: one NO_COLUMN per row, so
    row-count expectations still see every row.

    Text comes as pandas Categorical (``read_table(text_as_category=True)``): GX's pandas
    engine copies, filters and null-checks the frame for every row condition and column pair,
    and on codes that is a fraction of the work on a pointer per cell, with the same outcomes
    and samples."""
    table = f'"{schema}"."{dataset}"'
    if columns is not None and not columns:
        return con.execute(f"select 1 as NO_COLUMN from {table}").df()
    return read_table(con, table, columns, text_as_category=True)


def column_catalogue(
    con: duckdb.DuckDBPyConnection,
    dataset: str,
    labels: Mapping[str, str] | None = None,
    schema: str = "adam",
) -> pd.DataFrame:
    """One row per column of `schema.dataset`: NAME, DATA_TYPE, LABEL, NAME_TYPE."""
    frame = con.execute(
        "select column_name as NAME, data_type as DATA_TYPE, comment as COMMENT "
        "from duckdb_columns() where schema_name = ? and table_name = ? order by column_index",
        [schema, dataset],
    ).df()
    return catalogue_frame(frame, labels)


def catalogue_frame(columns: pd.DataFrame, labels: Mapping[str, str] | None = None) -> pd.DataFrame:
    """NAME, DATA_TYPE, COMMENT -> the catalogue; a manifest label wins over the comment's."""
    labels = labels or {}
    out = pd.DataFrame({"NAME": columns["NAME"], "DATA_TYPE": columns["DATA_TYPE"]})
    out["LABEL"] = [
        labels.get(name) or label_from_comment(comment)
        for name, comment in zip(columns["NAME"], columns["COMMENT"], strict=True)
    ]
    out["NAME_TYPE"] = out["NAME"] + ":" + out["DATA_TYPE"]
    return out


def add_adsl_context(frame: pd.DataFrame, adsl: pd.DataFrame, columns: tuple[str, ...]) -> None:
    """Add ADSL_<column> to `frame` in place, looked up by USUBJID (no copy of the rows);
    empty for a USUBJID that ADSL does not have."""
    if not columns:
        return
    subjects = adsl.drop_duplicates("USUBJID")
    # A plain (object) index: a lookup through a CategoricalIndex (USUBJID read as Categorical)
    # is several times slower.
    by_subject = subjects.set_index(pd.Index(subjects["USUBJID"].astype(object), name="USUBJID"))
    key = frame["USUBJID"]
    for column in columns:
        if isinstance(key.dtype, pd.CategoricalDtype):
            # Looked up once per subject, then spread by code: Series.map on a Categorical
            # would give a Categorical wherever the values are distinct (dates), and GX cannot
            # compare those with plain columns.
            categories = pd.Index(key.cat.categories, dtype=object)
            per_subject = by_subject[column].reindex(categories).to_numpy()
            values = pd.api.extensions.take(per_subject, key.cat.codes.to_numpy(), allow_fill=True)
            frame[f"ADSL_{column}"] = pd.Series(values, index=frame.index)
        else:
            frame[f"ADSL_{column}"] = key.map(by_subject[column])
