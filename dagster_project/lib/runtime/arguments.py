"""Checks of the command line's values, made before anything starts (spec README, "Clear
failures before work"): each takes the text given and returns the value, or raises
``argparse.ArgumentTypeError`` with one line saying what is wrong, which argparse prefixes with
the argument's name.

They only read the filesystem: a run that would fail on its arguments must not create a
folder, a Dagster run or a warehouse first.
"""

from __future__ import annotations

import os
import re
from argparse import ArgumentTypeError
from datetime import date, datetime, timedelta
from pathlib import Path

from dagster_project.lib.ingest.landing import discover, open_delivery

# date.fromisoformat also takes 20261231 and 2026-W48-1; the contract says YYYY-MM-DD.
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def calendar_date(text: str) -> str:
    """A real calendar day written YYYY-MM-DD (2026-02-30 is refused here, not inside dbt)."""
    if not _DATE.fullmatch(text):
        raise ArgumentTypeError(f"not a date YYYY-MM-DD: {text!r}")
    try:
        date.fromisoformat(text)
    except ValueError as exc:
        raise ArgumentTypeError(f"not a calendar date: {text!r} ({exc})") from None
    return text


def utc_datetime(text: str) -> str:
    """An ISO 8601 date-time (or date) in UTC, as the manifests' extract_datetime is, written
    the one way DuckDB's cast to timestamp reads (``2026-07-01T00:00:00``): Python reads the
    basic and week forms too (``20260701T000000Z``, ``2026-W27-1``), which the cast in the dbt
    models refused only after the run had started.

    An offset other than UTC is refused rather than converted: DuckDB's cast to timestamp,
    which the dbt models apply to this value, drops the offset without converting, so
    ``2026-03-01T00:00:00+02:00`` would select transfers two hours later than meant.
    """
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ArgumentTypeError(
            f"not an ISO date-time (e.g. 2026-03-01T00:00:00): {text!r}"
        ) from None
    offset = moment.utcoffset()
    if offset is not None and offset != timedelta(0):
        raise ArgumentTypeError(f"give the time in UTC (Z or no offset), as manifests do: {text!r}")
    return moment.replace(tzinfo=None).isoformat()


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise ArgumentTypeError(f"must be at least 1: {value}")
    return value


def landing_folder(text: str) -> Path:
    """A folder holding at least one transfer folder: an empty landing zone has nothing to
    run on, and said so only after Dagster and dbt had started (a dbt test error)."""
    folder = Path(text)
    if not folder.exists():
        raise ArgumentTypeError(f"landing folder {folder} does not exist")
    if not folder.is_dir():
        raise ArgumentTypeError(f"landing folder {folder} is not a folder")
    if not os.access(folder, os.R_OK | os.X_OK):
        raise ArgumentTypeError(f"landing folder {folder} cannot be read")
    if not discover(folder):
        raise ArgumentTypeError(f"no transfer in {folder}")
    return folder


def _creatable_folder(folder: Path) -> str | None:
    """Why ``folder`` could not be created or written to, or None when it can."""
    existing = folder
    while not existing.exists():
        if existing.parent == existing:
            break
        existing = existing.parent
    if not existing.is_dir():
        return f"{existing} is not a folder"
    if not os.access(existing, os.W_OK | os.X_OK):
        verb = "written to" if existing == folder else f"created in {existing}"
        return f"{folder} cannot be {verb}"
    return None


def output_file(text: str) -> Path:
    """A file whose folder exists and is writable, or can be created (the warehouse: its
    stable name is a link replaced by each run, and the working file, the publications and
    dbt's folder go beside it)."""
    path = Path(text)
    if path.is_dir():
        raise ArgumentTypeError(f"{path} is a folder; give a file name")
    why = _creatable_folder(path.absolute().parent)
    if why:
        raise ArgumentTypeError(why)
    return path


def published_folder(text: str) -> Path:
    """A folder name whose own folder is writable or can be created (the report: its stable
    name is a link into the read-only publication, replaced by each run)."""
    path = Path(text)
    if path.exists() and not path.is_dir():
        raise ArgumentTypeError(f"{path} is not a folder")
    why = _creatable_folder(path.absolute().parent)
    if why:
        raise ArgumentTypeError(why)
    return path


def output_folder(text: str) -> Path:
    """A folder that is writable or can be created (written into, as `generate --out`)."""
    path = Path(text)
    if path.exists() and not path.is_dir():
        raise ArgumentTypeError(f"{path} is not a folder")
    why = _creatable_folder(path.absolute())
    if why:
        raise ArgumentTypeError(why)
    return path


def separate_from_landing(landing: Path, warehouse: Path, report: Path) -> str | None:
    """Why the run's paths overlap, or None. Publishing replaces the report folder's name by a
    link (a real folder there is moved aside), and the warehouse's files (its working file,
    Dagster instance, dbt folder) go beside it: a report folder that is, holds or sits in the
    landing folder, or holds the warehouse, and a warehouse inside the landing folder, moved
    the landing folder aside or gave it folders read as transfers (found by testing the
    operations contract). All absolute (``landing`` resolved)."""

    def within(path: Path, folder: Path) -> bool:
        return path == folder or folder in path.parents

    if within(warehouse.parent, landing):
        return f"--warehouse {warehouse} is inside the landing folder {landing}"
    if within(report, landing) or within(landing, report):
        return f"--report-dir {report} overlaps the landing folder {landing}"
    if within(warehouse.parent, report):
        return f"--report-dir {report} holds the warehouse {warehouse}"
    return None


def transfers_by(landing: Path, as_of: str) -> str | None:
    """Why no transfer of ``landing`` can be in force at ``as_of``, or None: every manifest
    that gives an extract time gives one after it (found by testing as_of: the run failed 47 s
    in, on a dbt test of an empty cut-off). Read from the manifests alone."""
    moment = datetime.fromisoformat(as_of)
    extracts = [
        d.extract_datetime
        for d, _ in (open_delivery(folder) for folder in discover(landing))
        if d.extract_datetime is not None
    ]
    if extracts and min(extracts) > moment:
        return (
            f"no transfer in {landing} was extracted at or before --as-of {as_of} "
            f"(the first: {min(extracts):%Y-%m-%dT%H:%M:%S})"
        )
    return None
