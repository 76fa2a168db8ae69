"""What a dbt build by site would cost: the project's dbt build on a copy of a warehouse with
only one site's transfer in force, against the same build with every site's in force.

Issue 8's incremental target (a site's next transfer in under a third of a full run) is missed
mostly in dbt, which rebuilds every subject's rows for one site's new transfer (README,
Performance). A build that kept the other sites' rows would pay for one site's rows, plus
merging them into the full tables and a layer that applies the cut-off to every subject; this
measures the first part, a lower bound for it, before anyone builds it:

- two copies of the warehouse file (published or working); in one, every site's LOADED
  transfer but the chosen site's is set aside (raw.transfers STATUS 'SET_ASIDE', so
  stg_transfers_in_force keeps that site only);
- on each, the run's own `dbt build` (models, seeds, data tests; no unit tests, as
  `isadex run` builds) at the warehouse's current cut-off, pinned with `--vars cutoff`, so
  both copies have the same cut-off; `--repeat` times, alternating copies;
- per build: wall time of the dbt process (start-up and parse included) and dbt's own
  elapsed time (run_results.json), and the subjects in ADSL after it.

Usage: .venv/bin/python bench/dbt_by_site.py --warehouse <file.duckdb> [--site ES07]
(default site: the one whose transfer in force was extracted last, i.e. the site that sent
the newest transfer). Writes the results as JSON to --out (default: print only).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]
DBT_DIR = ROOT / "dbt"
DBT = Path(sys.executable).with_name("dbt")


def newest_site(con: duckdb.DuckDBPyConnection) -> str:
    return con.execute(
        "select site_id from staging.stg_transfers_in_force "
        "order by extract_datetime desc, transfer_id desc limit 1"
    ).fetchone()[0]


def cutoff_of(con: duckdb.DuckDBPyConnection) -> str:
    return str(con.execute("select cutoff_date from staging.stg_data_cut").fetchone()[0])


def set_aside_other_sites(path: Path, site: str) -> int:
    """Only ``site``'s transfers stay LOADED; returns how many were set aside."""
    with duckdb.connect(str(path)) as con:
        (n,) = con.execute(
            "update raw.transfers set STATUS = 'SET_ASIDE' where STATUS = 'LOADED' and SITEID <> ?",
            [site],
        ).fetchone()
        (left,) = con.execute("select count(*) from staging.stg_transfers_in_force").fetchone()
    if left != 1:
        raise RuntimeError(f"{left} transfers in force after setting aside all but {site}'s")
    return n


def dbt_build(path: Path, target: Path, cutoff: str) -> dict:
    env = dict(os.environ, ISADEX_DBT_DB=str(path))
    started = time.perf_counter()
    proc = subprocess.run(
        [
            str(DBT),
            "build",
            "--quiet",
            "--project-dir",
            str(DBT_DIR),
            "--profiles-dir",
            str(DBT_DIR),
            "--target-path",
            str(target),
            "--vars",
            json.dumps({"cutoff": cutoff}),
            "--exclude",
            "resource_type:unit_test",
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - started
    if proc.returncode:
        raise RuntimeError(f"dbt build on {path} exited {proc.returncode}:\n{proc.stdout[-3000:]}")
    elapsed = json.loads((target / "run_results.json").read_text())["elapsed_time"]
    with duckdb.connect(str(path), read_only=True) as con:
        (subjects,) = con.execute("select count(*) from adam.adsl").fetchone()
    return {"wall_s": round(wall, 2), "dbt_elapsed_s": round(elapsed, 2), "subjects": subjects}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", required=True, help="a warehouse file isadex run built")
    parser.add_argument("--site", default=None, help="the site kept (default: newest extract)")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--work", default=None, help="scratch folder (default: a temp dir)")
    parser.add_argument("--out", default=None, help="write the results here as JSON")
    args = parser.parse_args(argv)

    source = Path(args.warehouse).resolve()
    with duckdb.connect(str(source), read_only=True) as con:
        site = args.site or newest_site(con)
        cutoff = cutoff_of(con)
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="isadex-by-site-"))
    copies = {"all sites": work / "all", f"{site} only": work / "site"}
    try:
        for folder in copies.values():
            folder.mkdir(parents=True, exist_ok=True)
            # dbt's sources name the catalog "warehouse": the copy keeps that file name
            shutil.copyfile(source, folder / "warehouse.duckdb")
        set_aside = set_aside_other_sites(copies[f"{site} only"] / "warehouse.duckdb", site)
        runs: dict[str, list[dict]] = {name: [] for name in copies}
        for i in range(args.repeat):
            for name, folder in copies.items():
                run = dbt_build(folder / "warehouse.duckdb", folder / "target", cutoff)
                runs[name].append(run)
                print(f"[{i + 1}/{args.repeat}] {name}: {run}", flush=True)
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)
    result = {
        "warehouse": str(source),
        "site": site,
        "cutoff": cutoff,
        "transfers_set_aside": set_aside,
        "runs": runs,
        "median_dbt_elapsed_s": {
            name: statistics.median(r["dbt_elapsed_s"] for r in rs) for name, rs in runs.items()
        },
    }
    print(json.dumps(result, indent=1))
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
