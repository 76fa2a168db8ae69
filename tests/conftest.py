"""Shared fixtures: a synthetic trial generated once per session, and a warehouse built from it;
the marker of each test folder."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TESTS = Path(__file__).resolve().parent

# Each folder's tests carry its marker (registered in pyproject.toml): `pytest -m unit` runs the
# fast part alone (`make test-fast`), `pytest` runs everything (`make test`).
FOLDER_MARKERS = ("unit", "integration", "e2e", "dbt")


# Session fixtures that build a warehouse: under pytest-xdist (`make test`), every module that
# uses one runs in the same worker, so it is built once.
SHARED_WAREHOUSES = (
    "synthetic_run",
    "trial_1000",
    "small_cli_run",
    "contract_runs",
    "incremental_runs",
)
# Folders whose modules build their own warehouse or project in module fixtures: a module runs
# whole in one worker, so they are built once. Unit tests go to whichever worker is free, but
# for a module marked whole_module (a module fixture that costs seconds, built once).
WHOLE_MODULE_FOLDERS = ("integration", "e2e", "dbt")


# tryfirst: xdist appends each test's group to its node id, and schedules by it, in its own
# pytest_collection_modifyitems; the marks must be there before it runs
# (tests/unit/test_test_groups.py).
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items) -> None:
    shared: dict[Path, str] = {}
    for item in items:
        for name in SHARED_WAREHOUSES:
            if name in getattr(item, "fixturenames", ()):
                shared.setdefault(Path(item.path), name)
    for item in items:
        path = Path(item.path).resolve()
        if path.is_relative_to(TESTS):
            folder = path.relative_to(TESTS).parts[0]
            if folder in FOLDER_MARKERS:
                item.add_marker(getattr(pytest.mark, folder))
            group = shared.get(Path(item.path))
            whole = folder in WHOLE_MODULE_FOLDERS or item.get_closest_marker("whole_module")
            if group is None and whole:
                group = str(path.relative_to(TESTS))
            if group is not None:
                item.add_marker(pytest.mark.xdist_group(group))


@pytest.fixture(scope="session")
def synthetic_landing(tmp_path_factory) -> Path:
    from dagster_project.lib.synthetic import generate_trial

    out = tmp_path_factory.mktemp("landing")
    generate_trial(out, subjects=60, sites=6, seed=20261125)
    return out


@pytest.fixture
def fixed_clock(monkeypatch):
    """The transport writer stamps the headers, define.xml its CreationDateTime, with the time:
    fixed, so two writes can be compared."""
    from datetime import datetime

    from dagster_project.lib.export import define_xml, xpt

    class Clock:
        @staticmethod
        def now(tz=None):
            return datetime(2026, 11, 25, 12, 0, 0, tzinfo=tz)

    monkeypatch.setattr(xpt, "datetime", Clock)
    monkeypatch.setattr(define_xml, "datetime", Clock)


def run_isadex(landing: Path, warehouse: Path, **kwargs):
    """`isadex run` in-process: the same definitions, settings passed as the CLI passes them."""
    from dagster_project.lib.runtime.settings import RunSettings
    from dagster_project.runner import run_pipeline

    return run_pipeline(RunSettings(landing=landing, warehouse=warehouse, **kwargs))


# Our variables (ISADEX_*) in the environment of the process during the shared run, read when
# it ended (synthetic_run_environment).
_SHARED_RUN_ENVIRONMENT: dict[str, list[str]] = {}


def _ours() -> list[str]:
    return sorted(k for k in os.environ if k.startswith("ISADEX_"))


@pytest.fixture(scope="session")
def synthetic_run(synthetic_landing, tmp_path_factory):
    """The demo-sized trial through run_pipeline into a new warehouse, in a process with no
    ISADEX_* variable set (as a scheduler or a notebook runs it), so the same run also shows that
    a run takes its settings as arguments and leaves the environment alone (issue 28,
    tests/e2e/test_operations.py)."""
    warehouse = tmp_path_factory.mktemp("wh") / "warehouse.duckdb"
    before = {k: os.environ.pop(k) for k in _ours()}
    try:
        outcome = run_isadex(synthetic_landing, warehouse)
        _SHARED_RUN_ENVIRONMENT["after"] = _ours()
    finally:
        for key in _ours():
            del os.environ[key]
        os.environ.update(before)
    return outcome, warehouse


@pytest.fixture(scope="session")
def synthetic_run_environment(synthetic_run) -> dict[str, list[str]]:
    """The ISADEX_* variables set when the shared run ended (there were none when it started)."""
    return dict(_SHARED_RUN_ENVIRONMENT)


@pytest.fixture(scope="session")
def trial_1000(tmp_path_factory):
    """A 1,000-subject trial through `isadex run` as a user calls it (subprocess, CLI contract):
    shared by the scale smoke test and the truth-recovery test."""
    import subprocess
    import sys

    isadex = Path(sys.executable).with_name("isadex")
    base = tmp_path_factory.mktemp("trial1000")
    landing, warehouse = base / "landing", base / "wh" / "warehouse.duckdb"
    subprocess.run(
        [isadex, "generate", "--out", landing, "--subjects", "1000"],
        check=True,
        capture_output=True,
    )
    run = subprocess.run(
        [
            isadex,
            "run",
            "--landing",
            landing,
            "--warehouse",
            warehouse,
            "--report-dir",
            base / "report",
        ],
        capture_output=True,
        text=True,
    )
    return run, landing, warehouse


@pytest.fixture(scope="session")
def small_cli_run(tmp_path_factory):
    """A 12-subject, 2-site trial through `isadex run` as cron or CI starts it: the console
    script, its output (stdout and stderr) to a file, no NO_COLOR or ISADEX_DBT_CONSOLE set.
    What tests/e2e/test_cli_output.py reads; the first run of tests/e2e/test_dagster_ui.py,
    which runs it again and opens the UI on it; and the uninterrupted first run of
    tests/e2e/test_run_safety.py, which runs (and kills) later runs on its warehouse: one run
    for the three (they run in this order, in one worker). The layout of `make demo`'s data
    folder (landing/, warehouse.duckdb), so `make ui DATA=<folder>` opens it.
    (code, output, landing, warehouse)."""
    import os
    import subprocess
    import sys

    from dagster_project.lib.synthetic import generate_trial

    isadex = Path(sys.executable).with_name("isadex")
    base = tmp_path_factory.mktemp("small_cli")
    landing, warehouse, output = base / "landing", base / "warehouse.duckdb", base / "out.txt"
    generate_trial(landing, subjects=12, sites=2, seed=7)
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "ISADEX_DBT_CONSOLE")}
    with output.open("w") as out:
        done = subprocess.run(
            [isadex, "run", "--landing", landing, "--warehouse", warehouse],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
    return done.returncode, output.read_text(), landing, warehouse


# The trial of `make demo` (Makefile): 60 subjects, 6 sites, this seed.
DEMO_TRIAL = {"subjects": 60, "sites": 6, "seed": 20261125}


@pytest.fixture(scope="session")
def contract_runs(tmp_path_factory):
    """The `make demo` trial written as contract 1.0 and as 1.1, each beside the
    contract-version faults (each on a site of its own, FB*), through run_pipeline: the pair
    tests/e2e/test_contract_1_1_e2e.py compares, and the 1.1 run is the demo
    tests/e2e/test_imwg_branches_e2e.py reads (one run fewer than a demo of its own).
    version -> (outcome, warehouse, fault cases)."""
    from dagster_project.lib.synthetic import generate_trial
    from dagster_project.lib.synthetic.faults import write_contract_version_faults

    out = {}
    for version in ("1.0", "1.1"):
        root = tmp_path_factory.mktemp(f"v{version}")
        landing = root / "landing"
        generate_trial(landing, **DEMO_TRIAL, contract_version=version)
        cases = write_contract_version_faults(landing)
        warehouse = root / "warehouse.duckdb"
        outcome = run_isadex(landing, warehouse, report_dir=root / "report")
        out[version] = (outcome, warehouse, cases)
    return out


@pytest.fixture(scope="session")
def incremental_runs(synthetic_landing, tmp_path_factory):
    """One warehouse taken through the changes a trial's warehouse sees, by `isadex run`, each
    compared with a fresh run of the same landing zone; built by subject wherever it can be
    (ISADEX_BY_SUBJECT_MIN_SUBJECTS=0: a 60-subject trial builds in full by default, and the
    code path is the same at every size). One sequence serves both
    tests/e2e/test_incremental_reuse.py and tests/e2e/test_build_by_subject.py (a run fewer
    than one sequence each):

    1. ``first``: the demo-sized trial with one site's newest transfer held back (full build);
    2. ``again``: nothing new;
    3. ``third``: a site's correction (an AE grade), the cut-off unchanged; the published
       warehouse and report are copied then (``after_correction``), and compared with
       ``fresh``, a new warehouse built from the same landing zone;
    4. ``next``: the held-back transfer sent, with another site's transfer that deletes a
       subject (the cut-off moves); its materialization metadata as the UI shows it.
    """
    import dagster as dg
    import duckdb

    from dagster_project.lib.runtime.settings import RunSettings
    from dagster_project.lib.synthetic.redelivery import hold_back, redeliver, send_held_back
    from dagster_project.lib.warehouse import ledger
    from tests.same_build import build_state, delete_subject

    def run(warehouse: Path, report: Path | None = None):
        outcome = run_isadex(landing, warehouse, report_dir=report)
        assert outcome.exit_code in (0, 2), outcome.summary()
        return outcome

    def publications(warehouse: Path) -> list[dict]:
        layout = RunSettings(landing=warehouse.parent, warehouse=warehouse).layout
        return list(ledger.publications(ledger.records(layout.ledger)))

    base = tmp_path_factory.mktemp("incremental")
    landing = base / "landing"
    shutil.copytree(synthetic_landing, landing)
    hold = hold_back(landing, base / "held")
    # The kept warehouse's report where a run puts it by default (beside the warehouse).
    kept_wh = base / "kept" / "warehouse.duckdb"
    kept_report = kept_wh.with_name("report")
    before = os.environ.get("ISADEX_BY_SUBJECT_MIN_SUBJECTS")
    os.environ["ISADEX_BY_SUBJECT_MIN_SUBJECTS"] = "0"
    try:
        first = run(kept_wh)
        assert build_state(kept_wh)[:2] == (True, False)  # done, in full: no earlier build
        published_after_first = publications(kept_wh)
        again = run(kept_wh)
        published_after_again = publications(kept_wh)
        redelivery = redeliver(landing, change="ae")
        third = run(kept_wh)
        snapshot = base / "after_correction"
        snapshot.mkdir()
        shutil.copyfile(kept_wh, snapshot / "warehouse.duckdb")
        shutil.copytree(kept_report, snapshot / "report")
        fresh_wh, fresh_report = base / "fresh" / "warehouse.duckdb", base / "fresh_report"
        run(fresh_wh, fresh_report)

        with duckdb.connect(str(kept_wh), read_only=True) as con:
            other_site = con.execute(
                "select min(SITEID) from adam.adsl where SITEID <> ?", [hold["site_id"]]
            ).fetchone()[0]
        sent = send_held_back(landing, base / "held", hold)
        gone, _ = delete_subject(landing, other_site)
        fourth = run(kept_wh)
    finally:
        if before is None:
            del os.environ["ISADEX_BY_SUBJECT_MIN_SUBJECTS"]
        else:
            os.environ["ISADEX_BY_SUBJECT_MIN_SUBJECTS"] = before
    home = RunSettings(landing=landing, warehouse=kept_wh).dagster_home
    with dg.DagsterInstance.local_temp(tempdir=str(home)) as instance:
        metadata = {}
        for key, into in ((("adam", "adsl"), None), (("export", "adam_xpt"), "export")):
            event = instance.get_latest_materialization_event(dg.AssetKey(list(key)))
            assert event.run_id == fourth.run_id, key
            values = {k: v.value for k, v in event.asset_materialization.metadata.items()}
            metadata.update(values if into is None else {into: values})
    return {
        "base": base,
        "landing": landing,
        "first": first,
        "again": again,
        "third": third,
        "redelivery": redelivery,
        "published": (published_after_first, published_after_again),
        "kept": (kept_wh, kept_report),
        "after_correction": (snapshot / "warehouse.duckdb", snapshot / "report"),
        "fresh": (fresh_wh, fresh_report),
        "next": {
            "sent": sent | {"deleted": gone, "other_site": other_site},
            "metadata": metadata,
        },
    }


def dbt_invocations(warehouse: Path) -> list[list[str]]:
    """The dbt commands in the warehouse's dbt.log, in order: each as its events' names."""
    import json

    invocations: dict[str, list[str]] = {}
    log = warehouse.with_name(warehouse.stem + ".dbt") / "dbt.log"
    for line in log.read_text().splitlines():
        if line.strip():
            info = json.loads(line)["info"]
            invocations.setdefault(info["invocation_id"], []).append(info["name"])
    return list(invocations.values())


def unaccounted_rows(con, landing: Path) -> list[tuple]:
    """The contract's invariant, per LOADED transfer and form file: rows in the file (the
    manifest's count) = rows in raw.<form> + rows in raw.quarantine. Returns the
    (transfer, form, rows in, loaded, quarantined) that break it; empty when nothing is lost."""
    import json

    from dagster_project.lib.ingest.contract import FORMS

    loaded = {
        (transfer, form): n
        for form in FORMS
        for transfer, n in con.execute(
            f"select TRANSFER_ID, count(*) from raw.{form} group by 1"
        ).fetchall()
    }
    quarantined = {
        (transfer, form): n
        for transfer, form, n in con.execute(
            "select TRANSFER_ID, FORM, count(*) from raw.quarantine group by 1, 2"
        ).fetchall()
    }
    broken = []
    for transfer, delivery in con.execute(
        "select TRANSFER_ID, DELIVERY from raw.transfers where STATUS = 'LOADED'"
    ).fetchall():
        manifest = json.loads((landing / delivery / "manifest.json").read_text())
        for form in FORMS:
            rows_in = manifest["files"][f"{form}.csv"]["rows"]
            n_loaded = loaded.get((transfer, form), 0)
            n_quarantined = quarantined.get((transfer, form), 0)
            if rows_in != n_loaded + n_quarantined:
                broken.append((transfer, form, rows_in, n_loaded, n_quarantined))
    return broken


def text_hits(con, needle: str) -> list[tuple[str, str, str]]:
    """(schema, table or view, column) of every value containing `needle`: every column of
    every table and view of the database, whatever its type (cast to text)."""
    columns = con.execute(
        "SELECT table_schema, table_name, column_name FROM information_schema.columns "
        "WHERE table_catalog = current_database()"
    ).fetchall()
    return [
        (schema, table, column)
        for schema, table, column in columns
        if con.execute(
            f'SELECT count(*) FROM "{schema}"."{table}" WHERE contains("{column}"::VARCHAR, ?)',
            [needle],
        ).fetchone()[0]
    ]


def frames_without(frames: dict, form: str, mask) -> dict:
    """`frames` (form -> DataFrame, as lib/synthetic/faults.valid_frames gives them) without
    the rows of `form` that `mask` selects: a later transfer from which records were deleted."""
    out = dict(frames)
    out[form] = frames[form][~mask(frames[form])].reset_index(drop=True)
    return out


def write_numbered_lb(path: Path, site: str, n: int, header: bool = True) -> None:
    """An lb.csv of `n` valid rows of `site` whose LBORRES is the row's own number in the file
    (1..n), so a test can check that ROWNUM follows file order."""
    import duckdb

    duckdb.sql(
        f"""copy (
            select '{site}' as SITEID, printf('{site}-%03d', 1 + (r % 900)) as SUBJID,
                   (date '2000-01-01' + (r // 900)::int)::varchar as LBDT,
                   'SMPROT' as LBTESTCD, r::varchar as LBORRES
            from range(1, {n + 1}) t(r) order by r
        ) to '{path}' (header {str(header).lower()})"""
    )
