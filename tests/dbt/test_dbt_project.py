"""dbt build of the whole project (models, seeds, data tests and every unit test) on an empty
raw layer: the unit tests pin each derivation rule of adam.md with hand-derived rows."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb

from dagster_project.lib.ingestion import ensure_raw_schema

DBT_DIR = Path(__file__).resolve().parents[2] / "dbt"


def test_dbt_build_with_unit_tests(tmp_path):
    db = tmp_path / "dbt.duckdb"
    con = duckdb.connect(str(db))
    ensure_raw_schema(con)
    con.close()
    env = {**os.environ, "ISADEX_DBT_DB": str(db)}
    dbt = str(Path(sys.executable).parent / "dbt")
    result = subprocess.run(
        [
            dbt,
            "build",
            "--profiles-dir",
            ".",
            "--project-dir",
            ".",
            "--target-path",
            str(tmp_path / "target"),
            "--log-path",
            str(tmp_path / "logs"),
            "--vars",
            '{"cutoff": "2026-10-31"}',
        ],
        cwd=DBT_DIR,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout[-6000:]
    results = json.loads((tmp_path / "target" / "run_results.json").read_text())["results"]
    unit = [r for r in results if r["unique_id"].startswith("unit_test.")]
    assert len(unit) >= 40, f"only {len(unit)} unit tests ran"
    assert {r["status"] for r in unit} == {"pass"}
    assert {r["status"] for r in results} <= {"pass", "success"}
