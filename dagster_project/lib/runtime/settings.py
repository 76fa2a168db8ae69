"""Run settings: where the landing zone, the warehouse and the report are, and the data cut.

`isadex run` passes them on the command line; `dagster dev` reads ISADEX_* variables. Both
end up here, and definitions.build_defs makes the run's resources from them, so the UI and the
CLI run the same definitions against the same files. The environment is read here, as the
UI's configuration, and written by no module of ours (issue 28).
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from dagster_project.lib.warehouse.layout import Layout

DEFAULT_DATA = Path("data")
# The dbt project (models, seeds, tests, profiles.yml) of this checkout.
DBT_PROJECT_DIR = Path(__file__).resolve().parents[3] / "dbt"


def dbt_executable() -> str:
    """The dbt installed beside this interpreter, by absolute path: `isadex run`, `dagster dev`,
    the schedule and cron find it without the virtual environment on PATH."""
    return str(Path(sys.executable).parent / "dbt")


def dbt_file_log_level() -> str:
    """The level of dbt.log for `isadex run`'s parse and build: info keeps what ran and how it
    ended; the SQL of every statement (debug, ~4,000 lines at 60 subjects) is in the target's
    run/ folder already, and writing it to the log took a tenth of dbt's time in the build.
    DBT_LOG_LEVEL_FILE=debug brings it back."""
    return os.environ.get("DBT_LOG_LEVEL_FILE") or "info"


def dbt_lines_on_console() -> bool:
    """The UI's choice of whether dbt's own lines, which dagster-dbt prints as it reads them,
    reach stdout: yes unless ISADEX_DBT_CONSOLE=0, as in the UI stdout is the dbt step's compute
    log. `isadex run` passes its own (only with --verbose: ~400 lines of dbt hid its progress).
    dbt writes the same lines to dbt.log in its target folder either way."""
    return os.environ.get("ISADEX_DBT_CONSOLE", "1") != "0"


def by_subject_min_subjects() -> int:
    """The trial size from which dbt builds by subject (lib/warehouse/build_scope.py). Below
    it a full
    build costs less than the bookkeeping of a build by subject (a temporary table, a schema
    check, a merge and a few queries per model): it is where `make bench`'s dbt step of a
    site's next transfer takes as long by subject as in full (bench/results.md).
    ISADEX_BY_SUBJECT_MIN_SUBJECTS overrides it (the tests use 0)."""
    return int(os.environ.get("ISADEX_BY_SUBJECT_MIN_SUBJECTS") or 20_000)


def stable_path(path: str | Path) -> Path:
    """An absolute path whose last part is kept as named: the stable names of a publication
    are links (lib/warehouse/layout.py), and resolving one would name the cut behind it."""
    path = Path(path).expanduser()
    return path.parent.resolve() / path.name


@dataclass(frozen=True)
class RunSettings:
    landing: Path
    warehouse: Path  # the published file readers open
    cutoff: str | None = None  # YYYY-MM-DD; None = newest extract date in force
    as_of: str | None = None  # ISO timestamp; None = every transfer seen
    report_dir: Path | None = None

    @property
    def work_db(self) -> Path:
        """The writer's file: Dagster builds here; readers never open it."""
        return self.layout.work_db

    @property
    def dbt_target(self) -> Path:
        """dbt's target folder for this warehouse (artifacts and logs of its last dbt build).
        One stable folder per warehouse, so dbt's partial parsing carries from one run to the
        next: the profile names the working file, and a profile that differs from the one
        last parsed makes dbt parse the whole project again."""
        return self.warehouse.with_name(self.warehouse.stem + ".dbt")

    def dbt_vars(self) -> dict[str, str]:
        """Only the dbt vars that are set (dbt_project.yml's defaults mean "not set"): the data
        cut, which the build-by-subject state records and compares
        (lib/warehouse/build_scope.py). The
        dbt step adds the working file's path for profiles.yml."""
        return {k: v for k, v in {"cutoff": self.cutoff, "as_of": self.as_of}.items() if v}

    def dbt_cli_vars(self) -> str:
        """The --vars of this warehouse's dbt commands: the data cut and the working file's path
        for profiles.yml. The build and the parse started ahead of it
        (lib/warehouse/dbt_parse.py) pass this same text, which dbt's partial parsing
        compares."""
        return json.dumps({**self.dbt_vars(), "duckdb_path": str(self.work_db)})

    @property
    def dagster_home(self) -> Path:
        """The warehouse's Dagster instance: every run on it, with its events, check results
        and compute logs, for `isadex run` and the UI alike. DAGSTER_HOME, when set, overrides
        it (read when asked, as Dagster reads it)."""
        override = os.environ.get("DAGSTER_HOME")
        if override:
            return Path(override).expanduser().absolute()
        # absolute(), not resolve(): the warehouse's name may be a link to a cut, whose stem is
        # not the warehouse's.
        return self.warehouse.absolute().with_name(self.warehouse.stem + ".dagster")

    @property
    def cuts_dir(self) -> Path:
        """One read-only publication per run, kept for audit until pruned."""
        return self.layout.cuts

    @property
    def report_path(self) -> Path:
        """The stable name of the published report folder (a link into the publication)."""
        return self.report_dir or self.warehouse.with_name("report")

    @property
    def work_report(self) -> Path:
        """Where a run writes its report, figures and transport files before publication."""
        return self.layout.work_report

    @property
    def layout(self) -> Layout:
        return Layout(self.warehouse, self.report_path)

    @classmethod
    def from_env(cls) -> RunSettings:
        """The settings of the UI and its schedule: the ISADEX_* variables `make ui` exports."""
        report = os.environ.get("ISADEX_REPORT_DIR")
        return cls(
            landing=Path(os.environ.get("ISADEX_LANDING", DEFAULT_DATA / "landing")).resolve(),
            warehouse=stable_path(
                os.environ.get("ISADEX_WAREHOUSE", DEFAULT_DATA / "warehouse.duckdb")
            ),
            cutoff=os.environ.get("ISADEX_CUTOFF") or None,
            as_of=os.environ.get("ISADEX_AS_OF") or None,
            report_dir=stable_path(report) if report else None,
        )
