"""`isadex run`'s summary: a good run's ends with the path of everything it published; a failed
run's says nothing new was published and names the failure."""

from pathlib import Path

from dagster_project.lib.runtime.settings import RunSettings
from dagster_project.runner import RunOutcome, published_paths

SETTINGS = RunSettings(landing=Path("/data/landing"), warehouse=Path("/data/w/warehouse.duckdb"))


def _outcome(**kwargs) -> RunOutcome:
    return RunOutcome(
        success=True,
        seconds=12.34,
        run_id="0123456789abcdef",
        warehouse=str(SETTINGS.warehouse),
        published=published_paths(SETTINGS),
        **kwargs,
    )


def test_good_run_ends_with_every_published_path():
    lines = _outcome(warned_checks=["adam/adex:gx_plausibility"]).summary().splitlines()
    assert lines[0] == "isadex run 01234567: OK in 12.3 s"
    assert lines[-5:] == [
        "  published: /data/w/warehouse.duckdb",
        "    report: /data/w/report/index.html",
        "    transport files: /data/w/report/submission",
        "    define.xml: /data/w/report/submission/define.xml",
        "    define metadata: /data/w/report/submission/define.csv, "
        "/data/w/report/submission/define.json",
    ]
    assert "  warning: adam/adex:gx_plausibility" in lines


def test_report_dir_moves_the_report_and_transport_files():
    settings = RunSettings(
        landing=Path("/l"), warehouse=Path("/w/warehouse.duckdb"), report_dir=Path("/r")
    )
    assert dict(published_paths(settings)) == {
        "report": "/r/index.html",
        "transport files": "/r/submission",
        "define.xml": "/r/submission/define.xml",
        "define metadata": "/r/submission/define.csv, /r/submission/define.json",
    }


def test_refused_transfer_still_lists_the_publication():
    summary = _outcome(refused=[("FR01_X", "manifest checksum")]).summary()
    assert summary.splitlines()[0].endswith("OK, with refused transfers in 12.3 s")
    assert "  refused transfer FR01_X: manifest checksum" in summary
    assert summary.splitlines()[-5] == "  published: /data/w/warehouse.duckdb"


def test_failed_run_publishes_nothing_and_names_the_failure():
    summary = RunOutcome(
        success=False,
        seconds=3.0,
        run_id="fedcba9876543210",
        warehouse=str(SETTINGS.warehouse),
        published=published_paths(SETTINGS),
        failures=["warehouse_dbt_models: dbt build failed"],
    ).summary()
    assert summary.splitlines() == [
        "isadex run fedcba98: FAILED in 3.0 s",
        "  nothing new published; the previous publication stays current",
        "  failed: warehouse_dbt_models: dbt build failed",
    ]
    assert "published:" not in summary


def test_a_run_with_nothing_new_says_the_current_publication_stays():
    lines = _outcome(publication_kept=True).summary().splitlines()
    assert "  nothing new to publish: the current publication stays" in lines
    assert lines[-5] == "  published: /data/w/warehouse.duckdb"
    assert "nothing new to publish" not in _outcome().summary()
