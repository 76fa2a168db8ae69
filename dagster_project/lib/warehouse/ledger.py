"""The publication ledger: one JSON record per line, each holding the hash of the one before.

A record is canonical JSON (sorted keys, no spaces) of its fields plus ``prev`` (the previous
record's ``hash``, "" for the first); its ``hash`` is the SHA-256 of that text. Changing,
removing or reordering any record breaks the chain from there on, and every published file's
SHA-256 is in the record of its publication, so `isadex verify` can tell what was altered.
The file is append-only by use and read-only between appends (mode 0444); it is the audit
record, so a pruned publication keeps its record and gains a ``prune`` record naming it.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

READ_ONLY = stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH  # 0444


def canonical(fields: dict) -> str:
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def record_hash(fields: dict) -> str:
    """SHA-256 of the record without its own ``hash``."""
    body = {k: v for k, v in fields.items() if k != "hash"}
    return hashlib.sha256(canonical(body).encode()).hexdigest()


@dataclass(frozen=True)
class Entry:
    line: int  # 1-based line of the ledger
    fields: dict | None  # None when the line is not a JSON object
    error: str = ""


def read(ledger: Path) -> list[Entry]:
    if not ledger.exists():
        return []
    entries = []
    for number, text in enumerate(ledger.read_text(encoding="utf-8").splitlines(), start=1):
        try:
            fields = json.loads(text)
        except json.JSONDecodeError as exc:
            entries.append(Entry(number, None, f"not JSON ({exc.msg})"))
            continue
        if not isinstance(fields, dict):
            entries.append(Entry(number, None, "not a JSON object"))
            continue
        entries.append(Entry(number, fields))
    return entries


def chain_problems(entries: list[Entry]) -> list[str]:
    """Every break of the chain: a record that is not JSON, whose hash does not recompute,
    whose ``prev`` is not the hash of the record before it, or whose ``seq`` is out of order."""
    problems = []
    prev = ""
    for position, entry in enumerate(entries, start=1):
        where = f"ledger record {entry.line}"
        if entry.fields is None:
            problems.append(f"{where}: {entry.error}")
            prev = None
            continue
        fields = entry.fields
        if fields.get("seq") != position:
            problems.append(f"{where}: seq {fields.get('seq')!r}, expected {position}")
        if prev is not None and fields.get("prev") != prev:
            problems.append(f"{where}: prev does not match the hash of record {entry.line - 1}")
        if fields.get("hash") != record_hash(fields):
            problems.append(f"{where}: its content does not match its hash (altered)")
        prev = fields.get("hash")
    return problems


def records(ledger: Path) -> list[dict]:
    """The records of a ledger whose chain holds (raises ValueError naming the first break)."""
    entries = read(ledger)
    problems = chain_problems(entries)
    if problems:
        raise ValueError(f"{ledger}: {problems[0]}")
    return [e.fields for e in entries if e.fields is not None]


def append(ledger: Path, fields: dict) -> dict:
    """Append a record chained to the last one and return it (with seq, prev and hash).

    The line is written with one write() on a file opened for appending, flushed to disk, and
    the file made read-only again; a ledger whose chain is already broken is not extended."""
    existing = records(ledger)
    record = {**fields, "seq": len(existing) + 1, "prev": existing[-1]["hash"] if existing else ""}
    record["hash"] = record_hash(record)
    line = (canonical(record) + "\n").encode()
    if ledger.exists():
        os.chmod(ledger, READ_ONLY | stat.S_IWUSR)
    fd = os.open(ledger, os.O_WRONLY | os.O_APPEND | os.O_CREAT, READ_ONLY | stat.S_IWUSR)
    try:
        os.write(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)
        os.chmod(ledger, READ_ONLY)
    return record


def publications(entries: list[dict]) -> Iterator[dict]:
    return (r for r in entries if r.get("kind") == "publication")


def pruned(entries: list[dict]) -> set[str]:
    return {cut for r in entries if r.get("kind") == "prune" for cut in r.get("removed", [])}
