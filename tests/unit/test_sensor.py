"""The new-transfer sensor starts one run per new or re-delivered folder, and none otherwise."""

import json

import dagster as dg

from dagster_project.defs.automation.triggers import new_transfer_sensor


def _delivery(landing, name):
    folder = landing / name
    folder.mkdir(parents=True)
    (folder / "manifest.json").write_text(json.dumps({"transfer_id": name}))
    return folder


def test_sensor_requests_a_run_for_new_folders_only(tmp_path, monkeypatch):
    landing = tmp_path / "landing"
    landing.mkdir()
    monkeypatch.setenv("ISADEX_LANDING", str(landing))

    result = new_transfer_sensor(dg.build_sensor_context())
    assert isinstance(result, dg.SkipReason)

    _delivery(landing, "IT01_20260331T0800")
    (landing / "IT02_20260331T0800").mkdir()  # still being copied: no manifest yet
    ctx = dg.build_sensor_context()
    request = new_transfer_sensor(ctx)
    assert isinstance(request, dg.RunRequest)
    assert request.tags["isadex/deliveries"] == "IT01_20260331T0800"

    again = new_transfer_sensor(dg.build_sensor_context(cursor=ctx.cursor))
    assert isinstance(again, dg.SkipReason)

    _delivery(landing, "IT01_20260430T0800")
    later = new_transfer_sensor(dg.build_sensor_context(cursor=ctx.cursor))
    assert isinstance(later, dg.RunRequest)
    assert later.tags["isadex/deliveries"] == "IT01_20260430T0800"
