"""Endpoint tables T01-T10: read adam.*, call lib.endpoints, write endpoints.tNN_results
(tidy) and endpoints.tNN (display), and the union endpoints.results."""

import dagster as dg
import pandas as pd

from dagster_project.defs.resources import WRITER_POOL, Warehouse
from dagster_project.lib import endpoints, stats
from dagster_project.lib.endpoints import COLUMNS, TABLES, TableSpec
from dagster_project.lib.provenance import source_version
from dagster_project.lib.table_frames import read_table

OWNERS = ["team:biostatistics"]
KINDS = {"python", "duckdb"}
GROUP = "endpoints"

# UI descriptions: one sentence on grain and meaning per table.
DESCRIPTIONS = {
    "T01": "T01 primary endpoint, one row per statistic: MRD negativity (NGF 10^-5) within 12 "
    "months after ASCT in the ITT population, n, N, % and exact 95% CI.",
    "T02": "T02, one row per phase x response category x statistic: IMWG best response after "
    "induction, after ASCT and on study (ITT), n (%), with >= CR, >= VGPR and ORR and exact CIs.",
    "T03": "T03, one row per endpoint x statistic: N, events, Kaplan-Meier median and 6-60 month "
    "rates with log(-log) 95% CIs for PFS, TTP, OS, TNT, PFS2, DOR, and reverse-KM follow-up.",
    "T04": "T04, one row per response level x statistic: Kaplan-Meier quartiles of time to PR, "
    "VGPR, CR, sCR (30-day months) and cumulative response probability at 3, 6, 12 months.",
    "T05": "T05, one row per MRD parameter x statistic: MRD12, MRD24, sustained and any MRD "
    "negativity in the ITT population, n, N, % and exact 95% CI.",
    "T06": "T06, one row per outcome x MRD grouping x status x statistic: PFS and OS from the "
    "ASCT + 365-day landmark by MRD12 and MRDSUS, N, events, median, Cox HR and log-rank p.",
    "T07": "T07, one row per grade block x SOC x PT x statistic: treatment-emergent adverse events "
    "of the safety population at each subject's worst grade, with the overview categories.",
    "T08": "T08, one row per drug x cause x statistic: safety-population subjects with at least "
    "one dose reduction of each drug, overall and by cause, n (%).",
    "T09": "T09, one row per curve x statistic: Aalen-Johansen cumulative incidence of "
    "discontinuation due to AE (and of the competing events) at 3-24 months with 95% CIs.",
    "T10": "T10, one row per drug x phase x band x statistic: relative dose intensity median, "
    "min and max and subjects with RDI >= 90%, 80-<90% and < 80%.",
}


def _read(con, table: str, params: tuple[str, ...] | None = None) -> pd.DataFrame:
    """adam.<table>; only the rows of ``params`` (PARAMCD values) when given (TableSpec)."""
    if params is None:
        return read_table(con, f"adam.{table}")
    values = ", ".join("'" + p.replace("'", "''") + "'" for p in params)
    return read_table(con, f"adam.{table}", where=f"PARAMCD in ({values})")


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


def _endpoint_asset(spec: TableSpec) -> dg.AssetsDefinition:
    name = spec.tableid.lower()
    inputs = ("adsl", *spec.inputs)

    @dg.asset(
        code_version=source_version(endpoints, stats),
        key=["endpoints", name],
        description=DESCRIPTIONS[spec.tableid],
        deps=[dg.AssetKey(["adam", table]) for table in inputs],
        group_name=GROUP,
        owners=OWNERS,
        kinds=KINDS,
        pool=WRITER_POOL,
    )
    def _asset(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
        with warehouse.connect() as con:
            frames = {table: _read(con, table, spec.params.get(table)) for table in inputs}
            cutoff = _cutoff(frames["adsl"], con)
            results = spec.build(*(frames[t] for t in inputs), cutoff)
            con.execute("create schema if not exists endpoints")
            _write(con, f"{name}_results", results, tidy=True)
            previews = {}
            for display_name, display in spec.displays.items():
                table = display(results)
                _write(con, display_name, table, tidy=False)
                previews[display_name] = table
        metadata = {
            "dagster/row_count": len(results),
            "title": spec.title,
            "CUTOFFDT": str(cutoff),
            "not_estimable_values": int(results["VALUE"].isna().sum()),
        }
        for display_name, table in previews.items():
            metadata[f"preview_{display_name}"] = dg.MetadataValue.md(
                table.to_markdown(index=False)
            )
        return dg.MaterializeResult(metadata=metadata)

    return _asset


t01, t02, t03, t04, t05, t06, t07, t08, t09, t10 = (_endpoint_asset(spec) for spec in TABLES)


def _union_sql(tableids: list[str]) -> str:
    """Every tNN_results in table order, each in its builder's (CSR) order via rowid: the
    same inputs give the same rows in the same order."""
    cols = ", ".join(COLUMNS)
    parts = [
        f"select {i} as _table, rowid as _row, {cols} from endpoints.{t.lower()}_results"
        for i, t in enumerate(tableids)
    ]
    return f"select {cols} from ({' union all '.join(parts)}) order by _table, _row"


@dg.asset(
    code_version=source_version(endpoints, stats),
    key=["endpoints", "results"],
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
        con.execute(f"create or replace table endpoints.results as {_union_sql(tableids)}")
        counts = con.execute(
            "select TABLEID, count(*) as rows, count(VALUE) as with_value "
            "from endpoints.results group by TABLEID order by TABLEID"
        ).df()
        cutoffs = con.execute("select distinct CUTOFFDT from endpoints.results").fetchall()
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": int(counts["rows"].sum()),
            "CUTOFFDT": ", ".join(str(c[0]) for c in cutoffs),
            "rows_per_table": dg.MetadataValue.md(counts.to_markdown(index=False)),
        }
    )
