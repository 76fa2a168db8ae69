"""Where a warehouse's published and working files live (README, "Operating it").

For ``--warehouse data/warehouse.duckdb`` and ``--report-dir data/report``::

    data/warehouse.cuts/<cut>/          one publication: read-only files, read-only folders
        warehouse.duckdb                  the warehouse cut
        report/                           index.html, figures/, quality.html, submission/
    data/warehouse.current            -> warehouse.cuts/<cut>          the one switch
    data/warehouse.duckdb             -> warehouse.current/warehouse.duckdb
    data/report                       -> warehouse.current/report
    data/warehouse.ledger.jsonl         append-only, hash-chained record of every publication
    data/warehouse.lock                 the writer's lock (who holds it, since when)
    data/warehouse.work.duckdb          the writer's working file (never published as such)
    data/warehouse.work.report/         the run's report, figures and transport files as written
    data/warehouse.work.publish/        a publication being staged (removed when it is switched)

The stable names are symbolic links through ``<stem>.current``, so renaming that one link
switches the warehouse, the report, the figures, the transport files and the define metadata
together: a reader never sees the report of one cut beside the warehouse of another.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Layout:
    warehouse: Path  # the stable name readers open
    report: Path  # the stable name of the published report folder

    def _beside(self, suffix: str) -> Path:
        return self.warehouse.with_name(self.warehouse.stem + suffix)

    @property
    def cuts(self) -> Path:
        return self._beside(".cuts")

    @property
    def current(self) -> Path:
        return self._beside(".current")

    @property
    def ledger(self) -> Path:
        return self._beside(".ledger.jsonl")

    @property
    def lock(self) -> Path:
        return self._beside(".lock")

    @property
    def work_db(self) -> Path:
        return self._beside(".work.duckdb")

    @property
    def work_report(self) -> Path:
        return self._beside(".work.report")

    @property
    def staging(self) -> Path:
        return self._beside(".work.publish")

    def publication(self, cut: str) -> Path:
        return self.cuts / cut

    @property
    def db_name(self) -> str:
        """The warehouse file's name inside a publication."""
        return self.warehouse.name

    REPORT = "report"
