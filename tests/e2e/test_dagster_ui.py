"""The Dagster UI in a real browser: the asset graph and an asset's page render our definitions.

Method: a small trial is run by the `isadex` command, twice (the second time with nothing new;
the first is tests/conftest.py's small_cli_run, shared with two other modules), and the UI is
started the documented way, `make ui DATA=<its folder>` from a shell without the virtual
environment on PATH (`dagster dev` on the warehouse's own instance, on a free loopback port).
Once its GraphQL API reports the `isadex` code location LOADED, Debian's
Chromium is started headless with a DevTools port, and the test speaks the Chrome DevTools
Protocol to it (tests/devtools.py, shared with the report print test) over the `websockets`
client already in the lock file (no Selenium, no browser download): navigate, poll the page's
DOM until the expected text is there, then capture a PNG. Screenshots go to tmp_path and, when
ISADEX_SCREENSHOT_DIR is set, are copied there too.

The browser draws the lineage and the asset pages of our definitions, then finds the run on
the Runs page, its materialization of adam/adsl and a passed check of it. (One server for all:
a second, bare `dagster-webserver` on an empty instance cost a start of its own.)

Expected values are read off the sources, not off the UI: the lineage from raw/dm to adam/adsl
follows the dbt refs (adsl.sql refs int_subjects_derived, which refs stg_dm and
int_subject_age_derived; that model refs stg_dm; stg_dm reads source raw.dm); descriptions come
from dbt/models/adam/_adsl.yml and the contract.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import pytest
import yaml
from websockets.sync.client import connect

from dagster_project.lib.ingest.contract import FORMS
from tests.devtools import (
    VIEWPORT,
    DevToolsPage,
    chromium_binary,
    die_with_parent,
    http_json,
    launch_chromium,
    png_size,
    stop_group,
    tail,
)

ROOT = Path(__file__).resolve().parents[2]
LOCATION = "isadex"
SERVER_START_TIMEOUT_S = 120.0

# Text of every asset node drawn inside the graph's SVG, and of the graph as a whole. The side
# panel lists group names too, so only what is inside the SVG proves the graph rendered.
JS_GRAPH_NODE_NAMES = (
    "[...document.querySelectorAll('svg foreignObject [class*=assetName]')]"
    ".map(e => e.innerText.trim())"
)
# (innerText exists on HTML elements only, so the HTML children of each foreignObject are read.)
JS_GRAPH_TEXT = (
    "[...document.querySelectorAll('svg foreignObject > *')].map(e => e.innerText).join('\\n')"
)
JS_BODY_TEXT = "document.body ? document.body.innerText : ''"

# The "Join the Dagster community" dialog covers the first page a new browser profile opens;
# the UI remembers a dismissal under this localStorage key.
JS_DISMISS_COMMUNITY_DIALOG = "localStorage.setItem('communityNux', '\"1\"')"


# ----------------------------------------------------------------------------- processes


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


LOCATION_STATUS_QUERY = """
{ workspaceOrError { __typename ... on Workspace { locationEntries {
    name loadStatus
    locationOrLoadError { __typename ... on PythonError { message } }
} } } }
"""


def _location_status(base_url: str) -> tuple[str, str | None]:
    """(loadStatus, load error message or None) of our code location; ('MISSING', None) if the
    workspace does not list it yet."""
    answer = http_json(f"{base_url}/graphql", {"query": LOCATION_STATUS_QUERY})
    workspace = answer["data"]["workspaceOrError"]
    for entry in workspace.get("locationEntries", []):
        if entry["name"] == LOCATION:
            error = entry["locationOrLoadError"]
            failed = error is not None and error["__typename"] == "PythonError"
            message = error.get("message") if failed else None
            return entry["loadStatus"], message
    return "MISSING", None


def _wait_for_webserver(base_url: str, proc: subprocess.Popen, log: Path) -> None:
    """Poll /server_info, then the workspace, until the code location is LOADED (bounded)."""
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"dagster-webserver exited with {proc.returncode}:\n{tail(log)}")
        try:
            http_json(f"{base_url}/server_info", timeout=2)
            status, error = _location_status(base_url)
        except (urllib.error.URLError, ConnectionError, TimeoutError, KeyError, ValueError):
            time.sleep(0.25)
            continue
        if error:
            pytest.fail(f"code location {LOCATION!r} failed to load:\n{error}")
        if status == "LOADED":
            return
        time.sleep(0.25)
    pytest.fail(f"dagster-webserver not ready after {SERVER_START_TIMEOUT_S:.0f} s:\n{tail(log)}")


# ----------------------------------------------------------------------------- DevTools


# ----------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def chromium() -> str:
    """The system Chromium (tests/devtools.py): skipped on a workstation without it, never in CI."""
    return chromium_binary()


def _fresh_clone_env() -> dict[str, str]:
    """The environment of a newcomer's shell: the virtual environment not activated (its bin
    folder not on PATH), no DAGSTER_HOME, no run settings."""
    venv_bin = str(Path(sys.executable).parent)
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ISADEX_", "DAGSTER_")) and k not in {"VIRTUAL_ENV", "PYTHONHOME"}
    }
    env["PATH"] = os.pathsep.join(
        p for p in env.get("PATH", "").split(os.pathsep) if p and p != venv_bin
    )
    return env


@dataclass(frozen=True)
class UiAfterRun:
    base_url: str
    run_id: str  # the first run, which computed everything
    log: Path
    dagster_home: Path  # the warehouse's instance, which `make ui` opens
    rerun_id: str = ""  # the second, with nothing new: everything after ingestion kept


@pytest.fixture(scope="module")
def ui_after_run(
    chromium: str, small_cli_run, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[UiAfterRun]:
    """The small trial's `isadex run` (tests/conftest.py, small_cli_run: the console script,
    as cron starts it), run a second time with nothing new from a shell without the virtual
    environment, then the UI started the documented way from that shell: `make ui
    DATA=<that data folder>`."""
    code, output, landing, warehouse = small_cli_run
    assert code == 0, output
    data = warehouse.parent
    env = _fresh_clone_env()
    isadex = Path(sys.executable).with_name("isadex")
    run = subprocess.run(
        [isadex, "run", "--landing", landing, "--warehouse", warehouse],
        env=env,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, f"{run.stdout[-3000:]}\n{run.stderr[-3000:]}"
    home = data / "warehouse.dagster"  # beside the warehouse, named after it
    assert f"Dagster instance: {home}" in run.stdout
    with dg.DagsterInstance.local_temp(tempdir=str(home)) as instance:
        run_ids = [r.dagster_run.run_id for r in instance.get_run_records()]  # newest first
    assert len(run_ids) == 2, run_ids

    port = _free_port()
    log = tmp_path_factory.mktemp("ui_after_run") / "make_ui.log"
    with log.open("wb") as sink:
        proc = subprocess.Popen(
            ["make", "ui", f"DATA={data}", f"UI_ARGS=-h 127.0.0.1 -p {port}"],
            cwd=ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # make, dagster dev, its webserver, daemon and code server
            preexec_fn=die_with_parent,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_for_webserver(base_url, proc, log)
        yield UiAfterRun(base_url, run_ids[1], log, home, rerun_id=run_ids[0])
    finally:
        stop_group(proc, grace_s=15)


@pytest.fixture(scope="module")
def page(chromium: str, tmp_path_factory) -> Iterator[DevToolsPage]:
    work = tmp_path_factory.mktemp("chromium")
    proc, websocket_url = launch_chromium(chromium, work / "profile", work / "chromium.log")
    try:
        # Screenshots arrive as one base64 message of a few MB: no frame size limit.
        with connect(websocket_url, proxy=None, max_size=None, open_timeout=10) as ws:
            yield _prepared_page(DevToolsPage(ws))
    finally:
        stop_group(proc, grace_s=3)


def _prepared_page(cdp: DevToolsPage) -> DevToolsPage:
    """Fixed viewport, and the community dialog dismissed before any page script runs."""
    cdp.call("Page.enable")
    width, height = VIEWPORT
    cdp.call(
        "Emulation.setDeviceMetricsOverride",
        width=width,
        height=height,
        deviceScaleFactor=1,
        mobile=False,
    )
    cdp.call("Page.addScriptToEvaluateOnNewDocument", source=JS_DISMISS_COMMUNITY_DIALOG)
    return cdp


@pytest.fixture(scope="module")
def shoot(page: DevToolsPage, tmp_path_factory) -> Callable[[str], Path]:
    """Save a screenshot of the current page under tmp_path (and ISADEX_SCREENSHOT_DIR if set)."""
    folder = tmp_path_factory.mktemp("screenshots")
    extra = os.environ.get("ISADEX_SCREENSHOT_DIR")

    def _shoot(name: str) -> Path:
        page.settle()
        path = page.screenshot(folder / f"{name}.png")
        if extra:
            Path(extra).mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, Path(extra) / path.name)
        return path

    return _shoot


def _lineage_url(base_url: str, selection: str, expanded_groups: list[str]) -> str:
    """The global lineage page filtered to `selection`, the given groups drawn open (the UI's
    own `expanded` query parameter; group ids are global@global:<group>)."""
    expanded = ",".join(f"global@global:{group}" for group in expanded_groups)
    return (
        f"{base_url}/asset-groups~{urllib.parse.quote(selection, safe='')}"
        f"?expanded={urllib.parse.quote(expanded, safe='')}"
    )


# ----------------------------------------------------------------------------- tests


@pytest.fixture(scope="module")
def webserver(ui_after_run: UiAfterRun) -> str:
    """The UI's address (`make ui` after the runs): the definitions' pages are the same on it."""
    return ui_after_run.base_url


def test_global_lineage_draws_the_warehouse_layers(page, webserver, shoot):
    """The whole graph loads: the layer groups are drawn as nodes of the lineage SVG."""
    layers = {"ingest", "staging", "intermediate", "adam"}
    page.navigate(f"{webserver}/asset-groups")
    text = page.wait_until(JS_GRAPH_TEXT, lambda t: layers <= set(t.split())) or ""
    shot = shoot("01_global_lineage")
    assert layers <= set(text.split()), f"graph drew only: {text[:500]!r}"
    assert "Global asset lineage" in page.evaluate(JS_BODY_TEXT)
    assert png_size(shot) == VIEWPORT


def test_lineage_from_raw_dm_to_adsl_draws_the_dbt_path(page, webserver, shoot):
    """Every asset on a path from raw/dm to adam/adsl, and nothing else, is drawn by name.

    From the dbt sources: adsl.sql refs int_subjects_derived only; that model refs stg_dm,
    int_subject_age_derived and int_subject_bsa_derived (among others); both ref
    stg_dm (the age model also stg_enr, which does not read raw.dm); stg_dm reads source raw.dm.
    No other model on adsl's upstream reads stg_dm, so the paths are
    dm -> stg_dm -> int_subjects_derived -> adsl,
    dm -> stg_dm -> int_subject_age_derived -> int_subjects_derived -> adsl and
    dm -> stg_dm -> int_subject_bsa_derived -> int_subjects_derived -> adsl.
    (The graph shows a node's name whole only up to a length: int_subject_bsa_derived was first
    int_subject_body_surface_area_derived, drawn as int_subje..._surface_area_derived.)
    """
    expected = [
        "adsl",
        "dm",
        "int_subject_age_derived",
        "int_subject_bsa_derived",
        "int_subjects_derived",
        "stg_dm",
    ]
    url = _lineage_url(
        webserver,
        'key:"raw/dm"+ and +key:"adam/adsl"',
        ["ingest", "staging", "intermediate", "adam"],
    )
    page.navigate(url)
    names = page.wait_until(JS_GRAPH_NODE_NAMES, lambda n: sorted(n) == expected) or []
    shoot("02_lineage_dm_to_adsl")
    assert sorted(names) == expected
    graph_text = page.evaluate(JS_GRAPH_TEXT)
    for group in ("ingest", "staging", "intermediate", "adam"):
        assert group in graph_text.split(), f"group box {group!r} not drawn"


def _first_sentence(text: str) -> str:
    return " ".join(text.split()).split(". ")[0]


def _adsl_description() -> str:
    models = yaml.safe_load((ROOT / "dbt/models/adam/_adsl.yml").read_text())["models"]
    return next(m["description"] for m in models if m["name"] == "adsl")


@pytest.mark.parametrize(
    ("asset_path", "description"),
    [
        # A dbt model: its description is the model's in the dbt YAML.
        ("adam/adsl", _first_sentence(_adsl_description())),
        # A Python asset spec: its description is built from the contract's label for the form.
        ("raw/dm", f"{FORMS['dm'].label} (dm.csv): typed rows of every loaded transfer"),
    ],
    ids=["adam-adsl", "raw-dm"],
)
def test_asset_page_shows_key_and_description(page, webserver, shoot, asset_path, description):
    page.navigate(f"{webserver}/assets/{asset_path}")

    def rendered(text: str) -> bool:
        return description in " ".join(text.split())

    text = page.wait_until(JS_BODY_TEXT, rendered) or ""
    shot = shoot(f"03_asset_{asset_path.replace('/', '_')}")
    assert rendered(text), f"{description!r} not on the page; it shows: {text[:800]!r}"
    # The breadcrumb names both parts of the key, and the page is the asset's, not a 404.
    lines = {line.strip() for line in text.splitlines()}
    assert set(asset_path.split("/")) <= lines
    assert LOCATION in lines, "the Definition panel does not name the code location"
    assert "not found in any of your definitions" not in text
    assert png_size(shot) == VIEWPORT


# ----------------------------------------------------------------------------- after `isadex run`


def test_make_ui_loads_the_code_location_quietly(ui_after_run):
    """`make ui` from a shell without the virtual environment: the code location loaded (the
    fixture waited for it), dbt was found, and the location name matches the project's."""
    said = ui_after_run.log.read_text(errors="replace")
    assert f"Dagster instance: {ui_after_run.dagster_home}" in said
    assert "not found on PATH" not in said
    assert "does not match the name" not in said


def test_runs_page_shows_the_isadex_run(page, ui_after_run, shoot):
    """The run `isadex run` made is on the Runs page (the UI shows run ids by their first eight
    characters), and its own page shows it succeeded."""
    short_id = ui_after_run.run_id[:8]
    page.navigate(f"{ui_after_run.base_url}/runs")
    text = page.wait_until(JS_BODY_TEXT, lambda t: short_id in t) or ""
    shoot("04_runs_after_isadex_run")
    assert short_id in text, f"run {short_id} not on the Runs page: {text[:800]!r}"

    page.navigate(f"{ui_after_run.base_url}/runs/{ui_after_run.run_id}")
    text = page.wait_until(JS_BODY_TEXT, lambda t: "RUN_SUCCESS" in t) or ""
    shoot("05_run_page")
    assert "RUN_SUCCESS" in text, f"no RUN_SUCCESS in the run's log: {text[:800]!r}"


def test_adsl_events_show_the_materialization_of_that_run(page, ui_after_run, shoot):
    """adam/adsl's event list names the run that materialized it last (the UI's own wording):
    the re-run, which kept the first run's build and says so."""
    said = f"Materialized in run {ui_after_run.rerun_id[:8]}"
    page.navigate(f"{ui_after_run.base_url}/assets/adam/adsl?view=events")
    text = page.wait_until(JS_BODY_TEXT, lambda t: said in t and ui_after_run.run_id in t) or ""
    shoot("06_adsl_materialized")
    assert said in text, f"{said!r} not on adam/adsl's events: {text[:800]!r}"
    assert ui_after_run.run_id in text  # reused_from_run


def _rows_linking_to_run(run_id: str) -> str:
    """JS: the text of each table row with a link to the run's page."""
    return (
        "[...document.querySelectorAll('tr')]"
        f".filter(r => [...r.querySelectorAll('a')].some(a => "
        f"(a.getAttribute('href') || '').startsWith('/runs/{run_id}')))"
        ".map(r => r.innerText)"
    )


def test_adsl_check_passed_in_that_run(page, ui_after_run, shoot):
    """dbt names a generic test <test>_<model>_<column>: `unique` on USUBJID in _adsl.yml is
    the asset check unique_adsl_USUBJID; the small trial has one row per subject, so its
    execution history shows a passed evaluation linked to the run."""
    check = "unique_adsl_USUBJID"
    page.navigate(f"{ui_after_run.base_url}/assets/adam/adsl?view=checks&checkDetail={check}")
    page.wait_until(JS_BODY_TEXT, lambda t: check in t and "Execution history" in t)
    page.evaluate(
        "[...document.querySelectorAll('[role=tab]')]"
        ".find(e => e.innerText.trim() === 'Execution history').click()"
    )

    def passed(rows: list[str]) -> bool:
        return any(row.split()[:1] == ["Passed"] for row in rows)

    rows = page.wait_until(_rows_linking_to_run(ui_after_run.run_id), passed) or []
    shoot("07_adsl_check_passed")
    assert passed(rows), f"{check}: no passed evaluation of the run; rows {rows!r}"


def test_the_asset_page_says_why_it_was_not_recomputed(page, ui_after_run, shoot):
    """After the re-run with nothing new, T01's latest materialization is the re-run's, and its
    metadata, on the asset's events page, says it was not recomputed and from which run it was
    kept (defs/reuse.py)."""
    page.navigate(f"{ui_after_run.base_url}/assets/endpoints/t01?view=events")
    kept_from = ui_after_run.run_id

    def says_why(text: str) -> bool:
        return "not_recomputed" in text and kept_from in text

    text = page.wait_until(JS_BODY_TEXT, says_why) or ""
    shoot("08_t01_not_recomputed")
    assert says_why(text), f"no not_recomputed / {kept_from} on T01's events: {text[:1500]!r}"
