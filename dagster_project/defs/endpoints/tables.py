"""Endpoint tables T01-T15: read adam.*, call lib.endpoints, write endpoints.tNN_results
(tidy) and endpoints.tNN (display), and the union endpoints.results.

A table's statistics are a function of its ADaM inputs and the statistics code: each table
asset's code version is that code's version, its data version the content fingerprint of the
tables it wrote, and a run whose inputs and code are those of the table's last materialization
keeps the table (defs/reuse.py: the one reuse mechanism, Dagster's data versions).
"""

import sys

import dagster as dg
import pandas as pd

from dagster_project.defs import reuse
from dagster_project.defs.resources import WRITER_POOL, Warehouse
from dagster_project.lib import endpoints, stats
from dagster_project.lib.endpoints import ADAM_COLUMNS, COLUMNS, TABLES, TableSpec
from dagster_project.lib.ingest.raw_load import sql_str
from dagster_project.lib.warehouse import table_frames
from dagster_project.lib.warehouse.fingerprint import fingerprint_of, table_fingerprint
from dagster_project.lib.warehouse.provenance import source_version
from dagster_project.lib.warehouse.table_frames import read_table

OWNERS = ["team:biostatistics"]
KINDS = {"python", "duckdb"}
GROUP = "endpoints"

# UI descriptions: one sentence on grain and meaning per table.
DESCRIPTIONS = {
    "T01": "T01 primary endpoint, one row per statistic: MRD negativity (NGF 10^-5) within 12 "
    "months after ASCT in the ITT population, n, N, % and exact 95% CI.",
    "T02": "T02, one row per phase x response category x statistic: confirmed IMWG best response "
    "after induction, after ASCT and on study, investigator and computed (ITT), n (%), with "
    ">= CR, >= VGPR, ORR and MRD-negative CR and exact CIs.",
    "T03": "T03, one row per endpoint x statistic: N, events, Kaplan-Meier median and 6-60 month "
    "rates with log(-log) 95% CIs for PFS, TTP, OS, TNT, PFS2, DOR, and reverse-KM follow-up.",
    "T04": "T04, one row per response level x statistic: Kaplan-Meier quartiles of time to PR, "
    "VGPR, CR, sCR (30-day months) and cumulative response probability at 3, 6, 12 months.",
    "T05": "T05, one row per MRD parameter x statistic: MRD12, MRD24, sustained and any MRD "
    "negativity in the ITT population, n, N, % and exact 95% CI.",
    "T06": "T06, one row per outcome x analysis x status x statistic: PFS and OS from the "
    "ASCT + 365-day landmark by MRD12 and the + 730-day landmark by MRDSUS (N, events, median, "
    "Cox HR, log-rank p), and from ASCT with MRDSUS as a time-dependent covariate (Cox HR, "
    "Wald p).",
    "T07": "T07, one row per grade block (overall or by phase) x SOC x PT x statistic: "
    "treatment-emergent adverse events of the safety population at each subject's worst grade "
    "and event counts, with the overview categories, serious TEAEs and fatal AEs by PT.",
    "T08": "T08, one row per drug x cause x statistic: safety-population subjects with at least "
    "one dose reduction of each drug, overall and by cause, n (%).",
    "T09": "T09, one row per curve x statistic: Aalen-Johansen cumulative incidence of "
    "discontinuation due to AE (and of the competing events) at 3-24 months with 95% CIs.",
    "T10": "T10, one row per drug x phase x band x statistic: relative dose intensity median, "
    "min and max and subjects with RDI >= 90%, 80-<90% and < 80%.",
    "T11": "T11, one row per variable x category x statistic: demographics and baseline "
    "characteristics of the ITT population, n, mean, SD, median, min and max of a continuous "
    "variable and n (%) of each category.",
    "T13": "T13, one row per parameter x phase x statistic: duration of treatment, cycles "
    "started per phase and, per drug and phase, subjects dosed, administrations and cumulative "
    "dose in the safety population.",
    # T12, T14 (issue 30)
    "T12": "T12, one row per disposition category x statistic: all screened subjects, screen "
    "failures, ITT, safety, transplanted, maintenance, end of treatment and of study by status "
    "and reason, n (% of ITT), and the subjects leaving at each CONSORT step (F04) by reason.",
    "T14": "T14, one row per subgroup level x statistic: MRD negativity within 12 months after "
    "ASCT (ITT) overall and by AGEGR1, SEX, ISS, HRCYTO, MMTYPE, REIND and MEASDIS, n, N, % "
    "and exact 95% CI (forest plot F05).",
    "T15": "T15, one row per comparison x cell or statistic: investigator (CBOR) against "
    "computed (ALGCBOR) confirmed best response, cross-table, agreement and Cohen's kappa; "
    "PFS against PFSALG events.",
}


# ADSL's CUTOFFDT is in ADAM_COLUMNS because the results carry a CUTOFFDT; the builders get
# the cut-off as an argument (read by ``_cutoff``), so the column is not given to them and is
# not part of their inputs' fingerprint.
NOT_GIVEN_TO_BUILDERS = {"adsl": ("CUTOFFDT",)}


def _builder_columns(con, table: str) -> list[str]:
    """The columns of adam.<table> the builders are given: ``ADAM_COLUMNS`` (one missing is
    the builder's to report, as in a whole read) but ``NOT_GIVEN_TO_BUILDERS``."""
    present = [d[0] for d in con.execute(f"select * from adam.{table} limit 0").description]
    wanted = set(ADAM_COLUMNS[table]) - set(NOT_GIVEN_TO_BUILDERS.get(table, ()))
    return [c for c in present if c in wanted]


def _read(con, table: str, params: tuple[str, ...] | None = None) -> pd.DataFrame:
    """adam.<table>: the columns the builders are given (``_builder_columns``); only the rows
    of ``params`` (PARAMCD values) when given (TableSpec)."""
    columns = _builder_columns(con, table)
    if params is None:
        return read_table(con, f"adam.{table}", columns)
    values = ", ".join(sql_str(p) for p in params)
    return read_table(con, f"adam.{table}", columns, where=f"PARAMCD in ({values})")


def _cutoff(adsl: pd.DataFrame, con):
    """The analysis cut-off: ADSL's CUTOFFDT (one value), else the run's data cut."""
    values = pd.to_datetime(adsl["CUTOFFDT"]).dropna().unique() if len(adsl) else []
    if len(values) > 1:
        raise ValueError(f"adam.adsl has more than one CUTOFFDT: {sorted(values)}")
    if len(values) == 1:
        return pd.Timestamp(values[0]).date()
    return con.execute("select cutoff_date from staging.stg_data_cut").fetchone()[0]


def _write(con, name: str, frame: pd.DataFrame, tidy: bool) -> None:
    con.register("_endpoint_frame", frame)
    try:
        if tidy:
            # the contract's types whatever pandas inferred (an empty frame has none)
            select = (
                "select TABLEID::varchar as TABLEID, PARAMCD::varchar as PARAMCD, "
                "GROUP1::varchar as GROUP1, GROUP2::varchar as GROUP2, STAT::varchar as STAT, "
                "VALUE::double as VALUE, CUTOFFDT::date as CUTOFFDT from _endpoint_frame"
            )
        else:
            select = "select * from _endpoint_frame"
        con.execute(f"create or replace table endpoints.{name} as {select}")
    finally:
        con.unregister("_endpoint_frame")


# The statistics, the reads and this module (which writes the tables): each table's code
# version.
ENDPOINT_CODE = source_version(endpoints, stats, table_frames, sys.modules[__name__])


def _written_version(con, spec: TableSpec) -> str:
    """The table's data version: the content fingerprint of its tidy and display tables."""
    names = [f"{spec.tableid.lower()}_results", *spec.displays]
    return fingerprint_of([table_fingerprint(con, f"endpoints.{n}") for n in names])


def _table_key(spec: TableSpec) -> dg.AssetKey:
    return dg.AssetKey(["endpoints", spec.tableid.lower()])


def _read_plan(specs: list[TableSpec]) -> dict[str, tuple[str, ...] | None]:
    """Each ADaM input the ``specs`` need, read once: the union of their PARAMCD filters, or
    None (whole) when one of them reads it whole."""
    plan: dict[str, tuple[str, ...] | None] = {"adsl": None}
    for spec in specs:
        for table in spec.inputs:
            params = spec.params.get(table)
            if params is None or (table in plan and plan[table] is None):
                plan[table] = None
            else:
                plan[table] = tuple(dict.fromkeys((*plan.get(table, ()), *params)))
    return plan


def _rows_of(frame: pd.DataFrame, params: tuple[str, ...] | None) -> pd.DataFrame:
    """The rows ``_read(con, table, params)`` returns, cut from a read of more parameters:
    same rows, same (rowid) order, same index."""
    if params is None:
        return frame
    rows = frame.loc[frame["PARAMCD"].isin(params)].reset_index(drop=True)
    # DuckDB gives an INTEGER column pandas' nullable Int32 only when the result has a NULL:
    # without one in these rows, the filtered read would have had numpy int32.
    for name, column in rows.items():
        if pd.api.types.is_extension_array_dtype(column.dtype) and pd.api.types.is_integer_dtype(
            column.dtype
        ):
            if not column.isna().any():
                rows[name] = column.astype(column.dtype.numpy_dtype)
    return rows


def _comment(con, table: str, text: str) -> None:
    """The table's comment (duckdb_tables().comment): where its rows come from."""
    con.execute(f"comment on table endpoints.{table} is {sql_str(text)}")


def _write_table(con, spec: TableSpec, results: pd.DataFrame, cutoff, run_id: str) -> dict:
    """endpoints.tNN_results and its displays, each commented with the table, the cut-off and
    the Dagster run that computed it (endpoints.md: the tables carry CUTOFFDT and the run
    that produced them; a kept table keeps its comment); the asset's metadata."""
    name = spec.tableid.lower()
    _write(con, f"{name}_results", results, tidy=True)
    provenance = f"{spec.tableid} {spec.title}; CUTOFFDT {cutoff}; computed in Dagster run {run_id}"
    _comment(con, f"{name}_results", provenance)
    metadata: dict = {
        "dagster/row_count": len(results),
        "title": spec.title,
        "not_estimable_values": int(results["VALUE"].isna().sum()),
    }
    for display_name, display in spec.displays.items():
        table = display(results)
        _write(con, display_name, table, tidy=False)
        _comment(con, display_name, provenance)
        metadata[f"preview_{display_name}"] = dg.MetadataValue.md(table.to_markdown(index=False))
    return metadata


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            _table_key(spec),
            code_version=ENDPOINT_CODE,
            description=DESCRIPTIONS[spec.tableid],
            deps=[dg.AssetKey(["adam", table]) for table in ("adsl", *spec.inputs)],
            group_name=GROUP,
            owners=OWNERS,
            kinds=KINDS,
        )
        for spec in TABLES
    ],
    can_subset=True,
    pool=WRITER_POOL,
)
def endpoint_tables(context: dg.AssetExecutionContext, warehouse: Warehouse):
    """T01-T15, each its own asset; one step reads each ADaM input once for every selected
    table (as ten steps, ADSL was read ten times and ADRS and ADTTE four). A frame is dropped
    after the last table that uses it. One step also means a failed blocking check on any ADaM
    input holds back all ten tables, not only those reading that dataset (such a run publishes
    nothing anyway)."""
    selected = [spec for spec in TABLES if _table_key(spec) in context.selected_asset_keys]
    with warehouse.connect() as con:
        con.execute("create schema if not exists endpoints")
        specs = []
        candidates = reuse.reusable_many(context, {_table_key(s): ENDPOINT_CODE for s in selected})
        for spec in selected:
            kept = reuse.still_in_place(
                candidates[_table_key(spec)], lambda spec=spec: _written_version(con, spec)
            )
            if kept is None:
                specs.append(spec)
            else:
                yield reuse.reused_result(kept)
        if not specs:
            return
        cutoff = _cutoff(read_table(con, "adam.adsl", ["CUTOFFDT"]), con)
        plan = _read_plan(specs)
        last_use = {
            t: max(i for i, s in enumerate(specs) if t in s.inputs) for t in plan if t != "adsl"
        }
        frames = {"adsl": _read(con, "adsl")}
        for i, spec in enumerate(specs):
            for table in spec.inputs:
                if table not in frames:
                    frames[table] = _read(con, table, plan[table])
            inputs = [_rows_of(frames[t], spec.params.get(t)) for t in spec.inputs]
            results = spec.build(frames["adsl"], *inputs, cutoff)
            del inputs
            metadata = _write_table(con, spec, results, cutoff, context.run.run_id)
            for table in [t for t in frames if last_use.get(t) == i]:
                del frames[table]
            yield reuse.versioned(
                _table_key(spec),
                _written_version(con, spec),
                {**metadata, "CUTOFFDT": str(cutoff)},
            )


def _union_sql(tableids: list[str]) -> str:
    """Every tNN_results in table order, each in its builder's (CSR) order via rowid: the
    same inputs give the same rows in the same order."""
    cols = ", ".join(COLUMNS)
    parts = [
        f"select {i} as _table, rowid as _row, {cols} from endpoints.{t.lower()}_results"
        for i, t in enumerate(tableids)
    ]
    return f"select {cols} from ({' union all '.join(parts)}) order by _table, _row"


RESULTS_KEY = dg.AssetKey(["endpoints", "results"])


@dg.asset(
    code_version=ENDPOINT_CODE,
    key=RESULTS_KEY,
    deps=[dg.AssetKey(["endpoints", spec.tableid.lower()]) for spec in TABLES],
    group_name=GROUP,
    owners=OWNERS,
    kinds=KINDS,
    pool=WRITER_POOL,
)
def endpoint_results(
    context: dg.AssetExecutionContext, warehouse: Warehouse
) -> dg.MaterializeResult:
    """The tidy fact table behind every endpoint table: one row per table x parameter x
    sub-row x statistic (TABLEID, PARAMCD, GROUP1, GROUP2, STAT, VALUE, CUTOFFDT)."""
    tableids = [spec.tableid for spec in TABLES]
    with warehouse.connect() as con:
        kept = reuse.still_in_place(
            reuse.reusable(context, RESULTS_KEY, ENDPOINT_CODE),
            lambda: table_fingerprint(con, "endpoints.results"),
        )
        if kept is not None:
            return reuse.reused_result(kept)
        con.execute(f"create or replace table endpoints.results as {_union_sql(tableids)}")
        _comment(
            con,
            "results",
            f"T01-T15 in one table, assembled in Dagster run {context.run.run_id}; the "
            "run that computed each table is in the comment of its endpoints.tNN_results",
        )
        counts = con.execute(
            "select TABLEID, count(*) as rows, count(VALUE) as with_value "
            "from endpoints.results group by TABLEID order by TABLEID"
        ).df()
        cutoffs = con.execute("select distinct CUTOFFDT from endpoints.results").fetchall()
        version = table_fingerprint(con, "endpoints.results")
    return reuse.versioned(
        RESULTS_KEY,
        version,
        {
            "dagster/row_count": int(counts["rows"].sum()),
            "CUTOFFDT": ", ".join(str(c[0]) for c in cutoffs),
            "rows_per_table": dg.MetadataValue.md(counts.to_markdown(index=False)),
        },
    )
