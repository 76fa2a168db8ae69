"""Resources shared by every asset: the DuckDB warehouse (one writer) and the dbt CLI."""

import sys
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb
from dagster_dbt import DbtCliResource

from dagster_project.defs.warehouse.project import dbt_project
from dagster_project.lib.settings import RunSettings

# Every DuckDB writer runs in this pool (limit 1 in the instance config): DuckDB allows one
# writing process per file.
WRITER_POOL = "duckdb_writer"


class Warehouse(dg.ConfigurableResource):
    """The landing zone, the working DuckDB file Dagster writes, and the published file."""

    landing: str
    warehouse: str
    cutoff: str = ""
    as_of: str = ""
    report_dir: str = ""
    memory_limit: str = "2GB"
    threads: int = 2

    @property
    def settings(self) -> RunSettings:
        return RunSettings(
            landing=Path(self.landing),
            warehouse=Path(self.warehouse),
            cutoff=self.cutoff or None,
            as_of=self.as_of or None,
            report_dir=Path(self.report_dir) if self.report_dir else None,
        )

    @contextmanager
    def connect(self, read_only: bool = False):
        path = self.settings.work_db
        path.parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(
            str(path),
            read_only=read_only,
            config={"memory_limit": self.memory_limit, "threads": self.threads},
        )
        try:
            yield con
        finally:
            con.close()

    def dbt_vars(self) -> dict[str, str]:
        """Only the vars that are set: dbt_project.yml's defaults mean "not set", and a default
        run then parses with the same vars as the prepared manifest (partial parsing holds)."""
        return {k: v for k, v in {"cutoff": self.cutoff, "as_of": self.as_of}.items() if v}


def warehouse_from_env() -> Warehouse:
    s = RunSettings.from_env()
    return Warehouse(
        landing=str(s.landing),
        warehouse=str(s.warehouse),
        cutoff=s.cutoff or "",
        as_of=s.as_of or "",
        report_dir=str(s.report_dir) if s.report_dir else "",
    )


@dg.definitions
def resources() -> dg.Definitions:
    return dg.Definitions(
        resources={
            "warehouse": warehouse_from_env(),
            # The dbt beside this interpreter: the venv need not be on PATH (cron, the UI, CI).
            "dbt": DbtCliResource(
                project_dir=dbt_project, dbt_executable=str(Path(sys.executable).parent / "dbt")
            ),
        },
        executor=dg.in_process_executor,
    )
