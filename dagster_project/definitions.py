"""The one entry point: every definition under defs/.

The UI, the schedule and `isadex run` all load these same definitions.
"""

from pathlib import Path

import dagster as dg


@dg.definitions
def defs() -> dg.Definitions:
    return dg.load_from_defs_folder(path_within_project=Path(__file__).parent)
