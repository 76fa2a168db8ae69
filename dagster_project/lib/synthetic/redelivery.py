"""A site's re-delivery: its latest transfer sent again, later, with one value corrected; and a
site's real next transfer, held back from the landing zone and sent later.

What the benchmark's incremental runs and the reuse test feed `isadex run`. ``redeliver``: the
smallest real new transfer (every file, a new manifest and transfer id), with a correction that
either no ADaM dataset carries (dm WEIGHT) or that changes ADAE and the AE table (an AE grade).
``hold_back`` and ``send_held_back``: the generator's own next cumulative extract of one site,
with every record, correction and deletion since the site's previous one, as a site's daily
transfer brings them.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from dagster_project.lib.synthetic.transfer_writer import transfer_id_for, write_transfer_chunks


def hold_back(landing: Path, held: Path) -> dict:
    """Move one site's newest transfer out of ``landing`` into ``held``: the last site of
    truth.json that has an earlier transfer and is not the site ``redeliver`` uses (so both
    kinds of transfer can follow each other). Returns the site, the transfer held back and the
    one left in force."""
    truth = json.loads((landing / "truth.json").read_text())
    redelivered = truth["transfers"][0]["site_id"]
    by_site: dict[str, list[dict]] = {}
    for t in truth["transfers"]:
        by_site.setdefault(t["site_id"], []).append(t)
    site = next(s for s in reversed(by_site) if s != redelivered and len(by_site[s]) > 1)
    newest, previous = sorted(by_site[site], key=lambda t: t["extract_datetime"])[-1:-3:-1]
    held.mkdir(parents=True, exist_ok=True)
    (landing / newest["transfer_id"]).rename(held / newest["transfer_id"])
    return {
        "site_id": site,
        "held_back": newest["transfer_id"],
        "in_force": previous["transfer_id"],
    }


def send_held_back(landing: Path, held: Path, hold: dict) -> dict:
    """Send the transfer ``hold_back`` took out, extracted one day after the newest transfer
    in ``landing`` (a new transfer id), so the default cut-off moves with it. Returns what was
    written: site, transfer id, extract time, the transfer it copies, its rows and how many
    more than the site's transfer in force (per form and in all)."""
    src = held / hold["held_back"]
    newest = max(
        json.loads(m.read_text())["extract_datetime"] for m in landing.glob("*/manifest.json")
    )
    when = datetime.fromisoformat(newest.replace("Z", "+00:00")) + timedelta(days=1)
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    manifest = json.loads((src / "manifest.json").read_text())
    before = json.loads((landing / hold["in_force"] / "manifest.json").read_text())["files"]
    files = {
        name: ([(src / name).read_bytes()], entry["rows"])
        for name, entry in manifest["files"].items()
    }
    tid = transfer_id_for(hold["site_id"], stamp)
    write_transfer_chunks(landing, hold["site_id"], stamp, files, tid)
    more = {
        name.removesuffix(".csv"): entry["rows"] - before.get(name, {"rows": 0})["rows"]
        for name, entry in manifest["files"].items()
    }
    return {
        "site_id": hold["site_id"],
        "transfer_id": tid,
        "extract_datetime": stamp,
        "based_on": hold["held_back"],
        "replaces": hold["in_force"],
        "rows": sum(e["rows"] for e in manifest["files"].values()),
        "more_rows": sum(more.values()),
        "more_rows_by_form": more,
    }


def change_weight(lines: list[bytes]) -> dict:
    """dm row 1: WEIGHT + 1 (a value no ADaM dataset carries)."""
    header = next(csv.reader([lines[0].decode()]))
    col = header.index("WEIGHT")
    fields = next(csv.reader([lines[1].decode()]))
    old = fields[col]
    fields[col] = f"{float(old) + 1:g}" if old else "70"
    lines[1] = _csv_line(fields)
    return {"form": "dm", "row": 1, "column": "WEIGHT", "old": old, "new": fields[col]}


def raise_ae_grade(lines: list[bytes]) -> dict:
    """The first ae row of grade 1-3: grade + 1 (ADAE, the worst grade and T07 change)."""
    header = next(csv.reader([lines[0].decode()]))
    col = header.index("AETOXGR")
    for i, line in enumerate(lines[1:], start=1):
        fields = next(csv.reader([line.decode()]), [])
        if len(fields) == len(header) and fields[col] in ("1", "2", "3"):
            old = fields[col]
            fields[col] = str(int(old) + 1)
            lines[i] = _csv_line(fields)
            return {"form": "ae", "row": i, "column": "AETOXGR", "old": old, "new": fields[col]}
    raise ValueError("no ae row of grade 1-3 to change")


def _csv_line(fields: list[str]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(fields)
    return out.getvalue().encode()


CHANGES: dict[str, tuple[str, Callable[[list[bytes]], dict]]] = {
    "dm": ("dm.csv", change_weight),
    "ae": ("ae.csv", raise_ae_grade),
}


def redeliver(
    landing: Path,
    change: str = "dm",
    after: dict | None = None,
    next_day: bool = False,
) -> dict:
    """The first site of truth.json sends its latest transfer again (``after``: the one this
    function wrote last), extracted one hour later, with one value changed (``CHANGES``).

    The hour stays within the day, so the default cut-off (the date of the newest extract)
    does not move; ``next_day``: extracted a day later instead, which moves it. Returns what
    was written: site, transfer id, extract time, the transfer it copies, rows, the change.
    """
    truth = json.loads((landing / "truth.json").read_text())
    site = truth["transfers"][0]["site_id"]
    latest = after or max(
        (t for t in truth["transfers"] if t["site_id"] == site),
        key=lambda t: t["extract_datetime"],
    )
    src = landing / latest["transfer_id"]
    when = datetime.fromisoformat(latest["extract_datetime"].replace("Z", "+00:00"))
    later = when + timedelta(days=1) if next_day else when.replace(hour=(when.hour + 1) % 24)
    stamp = later.strftime("%Y-%m-%dT%H:%M:%SZ")
    manifest = json.loads((src / "manifest.json").read_text())
    target, edit = CHANGES[change]
    files, changed = {}, None
    for name, entry in manifest["files"].items():
        data = (src / name).read_bytes()
        if name == target:
            lines = data.split(b"\n")
            changed = edit(lines)
            data = b"\n".join(lines)
        files[name] = ([data], entry["rows"])
    tid = transfer_id_for(site, stamp)
    write_transfer_chunks(landing, site, stamp, files, tid)
    return {
        "site_id": site,
        "transfer_id": tid,
        "extract_datetime": stamp,
        "based_on": latest["transfer_id"],
        "rows": sum(e["rows"] for e in manifest["files"].values()),
        "change": changed,
    }
