"""The HTML report of one cut-off (endpoints.md, Report): one self-contained file.

Pure rendering: a :class:`ReportContext` of plain data (strings, numbers, PNG bytes) in,
HTML out. Nothing here reads the warehouse; ``defs/endpoints/report.py`` does, and builds
the context. The page works offline and when mailed: CSS is inline, figures are PNG data
URIs, and the only links are anchors within the page.

Order (the first page is what an auditor checks): study and cut-off, the transfers in force
with extract time and checksums, the code version, the validation outcome; then T01-T15,
then the figures. A table or figure that could not be produced stays in the report as a
visible note, so a missing result can never pass for an absent section.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

TEMPLATE_DIR = Path(__file__).parent / "templates"
TEMPLATE = "report.html.j2"
OUTCOMES = ("fail", "warn", "pass")  # display order: problems first
_WORDS = re.compile(r"[^\W\d_]{3}")  # three letters in a row: a cell of words, not a number


@dataclass(frozen=True)
class Transfer:
    """One site delivery as raw.transfers records it; ``in_force`` when this analysis uses it."""

    transfer_id: str
    site: str
    extract_datetime: str
    status: str
    in_force: bool
    manifest_sha256: str
    files_sha256: Mapping[str, str] = field(default_factory=dict)
    reason: str = ""
    delivery: str = ""


@dataclass(frozen=True)
class Check:
    """One validation check and its outcome: ``pass``, ``warn`` or ``fail``."""

    name: str
    outcome: str
    detail: str = ""
    target: str = ""

    def __post_init__(self) -> None:
        if self.outcome not in OUTCOMES:
            raise ValueError(f"check {self.name!r}: outcome must be one of {OUTCOMES}")


@dataclass(frozen=True)
class Table:
    """A display table as printed: column headers and rows of strings.

    ``missing`` names why the table is absent (it is then shown as a note, not omitted).
    """

    id: str
    title: str
    columns: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()
    footnote: str = ""
    missing: str = ""

    @property
    def anchor(self) -> str:
        return self.id.lower()

    @property
    def label_columns(self) -> tuple[bool, ...]:
        """Columns shown left-aligned: the first, and any whose cells are indented (the
        display tables indent sub-rows, e.g. preferred terms under their SOC, with spaces)."""
        return tuple(
            i == 0 or any(row[i][:1].isspace() for row in self.rows)
            for i in range(len(self.columns))
        )

    @property
    def cell_classes(self) -> tuple[str, ...]:
        """The class of each column's cells: ``label`` (see ``label_columns``), ``text`` for a
        column of words (a run of three letters in a cell, e.g. "Landmark ASCT + 365 days"),
        which print lets wrap so a wide table fits the page, or "" for numbers and estimates
        ("27.9 (25.1, NR)"), which stay on one line."""
        return tuple(
            "label" if label else "text" if any(_WORDS.search(row[i]) for row in self.rows) else ""
            for i, label in enumerate(self.label_columns)
        )

    @staticmethod
    def indent(cell: str) -> int:
        """Leading spaces of a cell: its indentation level in the display table."""
        return len(cell) - len(cell.lstrip(" "))

    @classmethod
    def from_frame(cls, id: str, title: str, frame: pd.DataFrame, footnote: str = "") -> Table:
        """From a display frame (endpoints.tNN): every cell as text, NULL as empty."""
        cells = frame.astype(object).where(frame.notna(), "")
        return cls(
            id=id,
            title=title,
            columns=tuple(str(c) for c in frame.columns),
            rows=tuple(tuple(str(v) for v in row) for row in cells.itertuples(index=False)),
            footnote=footnote,
        )


@dataclass(frozen=True)
class FigureImage:
    """A rendered figure (PNG bytes), or ``missing`` saying why there is none.

    A figure drawn in pages (F03's swimmer plot past 20 subjects: ``figures.swimmer_pages``)
    has its first page in ``png`` and the others in ``continued``; each page is shown as its
    own figure with the title and caption, so each prints on one page with them.
    """

    id: str
    title: str
    png: bytes | None = None
    caption: str = ""
    missing: str = ""
    continued: tuple[bytes, ...] = ()

    @property
    def anchor(self) -> str:
        return self.id.lower()

    @property
    def data_uri(self) -> str:
        if self.png is None:
            return ""
        return _data_uri(self.png)

    @property
    def pages(self) -> list[str]:
        """The data URI of each page, first page first (none when the figure is missing)."""
        if self.png is None:
            return []
        return [_data_uri(png) for png in (self.png, *self.continued)]


def _data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


@dataclass(frozen=True)
class ReportContext:
    """Everything the report shows; plain data only.

    ``checks`` None means no validation outcome was recorded (shown as such, never as a pass).
    """

    study: str
    cutoff: date
    code_version: str
    transfers: Sequence[Transfer]
    checks: Sequence[Check] | None
    tables: Sequence[Table]
    figures: Sequence[FigureImage]
    as_of: str | None = None
    generated_at: str | None = None
    run_id: str | None = None
    notes: Sequence[str] = ()
    # Data-quality findings a data manager raises as queries to the sites (quality.findings).
    findings_by_site: Table | None = None
    findings: Table | None = None
    # Subjects whose investigator and computed best confirmed responses differ, for medical
    # review (response.md section 4, quality.response_discordance); not queries to the sites.
    response_discordance: Table | None = None
    # The submission package published with this report, as links relative to it
    # ("submission/define.xml", ...): the transport files and define.xml (submission.md).
    submission_files: Sequence[str] = ()


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATE_DIR)),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    return env


def _validation_summary(checks: Sequence[Check] | None) -> dict:
    if checks is None:
        return {"recorded": False}
    ordered = sorted(checks, key=lambda c: (OUTCOMES.index(c.outcome), c.name))
    counts = {o: sum(c.outcome == o for c in checks) for o in OUTCOMES}
    overall = next((o for o in OUTCOMES if counts[o]), "pass")
    return {
        "recorded": True,
        "counts": counts,
        "overall": overall if checks else "none",
        "problems": [c for c in ordered if c.outcome != "pass"],
        "passed": [c for c in ordered if c.outcome == "pass"],
    }


def render_report(context: ReportContext) -> str:
    """The report as one HTML string (template ``templates/report.html.j2``).

    Deterministic: the same context gives the same text (nothing is read from the clock or
    the environment here; ``generated_at`` is whatever the caller passes).
    """
    in_force = sorted(
        (t for t in context.transfers if t.in_force), key=lambda t: (t.site, t.transfer_id)
    )
    others = sorted(
        (t for t in context.transfers if not t.in_force),
        key=lambda t: (t.site, t.extract_datetime, t.transfer_id),
    )
    template = _environment().get_template(TEMPLATE)
    return template.render(
        ctx=context,
        cutoff=context.cutoff.isoformat(),
        in_force=in_force,
        other_transfers=others,
        validation=_validation_summary(context.checks),
    )


def report_filename(cutoff: date) -> str:
    return f"report_{cutoff:%Y%m%d}.html"


def write_report(html: str, report_dir: str | Path, cutoff: date) -> Path:
    """Write ``report_<YYYYMMDD>.html`` and a copy ``index.html`` (the latest) in report_dir,
    and remove the dated reports of other cut-offs: the folder is published whole with the
    cut, and a cut of 2026-10-21 carried report_20261031.html from an earlier run (found by
    testing the operations contract); each cut's own report stays in its publication.

    Each file is written under a temporary name and renamed, so a browser or a mail job
    never reads half a report. Returns the path of the dated file.
    """
    report_dir = Path(report_dir)
    report_dir.mkdir(parents=True, exist_ok=True)
    target = report_dir / report_filename(cutoff)
    for path in (target, report_dir / "index.html"):
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(html, encoding="utf-8")
        tmp.replace(path)
    for other in report_dir.glob("report_*.html"):
        if other != target and re.fullmatch(r"report_\d{8}\.html", other.name):
            other.unlink()
    return target


# --------------------------------------------------------------------------- from warehouse frames

_PASS = {"pass", "passed", "success", "succeeded", "true", "ok", "1"}
_WARN = {"warn", "warning", "warned"}
_FAIL = {"fail", "failed", "failure", "error", "errored", "false", "0"}


def _first(frame: pd.DataFrame, names: Sequence[str]) -> str | None:
    lower = {c.lower(): c for c in frame.columns}
    return next((lower[n] for n in names if n in lower), None)


def _outcome(value: object) -> str | None:
    text = str(value).strip().lower()
    if text in _PASS:
        return "pass"
    if text in _WARN:
        return "warn"
    if text in _FAIL:
        return "fail"
    return None


def checks_from_frame(frame: pd.DataFrame) -> list[Check]:
    """Check outcomes from a results table (``quality.check_results``), tolerant of naming.

    The name, outcome, detail and target columns are found by their usual names (case
    ignored): name = CHECK_NAME / CHECK / NAME / EXPECTATION; outcome = OUTCOME / STATUS /
    RESULT / PASSED / SUCCESS; detail = DETAIL / DETAILS / MESSAGE / DESCRIPTION;
    target = ASSET_KEY / ASSET / DATASET / TABLE_NAME / TABLE / TARGET / SUITE. A failed
    check whose SEVERITY is WARN is a warning (the lead's PASSED + SEVERITY layout). An outcome
    that is not a recognisable pass / warn / fail is shown as ``warn`` with the raw value in
    the detail: an unreadable outcome is never reported as a pass.
    """
    name_col = _first(frame, ("check_name", "check", "name", "expectation", "test_name"))
    out_col = _first(frame, ("outcome", "status", "result", "passed", "success"))
    if name_col is None or out_col is None:
        raise ValueError(f"no check name / outcome column among {list(frame.columns)}")
    detail_col = _first(frame, ("detail", "details", "message", "description", "reason"))
    target_col = _first(
        frame, ("asset_key", "asset", "dataset", "table_name", "table", "target", "suite")
    )
    severity_col = _first(frame, ("severity",))
    checks = []
    for _, row in frame.iterrows():
        raw = row[out_col]
        outcome = _outcome(raw)
        detail = "" if detail_col is None or pd.isna(row[detail_col]) else str(row[detail_col])
        if outcome is None:
            outcome, detail = "warn", f"unrecognised outcome {raw!r}. {detail}".strip()
        elif outcome == "fail" and severity_col is not None:
            # a failed check of WARN severity does not block: it is a warning, not a failure
            if _outcome(row[severity_col]) == "warn":
                outcome = "warn"
        target = "" if target_col is None or pd.isna(row[target_col]) else str(row[target_col])
        checks.append(Check(str(row[name_col]), outcome, detail, target))
    return checks


def _files(value: object) -> dict[str, str]:
    """raw.transfers.FILES_SHA256 (JSON object, or already a mapping) as {file: sha256}."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return {}
    if isinstance(value, Mapping):
        return {str(k): str(v) for k, v in value.items()}
    parsed = json.loads(str(value))
    if isinstance(parsed, list):  # [{"file": ..., "sha256": ...}, ...]
        return {str(d.get("file", d.get("name"))): str(d.get("sha256")) for d in parsed}
    return {str(k): str(v) for k, v in parsed.items()}


def _text(value: object) -> str:
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


def transfers_from_frames(transfers: pd.DataFrame, in_force_ids: Sequence[str]) -> list[Transfer]:
    """raw.transfers rows as :class:`Transfer`, flagged in force when their TRANSFER_ID is in
    ``in_force_ids`` (staging.stg_transfers_in_force) and their STATUS is LOADED (a DUPLICATE
    or REFUSED re-delivery under the same id is never the one in force)."""
    ids = set(in_force_ids)
    out = []
    for r in transfers.to_dict("records"):
        extract = r.get("EXTRACT_DATETIME")
        out.append(
            Transfer(
                transfer_id=_text(r.get("TRANSFER_ID")),
                site=_text(r.get("SITEID")),
                extract_datetime=""
                if extract is None or pd.isna(extract)
                else pd.Timestamp(extract).strftime("%Y-%m-%d %H:%M:%S"),
                status=_text(r.get("STATUS")),
                in_force=r.get("TRANSFER_ID") in ids and r.get("STATUS") == "LOADED",
                manifest_sha256=_text(r.get("MANIFEST_SHA256")),
                files_sha256=_files(r.get("FILES_SHA256")),
                reason=_text(r.get("REASON")),
                delivery=_text(r.get("DELIVERY")),
            )
        )
    return out


__all__ = [
    "Check",
    "FigureImage",
    "ReportContext",
    "Table",
    "Transfer",
    "checks_from_frame",
    "render_report",
    "report_filename",
    "transfers_from_frames",
    "write_report",
]
