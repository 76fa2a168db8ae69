"""Where the cut-off's value reaches: the property an incremental build relies on.

When the cut-off moves from C0 to a later C1, a subject with no date after C0 in its records in
force (a partial date at its last possible day) keeps every derived row, except the columns
that hold the cut-off itself: ADSL's CUTOFFDT, ADTTE's ADT, AVAL and ADY on the rows censored at
the cut-off (SRCVAR CUTOFFDT), and the intermediate dates those come from. Every other use of
the cut-off compares a date with it (date <= cut-off), and for such a subject C0 and C1 give
the same answer, except where the date is derived and can lie after the subject's last date:
ADRS WINCMPFL (and int_mrd_windows_evaluated) compares ASCTDT + 365 / 730 with the cut-off,
so those flags are set aside on the rows whose window ends in (C0, C1] (CUTOFF_COMPARED).

So a build by subject (docs/incremental_by_subject.md) would rebuild the subjects of the sites
whose transfer changed and the subjects with a date after C0, and restamp these columns for
everyone else. This test pins the list: a new use of the cut-off's value (a date imputed to
it, a duration up to it) fails here until the list, and that design, take it in.

The two builds are the run's own: the 60-subject warehouse as `isadex run` built it at its
default cut-off (C1), and the same dbt build of a copy at C0 (bench/dbt_by_site.dbt_build).
"""

import json
import os
import shutil
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import duckdb

from dagster_project.lib.ingest.contract import STUDY_ID
from dagster_project.lib.warehouse.build_scope import dated_rows_in_force

# C0 is at least this many days before the warehouse's cut-off C1: in the 60-subject trial a
# good part of the subjects have no date after it, among them subjects censored at the cut-off.
MIN_DAYS_BEFORE = 20
# Sentinel standing in for the build's own cut-off in a cut-off-valued column.
THE_CUTOFF = "date '0001-01-01'"

# (schema, model) -> (the columns that may hold the cut-off itself, the rows where they may: a
# condition, or None where the model does not say which rule gave the date).
CUTOFF_VALUED = {
    ("adam", "adsl"): (("CUTOFFDT",), None),
    ("intermediate", "int_subjects_derived"): (("cutoff_date",), None),
    # and AVAL = ADT - STARTDT + 1 and ADY = ADT - TRTSDT + 1 on those rows
    ("adam", "adtte"): (("ADT",), "\"SRCVAR\" = 'CUTOFFDT'"),
    ("intermediate", "int_best_response_by_window_derived"): (("window_end_date",), None),
    ("intermediate", "int_tte_os_derived"): (
        ("event_or_censoring_date",),
        "source_variable = 'CUTOFFDT'",
    ),
    ("intermediate", "int_tte_time_to_response_derived"): (
        ("event_or_censoring_date",),
        "source_variable = 'CUTOFFDT'",
    ),
    ("intermediate", "int_tte_ttdisc_derived"): (
        ("event_or_censoring_date",),
        "source_variable = 'CUTOFFDT'",
    ),
}


# (schema, model) -> (a flag that compares a date derived from the subject's dates with the
# cut-off, the rows where C0 and C1 may give different answers: {c0} and {c1} are the two
# cut-offs). A build by subject restamps these for everyone outside the scope (adam.md
# WINCMPFL: the MRD12 / MRD24 window ends at ASCTDT + 365 / 730, no date of the records).
CUTOFF_COMPARED = {
    ("intermediate", "int_mrd_windows_evaluated"): (
        "is_window_complete",
        "window_end_date > {c0} and window_end_date <= {c1}",
    ),
    ("adam", "adrs"): (
        "WINCMPFL",
        "exists (select 1 from intermediate.int_mrd_windows_evaluated as mrd_window "
        "where mrd_window.usubjid = adrs.USUBJID and mrd_window.paramcd = adrs.PARAMCD "
        "and mrd_window.window_end_date > {c0} and mrd_window.window_end_date <= {c1})",
    ),
}


def _last_days(con) -> dict[str, date | None]:
    """USUBJID of each ADSL subject -> the latest day any of its dates in the transfers in force
    can mean (contract types date and partial_date, a partial date at its last possible day);
    None when it has no date; 9999-12-31 when a date does not parse (it counts as after any
    cut-off). The same rows as the build by subject's scope (lib/warehouse/build_scope.py)."""
    rows = con.execute(
        f"""
        with dated as ({dated_rows_in_force("staging.stg_transfers_in_force")}),
        reach as (
            select '{STUDY_ID}-' || subjid as usubjid, max(day) as last_day
            from dated
            group by subjid
        )
        select adsl.USUBJID, reach.last_day
        from adam.adsl as adsl
        left join reach on reach.usubjid = adsl.USUBJID
        order by 1
        """
    ).fetchall()
    return dict(rows)


def _dated_up_to(last_days: dict[str, date | None], c0: date) -> list[str]:
    """The subjects with no date after ``c0``: the ones a move of the cut-off from ``c0`` to a
    later day may only restamp."""
    return sorted(s for s, day in last_days.items() if day is None or day <= c0)


def _normalised(con, schema: str, name: str, cutoffs: tuple[date, date]) -> str:
    """The relation's rows of the subjects in ``early``, a cut-off (either: a date of a subject
    with no date after C0 can be C0 itself, say an end of treatment on C0) in a cut-off-valued
    column replaced by a sentinel, and ADTTE's AVAL and ADY on those rows taken relative to ADT."""
    columns = [
        r[0]
        for r in con.execute(
            "select column_name from duckdb_columns() where schema_name = ? and table_name = ? "
            "order by column_index",
            [schema, name],
        ).fetchall()
    ]
    valued, condition = CUTOFF_VALUED.get((schema, name), ((), None))
    compared, window = CUTOFF_COMPARED.get((schema, name), (None, None))
    either = ", ".join(f"date '{c.isoformat()}'" for c in cutoffs)
    c0, c1 = (f"date '{c.isoformat()}'" for c in sorted(cutoffs))
    select = []
    for column in columns:
        quoted = f'"{column}"'
        stamped = f"{quoted} in ({either})" + (f" and {condition}" if condition else "")
        if column == compared:
            # set aside where the compared date lies between the cut-offs: empty in both
            select.append(f"case when {window.format(c0=c0, c1=c1)} then null else {quoted} end")
        elif column in valued:
            select.append(f"case when {stamped} then {THE_CUTOFF} else {quoted} end")
        elif (schema, name) == ("adam", "adtte") and column == "AVAL":
            stamped = f'"ADT" in ({either}) and {condition}'
            select.append(
                f'case when {stamped} then "AVAL" - date_diff(\'day\', "STARTDT", "ADT") '
                'else "AVAL" end'
            )
        elif (schema, name) == ("adam", "adtte") and column == "ADY":
            # ADY = ADT - TRTSDT + 1 on those rows (ADT is on or after TRTSDT): relative to ADT
            stamped = f'"ADT" in ({either}) and {condition}'
            select.append(
                f"case when {stamped} then \"ADY\" - date_diff('day', date '2000-01-01', \"ADT\") "
                'else "ADY" end'
            )
        else:
            select.append(quoted)
        select[-1] += f" as {quoted}"
    return (
        f"select {', '.join(select)} from {schema}.{name} "
        "where usubjid in (select usubjid from early)"
    )


def _subject_relations(con, models: set[tuple[str, str]]) -> list[tuple[str, str]]:
    """The models whose rows carry a subject (others are site- or trial-level: findings_by_site,
    the dose plan by age, the data cut)."""
    return [
        (schema, name)
        for schema, name in sorted(models)
        if con.execute(
            "select count(*) from duckdb_columns() where schema_name = ? and table_name = ? "
            "and lower(column_name) = 'usubjid'",
            [schema, name],
        ).fetchone()[0]
    ]


def _dump(path: Path, cutoffs: tuple[date, date], early: list[str], models, out: Path) -> None:
    """Each subject relation's normalised rows of the ``early`` subjects, one parquet file per
    relation (dbt's views name the catalog "warehouse", so each build is read through its own
    connection)."""
    out.mkdir()
    with duckdb.connect(str(path), read_only=True) as con:
        con.execute("create temp table early as select unnest(?::varchar[]) as usubjid", [early])
        for schema, name in _subject_relations(con, models):
            query = _normalised(con, schema, name, cutoffs)
            con.execute(f"copy ({query}) to '{out / f'{schema}.{name}.parquet'}'")


def _dbt_build(path: Path, target: Path, cutoff: str) -> None:
    """The project's dbt build (no unit tests, as `isadex run` builds) on ``path`` at a pinned
    cut-off."""
    dbt_dir = Path(__file__).resolve().parents[2] / "dbt"
    proc = subprocess.run(
        [str(Path(sys.executable).with_name("dbt")), "build", "--quiet",
         "--project-dir", str(dbt_dir), "--profiles-dir", str(dbt_dir),
         "--target-path", str(target), "--vars", json.dumps({"cutoff": cutoff}),
         "--exclude", "resource_type:unit_test"],
        env=dict(os.environ, ISADEX_DBT_DB=str(path)),
        capture_output=True,
        text=True,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:]


def test_the_cutoff_value_reaches_only_the_listed_columns(synthetic_run, tmp_path):
    _, warehouse = synthetic_run
    with duckdb.connect(str(warehouse), read_only=True) as con:
        c1 = con.execute("select cutoff_date from staging.stg_data_cut").fetchone()[0]
        last_days = _last_days(con)
    # C0: the latest day, at least MIN_DAYS_BEFORE before C1, that is some subject's last date,
    # so that dates on C0 itself are tested too (comparisons with the cut-off are <=).
    c0 = max(
        d for d in last_days.values() if d is not None and d <= c1 - timedelta(MIN_DAYS_BEFORE)
    )
    early = _dated_up_to(last_days, c0)
    assert any(last_days[s] == c0 for s in early)
    assert 5 <= len(early) < len(last_days), "the test needs subjects on both sides of C0"
    copy = tmp_path / "c0" / "warehouse.duckdb"
    copy.parent.mkdir()
    shutil.copyfile(warehouse, copy)
    target = tmp_path / "c0" / "target"
    _dbt_build(copy, target, c0.isoformat())

    manifest = json.loads((target / "manifest.json").read_text())
    models = {
        (node["config"]["schema"], node["name"])
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
    }
    assert set(CUTOFF_VALUED) <= models, "a model in CUTOFF_VALUED is gone: update the list"
    assert set(CUTOFF_COMPARED) <= models, "a model in CUTOFF_COMPARED is gone: update the list"

    with duckdb.connect(str(copy), read_only=True) as con:
        assert _last_days(con) == last_days  # the same transfers in force
    _dump(warehouse, (c0, c1), early, models, tmp_path / "at_c1")
    _dump(copy, (c0, c1), early, models, tmp_path / "at_c0")

    con = duckdb.connect()
    compared, differing = [], {}
    for dumped in sorted((tmp_path / "at_c1").glob("*.parquet")):
        a = f"select * from read_parquet('{tmp_path / 'at_c0' / dumped.name}')"
        b = f"select * from read_parquet('{dumped}')"
        (n,) = con.execute(
            f"select count(*) from (({a} except all {b}) union all ({b} except all {a}))"
        ).fetchone()
        compared.append(dumped.stem)
        if n:
            differing[dumped.stem] = n
    assert differing == {}, (
        f"rows of subjects with no date after C0 differ beyond the cut-off: {differing}"
    )
    assert {"adam.adsl", "adam.adtte", "adam.adrs", "adam.adae", "adam.adex"} <= set(compared)

    # Not vacuous: the listed columns do hold the cut-off for these subjects, in both builds.
    for path, cutoff in ((copy, c0), (warehouse, c1)):
        with duckdb.connect(str(path), read_only=True) as db:
            db.execute("create temp table early as select unnest(?::varchar[]) as usubjid", [early])
            (stamped,) = db.execute(
                "select count(*) from adam.adsl where CUTOFFDT = ? "
                "and USUBJID in (select usubjid from early)",
                [cutoff],
            ).fetchone()
            (censored,) = db.execute(
                "select count(*) from adam.adtte where ADT = ? and CNSR = 3 "
                "and SRCVAR = 'CUTOFFDT' and USUBJID in (select usubjid from early)",
                [cutoff],
            ).fetchone()
        assert stamped == len(early)
        assert censored > 0
