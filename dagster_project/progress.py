"""What `isadex run` shows while it runs: a line per step naming its stage (ingest, dbt build,
validation, endpoints, report, export, publication), one per transfer while ingesting, and on a
terminal a progress bar under them.

The lines come from a Dagster logger given to the job (:func:`progress_logger`): Dagster hands
every logger of a run each of its events (STEP_START, STEP_SUCCESS, ASSET_MATERIALIZATION ...)
as a log record whose ``dagster_meta`` holds the event and its step (the fields
``dg.json_console_logger`` prints), and each ``context.log`` message with its step. The ingest
step tags its line per delivery with ``lib.runtime.console.TRANSFER_RECORD``.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
from dataclasses import dataclass, field
from typing import TextIO

import dagster as dg

from dagster_project.lib.runtime.console import TRANSFER_RECORD, is_terminal

# The stages in the order a run reaches them, and the asset groups each is made of.
STAGES = ("ingest", "dbt build", "validation", "endpoints", "report", "export", "publication")
STAGE_OF_GROUP = {
    "ingest": "ingest",
    "staging": "dbt build",
    "intermediate": "dbt build",
    "adam": "dbt build",
    "quality": "dbt build",
    "endpoints": "endpoints",
    "reporting": "report",
    "export": "export",
    "publication": "publication",
}
# Asset checks that run as steps of their own (GX suites, open findings) validate.
VALIDATION = "validation"

_BAR_WIDTH = 24
NOT_RUN = "not run (an earlier step failed)"
SKIPPED = "skipped"  # Dagster's STEP_SKIPPED: an input it needs was not produced


def step_stages(definitions: dg.Definitions) -> dict[str, str]:
    """Step key -> stage of every step of the job of all assets (a step is an asset op's name)."""
    order = {stage: i for i, stage in enumerate(STAGES)}
    stages: dict[str, str] = {}
    for assets in definitions.assets or []:
        if not isinstance(assets, dg.AssetsDefinition):
            continue
        named = {STAGE_OF_GROUP.get(g, g) for g in assets.group_names_by_key.values()}
        stages[assets.op.name] = min(named, key=lambda s: (order.get(s, len(order)), s))
    for checks in definitions.asset_checks or []:
        stages[checks.op.name] = VALIDATION
    return stages


@dataclass
class Progress:
    """The display. ``bar``: redraw one status line (a terminal); otherwise plain lines, one
    per step started and ended. ``verbose`` adds every message of the steps; ``quiet`` shows
    warnings and errors only. Thread-safe: ingestion logs from its lanes' threads."""

    stream: TextIO
    bar: bool = False
    verbose: bool = False
    quiet: bool = False
    stages: dict[str, str] = field(default_factory=dict)
    _started: dict[str, float] = field(default_factory=dict)
    _seen: set[str] = field(default_factory=set)
    _assets: dict[str, int] = field(default_factory=dict)
    _finished: int = 0
    _current: str = ""
    _t0: float = field(default_factory=time.monotonic)
    _lock: threading.RLock = field(default_factory=threading.RLock)
    _bar_shown: bool = False

    @classmethod
    def for_stream(cls, stream: TextIO, verbose: bool = False, quiet: bool = False) -> Progress:
        # With --verbose dbt writes its own lines to the same stream: a bar would cut them.
        return cls(
            stream,
            bar=is_terminal(stream) and not verbose and not quiet,
            verbose=verbose,
            quiet=quiet,
        )

    def _label(self, step: str) -> str:
        return f"{self.stages.get(step, 'step')}: {step}"

    def _count(self) -> str:
        total = max(len(self.stages), self._finished)
        return f"[{self._finished:>{len(str(total))}}/{total}]"

    def step_started(self, step: str) -> None:
        with self._lock:
            self._started[step] = time.monotonic()
            self._seen.add(step)
            self._current = step
            if not self.bar and not self.quiet:
                self._line(f"{self._label(step)} ...")
            self._draw()

    def step_ended(self, step: str, outcome: str) -> None:
        with self._lock:
            self._finished += 1
            took = time.monotonic() - self._started.pop(step, time.monotonic())
            assets = self._assets.pop(step, 0)
            detail = f", {_assets(assets)}" if assets > 1 else ""
            text = f"{self._count()} {self._label(step)} {outcome}"
            if outcome not in (NOT_RUN, SKIPPED):
                text += f" in {took:.1f} s{detail}"
            if not self.quiet or outcome == "FAILED":
                self._line(text)
            self._draw()

    def note(self, text: str) -> None:
        """A line of the caller's own (what the run is about to do)."""
        if not self.quiet:
            with self._lock:
                self._line(text)

    def materialized(self, step: str) -> None:
        with self._lock:
            self._assets[step] = self._assets.get(step, 0) + 1
            self._draw()

    def transfer(self, transfer_id: str, status: str, reason: str | None) -> None:
        with self._lock:
            if not self.quiet or status == "REFUSED":
                self._line(
                    f"  transfer {transfer_id}: {status}" + (f" ({reason})" if reason else "")
                )
            self._draw()

    def check_failed(self, check: str, blocking: bool) -> None:
        with self._lock:
            if not self.quiet or blocking:
                self._line(f"  check failed: {check} ({'blocking' if blocking else 'warning'})")
            self._draw()

    def message(self, level: int, step: str, text: str) -> None:
        with self._lock:
            # Dagster does not start a step whose upstream failed: it logs an error for that
            # step (no event), so an error of a step that never started is that step not run.
            if step and level >= logging.ERROR and step not in self._seen:
                self._seen.add(step)
                self.step_ended(step, NOT_RUN)
                if not self.verbose:
                    return
            if level < logging.WARNING and not self.verbose:
                return
            first, *rest = text.strip().splitlines() or [""]
            kind = {logging.WARNING: "warning", logging.ERROR: "error"}.get(level, "")
            where = f"{self._label(step)}: " if step else ""
            self._line(f"  {kind + ': ' if kind else ''}{where}{first}")
            for more in rest if self.verbose else []:
                self._line(f"    {more}")
            self._draw()

    def close(self) -> None:
        """Take the bar away, so what follows starts on a clean line."""
        with self._lock:
            self._erase()

    # Drawing: no escape codes even on a terminal, only a carriage return and spaces.
    def _width(self) -> int:
        return max(shutil.get_terminal_size((80, 24)).columns - 1, 20)

    def _erase(self) -> None:
        if self._bar_shown:
            self.stream.write("\r" + " " * self._width() + "\r")
            self._bar_shown = False

    def _line(self, text: str) -> None:
        self._erase()
        self.stream.write(text + "\n")
        self.stream.flush()

    def _draw(self) -> None:
        if not self.bar:
            return
        total = max(len(self.stages), self._finished, 1)
        filled = round(_BAR_WIDTH * self._finished / total)
        elapsed = int(time.monotonic() - self._t0)
        now = self._label(self._current) if self._current in self._started else ""
        assets = self._assets.get(self._current, 0)
        text = (
            f"[{'#' * filled}{'-' * (_BAR_WIDTH - filled)}] {self._finished}/{total} "
            f"{elapsed // 60}:{elapsed % 60:02d} {now}"
            + (f" ({_assets(assets)})" if assets else "")
        )
        self.stream.write("\r" + text[: self._width()].ljust(self._width()))
        self.stream.flush()
        self._bar_shown = True


def _assets(n: int) -> str:
    return f"{n} asset{'s' if n != 1 else ''}"


class _ProgressHandler(logging.Handler):
    def __init__(self, progress: Progress) -> None:
        super().__init__(logging.DEBUG)
        self.progress = progress

    def emit(self, record: logging.LogRecord) -> None:
        # A display must never fail the step that logged (logging's own rule for handlers).
        try:
            meta = getattr(record, "dagster_meta", None) or {}
            event = meta.get("dagster_event")
            step = meta.get("step_key") or ""
            transfer = getattr(record, TRANSFER_RECORD, None)
            if event is not None:
                self._event(event, step)
            elif transfer is not None:
                self.progress.transfer(*transfer)
            else:
                text = meta.get("orig_message") or record.getMessage()
                self.progress.message(record.levelno, step, text)
        except Exception:
            self.handleError(record)

    def _event(self, event: dg.DagsterEvent, step: str) -> None:
        kind = event.event_type
        if kind == dg.DagsterEventType.STEP_START:
            self.progress.step_started(step)
        elif kind == dg.DagsterEventType.STEP_SUCCESS:
            self.progress.step_ended(step, "ok")
        elif kind == dg.DagsterEventType.STEP_FAILURE:
            self.progress.step_ended(step, "FAILED")
        elif kind == dg.DagsterEventType.STEP_SKIPPED:
            self.progress.step_ended(step, SKIPPED)
        elif kind == dg.DagsterEventType.ASSET_MATERIALIZATION:
            self.progress.materialized(step)
        elif kind == dg.DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = event.event_specific_data
            if isinstance(evaluation, dg.AssetCheckEvaluation) and not evaluation.passed:
                self.progress.check_failed(
                    f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}",
                    blocking=evaluation.blocking
                    and evaluation.severity == dg.AssetCheckSeverity.ERROR,
                )


def progress_logger(progress: Progress) -> dg.LoggerDefinition:
    """A Dagster logger that draws ``progress``; give it to the job as its only console logger
    (Dagster's own prints every event in colour)."""

    @dg.logger(description="isadex run's progress: steps by stage, transfers, warnings.")
    def isadex_progress(_init_context) -> logging.Logger:
        logger = logging.Logger("isadex.progress", logging.DEBUG)
        logger.addHandler(_ProgressHandler(progress))
        return logger

    return isadex_progress
