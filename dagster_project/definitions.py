"""The one entry point: every definition under defs/, with the resources of one warehouse.

The UI, the schedule and `isadex run` all load these same definitions: `isadex run` binds the
settings of its command line (runner.py), `dagster dev` those `make ui` exports (ISADEX_*).
"""

from pathlib import Path

import dagster as dg

from dagster_project.defs.resources import run_resources
from dagster_project.lib.runtime.settings import RunSettings, dbt_lines_on_console


def build_defs(settings: RunSettings, *, dbt_console: bool = True) -> dg.Definitions:
    """Every definition under defs/, its resources made from ``settings``; ``dbt_console``:
    whether dbt's own lines reach stdout (dbt.log in the target folder has them either way)."""
    return dg.Definitions.merge(
        dg.load_from_defs_folder(path_within_project=Path(__file__).parent),
        dg.Definitions(
            resources=run_resources(settings, dbt_console=dbt_console),
            # One step at a time: one DuckDB writer per file (defs/resources.py).
            executor=dg.in_process_executor,
        ),
    )


@dg.definitions
def defs() -> dg.Definitions:
    # The UI and its daemon (the schedule, the sensor) read their settings from the environment.
    return build_defs(RunSettings.from_env(), dbt_console=dbt_lines_on_console())
