"""Resources shared by every asset: the DuckDB warehouse (one writer) and the dbt CLI, made
from a run's settings (definitions.build_defs binds them)."""

from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb
from dagster_dbt import DbtCliResource
from pydantic import PrivateAttr

from dagster_project.defs.warehouse.project import dbt_project
from dagster_project.lib.runtime import writer_lock
from dagster_project.lib.runtime.settings import RunSettings, dbt_executable

# Every DuckDB writer runs in this pool, which names them in the UI. DuckDB allows one writing
# process per file: a run's steps execute one at a time (the in-process executor,
# definitions.build_defs); the instance sets no limit on the pool
# (lib/runtime/dagster_home.py says why).
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
    # Whether dbt's own lines reach this process's stdout (settings.dbt_lines_on_console):
    # the UI's step log shows them, `isadex run` only with --verbose.
    dbt_console: bool = True
    _locked_here: bool = PrivateAttr(default=False)

    @classmethod
    def for_run(cls, settings: RunSettings, *, dbt_console: bool = True) -> "Warehouse":
        return cls(
            landing=str(settings.landing),
            warehouse=str(settings.warehouse),
            cutoff=settings.cutoff or "",
            as_of=settings.as_of or "",
            report_dir=str(settings.report_dir) if settings.report_dir else "",
            dbt_console=dbt_console,
        )

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        """One writer per warehouse: the run holds the warehouse's lock from start to end,
        whoever started it (`isadex run`, the UI, the schedule); a second writer is refused
        at once, naming the first (lib/runtime/writer_lock.py)."""
        lock = self.settings.layout.lock
        if writer_lock.held_here(lock):
            return
        try:
            writer_lock.acquire(lock, command=f"Dagster run {context.run.run_id}")
        except writer_lock.WarehouseBusy as busy:
            raise dg.Failure(description=str(busy)) from None
        self._locked_here = True

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:  # noqa: ARG002
        if self._locked_here:
            writer_lock.release(self.settings.layout.lock)
            self._locked_here = False

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
        return self.settings.dbt_vars()


def run_resources(settings: RunSettings, *, dbt_console: bool = True) -> dict[str, object]:
    """The resources of a run on ``settings``' warehouse, by the keys the assets name."""
    return {
        "warehouse": Warehouse.for_run(settings, dbt_console=dbt_console),
        # dagster-dbt's own resource, as documented. (A subclass that skipped its
        # `dbt --version` and its adapter set-up on every dbt command overrode private
        # members; issue 28.)
        "dbt": DbtCliResource(project_dir=dbt_project, dbt_executable=dbt_executable()),
    }
