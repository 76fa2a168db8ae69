"""The installed `isadex` console script run as a process, as a user or cron runs it: exit
status and messages survive its fast exit (cli.entry). Argument checking in this process:
tests/unit/test_cli.py."""

import subprocess
import sys
from pathlib import Path

ISADEX = Path(sys.executable).with_name("isadex")


def test_failed_command_exits_1_with_its_message(tmp_path):
    missing = tmp_path / "no-such-landing"
    done = subprocess.run(
        [ISADEX, "run", "--landing", missing, "--warehouse", tmp_path / "w.duckdb"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1
    assert f"landing folder {missing} does not exist" in done.stderr


def test_empty_landing_fails_at_once_before_dagster_starts(tmp_path):
    empty = tmp_path / "landing"
    empty.mkdir()
    done = subprocess.run(
        [ISADEX, "run", "--landing", empty, "--warehouse", tmp_path / "w" / "w.duckdb"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 1
    assert done.stderr == f"isadex run: argument --landing: no transfer in {empty} " + (
        "(see isadex run --help)\n"
    )
    assert done.stdout == ""
    assert not (tmp_path / "w").exists()


def test_generate_exits_0_and_writes_everything(tmp_path):
    out = tmp_path / "landing"
    done = subprocess.run(
        [ISADEX, "generate", "--out", out, "--subjects", "12", "--sites", "2"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    manifests = sorted(out.glob("*/manifest.json"))
    assert manifests and all(m.stat().st_size > 0 for m in manifests)


def test_the_run_is_this_installation_whatever_folder_it_is_started_from(tmp_path):
    """The worker process `isadex run` starts runs this installation's code, not a
    `dagster_project` that happens to sit in the folder the user started it from (another
    checkout, say): `python -m` would put that folder first on the module path. A decoy package
    there writes a marker if it is ever imported; the real worker says where it runs, and the
    run is then stopped."""
    import signal
    import time

    decoy = tmp_path / "elsewhere" / "dagster_project"
    decoy.mkdir(parents=True)
    marker = tmp_path / "decoy_imported"
    (decoy / "__init__.py").write_text(f"open({str(marker)!r}, 'w').write('imported')\n")
    (decoy / "cli.py").write_text("raise SystemExit(0)\n")
    landing = tmp_path / "landing"
    subprocess.run(
        [ISADEX, "generate", "--out", landing, "--subjects", "4", "--sites", "1"],
        check=True,
        capture_output=True,
    )
    run = subprocess.Popen(
        [ISADEX, "run", "--landing", landing, "--warehouse", tmp_path / "w" / "w.duckdb"],
        cwd=decoy.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        first = run.stdout.readline()  # the worker's first line, or "" when it ended silently
        deadline = time.monotonic() + 60
        while run.poll() is None and not first and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        run.send_signal(signal.SIGTERM)
        run.communicate(timeout=60)
    assert not marker.exists(), "the worker imported the dagster_project of the current folder"
    assert first.startswith(f"isadex run: {landing} -> "), first
