"""Execute the Dagster definitions in-process for `isadex run` and summarise the outcome."""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field

import dagster as dg
import duckdb

from dagster_project.lib.runtime import dagster_home, writer_lock
from dagster_project.lib.runtime.settings import (
    DBT_PROJECT_DIR,
    RunSettings,
    dbt_executable,
    dbt_file_log_level,
)
from dagster_project.lib.warehouse import dbt_parse
from dagster_project.progress import Progress, progress_logger, step_stages

EXIT_OK, EXIT_FAILED, EXIT_REFUSED = 0, 1, 2
PUBLISHED_KEY = dg.AssetKey(["published", "warehouse"])


@dataclass
class RunOutcome:
    success: bool
    seconds: float
    failures: list[str] = field(default_factory=list)
    failed_checks: list[str] = field(default_factory=list)
    warned_checks: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)
    step_seconds: dict[str, float] = field(default_factory=dict)
    run_id: str = ""
    warehouse: str = ""
    # (what, path) of the other files a good run publishes, in the order the summary lists them
    published: list[tuple[str, str]] = field(default_factory=list)
    # nothing a reader reads changed: the current publication stays, no new one was made
    publication_kept: bool = False

    @property
    def exit_code(self) -> int:
        if not self.success or self.failed_checks:
            return EXIT_FAILED
        return EXIT_REFUSED if self.refused else EXIT_OK

    def summary(self) -> str:
        state = {EXIT_OK: "OK", EXIT_REFUSED: "OK, with refused transfers", EXIT_FAILED: "FAILED"}
        # No run id when the run was refused before Dagster started one (a second writer).
        run = f" {self.run_id[:8]}" if self.run_id else ""
        lines = [f"isadex run{run}: {state[self.exit_code]} in {self.seconds:.1f} s"]
        if self.exit_code == EXIT_FAILED:
            lines.append("  nothing new published; the previous publication stays current")
        lines += [f"  failed: {f}" for f in self.failures]
        lines += [f"  blocking check failed: {c}" for c in self.failed_checks]
        lines += [f"  warning: {c}" for c in self.warned_checks]
        lines += [f"  refused transfer {t}: {why}" for t, why in self.refused]
        if self.exit_code != EXIT_FAILED:
            # Last, so the end of a run's output says where to look.
            if self.publication_kept:
                lines.append("  nothing new to publish: the current publication stays")
            lines.append(f"  published: {self.warehouse}")
            lines += [f"    {what}: {path}" for what, path in self.published]
        return "\n".join(lines)


def published_paths(settings: RunSettings) -> list[tuple[str, str]]:
    """Where a good run publishes besides the warehouse file: the report, the transport files,
    define.xml (Define-XML 2.1, opens in a browser) and the define listing in their folder
    (defs/endpoints/report.py, defs/export/submission.py)."""
    submission = settings.report_path / "submission"
    return [
        ("report", str(settings.report_path / "index.html")),
        ("transport files", str(submission)),
        ("define.xml", str(submission / "define.xml")),
        ("define metadata", f"{submission / 'define.csv'}, {submission / 'define.json'}"),
    ]


def _instance(settings: RunSettings) -> dg.DagsterInstance:
    """The warehouse's persistent instance, where `dagster dev` shows the run afterwards."""
    home = dagster_home.prepare(settings.dagster_home)
    # local_temp is Dagster's public constructor of a persistent instance in a given folder
    # (its dagster.yaml read as with DAGSTER_HOME); "temp" only because it makes one when
    # given no folder.
    return dg.DagsterInstance.local_temp(tempdir=str(home))


def _refused_in_landing(settings: RunSettings) -> list[tuple[str, str]]:
    """Deliveries now in the landing folder whose registration is REFUSED, read from the
    publication this run made (read-only: whoever else has a file open, this never blocks)."""
    folders = {p.name for p in settings.landing.iterdir() if p.is_dir()}
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        rows = con.execute(
            "select DELIVERY, TRANSFER_ID, REASON from raw.transfers where STATUS = 'REFUSED' "
            "order by DELIVERY"
        ).fetchall()
    finally:
        con.close()
    return [(tid or delivery, reason) for delivery, tid, reason in rows if delivery in folders]


def run_pipeline(
    settings: RunSettings, progress: Progress | None = None, *, dbt_console: bool = True
) -> RunOutcome:
    """Run every asset on ``settings``' warehouse; ``progress`` (isadex run) shows the steps as
    they go, in place of Dagster's console logger; ``dbt_console``: whether dbt's own lines
    reach stdout too (`isadex run --verbose`). Refused at once, naming the writer, when another
    process writes the warehouse."""
    from dagster_project.defs.warehouse.project import prepare_manifest

    started = time.perf_counter()
    prepare_manifest()
    with contextlib.ExitStack() as held:
        try:
            # Held already when `isadex run` started this process (lib/runtime/supervise.py).
            held.enter_context(
                writer_lock.holding(settings.layout.lock, command="run_pipeline (isadex run)")
            )
        except writer_lock.WarehouseBusy as busy:
            # As `isadex run` refuses a second writer: at once, naming the first, nothing started.
            return RunOutcome(
                success=False,
                seconds=time.perf_counter() - started,
                failures=[str(busy)],
                warehouse=str(settings.warehouse),
            )
        # dbt parses the project for this warehouse in its own process while Dagster loads and
        # ingests; the dbt step reads that parse back (lib/warehouse/dbt_parse.py).
        dbt_parse.start(
            dbt=dbt_executable(),
            project_dir=DBT_PROJECT_DIR,
            target=settings.dbt_target,
            cli_vars=settings.dbt_cli_vars(),
            log_level_file=dbt_file_log_level(),
        )
        try:
            return _execute(settings, started, progress, dbt_console)
        finally:
            # A run that ended before its dbt step (or did not need dbt) leaves no parse behind.
            dbt_parse.wait(settings.dbt_target)


def _execute(
    settings: RunSettings, started: float, progress: Progress | None, dbt_console: bool
) -> RunOutcome:
    from dagster_project.definitions import build_defs

    definitions = build_defs(settings, dbt_console=dbt_console)
    # The console shows warnings and errors; every event is in the instance's event log.
    console: dict = {"config": {"log_level": "WARNING"}}
    if progress is not None:
        progress.stages = step_stages(definitions)
        definitions = dg.Definitions.merge(
            definitions, dg.Definitions(loggers={"console": progress_logger(progress)})
        )
        console = {}
    job = definitions.resolve_implicit_global_asset_job_def()
    where = f"Dagster instance: {settings.dagster_home}"
    if progress is not None:
        progress.note(where)
    else:
        print(where)
    with _instance(settings) as instance:
        result = job.execute_in_process(
            instance=instance,
            raise_on_error=False,
            # Dagster starts a job's loggers only when the run config names them.
            run_config={"loggers": {"console": console}},
        )
        outcome = RunOutcome(
            success=result.success,
            seconds=0.0,
            run_id=result.run_id,
            warehouse=str(settings.warehouse),
            published=published_paths(settings),
        )
        for materialization in result.get_asset_materialization_events():
            if materialization.asset_key == PUBLISHED_KEY:
                metadata = materialization.materialization.metadata
                outcome.publication_kept = "not_recomputed" in metadata
        for event in result.all_events:
            if event.event_type_value == "STEP_FAILURE":
                err = event.event_specific_data.error
                outcome.failures.append(f"{event.step_key}: {err.message.strip() if err else ''}")
        for evaluation in result.get_asset_check_evaluations():
            if evaluation.passed:
                continue
            name = f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}"
            if evaluation.severity == dg.AssetCheckSeverity.ERROR and evaluation.blocking:
                outcome.failed_checks.append(name)
            else:
                outcome.warned_checks.append(name)
        outcome.step_seconds = _step_seconds(instance, result.run_id)
    if outcome.exit_code != EXIT_FAILED:
        outcome.refused = _refused_in_landing(settings)
    outcome.seconds = time.perf_counter() - started
    return outcome


def _step_seconds(instance: dg.DagsterInstance, run_id: str) -> dict[str, float]:
    stats = instance.get_run_step_stats(run_id)
    return {
        s.step_key: round((s.end_time or 0) - (s.start_time or 0), 3)
        for s in stats
        if s.start_time and s.end_time
    }
