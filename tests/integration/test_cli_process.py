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
