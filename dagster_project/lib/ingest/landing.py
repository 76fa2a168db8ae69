"""Landing-zone discovery and manifest verification (site_extracts.md, "Landing zone").

A delivery is one folder under the landing directory. Verification answers one
question before anything is loaded: is this folder a whole, untampered transfer
of ISA-DEX-MM as its manifest describes it? Any "no" refuses the transfer as a
whole, with a reason naming the transfer and the cause.

Files are read once, streamed in 1 MiB blocks: the same pass feeds sha256 and
counts line breaks, so a multi-gigabyte extract never sits in memory.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import sys
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from .contract import CONTRACT_VERSIONS, RAW_FORMS, SITEID_RE, STUDY_ID, form_files

MANIFEST = "manifest.json"
_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
_BLOCK = 1 << 20

# The csv module refuses a field over 131,072 characters by default: one 10 MB quoted field
# made every run exit 1 while counting rows, and the delivery was never recorded (issue 27).
# Counting needs no limit; the DuckDB reader sets such a record aside itself (LINE SIZE OVER
# MAXIMUM) and it is quarantined. Process-wide, so header reads and the writer share it.
csv.field_size_limit(sys.maxsize)


class ManifestError(ValueError):
    """The delivery cannot be accepted; the message is the reason recorded in raw.transfers."""


@dataclass(frozen=True)
class FileEntry:
    name: str
    path: Path
    sha256: str
    rows: int  # data rows as the manifest declares them (header excluded)


@dataclass
class Delivery:
    """One landing folder and what its manifest says (fields are None when unreadable)."""

    folder: Path
    manifest_sha256: str | None = None
    manifest: dict | None = None
    transfer_id: str | None = None
    site_id: str | None = None
    study_id: str | None = None
    extract_datetime: datetime | None = None  # naive UTC
    # The extract's calendar date where the site is (the manifest's own offset): records
    # dated after it are implausible. UTC would wrongly reject a site east of Greenwich
    # extracting shortly after its midnight.
    extract_date: date | None = None
    contract_version: str | None = None
    files: dict[str, FileEntry] = field(default_factory=dict)
    # The same folder under a plain name for the CSV reader (reader_links.py); None: folder.
    reader_folder: Path | None = None
    # Listed files read from a copy with one line ending (line_endings.py) -> the endings mixed
    lf_copies: dict[str, list[str]] = field(default_factory=dict)

    def reader_path(self, name: str) -> Path:
        """Where the CSV reader reads listed file `name` (never a path it could take as a glob)."""
        return (self.reader_folder or self.folder) / name

    @property
    def name(self) -> str:
        return self.folder.name

    @property
    def label(self) -> str:
        """What messages call the transfer: its id when known, else the folder."""
        return self.transfer_id or self.folder.name

    @property
    def files_sha256(self) -> dict[str, str]:
        return {n: e.sha256 for n, e in sorted(self.files.items())}


def discover(landing: Path) -> list[Path]:
    """Delivery folders directly under `landing` (hidden folders ignored), sorted by name."""
    landing = Path(landing)
    if not landing.is_dir():
        return []
    return sorted(p for p in landing.iterdir() if p.is_dir() and not p.name.startswith("."))


def stream_file(path: Path) -> tuple[str, int]:
    """(sha256 hex, data-row count) of a CSV in one streamed pass.

    Row count = CSV records minus the header, as the transfer writer counts them.
    Without any `"` in the file a record is a line, so counting line breaks is
    exact; a file with quotes may hold line breaks inside fields, so it is
    recounted with the csv module (rare, and only that file). Counting line
    breaks also counts a blank line, which is no data row, and misses a CR
    alone, which ends a line: verify_files recounts a file whose count is not
    the manifest's (this pass runs over every byte delivered, so it stays two
    scans of each block).
    """
    h = hashlib.sha256()
    newlines = 0
    has_quote = False
    last = b""
    size = 0
    with open(path, "rb") as f:
        while block := f.read(_BLOCK):
            h.update(block)
            newlines += block.count(b"\n")
            has_quote = has_quote or b'"' in block
            last = block[-1:]
            size += len(block)
    if size == 0:
        return h.hexdigest(), 0
    if has_quote:
        return h.hexdigest(), count_csv_rows(path)
    records = newlines + (0 if last == b"\n" else 1)
    return h.hexdigest(), max(records - 1, 0)


def count_csv_rows(path: Path) -> int:
    """Data rows of a CSV (header excluded), honouring quoted line breaks; blank lines are no
    rows.

    Undecodable bytes are replaced, not fatal: such a line is still one record, which the
    loader quarantines.
    """
    with open(path, newline="", encoding="utf-8-sig", errors="replace") as f:
        return max(sum(1 for record in csv.reader(f) if record) - 1, 0)


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def parse_extract_datetime(value: object) -> datetime:
    """ISO 8601 date-time -> naive UTC. A value without offset is taken as UTC."""
    if not isinstance(value, str) or "T" not in value:
        raise ValueError(f"extract_datetime {value!r} is not an ISO 8601 date-time")
    try:
        dt = datetime.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"extract_datetime {value!r} is not an ISO 8601 date-time") from exc
    if dt.tzinfo is not None:
        dt = dt.astimezone(UTC).replace(tzinfo=None)
    return dt


def open_delivery(folder: Path) -> tuple[Delivery, str | None]:
    """(Delivery with whatever the manifest yielded, refusal reason or None).

    Reads only manifest.json (cheap, so deliveries can be ordered by extract time
    before any file is hashed). Checks, in order: present, JSON object,
    transfer_id, study, site, extract time, contract version, files entries well
    formed, every form file of that version listed and none of a later version.
    `verify_files` checks the files themselves.

    A form of a later version listed by an earlier-version transfer (im.csv in a 1.0
    transfer) refuses the transfer: read under 1.0 it would be neither loaded nor refused,
    and imaging silently ignored is data lost; the site declares 1.1 or leaves it out. Any
    other file a manifest lists is checked (checksum, rows) and not loaded, as before; the
    LOADED transfer's REASON names it with its rows (ingestion._not_loaded).
    """
    delivery = Delivery(folder=Path(folder))
    try:
        _read_manifest_into(delivery)
    except ManifestError as exc:
        return delivery, str(exc)
    return delivery, None


def _read_manifest_into(d: Delivery) -> None:
    path = d.folder / MANIFEST
    who = d.folder.name
    if path.is_symlink():
        # Not read at all: it could name any file the process can read (check_no_links).
        raise ManifestError(f"{who}: {MANIFEST} is a symbolic link; refused")
    if not path.is_file():
        raise ManifestError(f"{who}: manifest missing ({MANIFEST} not found)")
    raw = path.read_bytes()
    d.manifest_sha256 = sha256_bytes(raw)
    try:
        m = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ManifestError(
            f"{who}: manifest unreadable ({MANIFEST} is not valid JSON: {exc})"
        ) from exc
    if not isinstance(m, dict):
        raise ManifestError(f"{who}: manifest unreadable ({MANIFEST} is not a JSON object)")
    d.manifest = m
    tid = m.get("transfer_id")
    if isinstance(tid, str) and tid.strip():
        d.transfer_id = tid.strip()
        who = d.transfer_id
    d.study_id = m.get("study_id") if isinstance(m.get("study_id"), str) else None
    d.site_id = m.get("site_id") if isinstance(m.get("site_id"), str) else None
    cv = m.get("contract_version")
    d.contract_version = None if cv is None else str(cv)
    if d.transfer_id is None:
        raise ManifestError(f"{who}: manifest invalid (transfer_id missing or empty)")
    if m.get("study_id") != STUDY_ID:
        raise ManifestError(
            f"{who}: wrong study: manifest study_id {m.get('study_id')!r}, expected {STUDY_ID!r}"
        )
    if not isinstance(d.site_id, str) or not SITEID_RE.match(d.site_id):
        raise ManifestError(
            f"{who}: manifest invalid (site_id {m.get('site_id')!r} is not two letters "
            "and two digits)"
        )
    try:
        d.extract_datetime = parse_extract_datetime(m.get("extract_datetime"))
        d.extract_date = datetime.fromisoformat(m["extract_datetime"]).date()
    except ValueError as exc:
        raise ManifestError(f"{who}: manifest invalid ({exc})") from exc
    # Strings only, as the spec's manifest has it: the JSON number 1.1 is not a version.
    if not isinstance(cv, str) or cv not in CONTRACT_VERSIONS:
        expected = ", ".join(repr(v) for v in CONTRACT_VERSIONS)
        raise ManifestError(
            f"{who}: unknown contract version: manifest contract_version {cv!r}, "
            f"expected one of {expected}"
        )
    files = m.get("files")
    if not isinstance(files, dict):
        raise ManifestError(f"{who}: manifest invalid (files is not an object)")
    for name, entry in files.items():
        d.files[name] = _file_entry(who, d.folder, name, entry)
    expected = form_files(cv)
    unlisted = [f for f in expected if f not in d.files]
    if unlisted:
        raise ManifestError(
            f"{who}: manifest invalid (form files not listed: {', '.join(unlisted)})"
        )
    for name in RAW_FORMS:
        if f"{name}.csv" in d.files and f"{name}.csv" not in expected:
            raise ManifestError(
                f"{who}: manifest invalid ({name}.csv is a form of contract "
                f"{RAW_FORMS[name].since}; the manifest declares contract_version {cv})"
            )


def _file_entry(who: str, folder: Path, name: object, entry: object) -> FileEntry:
    if not isinstance(name, str) or "/" in name or "\\" in name or name.startswith("."):
        raise ManifestError(
            f"{who}: manifest invalid (file name {name!r} is not a plain file name)"
        )
    if not isinstance(entry, dict):
        raise ManifestError(f"{who}: manifest invalid (entry for {name} is not an object)")
    sha, rows = entry.get("sha256"), entry.get("rows")
    if not isinstance(sha, str) or not _SHA256_RE.match(sha.lower()):
        raise ManifestError(
            f"{who}: manifest invalid ({name}: sha256 {sha!r} is not 64 hex digits)"
        )
    if isinstance(rows, bool) or not isinstance(rows, int) or rows < 0:
        raise ManifestError(f"{who}: manifest invalid ({name}: rows {rows!r} is not a count)")
    return FileEntry(name=name, path=folder / name, sha256=sha.lower(), rows=rows)


def check_no_links(d: Delivery) -> None:
    """Refuse a delivery whose folder, manifest or any listed file is a symbolic link or
    resolves outside the delivery's folder (site_extracts.md, What bad input gets).

    Why refuse rather than follow: a link can make a transfer load files nobody delivered
    into the landing zone (another site's export, anything the process can read), and the
    audit trail would name the landing folder as their source.
    """
    if d.folder.is_symlink():
        raise ManifestError(
            f"{d.label}: the delivery folder {d.name} is a symbolic link "
            f"(to {os.readlink(d.folder)}); refused"
        )
    home = d.folder.resolve()
    for name in [MANIFEST, *sorted(d.files)]:
        path = d.folder / name
        if path.is_symlink():
            raise ManifestError(
                f"{d.label}: {name} is a symbolic link (to {os.readlink(path)}); refused"
            )
        if path.exists() and path.resolve().parent != home:
            raise ManifestError(f"{d.label}: {name} resolves outside the transfer folder; refused")


def verify_files(d: Delivery) -> None:
    """No link leads out of the folder; every listed file exists, and its streamed sha256 and
    data-row count match."""
    check_no_links(d)
    for name, entry in sorted(d.files.items()):
        if not entry.path.is_file():
            raise ManifestError(f"{d.label}: {name} listed in the manifest but missing")
    for name, entry in sorted(d.files.items()):
        try:
            sha, rows = stream_file(entry.path)
        except OSError as exc:
            # Unreadable (permissions, an I/O error): this transfer is refused, the run goes on.
            raise ManifestError(
                f"{d.label}: {name} cannot be read ({exc.strerror or exc})"
            ) from exc
        if sha != entry.sha256:
            raise ManifestError(
                f"{d.label}: checksum mismatch for {name}: manifest sha256 {entry.sha256[:12]}..., "
                f"file has {sha[:12]}..."
            )
        if rows != entry.rows:
            # A blank line (no data row, site_extracts.md; the loader's reader skips it) or a
            # CR alone ending a line: the csv module's count is exact.
            rows = count_csv_rows(entry.path)
        if rows != entry.rows:
            raise ManifestError(
                f"{d.label}: row-count mismatch for {name}: manifest says {entry.rows} rows, "
                f"file has {rows}"
            )
