"""`make manifest` parses the dbt project only when a project file is newer than the manifest.

Under `make test` several pytest workers run at once, and the UI test starts `make ui`, which
depends on `manifest`: a parse every time would rewrite dbt/target/manifest.json while another
worker's run reads it. `make -n` shows what make would do without doing it; the manifest is
pointed at a file just written, so it is newer than every project file.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def _plan(manifest: Path, *extra: str) -> str:
    done = subprocess.run(
        ["make", "-n", "manifest", f"MANIFEST={manifest}", *extra],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def test_a_manifest_newer_than_the_project_is_not_parsed_again(tmp_path):
    manifest = tmp_path / "manifest.json"
    manifest.write_text("{}")
    assert "dbt parse" not in _plan(manifest)


@pytest.mark.parametrize(
    "changed", ["dbt/models/adam/adsl.sql", "dbt/dbt_project.yml", "dbt/macros/adam_keys.sql"]
)
def test_a_changed_project_file_is_parsed_again(tmp_path, changed):
    manifest = tmp_path / "manifest.json"
    manifest.write_text("{}")
    assert (ROOT / changed).is_file()
    # -W: make takes the file for just modified
    assert "dbt parse" in _plan(manifest, "-W", changed)
