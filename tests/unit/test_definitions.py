"""The code location loads, and every asset explains itself in the UI."""

import dagster as dg
import pytest

from dagster_project.definitions import defs


@pytest.fixture(scope="module")
def definitions() -> dg.Definitions:
    return defs() if callable(defs) else defs


def test_definitions_load_with_one_graph(definitions):
    keys = {k.to_user_string() for k in definitions.resolve_all_asset_keys()}
    assert {
        "raw/transfers",
        "raw/quarantine",
        "raw/dm",
        "staging/stg_dm",
        "published/warehouse",
    } <= keys
    job = definitions.resolve_implicit_global_asset_job_def()
    assert job is not None


def test_dbt_sources_are_the_ingestion_assets(definitions):
    """Lineage is one unbroken graph: stg_dm's upstream is the raw/dm the ingestion writes."""
    graph = definitions.resolve_asset_graph()
    parents = graph.get(dg.AssetKey(["staging", "stg_dm"])).parent_keys
    assert dg.AssetKey(["raw", "dm"]) in parents
    assert graph.get(dg.AssetKey(["raw", "dm"])).is_materializable


def test_every_asset_has_description_group_and_owner(definitions):
    graph = definitions.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        if not node.is_materializable:
            continue
        assert node.description, f"{key.to_user_string()} has no description"
        assert node.group_name and node.group_name != "default", key.to_user_string()
        assert node.owners, f"{key.to_user_string()} has no owner"


def test_schedule_and_sensor_present(definitions):
    assert definitions.resolve_schedule_def("daily_refresh")
    assert definitions.resolve_sensor_def("new_transfer_sensor")


def test_the_schedule_is_on_and_the_sensor_off_by_default(definitions):
    """README: daily_refresh runs at 06:00 from the start; the sensor waits to be switched on."""
    schedule = definitions.resolve_schedule_def("daily_refresh")
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    sensor = definitions.resolve_sensor_def("new_transfer_sensor")
    assert sensor.default_status == dg.DefaultSensorStatus.STOPPED


def test_publication_waits_for_every_other_asset(definitions):
    """A run publishes only when everything a reader would read has been built."""
    graph = definitions.resolve_asset_graph()
    published = dg.AssetKey(["published", "warehouse"])
    upstream = (
        graph.get(published).ancestor_keys
        if hasattr(graph.get(published), "ancestor_keys")
        else None
    )
    if upstream is None:
        seen, todo = set(), [published]
        while todo:
            for parent in graph.get(todo.pop()).parent_keys:
                if parent not in seen:
                    seen.add(parent)
                    todo.append(parent)
        upstream = seen
    materializable = {k for k in graph.get_all_asset_keys() if graph.get(k).is_materializable}
    missing = materializable - set(upstream) - {published}
    assert not missing, sorted(k.to_user_string() for k in missing)


def test_every_asset_has_a_code_version(definitions):
    """Code versions let the UI show what is stale after a code change."""
    graph = definitions.resolve_asset_graph()
    unversioned = [
        k.to_user_string()
        for k in graph.get_all_asset_keys()
        if graph.get(k).is_materializable and not graph.get(k).code_version
    ]
    assert unversioned == []


def test_dbt_resource_is_dagster_dbts_own_running_the_venvs_dbt(definitions):
    """dagster-dbt's DbtCliResource itself (no subclass over its private members), with the
    venv's dbt by absolute path: found by the UI and cron without the venv on PATH."""
    import sys
    from pathlib import Path

    from dagster_dbt import DbtCliResource

    dbt = definitions.resources["dbt"]
    assert type(dbt) is DbtCliResource
    assert dbt.dbt_executable == str(Path(sys.executable).parent / "dbt")


def test_definitions_load_without_the_libraries_imported_while_dbt_builds():
    """In a fresh interpreter: loading the definitions imports none of GX, SciPy, lifelines,
    scikit-survival or matplotlib (lib/runtime/warm_imports.py); the thread the dbt step
    starts imports
    all of them, and finishes."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from dagster_project.definitions import defs\n"
        "d = defs() if callable(defs) else defs\n"
        "from dagster_project.lib.runtime.warm_imports import AFTER_DBT, import_in_background\n"
        "early = sorted(m for m in AFTER_DBT if m.split('.')[0] in sys.modules)\n"
        "assert not early, f'imported while loading the definitions: {early}'\n"
        "thread = import_in_background()\n"
        "thread.join(timeout=180)\n"
        "missing = [m for m in AFTER_DBT if m not in sys.modules]\n"
        "assert not thread.is_alive() and not missing, missing\n"
        "print('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "ok"


def test_the_definitions_bind_the_settings_they_are_given(tmp_path):
    """`isadex run` binds its command line's settings as the resources (issue 28: it exported
    them for the definitions to read back from the environment)."""
    from dagster_project.definitions import build_defs
    from dagster_project.lib.runtime.settings import RunSettings

    settings = RunSettings(
        landing=tmp_path / "landing",
        warehouse=tmp_path / "w.duckdb",
        cutoff="2026-06-30",
        as_of="2026-07-01T00:00:00",
        report_dir=tmp_path / "report",
    )
    warehouse = build_defs(settings, dbt_console=False).resources["warehouse"]
    assert warehouse.settings == settings
    assert warehouse.dbt_console is False


def test_the_ui_binds_the_settings_make_ui_exports(tmp_path, monkeypatch):
    from dagster_project.lib.runtime.settings import RunSettings

    monkeypatch.setenv("ISADEX_LANDING", str(tmp_path / "landing"))
    monkeypatch.setenv("ISADEX_WAREHOUSE", str(tmp_path / "w.duckdb"))
    monkeypatch.setenv("ISADEX_CUTOFF", "2026-06-30")
    monkeypatch.setenv("ISADEX_DBT_CONSOLE", "0")
    warehouse = defs().resources["warehouse"]
    assert warehouse.settings == RunSettings(
        landing=tmp_path / "landing", warehouse=tmp_path / "w.duckdb", cutoff="2026-06-30"
    )
    assert warehouse.dbt_console is False


def test_the_contract_1_1_form_is_in_the_one_graph(definitions):
    """Issue 29: raw/im is an ingestion asset and stg_im's source (the same asset key as the
    other forms), so lineage runs unbroken from ingestion through quality.findings."""
    graph = definitions.resolve_asset_graph()
    raw_im = dg.AssetKey(["raw", "im"])
    assert graph.get(raw_im).is_materializable
    assert raw_im in graph.get(dg.AssetKey(["staging", "stg_im"])).parent_keys
    parents = graph.get(dg.AssetKey(["quality", "findings_assessments"])).parent_keys
    assert {dg.AssetKey(["staging", "stg_im"]), dg.AssetKey(["staging", "stg_rs"])} <= parents


def test_only_fingerprinted_models_and_those_downstream_wait_for_dbt_to_end():
    """The dbt step holds back the events of the models whose data version is their table's
    fingerprint (read once dbt has closed the file) and of every model that reads one, directly
    or not: Dagster refuses a multi-asset output yielded before a model it reads. Worked out
    here from Dagster's own graph of the dbt assets, not from the manifest the step uses."""
    from dagster_project.defs.warehouse.dbt_models import (
        FINGERPRINTED_LAYERS,
        HELD_UNTIL_DBT_ENDS,
        warehouse_dbt_models,
    )

    deps = warehouse_dbt_models.asset_deps
    held = {key for key in deps if key.path[0] in FINGERPRINTED_LAYERS}
    grew = True
    while grew:
        downstream = {key for key, parents in deps.items() if parents & held} - held
        held |= downstream
        grew = bool(downstream)
    assert {tuple(key.path) for key in held} == HELD_UNTIL_DBT_ENDS
    assert {("adam", "adsl"), ("adam", "adrs")} <= HELD_UNTIL_DBT_ENDS
    assert ("staging", "stg_dm") not in HELD_UNTIL_DBT_ENDS  # staging reads the raw tables only
