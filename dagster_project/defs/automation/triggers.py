"""When the warehouse rebuilds: daily, and whenever a site delivers a new transfer."""

import hashlib
import json
from pathlib import Path

import dagster as dg

from dagster_project.lib.runtime.settings import RunSettings

full_refresh = dg.define_asset_job(
    "full_refresh",
    selection=dg.AssetSelection.all(),
    description="Ingest new transfers, rebuild ADaM, validate, compute endpoints, publish.",
)

daily_refresh = dg.ScheduleDefinition(
    name="daily_refresh",
    job=full_refresh,
    cron_schedule="0 6 * * *",
    execution_timezone="UTC",
    description="Every morning at 06:00 UTC, after the sites' nightly EDC exports.",
    # On from the start, as README promises; it runs while `dagster dev` (its daemon) is up.
    default_status=dg.DefaultScheduleStatus.RUNNING,
)


def delivery_fingerprints(landing: Path) -> dict[str, float]:
    """Delivery folder -> manifest mtime; a folder counts once its manifest is written."""
    if not landing.is_dir():
        return {}
    return {
        folder.name: (folder / "manifest.json").stat().st_mtime
        for folder in sorted(landing.iterdir())
        if (folder / "manifest.json").is_file()
    }


@dg.sensor(
    job=full_refresh,
    minimum_interval_seconds=60,
    description="Starts a run when a new (or re-delivered) transfer folder appears in the "
    "landing zone.",
    # Off until an operator switches it on in the UI: a landing zone being filled by hand (a
    # test delivery, a re-delivery in progress) must not start runs on its own.
    default_status=dg.DefaultSensorStatus.STOPPED,
)
def new_transfer_sensor(context: dg.SensorEvaluationContext):
    landing = RunSettings.from_env().landing
    seen: dict[str, float] = json.loads(context.cursor) if context.cursor else {}
    current = delivery_fingerprints(landing)
    new = sorted(name for name, mtime in current.items() if seen.get(name) != mtime)
    if not new:
        return dg.SkipReason(f"no new delivery in {landing}")
    context.update_cursor(json.dumps(current, sort_keys=True))
    # The key covers the manifests' times too, so a folder re-delivered in place runs again.
    key = hashlib.sha256(json.dumps({n: current[n] for n in new}).encode()).hexdigest()[:16]
    return dg.RunRequest(run_key=key, tags={"isadex/deliveries": ",".join(new)[:1000]})


@dg.definitions
def automation() -> dg.Definitions:
    return dg.Definitions(
        jobs=[full_refresh], schedules=[daily_refresh], sensors=[new_transfer_sensor]
    )
