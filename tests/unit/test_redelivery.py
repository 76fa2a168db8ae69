"""The benchmark's real next transfer: one site's newest extract held back from the landing
zone, then sent a day after the newest extract, bytes unchanged, with a new manifest."""

import hashlib
import json

from dagster_project.lib.synthetic import generate_trial
from dagster_project.lib.synthetic.redelivery import hold_back, send_held_back


def _rows(folder) -> dict[str, int]:
    return {
        n: e["rows"] for n, e in json.loads((folder / "manifest.json").read_text())["files"].items()
    }


def test_a_held_back_transfer_is_sent_later_as_the_sites_next_one(tmp_path):
    landing, held = tmp_path / "landing", tmp_path / "held"
    truth = generate_trial(landing, subjects=60, seed=11)
    hold = hold_back(landing, held)

    # the last site of truth.json with an earlier transfer, not the site redeliver uses
    site_transfers = sorted(
        (t for t in truth["transfers"] if t["site_id"] == hold["site_id"]),
        key=lambda t: t["extract_datetime"],
    )
    assert hold["site_id"] != truth["transfers"][0]["site_id"]
    assert hold["held_back"] == site_transfers[-1]["transfer_id"]
    assert hold["in_force"] == site_transfers[-2]["transfer_id"]
    assert not (landing / hold["held_back"]).exists()
    assert (held / hold["held_back"] / "manifest.json").is_file()

    newest = max(t["extract_datetime"] for t in truth["transfers"])  # 2026-10-31T08:00:00Z
    sent = send_held_back(landing, held, hold)
    assert newest == "2026-10-31T08:00:00Z"
    assert sent["extract_datetime"] == "2026-11-01T08:00:00Z"
    assert sent["transfer_id"] == f"{hold['site_id']}_20261101T0800"
    folder = landing / sent["transfer_id"]
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["extract_datetime"] == sent["extract_datetime"]
    assert manifest["transfer_id"] == sent["transfer_id"]
    source = held / hold["held_back"]
    for name, entry in manifest["files"].items():
        data = (folder / name).read_bytes()
        assert data == (source / name).read_bytes()
        assert entry["sha256"] == hashlib.sha256(data).hexdigest()
    now, before = _rows(folder), _rows(landing / hold["in_force"])
    assert sent["rows"] == sum(now.values())
    assert sent["more_rows"] == sum(now.values()) - sum(before.get(n, 0) for n in now)
    assert sent["more_rows_by_form"] == {
        n.removesuffix(".csv"): now[n] - before.get(n, 0) for n in now
    }
