"""Ingest a landing zone into raw.* (architecture.md, "Raw layer"): the orchestrator.

Method:
- A delivery is (folder name, manifest sha256). Deliveries already in
  raw.transfers are skipped, so re-running on the same landing folder changes
  nothing at all.
- New deliveries are ordered by extract_datetime, then transfer_id, then
  folder, so a site's earlier transfer loads (and serves as the deletion
  baseline) before its later one.
- Each delivery: manifest checks (landing.py) -> same transfer_id already
  LOADED? (same file checksums: DUPLICATE; different: REFUSED, the first stays)
  -> file checksums and row counts -> load every form (raw_load.py) and record
  deletions against the site's previous LOADED transfer -> one raw.transfers
  row. A crash or refusal never leaves half a transfer: consecutive
  deliveries share one DuckDB transaction (committed every BATCH_ROWS data
  rows and at the end), a refusal inside it deletes exactly what that
  transfer wrote (no committed row can carry its transfer_id: a transfer_id
  already LOADED is caught before loading), and a crash rolls the whole
  open batch back. One commit per batch instead of per transfer matters:
  DuckDB writes a large insert straight to the database file, but a small
  one goes through the write-ahead log and is written twice, and
  per-transfer commits and checkpoints were a large part of a load.
- Prescan: before loading, each lane types the files of its next deliveries
  (up to PRESCAN_ROWS manifest rows) with one read_csv per form over all of
  them (raw_prescan.py); the files found clean there are loaded with one
  INSERT each, the rest file by file as before: the fixed cost of the
  per-file statements was most of what the prescan saves (bench/results.md).
- Lanes: the new deliveries are split into INGEST_LANES lanes, each loaded
  by its own thread on its own DuckDB connection (its own transaction and
  temp tables). A lane holds whole sites, in order, and every delivery that
  shares a transfer_id with one of them, so everything a delivery's checks
  read (the site's previous LOADED transfer, an earlier delivery of its
  transfer_id) is in its own lane; other lanes only append rows of other
  sites, which DuckDB's concurrent transactions allow. Why: DuckDB reads a
  file this small (a site's form, a few MB) on one thread, so one lane left
  the second core idle for most of the ingest.
  `registered` keeps the single-lane processing order whatever the lanes.
  Batches are per lane: a crash rolls back the failing lane's open batch;
  the other lane finishes its deliveries (whole transfers) and commits, and
  the error is raised once both have stopped.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from .contract import RAW_FORMS, form_files, forms_of, raw_column_additions, raw_table_ddl
from .landing import Delivery, ManifestError, discover, open_delivery, sha256_bytes, verify_files
from .line_endings import write_with_lf_endings
from .raw_load import (
    FormLoad,
    TransferRefused,
    UnreadableFile,
    load_transfer,
    rechain_deletions,
)
from .raw_prescan import FormFile, PrescanFailed, drop_prescan, prescan
from .reader_links import ReaderLinks

LOADED, DUPLICATE, REFUSED = "LOADED", "DUPLICATE", "REFUSED"
# Data rows per transaction: large enough that DuckDB writes row groups straight to the file,
# small enough that a crash loses little work and the open transaction stays bounded.
BATCH_ROWS = 5_000_000
# Data rows typed ahead per statement group (raw_prescan): enough files that one read_csv keeps
# both cores busy, few enough that the typed rows held in temp tables stay small.
PRESCAN_ROWS = 2_000_000
# Loading threads (one DuckDB connection each): the machine's 2 cores (README, Performance).
INGEST_LANES = 2
_FOLDER_SITE_RE = re.compile(r"^([A-Z]{2}[0-9]{2})_")

RAW_TRANSFERS_DDL = """
create table if not exists raw.transfers (
    "TRANSFER_ID" VARCHAR NOT NULL,
    "DELIVERY" VARCHAR NOT NULL,
    "SITEID" VARCHAR,
    "STUDYID" VARCHAR,
    "EXTRACT_DATETIME" TIMESTAMP,
    "CONTRACT_VERSION" VARCHAR,
    "MANIFEST_SHA256" VARCHAR,
    "FILES_SHA256" JSON,
    "STATUS" VARCHAR NOT NULL,
    "REASON" VARCHAR,
    "REGISTERED_AT" TIMESTAMP NOT NULL,
    "ROWS_IN" BIGINT,
    "ROWS_LOADED" BIGINT,
    "ROWS_QUARANTINED" BIGINT
)"""

RAW_QUARANTINE_DDL = """
create table if not exists raw.quarantine (
    "TRANSFER_ID" VARCHAR NOT NULL,
    "FORM" VARCHAR NOT NULL,
    "ROWNUM" BIGINT NOT NULL,
    "COLUMN" VARCHAR,
    "VALUE" VARCHAR,
    "REASON" VARCHAR NOT NULL,
    "RECORD" JSON
)"""

# Columns a site sent that the contract does not name, per loaded file (names only; the
# values are in raw.<form>.EXTRA). Read by quality.findings_extra_columns and by
# raw_scrub.scrub_extra_columns.
RAW_EXTRA_COLUMNS_DDL = """
create table if not exists raw.extra_columns (
    "TRANSFER_ID" VARCHAR NOT NULL,
    "FORM" VARCHAR NOT NULL,
    "COLUMN" VARCHAR NOT NULL
)"""

RAW_DELETIONS_DDL = """
create table if not exists raw.deletions (
    "SITEID" VARCHAR NOT NULL,
    "FORM" VARCHAR NOT NULL,
    "RECORD_KEY" VARCHAR NOT NULL,
    "PREV_TRANSFER_ID" VARCHAR NOT NULL,
    "TRANSFER_ID" VARCHAR NOT NULL
)"""


@dataclass
class IngestSummary:
    """What one ingest_landing call did.

    `registered`: one dict per newly seen delivery, in processing order, with
    transfer_id, delivery, site_id, status, reason, rows_in, rows_loaded,
    rows_quarantined, rows_deleted, forms ({form: {rows_in, rows_loaded,
    rows_quarantined, rows_malformed, deletions}}), files_sha256, seconds.
    `skipped`: folders already registered (no-op).
    """

    registered: list[dict] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def refused(self) -> list[dict]:
        return [r for r in self.registered if r["status"] == REFUSED]

    @property
    def loaded(self) -> list[dict]:
        return [r for r in self.registered if r["status"] == LOADED]


def ensure_raw_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create schema raw and its tables, and add the columns a later contract version brought
    to a table made before it (idempotent)."""
    con.execute("create schema if not exists raw")
    existing: dict[str, set[str]] = {}
    for table, column in con.execute(
        "select table_name, column_name from information_schema.columns "
        "where table_schema = 'raw' and table_catalog = current_database()"
    ).fetchall():
        existing.setdefault(table, set()).add(column)
    for form in RAW_FORMS.values():
        if form.name not in existing:
            con.execute(raw_table_ddl(form))
            continue
        for statement in raw_column_additions(form, existing[form.name]):
            con.execute(statement)
    con.execute(RAW_TRANSFERS_DDL)
    con.execute(RAW_QUARANTINE_DDL)
    con.execute(RAW_DELETIONS_DDL)
    con.execute(RAW_EXTRA_COLUMNS_DDL)


def _manifest_sha(folder: Path) -> str | None:
    path = folder / "manifest.json"
    # A linked manifest is refused unread (landing.py), so it is registered without a checksum.
    return sha256_bytes(path.read_bytes()) if path.is_file() and not path.is_symlink() else None


def _known_deliveries(con: duckdb.DuckDBPyConnection) -> set[tuple[str, str | None]]:
    return {
        (d, m)
        for d, m in con.execute(
            'select "DELIVERY", "MANIFEST_SHA256" from raw.transfers'
        ).fetchall()
    }


def _order_key(item: tuple[Delivery, str | None]) -> tuple:
    d = item[0]
    return (d.extract_datetime or datetime.min, d.transfer_id or "", d.name)


def ingest_landing(
    con: duckdb.DuckDBPyConnection,
    landing: Path,
    lanes: int = INGEST_LANES,
    on_registered: Callable[[dict], None] | None = None,
) -> IngestSummary:
    """Register and load every new delivery under `landing` (see module docstring).

    `on_registered` is called with each delivery's `registered` row as it is registered,
    from its lane's thread (progress while ingesting)."""
    t0 = time.perf_counter()
    ensure_raw_schema(con)
    summary = IngestSummary()
    known = _known_deliveries(con)
    pending: list[tuple[Delivery, str | None]] = []
    for folder in discover(Path(landing)):
        if (folder.name, _manifest_sha(folder)) in known:
            summary.skipped.append(folder.name)
            continue
        pending.append(open_delivery(folder))
    ordered = sorted(pending, key=_order_key)
    with ReaderLinks() as links:
        for d, _ in ordered:
            d.reader_folder = links.link(d.folder)
        summary.registered = _load_lanes(con, ordered, lanes, on_registered)
    summary.seconds = time.perf_counter() - t0
    return summary


def _load_lanes(
    con: duckdb.DuckDBPyConnection,
    ordered: list[tuple[Delivery, str | None]],
    lanes: int,
    on_registered: Callable[[dict], None] | None,
) -> list[dict]:
    """Load the ordered deliveries in `lanes` threads; their rows in the given order."""
    split = split_lanes([d for d, _ in ordered], lanes)
    if len(split) <= 1:
        rows = _load_lane(con, ordered, on_registered)
    else:
        # Cursors are connections of their own on the same database (own transaction).
        cursors = [con.cursor() for _ in split]
        try:
            with ThreadPoolExecutor(len(split)) as pool:
                done = pool.map(
                    lambda lane: _load_lane(lane[0], [ordered[i] for i in lane[1]], on_registered),
                    zip(cursors, split, strict=True),
                )
                by_index = {
                    i: row
                    for lane, lane_rows in zip(split, list(done), strict=True)
                    for i, row in zip(lane, lane_rows, strict=True)
                }
        finally:
            for cur in cursors:
                cur.close()
        rows = [by_index[i] for i in range(len(ordered))]
    return rows


def split_lanes(deliveries: list[Delivery], lanes: int) -> list[list[int]]:
    """Indices of `deliveries` per lane, each lane in the given order; empty lanes dropped.

    Deliveries of one site, or sharing a transfer_id, end in one lane (a union of
    the two relations); groups go largest first to the lane with the fewest data
    rows so far, rows counted from the manifests.
    """
    parent = list(range(len(deliveries)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first_of: dict[tuple[str, str], int] = {}
    for i, d in enumerate(deliveries):
        for key in (("site", _site_of(d)), ("transfer", d.transfer_id)):
            if key[1] is None:
                continue
            if key in first_of:
                parent[root(i)] = root(first_of[key])
            else:
                first_of[key] = i
    groups: dict[int, list[int]] = {}
    for i in range(len(deliveries)):
        groups.setdefault(root(i), []).append(i)

    def weight(members: list[int]) -> int:
        return sum(e.rows for i in members for e in deliveries[i].files.values()) + 1

    loads = [[0, n, []] for n in range(max(1, lanes))]
    for members in sorted(groups.values(), key=lambda m: (-weight(m), m[0])):
        lane = min(loads, key=lambda x: (x[0], x[1]))
        lane[0] += weight(members)
        lane[2].extend(members)
    return [sorted(lane[2]) for lane in loads if lane[2]]


def _load_lane(
    con: duckdb.DuckDBPyConnection,
    lane: list[tuple[Delivery, str | None]],
    on_registered: Callable[[dict], None] | None = None,
) -> list[dict]:
    """Load one lane's deliveries in order, committing every BATCH_ROWS data rows.

    A file DuckDB cannot parse at all aborts the open transaction (DuckDB has no savepoints,
    and the error comes from inside the read), which would lose every delivery of the batch
    and stop the run. So the batch is rolled back and loaded again from its first delivery:
    with that delivery refused (UnreadableFile), or reading a copy of the file with one line
    ending when its records end in more than one way (line_endings.py), or, when the failed
    read was the prescan's, with the prescanned deliveries loaded file by file, where the
    failing file is named.
    Each retry settles one delivery or group, so this ends; a clean lane never retries.
    `on_registered` hears of the batch's deliveries again after a retry (progress only; the
    rolled-back registrations are gone from raw.transfers).
    """
    lane = list(lane)  # a delivery found unreadable gets its refusal in place
    plain: set[int] = set()  # deliveries whose prescan failed: loaded file by file
    rows: list[dict] = []
    i = batch_start = batch_rows = 0
    prescanned: dict = {}
    prescanned_upto = 0
    con.execute("begin transaction")
    try:
        while i < len(lane):
            delivery, reason = lane[i]
            span = prescanned_upto
            try:
                if i == prescanned_upto:
                    drop_prescan(con)
                    span, files = _prescan_span(lane, i, plain)
                    prescanned, prescanned_upto = prescan(con, files), span
                row = _ingest_delivery(con, delivery, reason, prescanned)
            except (UnreadableFile, PrescanFailed) as exc:
                con.execute("rollback")
                if isinstance(exc, UnreadableFile) and not _read_with_lf_endings(delivery, exc):
                    lane[i] = (delivery, str(exc))
                else:
                    plain.update(range(i, span))
                del rows[batch_start:]
                i, batch_rows, prescanned, prescanned_upto = batch_start, 0, {}, batch_start
                con.execute("begin transaction")
                continue
            rows.append(row)
            i += 1
            if on_registered is not None:
                on_registered(row)
            batch_rows += row["rows_loaded"] + row["rows_quarantined"]
            if batch_rows >= BATCH_ROWS:
                con.execute("commit")
                con.execute("begin transaction")
                batch_start, batch_rows = i, 0
        drop_prescan(con)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return rows


def _prescan_span(
    lane: list[tuple[Delivery, str | None]], start: int, plain: set[int]
) -> tuple[int, list[FormFile]]:
    """The lane's deliveries from `start` up to PRESCAN_ROWS manifest rows, and their files.

    Returns (index after the last one, the form files to prescan). Deliveries already
    refused, and those in `plain`, are not prescanned.
    """
    files: list[FormFile] = []
    rows = 0
    end = start
    while end < len(lane) and (end == start or rows < PRESCAN_ROWS):
        d, reason = lane[end]
        end += 1
        if reason is not None or not d.site_id or not d.files or end - 1 in plain:
            continue
        for name in forms_of(d.contract_version):
            entry = d.files.get(f"{name}.csv")
            if entry is not None and entry.path.is_file():
                files.append(
                    FormFile(
                        name,
                        d.reader_path(entry.name),
                        d.site_id,
                        entry.rows,
                        d.extract_date,
                        d.contract_version,
                    )
                )
                rows += entry.rows
    return end, files


def _ingest_delivery(
    con: duckdb.DuckDBPyConnection, d: Delivery, reason: str | None, prescanned: dict | None = None
) -> dict:
    t0 = time.perf_counter()
    if reason is None:
        try:
            verify_files(d)
        except ManifestError as exc:
            reason = str(exc)
    if reason is not None:
        return _register(con, d, REFUSED, reason, t0)
    reason, status = _redelivery(con, d)
    if status is not None:
        return _register(con, d, status, reason, t0)

    prev = _previous_loaded(con, d)
    files = {n: (d.reader_path(n), e.rows) for n, e in d.files.items()}
    try:
        loads = load_transfer(
            con,
            d.transfer_id,
            d.site_id,
            files,
            prev,
            prescanned,
            d.extract_date,
            d.contract_version,
        )
    except UnreadableFile:
        raise  # the transaction is aborted: _load_lane rolls back and retries the batch
    except TransferRefused as exc:
        _discard(con, d.transfer_id)
        return _register(con, d, REFUSED, str(exc), t0)
    newer = _next_loaded(con, d)
    if newer is not None:
        # Arrived after a newer transfer of its site: what vanished between the two is now a
        # deletion of the newer one against this one, as in extract order.
        rechain_deletions(con, d.site_id, d.transfer_id, newer)
    return _register(con, d, LOADED, _loaded_reason(d), t0, loads)


def _read_with_lf_endings(d: Delivery, exc: UnreadableFile) -> bool:
    """Whether the delivery now reads a copy of the file the reader failed on with one line
    ending (line_endings.py), because its records end in more than one way: the reader's
    folder for it becomes a real folder of links beside its link, with that file a copy. False
    when the file ends its records one way, or is a copy already: it cannot be parsed."""
    if exc.path is None or d.reader_folder is None or exc.path.name not in d.files:
        return False
    name = exc.path.name
    if name in d.lf_copies:
        return False
    if not d.lf_copies:
        folder = d.reader_folder.with_name(f"{d.reader_folder.name}-lf")
        folder.mkdir()
        for listed, entry in d.files.items():
            (folder / listed).symlink_to(Path(entry.path).absolute())
        d.reader_folder = folder
    copy = d.reader_folder / f"{name}.lf"
    endings = write_with_lf_endings(d.files[name].path, copy)
    if endings is None:
        return False
    copy.replace(d.reader_folder / name)
    d.lf_copies[name] = endings
    return True


def _loaded_reason(d: Delivery) -> str | None:
    """The REASON of a LOADED transfer: the files read with one line ending and the listed
    files not loaded, when there are any."""
    notes = [
        f"{name}: its records end in {' and '.join(endings)}; read as Python's csv module "
        "splits them (the values as sent)"
        for name, endings in sorted(d.lf_copies.items())
    ]
    not_loaded = _not_loaded(d)
    return "; ".join([*notes, *([not_loaded] if not_loaded else [])]) or None


def _not_loaded(d: Delivery) -> str | None:
    """The REASON of a LOADED transfer that listed files its contract has no form for: they are
    checked like every listed file and not loaded (site_extracts.md is silent on them), and named
    here with their rows, so those rows are not gone without a trace."""
    other = sorted(set(d.files) - set(form_files(d.contract_version)))
    if not other:
        return None
    listed = ", ".join(f"{name} ({d.files[name].rows} rows)" for name in other)
    return (
        f"{listed} listed but not a form of contract {d.contract_version}: checked (sha256, "
        "rows), not loaded"
    )


def _discard(con: duckdb.DuckDBPyConnection, transfer_id: str) -> None:
    """Delete what a refused transfer wrote in the open transaction.

    Only its own rows carry its transfer_id: one already LOADED is refused before loading.
    """
    for table in [*RAW_FORMS, "quarantine", "deletions", "extra_columns"]:
        con.execute(f'delete from raw.{table} where "TRANSFER_ID" = ?', [transfer_id])


def _redelivery(con: duckdb.DuckDBPyConnection, d: Delivery) -> tuple[str | None, str | None]:
    """(reason, status) when d's transfer_id is already LOADED, else (None, None)."""
    first = con.execute(
        'select "DELIVERY", "FILES_SHA256" from raw.transfers '
        'where "TRANSFER_ID" = ? and "STATUS" = ? order by "REGISTERED_AT" limit 1',
        [d.transfer_id, LOADED],
    ).fetchone()
    if first is None:
        return None, None
    first_files = json.loads(first[1]) if first[1] else {}
    if first_files == d.files_sha256:
        return (
            f"{d.transfer_id}: duplicate delivery, same content as delivery {first[0]} "
            "already loaded; nothing loaded"
        ), DUPLICATE
    differ = sorted(
        n
        for n in set(first_files) | set(d.files_sha256)
        if first_files.get(n) != d.files_sha256.get(n)
    )
    return (
        f"{d.transfer_id}: transfer_id already loaded from delivery {first[0]} with "
        f"different content (differs in {', '.join(differ)}); refused, the first stays "
        "in force"
    ), REFUSED


def _previous_loaded(con: duckdb.DuckDBPyConnection, d: Delivery) -> str | None:
    """The site's latest LOADED transfer before d by (EXTRACT_DATETIME, TRANSFER_ID)."""
    return _loaded_neighbour(con, d, newer=False)


def _next_loaded(con: duckdb.DuckDBPyConnection, d: Delivery) -> str | None:
    """The site's earliest LOADED transfer after d by (EXTRACT_DATETIME, TRANSFER_ID): one that
    was loaded before d arrived, since deliveries load in extract order."""
    return _loaded_neighbour(con, d, newer=True)


def _loaded_neighbour(con: duckdb.DuckDBPyConnection, d: Delivery, newer: bool) -> str | None:
    after, order = (">", "asc") if newer else ("<", "desc")
    row = con.execute(
        'select "TRANSFER_ID" from raw.transfers where "SITEID" = ? and "STATUS" = ? '
        f'and ("EXTRACT_DATETIME" {after} ? '
        f'or ("EXTRACT_DATETIME" = ? and "TRANSFER_ID" {after} ?)) '
        f'order by "EXTRACT_DATETIME" {order}, "TRANSFER_ID" {order} limit 1',
        [d.site_id, LOADED, d.extract_datetime, d.extract_datetime, d.transfer_id],
    ).fetchone()
    return row[0] if row else None


def _site_of(d: Delivery) -> str | None:
    if d.site_id:
        return d.site_id
    m = _FOLDER_SITE_RE.match(d.label)
    return m.group(1) if m else None


def _register(
    con: duckdb.DuckDBPyConnection,
    d: Delivery,
    status: str,
    reason: str | None,
    t0: float,
    loads: list[FormLoad] | None = None,
) -> dict:
    """Insert the raw.transfers row (inside the load's transaction when there is one)."""
    loads = loads or []
    rows_in = (
        sum(f.rows_in for f in loads)
        if loads
        else (sum(e.rows for e in d.files.values() if e.name.endswith(".csv")) if d.files else None)
    )
    rows_loaded = sum(f.rows_loaded for f in loads)
    rows_q = sum(f.rows_quarantined for f in loads)
    files_json = json.dumps(d.files_sha256) if d.files else None
    con.execute(
        "insert into raw.transfers values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            d.label,
            d.name,
            _site_of(d),
            d.study_id,
            d.extract_datetime,
            d.contract_version,
            d.manifest_sha256,
            files_json,
            status,
            reason,
            datetime.now(UTC).replace(tzinfo=None),
            rows_in,
            rows_loaded,
            rows_q,
        ],
    )
    return {
        "transfer_id": d.label,
        "delivery": d.name,
        "site_id": _site_of(d),
        "status": status,
        "reason": reason,
        "rows_in": rows_in,
        "rows_loaded": rows_loaded,
        "rows_quarantined": rows_q,
        "rows_deleted": sum(f.deletions for f in loads),
        "forms": {
            f.form: {
                "rows_in": f.rows_in,
                "rows_loaded": f.rows_loaded,
                "rows_quarantined": f.rows_quarantined,
                "rows_malformed": f.rows_malformed,
                "deletions": f.deletions,
            }
            for f in loads
        },
        "files_sha256": d.files_sha256,
        "seconds": round(time.perf_counter() - t0, 3),
    }
