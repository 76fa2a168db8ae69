"""The folder of a warehouse's Dagster instance (RunSettings.dagster_home), made ready for
`isadex run` and `dagster dev` alike.

`python -m dagster_project.lib.runtime.dagster_home` prepares the instance of the warehouse that
ISADEX_WAREHOUSE names (or DAGSTER_HOME) and prints its path: `make ui` starts the UI on it.
"""

from __future__ import annotations

from pathlib import Path

from dagster_project.lib.runtime.settings import RunSettings

# Written once, when the folder has no dagster.yaml; an operator's edits are never replaced.
# No pool limit for the DuckDB writers: the steps of a run execute one at a time (in-process
# executor), and a slot of a limit kept here stays claimed by a run killed mid-step until
# someone frees it in the UI; every later run would wait on it meanwhile.
INSTANCE_CONFIG = """\
# The Dagster instance of one warehouse: runs, events, asset check results and compute logs
# of `isadex run`, the UI, the schedule and the sensor (SQLite files under storage/).
telemetry:
  enabled: false
"""


def prepare(home: Path) -> Path:
    """Create the instance folder and its dagster.yaml if missing; returns the folder."""
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(INSTANCE_CONFIG)
    return home


if __name__ == "__main__":
    print(prepare(RunSettings.from_env().dagster_home))
