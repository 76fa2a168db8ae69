"""Remove every value of a column the contract does not name from a copy of the warehouse.

site_extracts.md: an extra column is "kept in the raw layer of the writer's working file for
audit, never in a published file" (a site may send a patient's name by mistake). Ingestion
keeps such values in two places only, and this removes them from both:

- raw.<form>.EXTRA, the JSON of a loaded row's extra columns: set to NULL;
- raw.quarantine, one row per refused source row: the extra keys of its RECORD (the whole
  raw row as JSON), its VALUE when the quarantined column is itself an extra one (a NUL
  byte), and, for a record the CSV reader could not split, its raw line (VALUE and RECORD's
  CSV_LINE), since the line of a file with extra columns holds their values too.

Nothing else holds them: staging models select the contract's columns by name (EXTRA is
never read downstream), quality.findings_extra_columns and raw.extra_columns name the
columns, never their values, and no REASON quotes a value of an extra column. The test
searches every column of every table and view of a scrubbed copy for the value.

Run it on the copy being published, never on the working file (the audit copy keeps them).
The removed values' old bytes stay in the scrubbed file's free blocks (measured: still
there after CHECKPOINT, DuckDB 1.5.6), so the file to publish is one written after the
scrub, e.g. `ATTACH 'new.duckdb' AS fresh; COPY FROM DATABASE scrubbed TO fresh` (tested:
no byte of the value in it), not the scrubbed file itself.
"""

from __future__ import annotations

import duckdb

from dagster_project.lib.ingest.contract import CONTRACT_VERSIONS, RAW_FORMS, forms_of
from dagster_project.lib.ingest.raw_load import sql_str

# Files with extra columns: listed at ingest, plus any EXTRA or quarantined RECORD showing one
# (so a warehouse loaded before raw.extra_columns existed is scrubbed all the same).
_WITH_EXTRAS = "_scrub_files_with_extras"


def scrub_extra_columns(con: duckdb.DuckDBPyConnection) -> int:
    """Remove every extra-column value from raw.* of the warehouse `con` is open on.

    Returns how many values were removed: each key of an EXTRA or of a quarantined RECORD,
    each quarantine VALUE of an extra column, each raw line of an unsplittable record of a
    file with extra columns. Idempotent: a second call returns 0. Runs in the caller's
    transaction when one is open.
    """
    tables = _raw_tables(con)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {_WITH_EXTRAS} (TRANSFER_ID VARCHAR, FORM VARCHAR)")
    if "extra_columns" in tables:
        con.execute(
            f'INSERT INTO {_WITH_EXTRAS} SELECT DISTINCT "TRANSFER_ID", "FORM" '
            "FROM raw.extra_columns"
        )
    removed = 0
    for name in RAW_FORMS:
        if name in tables:
            removed += _scrub_form(con, name)
    if "quarantine" in tables:
        removed += _scrub_quarantine(con)
    con.execute(f"DROP TABLE {_WITH_EXTRAS}")
    return removed


def _raw_tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {
        t
        for (t,) in con.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = 'raw' AND table_catalog = current_database()"
        ).fetchall()
    }


def _scrub_form(con: duckdb.DuckDBPyConnection, form: str) -> int:
    """EXTRA of raw.<form> set to NULL; the number of keys it held."""
    con.execute(
        f'INSERT INTO {_WITH_EXTRAS} SELECT DISTINCT "TRANSFER_ID", {sql_str(form)} '
        f'FROM raw.{form} WHERE "EXTRA" IS NOT NULL'
    )
    (n,) = con.execute(
        f'SELECT coalesce(sum(len(json_keys("EXTRA"))), 0) FROM raw.{form} '
        'WHERE "EXTRA" IS NOT NULL'
    ).fetchone()
    con.execute(f'UPDATE raw.{form} SET "EXTRA" = NULL WHERE "EXTRA" IS NOT NULL')
    return int(n)


def _of_version(version: str) -> str:
    """SQL: the quarantine row's transfer declared `version`. A transfer loaded before the
    version was checked, whatever its manifest said, was read as the first version (1.0)."""
    later = [v for v in CONTRACT_VERSIONS if v != CONTRACT_VERSIONS[0]]
    declared = (
        '"TRANSFER_ID" IN (SELECT "TRANSFER_ID" FROM raw.transfers '
        'WHERE "CONTRACT_VERSION" IN ({}))'
    )
    if version == CONTRACT_VERSIONS[0]:
        return "NOT " + declared.format(", ".join(sql_str(v) for v in later))
    return declared.format(sql_str(version))


def _scrub_quarantine(con: duckdb.DuckDBPyConnection) -> int:
    """A quarantined record's extra keys are those its transfer's contract version does not
    name: RSPDTYP is one in a 1.0 transfer's rs row, a contract column in a 1.1 one."""
    removed = 0
    for version in CONTRACT_VERSIONS:
        for name, form in forms_of(version).items():
            removed += _scrub_quarantined_form(con, name, form.column_names, _of_version(version))
    (lines,) = con.execute(
        f"""
        UPDATE raw.quarantine q SET "VALUE" = NULL, "RECORD" = '{{"CSV_LINE": null}}'
        FROM (SELECT DISTINCT TRANSFER_ID, FORM FROM {_WITH_EXTRAS}) f
        WHERE q."TRANSFER_ID" = f.TRANSFER_ID AND q."FORM" = f.FORM
          AND json_keys(q."RECORD") = ['CSV_LINE']
          AND json_extract_string(q."RECORD", '$.CSV_LINE') IS NOT NULL
        """
    ).fetchone()
    return removed + int(lines)


def _scrub_quarantined_form(
    con: duckdb.DuckDBPyConnection, name: str, columns: list[str], of_version: str
) -> int:
    """The extra keys of form `name`'s quarantined RECORDs whose transfer meets `of_version`
    (`columns`: the contract's columns for it), and the VALUE of a quarantined extra column."""
    contract = "[" + ", ".join(sql_str(c) for c in columns) + "]"
    extra_keys = f'list_filter(json_keys("RECORD"), k -> NOT list_contains({contract}, k))'
    split = f'"FORM" = {sql_str(name)} AND json_keys("RECORD") <> [\'CSV_LINE\'] AND {of_version}'
    con.execute(
        f'INSERT INTO {_WITH_EXTRAS} SELECT DISTINCT "TRANSFER_ID", "FORM" '
        f"FROM raw.quarantine WHERE {split} AND len({extra_keys}) > 0"
    )
    (n,) = con.execute(
        f"SELECT coalesce(sum(len({extra_keys})), 0) FROM raw.quarantine WHERE {split}"
    ).fetchone()
    if n:
        nulls = f"to_json(map_from_entries(list_transform({extra_keys}, "
        nulls += "k -> {'k': k, 'v': NULL::VARCHAR})))"
        # RFC 7396 merge patch: a key patched with null is removed.
        con.execute(
            f'UPDATE raw.quarantine SET "RECORD" = json_merge_patch("RECORD", {nulls}) '
            f"WHERE {split} AND len({extra_keys}) > 0"
        )
    # The quarantined column is itself an extra one (a NUL byte in it): its VALUE too.
    extra_column = f"NOT list_has_all({contract}, string_split(\"COLUMN\", ','))"
    (v,) = con.execute(
        'UPDATE raw.quarantine SET "VALUE" = NULL WHERE "FORM" = ? AND "VALUE" IS NOT NULL '
        f'AND "COLUMN" IS NOT NULL AND {extra_column} AND {of_version}',
        [name],
    ).fetchone()
    return int(n) + int(v)
