"""`make bench`: the warehouse's speed and memory as measured facts (docs: README, "Performance").

Method, per trial size (default 1,000 / 10,000 / 100,000 subjects, default sites and
transfers), all in one run on the same machine:

- generate: `isadex generate` as a subprocess, wall time.
- anchor: DuckDB reading every raw CSV of the landing zone once: per form one
  `read_csv` over that form's file in every transfer, `count(*)`, 2 threads, in a
  fresh subprocess (so it pays a process start, as `isadex run` does); the median of
  `--repeat` such scans (each recorded in `anchor_runs`), since single scans of the same
  files differed by more than half.
- full run: `isadex run` on an empty warehouse as a subprocess with DAGSTER_HOME in a
  temporary folder, so Dagster records the run; the process tree's resident memory
  (RSS summed over the process and every descendant, dbt included, read from /proc)
  is sampled every 0.2 s and its maximum reported. Stage times are Dagster's own step
  statistics (`DagsterInstance.get_run_step_stats`), grouped into stages by step key.
- incremental runs: one site sends one new transfer (a copy of its latest transfer,
  extracted one hour later), written with the project's transfer writer; `isadex run`
  again on the same warehouse. Three such transfers, one after the other: one hour later
  with one dm WEIGHT value changed (a correction no ADaM dataset carries), one hour later
  again with one AE grade raised (a correction that changes ADAE and the AE table), then
  one day later with another WEIGHT change, which moves the default cut-off (the date of
  the newest extract) and with it CUTOFFDT and the censoring of every subject. The raw.*
  row counts before and after the first show that only the new transfer was loaded.
- next transfer: the realistic case. Before the anchor scan, one site's newest transfer is
  held back (`redelivery.hold_back`), so the full run has its previous one in force; after
  the three re-deliveries it is sent, extracted the day after the newest extract
  (`redelivery.send_held_back`): the generator's own cumulative extract of that site, with
  every record, correction and deletion since its previous transfer, and a moved cut-off.
- warehouse: size of the published file, the working file and the per-cut copies.

For the default 60-subject trial it also times a bare Dagster + dagster-dbt
materialization of one trivial model (a one-model dbt-duckdb project and a
Definitions with @dbt_assets built in a temporary folder, materialized by
`dagster asset materialize` in a subprocess) and reports `isadex run` as a ratio to it
(median of `--repeat` runs each).

Writes bench/results.json and bench/results.md; prints the table. Time and memory
scaling exponents are least-squares slopes of log(value) on log(subjects).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
ISADEX = str(BIN / "isadex")
SAMPLE_SECONDS = 0.2
FORMS = ["dm", "enr", "dx", "ex", "sct", "lb", "rs", "mrd", "ae", "ds", "dth", "fu", "nt"]

# Step key -> stage. The raw asset does discovery, checksums, typed load and quarantine.
STAGES = (
    ("ingest", re.compile(r"^raw_tables$")),
    ("dbt build", re.compile(r"warehouse_dbt_models|dbt")),
    ("validation", re.compile(r"gx|quality|valid|check")),
    ("report", re.compile(r"report|quality_page")),
    ("publication", re.compile(r"publish")),
    ("export", re.compile(r"export|xpt|submission")),
    ("endpoints", re.compile(r"endpoint|^t\d\d|figure|^f\d\d|results|table")),
)
STAGE_ORDER = [name for name, _ in STAGES] + ["other"]


def stage_of(step_key: str) -> str:
    """The stage a Dagster step belongs to (first matching pattern in STAGES)."""
    key = step_key.lower()
    for name, pattern in STAGES:
        if pattern.search(key):
            return name
    return "other"


# --------------------------------------------------------------------------- measurement


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(p) for p in f.read().split()]
    except OSError:
        return []


def _rss_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, IndexError, ValueError):
        return 0


def tree_rss(pid: int) -> int:
    """Resident memory of a process and all its descendants, in bytes (from /proc)."""
    total, stack, seen = 0, [pid], set()
    while stack:
        p = stack.pop()
        if p in seen:
            continue
        seen.add(p)
        total += _rss_bytes(p)
        stack.extend(_children(p))
    return total


@dataclass
class Measured:
    seconds: float
    peak_rss: int
    returncode: int
    stdout: str
    stderr: str
    # (unix time, tree RSS bytes) every SAMPLE_SECONDS: which stage holds the peak
    samples: list[tuple[float, int]] = field(default_factory=list)


def run_measured(
    cmd: list[str], env: dict[str, str] | None = None, cwd: Path | None = None
) -> Measured:
    """Run cmd; wall time and the peak of the process tree's summed RSS, sampled every 0.2 s."""
    peak = 0
    samples: list[tuple[float, int]] = []
    started = time.perf_counter()
    proc = subprocess.Popen(
        cmd, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    out: dict[str, str] = {}
    readers = [
        threading.Thread(target=lambda: out.__setitem__("o", proc.stdout.read())),
        threading.Thread(target=lambda: out.__setitem__("e", proc.stderr.read())),
    ]
    for r in readers:
        r.start()
    while proc.poll() is None:
        rss = tree_rss(proc.pid)
        samples.append((time.time(), rss))
        peak = max(peak, rss)
        time.sleep(SAMPLE_SECONDS)
    seconds = time.perf_counter() - started
    for r in readers:
        r.join()
    return Measured(seconds, peak, proc.returncode, out.get("o", ""), out.get("e", ""), samples)


def _env(dagster_home: Path | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    for key in (
        "ISADEX_CUTOFF",
        "ISADEX_AS_OF",
        "ISADEX_REPORT_DIR",
        "ISADEX_LANDING",
        "ISADEX_WAREHOUSE",
    ):
        env.pop(key, None)
    if dagster_home is not None:
        dagster_home.mkdir(parents=True, exist_ok=True)
        config = dagster_home / "dagster.yaml"
        if not config.exists():
            config.write_text("telemetry:\n  enabled: false\n")
        env["DAGSTER_HOME"] = str(dagster_home)
    return env


def step_stats(dagster_home: Path) -> tuple[str, dict[str, tuple[float, float]]]:
    """(run id, {step key: (start, end) unix times}) of the newest run under dagster_home."""
    code = textwrap.dedent(
        """
        import json, dagster as dg
        inst = dg.DagsterInstance.get()
        run = inst.get_runs(limit=1)[0]
        steps = {s.step_key: (s.start_time, s.end_time)
                 for s in inst.get_run_step_stats(run.run_id) if s.start_time and s.end_time}
        print(json.dumps({"run_id": run.run_id, "status": run.status.value, "steps": steps}))
        """
    )
    res = subprocess.run(
        [sys.executable, "-c", code],
        env=_env(dagster_home),
        capture_output=True,
        text=True,
        check=True,
    )
    data = json.loads(res.stdout.strip().splitlines()[-1])
    return data["run_id"], {k: (a, b) for k, (a, b) in data["steps"].items()}


def by_stage(windows: dict[str, tuple[float, float]]) -> dict[str, float]:
    out = dict.fromkeys(STAGE_ORDER, 0.0)
    for key, (start, end) in windows.items():
        out[stage_of(key)] += end - start
    return {k: round(v, 2) for k, v in out.items() if v or k != "other"}


def stage_peaks(
    windows: dict[str, tuple[float, float]], samples: list[tuple[float, int]]
) -> dict[str, int]:
    """Peak process-tree RSS (bytes) sampled while each stage's steps ran; "start-up" is
    everything before the first step (imports, definitions, dbt manifest check)."""
    out: dict[str, int] = {}
    first = min((a for a, _ in windows.values()), default=math.inf)
    for t, rss in samples:
        if t < first:
            out["start-up"] = max(out.get("start-up", 0), rss)
        for key, (start, end) in windows.items():
            if start <= t <= end:
                stage = stage_of(key)
                out[stage] = max(out.get(stage, 0), rss)
    return out


def anchor_scan(landing: Path) -> tuple[float, int, int]:
    """(seconds, peak RSS, rows): DuckDB reads every form's CSV in every transfer once."""
    code = textwrap.dedent(
        f"""
        import duckdb, sys
        con = duckdb.connect(config={{"threads": 2}})
        total = 0
        for form in {FORMS!r}:
            total += con.execute(
                "select count(*) from read_csv(?, header=true, union_by_name=false)",
                [{str(landing)!r} + f"/*/{{form}}.csv"],
            ).fetchone()[0]
        print(total)
        """
    )
    m = run_measured([sys.executable, "-c", code], env=_env())
    if m.returncode:
        raise RuntimeError(f"anchor scan failed: {m.stderr[-2000:]}")
    return m.seconds, m.peak_rss, int(m.stdout.strip().splitlines()[-1])


def raw_counts(warehouse: Path) -> dict[str, int]:
    import duckdb

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        counts = {f: con.execute(f"select count(*) from raw.{f}").fetchone()[0] for f in FORMS}
        counts["transfers"] = con.execute("select count(*) from raw.transfers").fetchone()[0]
        counts["quarantine"] = con.execute("select count(*) from raw.quarantine").fetchone()[0]
        return counts
    finally:
        con.close()


def dir_bytes(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.exists() else 0


@dataclass
class RunResult:
    seconds: float
    peak_rss: int
    exit_code: int
    run_id: str
    steps: dict[str, float]
    stages: dict[str, float]
    stage_peak_rss: dict[str, int]
    summary: str


def isadex_run(landing: Path, warehouse: Path, report: Path, dagster_home: Path) -> RunResult:
    m = run_measured(
        [
            ISADEX,
            "run",
            "--landing",
            str(landing),
            "--warehouse",
            str(warehouse),
            "--report-dir",
            str(report),
        ],
        env=_env(dagster_home),
    )
    # A failed run (exit 1, e.g. a blocking check) is still timed; its summary says why.
    run_id, windows = step_stats(dagster_home)
    return RunResult(
        round(m.seconds, 2),
        m.peak_rss,
        m.returncode,
        run_id,
        {k: round(b - a, 3) for k, (a, b) in windows.items()},
        by_stage(windows),
        stage_peaks(windows, m.samples),
        m.stdout.strip(),
    )


# --------------------------------------------------------------------------- incremental


def add_transfer(
    landing: Path, change: str = "dm", after: dict | None = None, next_day: bool = False
) -> dict:
    """One site sends one new transfer (``lib.synthetic.redelivery``: its latest transfer
    again, an hour or a day later, one value changed)."""
    sys.path.insert(0, str(ROOT))
    from dagster_project.lib.synthetic.redelivery import redeliver

    return redeliver(landing, change=change, after=after, next_day=next_day)


def hold_back(landing: Path, held: Path) -> dict:
    """One site's newest transfer out of the landing zone until ``send_held_back``."""
    sys.path.insert(0, str(ROOT))
    from dagster_project.lib.synthetic import redelivery

    return redelivery.hold_back(landing, held)


def send_held_back(landing: Path, held: Path, hold: dict) -> dict:
    """The held-back transfer sent as the site's next one, a day after the newest extract."""
    sys.path.insert(0, str(ROOT))
    from dagster_project.lib.synthetic import redelivery

    return redelivery.send_held_back(landing, held, hold)


# --------------------------------------------------------------------------- bare baseline

_BARE_DEFS = """
import dagster as dg
from pathlib import Path
from dagster_dbt import DbtCliResource, DbtProject, dbt_assets

HERE = Path(__file__).parent
project = DbtProject(project_dir=HERE / "dbt", profiles_dir=HERE / "dbt")

@dbt_assets(manifest=project.manifest_path, project=project)
def one_model(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    yield from dbt.cli(["build"], context=context).stream()

defs = dg.Definitions(assets=[one_model], resources={"dbt": DbtCliResource(project_dir=project)})
"""


def build_bare(tmp: Path) -> Path:
    """A one-model dbt-duckdb project and a Definitions with @dbt_assets; manifest parsed."""
    dbt = tmp / "dbt"
    (dbt / "models").mkdir(parents=True)
    (dbt / "dbt_project.yml").write_text(
        "name: bare\nversion: '1.0'\nconfig-version: 2\nprofile: bare\n"
        "flags:\n  send_anonymous_usage_stats: false\n"
    )
    (dbt / "profiles.yml").write_text(
        f"bare:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n"
        f"      path: {tmp / 'bare.duckdb'}\n      threads: 2\n"
    )
    (dbt / "models" / "one.sql").write_text("select 1 as x\n")
    (tmp / "bare_defs.py").write_text(_BARE_DEFS)
    subprocess.run(
        [str(BIN / "dbt"), "parse", "--quiet", "--profiles-dir", ".", "--project-dir", "."],
        cwd=dbt,
        env=_env(),
        check=True,
        capture_output=True,
    )
    return tmp / "bare_defs.py"


def bare_run(defs_file: Path, dagster_home: Path) -> Measured:
    m = run_measured(
        [str(BIN / "dagster"), "asset", "materialize", "-f", str(defs_file), "--select", "*"],
        env=_env(dagster_home),
        cwd=defs_file.parent,
    )
    if m.returncode:
        raise RuntimeError(f"bare run failed: {m.stderr[-3000:]}")
    return m


# --------------------------------------------------------------------------- orchestration


@dataclass
class SizeResult:
    subjects: int
    transfers: int
    raw_rows: int
    csv_bytes: int
    generate_seconds: float
    anchor_seconds: float
    anchor_runs: list
    anchor_peak_rss: int
    full: dict
    incremental: dict
    ratio_to_anchor: float
    incremental_ratio: float
    warehouse_bytes: int
    work_bytes: int
    cuts_bytes: int
    new_transfer: dict = field(default_factory=dict)
    reloaded_rows: dict = field(default_factory=dict)
    # The second new transfer: one AE grade raised (ADAE and T07 change).
    incremental_ae: dict = field(default_factory=dict)
    incremental_ae_ratio: float = 0.0
    new_transfer_ae: dict = field(default_factory=dict)
    # The third: extracted a day later, so the default cut-off moves.
    incremental_cutoff: dict = field(default_factory=dict)
    incremental_cutoff_ratio: float = 0.0
    new_transfer_cutoff: dict = field(default_factory=dict)
    # The fourth: a site's real next transfer (held back from the full run), a day later.
    incremental_next: dict = field(default_factory=dict)
    incremental_next_ratio: float = 0.0
    new_transfer_next: dict = field(default_factory=dict)
    # Before the first new transfer: the same landing zone again, nothing new (issue 28: no
    # recomputation after ingestion).
    rerun: dict = field(default_factory=dict)
    rerun_ratio: float = 0.0


def bench_size(n: int, work: Path, keep: bool, repeat: int = 3) -> SizeResult:
    base = work / f"n{n}"
    landing, wh_dir = base / "landing", base / "wh"
    wh_dir.mkdir(parents=True, exist_ok=True)
    print(f"[{n}] generate", flush=True)
    gen = run_measured(
        [ISADEX, "generate", "--out", str(landing), "--subjects", str(n)], env=_env()
    )
    if gen.returncode:
        raise RuntimeError(gen.stderr)
    truth = json.loads((landing / "truth.json").read_text())
    held = hold_back(landing, base / "held_back")
    csv_bytes = sum(p.stat().st_size for p in landing.glob("*/*.csv"))
    # The scan's time varies a lot from one run to the next on the same files (51.7 to 83.4 s
    # at 100,000 subjects on one day, in single runs): the median of `repeat` runs is the anchor,
    # every run is recorded.
    anchor_runs = []
    for i in range(repeat):
        print(f"[{n}] anchor scan {i + 1}/{repeat}", flush=True)
        anchor_runs.append(anchor_scan(landing))
    a_sec = statistics.median(r[0] for r in anchor_runs)
    a_rss = max(r[1] for r in anchor_runs)
    a_rows = anchor_runs[0][2]
    warehouse = wh_dir / "warehouse.duckdb"
    print(f"[{n}] isadex run (full)", flush=True)
    full = isadex_run(landing, warehouse, base / "report", base / "dagster_home")
    print(f"[{n}] isadex run (nothing new)", flush=True)
    rerun = isadex_run(landing, warehouse, base / "report", base / "dagster_home")
    before = raw_counts(warehouse.with_name("warehouse.work.duckdb"))
    new = add_transfer(landing)
    print(f"[{n}] isadex run (incremental: {new['transfer_id']})", flush=True)
    inc = isadex_run(landing, warehouse, base / "report", base / "dagster_home")
    after = raw_counts(warehouse.with_name("warehouse.work.duckdb"))
    reloaded = {k: after[k] - before[k] for k in after}
    new_ae = add_transfer(landing, change="ae", after=new)
    print(f"[{n}] isadex run (incremental, AE grade: {new_ae['transfer_id']})", flush=True)
    inc_ae = isadex_run(landing, warehouse, base / "report", base / "dagster_home")
    new_cut = add_transfer(landing, change="dm", after=new_ae, next_day=True)
    print(f"[{n}] isadex run (incremental, cut-off moves: {new_cut['transfer_id']})", flush=True)
    inc_cut = isadex_run(landing, warehouse, base / "report", base / "dagster_home")
    new_next = send_held_back(landing, base / "held_back", held)
    print(f"[{n}] isadex run (incremental, next transfer: {new_next['transfer_id']})", flush=True)
    inc_next = isadex_run(landing, warehouse, base / "report", base / "dagster_home")
    result = SizeResult(
        subjects=n,
        transfers=len(truth["transfers"]) - 1,
        raw_rows=a_rows,
        csv_bytes=csv_bytes,
        generate_seconds=round(gen.seconds, 2),
        anchor_seconds=round(a_sec, 2),
        anchor_runs=[round(r[0], 2) for r in anchor_runs],
        anchor_peak_rss=a_rss,
        full=asdict(full),
        incremental=asdict(inc),
        ratio_to_anchor=round(full.seconds / a_sec, 2),
        incremental_ratio=round(inc.seconds / full.seconds, 3),
        warehouse_bytes=dir_bytes(warehouse.resolve()),
        work_bytes=dir_bytes(warehouse.with_name("warehouse.work.duckdb")),
        cuts_bytes=dir_bytes(warehouse.with_name("warehouse.cuts")),
        new_transfer=new,
        reloaded_rows=reloaded,
        incremental_ae=asdict(inc_ae),
        incremental_ae_ratio=round(inc_ae.seconds / full.seconds, 3),
        new_transfer_ae=new_ae,
        incremental_cutoff=asdict(inc_cut),
        incremental_cutoff_ratio=round(inc_cut.seconds / full.seconds, 3),
        new_transfer_cutoff=new_cut,
        incremental_next=asdict(inc_next),
        incremental_next_ratio=round(inc_next.seconds / full.seconds, 3),
        new_transfer_next=new_next,
        rerun=asdict(rerun),
        rerun_ratio=round(rerun.seconds / full.seconds, 3),
    )
    if not keep:
        shutil.rmtree(base, ignore_errors=True)
    return result


def bench_small(work: Path, repeat: int) -> dict:
    """60 subjects: isadex run (fresh warehouse each time) vs the bare one-model run."""
    base = work / "n60"
    landing = base / "landing"
    subprocess.run(
        [ISADEX, "generate", "--out", str(landing)], env=_env(), check=True, capture_output=True
    )
    defs_file = build_bare(base / "bare")
    bare, runs = [], []
    for i in range(repeat):
        bare.append(bare_run(defs_file, base / f"bare_home{i}").seconds)
        r = isadex_run(
            landing, base / f"wh{i}" / "warehouse.duckdb", base / f"report{i}", base / f"home{i}"
        )
        # A run that stopped early would look fast: only complete runs are compared.
        if r.exit_code != 0:
            raise RuntimeError(
                f"60-subject isadex run {i + 1} exited {r.exit_code}: {r.summary[-3000:]}"
            )
        runs.append(r)
    shutil.rmtree(base, ignore_errors=True)
    med_run = statistics.median(r.seconds for r in runs)
    med_bare = statistics.median(bare)
    return {
        "subjects": 60,
        "isadex_seconds": [r.seconds for r in runs],
        "bare_seconds": [round(b, 2) for b in bare],
        "isadex_median": round(med_run, 2),
        "bare_median": round(med_bare, 2),
        "ratio": round(med_run / med_bare, 2),
        "stages": runs[len(runs) // 2].stages,
        "peak_rss": max(r.peak_rss for r in runs),
    }


def exponent(xs: list[float], ys: list[float]) -> float | None:
    """Least-squares slope of log(y) on log(x): y ~ x^k."""
    if len(xs) < 2:
        return None
    lx, ly = [math.log(x) for x in xs], [math.log(y) for y in ys]
    mx, my = statistics.fmean(lx), statistics.fmean(ly)
    den = sum((a - mx) ** 2 for a in lx)
    return round(sum((a - mx) * (b - my) for a, b in zip(lx, ly, strict=True)) / den, 3)


def machine() -> dict:
    mem = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem = int(line.split()[1]) * 1024
    load = os.getloadavg()
    return {
        "cores": os.cpu_count(),
        "memory_gb": round(mem / 2**30, 1),
        "cpu": _cpu_model(),
        "python": platform.python_version(),
        "load_avg_at_start": [round(x, 2) for x in load],
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
    }


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


# --------------------------------------------------------------------------- reporting

TARGETS = {
    "full_seconds_100k": 600,
    "ratio_to_anchor": 5.0,
    "peak_rss_bytes": 4 * 2**30,
    "incremental_ratio": 1 / 3,
    "small_ratio": 1.5,
    "generate_seconds_100k": 180,
}


def _mb(b: int) -> str:
    return f"{b / 2**20:,.0f} MB"


def _by_size_table(title: str, columns: list[str], rows: list[tuple[int, list[str]]]) -> list[str]:
    """Markdown lines: a blank line, the title, a table of one row per trial size."""
    return [
        "",
        title,
        "",
        "| subjects | " + " | ".join(columns) + " |",
        "|---:|" + "---:|" * len(columns),
        *(f"| {subjects:,} | " + " | ".join(cells) + " |" for subjects, cells in rows),
    ]


def _later_cells(s: dict, key: str) -> str:
    """Seconds and ratio to the full run of a later incremental run (empty when not run)."""
    run = s.get(key) or {}
    if not run:
        return " | |"
    return f"{run['seconds']:.1f} s | {s[key + '_ratio']:.2f} |"


def render_md(results: dict) -> str:
    m = results["machine"]
    sizes = results["sizes"]
    lines = [
        f"Measured {m['date']} on {m['cores']} cores, {m['memory_gb']} GB "
        f"({m['cpu']}); load average at start {m['load_avg_at_start'][0]}.",
        "",
        "| subjects | raw rows | CSV | generate | DuckDB scan | `isadex run` | x scan | "
        "peak RSS | warehouse | nothing new | / full | new transfer | / full | AE fix | / full | "
        "cut-off moves | / full | next transfer | / full |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
        "---:|---:|",
    ]
    scans = [
        f"{s['subjects']:,}: " + ", ".join(f"{x:.1f}" for x in s["anchor_runs"])
        for s in sizes
        if s.get("anchor_runs")
    ]
    for s in sizes:
        lines.append(
            f"| {s['subjects']:,} | {s['raw_rows']:,} | {_mb(s['csv_bytes'])} | "
            f"{s['generate_seconds']:.1f} s | {s['anchor_seconds']:.1f} s | "
            f"{s['full']['seconds']:.1f} s | {s['ratio_to_anchor']:.1f} | "
            f"{_mb(s['full']['peak_rss'])} | {_mb(s['warehouse_bytes'])} | "
            + _later_cells(s, "rerun")
            + " "
            f"{s['incremental']['seconds']:.1f} s | {s['incremental_ratio']:.2f} | "
            + _later_cells(s, "incremental_ae")
            + " "
            + _later_cells(s, "incremental_cutoff")
            + " "
            + _later_cells(s, "incremental_next")
        )
    failed = [
        s
        for s in sizes
        if 1 in (s["full"]["exit_code"], s["incremental"]["exit_code"])
        or 1
        in (
            s.get(k, {}).get("exit_code")
            for k in ("rerun", "incremental_ae", "incremental_cutoff", "incremental_next")
        )
    ]
    for s in failed:
        why = [ln.strip() for ln in s["full"]["summary"].splitlines() if "failed" in ln]
        lines.append(
            f"\n{s['subjects']:,} subjects: run exit 1 ({'; '.join(why)[:300]}); "
            "steps downstream of the failure did not run, so its time is a lower bound."
        )
    if scans:
        lines.append(
            "\nDuckDB scan: the median of these scans of the same files (s): "
            + "; ".join(scans)
            + "."
        )
    sent = [
        f"{s['subjects']:,}: {t['site_id']} sends {t['based_on']} as {t['transfer_id']}, "
        f"{t['rows']:,} rows, {t['more_rows']:,} more than {t['replaces']}"
        for s in sizes
        if (t := s.get("new_transfer_next"))
    ]
    if sent:
        lines.append(
            "\nNext transfer (the site's own next extract, held back from the full run, sent "
            "a day after the newest extract): " + "; ".join(sent) + "."
        )
    stages = [st for st in STAGE_ORDER if any(st in s["full"]["stages"] for s in sizes)]
    lines += _by_size_table(
        "Stage wall time (Dagster step statistics), full run / nothing new / new transfer / "
        "AE fix / cut-off moves / next transfer:",
        stages,
        [
            (
                s["subjects"],
                [
                    f"{s['full']['stages'].get(st, 0):.1f} / "
                    f"{s.get('rerun', {}).get('stages', {}).get(st, 0):.1f} / "
                    f"{s['incremental']['stages'].get(st, 0):.1f} / "
                    f"{s.get('incremental_ae', {}).get('stages', {}).get(st, 0):.1f} / "
                    f"{s.get('incremental_cutoff', {}).get('stages', {}).get(st, 0):.1f} / "
                    f"{s.get('incremental_next', {}).get('stages', {}).get(st, 0):.1f}"
                    for st in stages
                ],
            )
            for s in sizes
        ],
    )
    mem_stages = ["start-up"] + stages
    lines += _by_size_table(
        "Peak process-tree memory while each stage ran, full run:",
        mem_stages,
        [
            (
                s["subjects"],
                [
                    _mb(s["full"]["stage_peak_rss"][st])
                    if st in s["full"].get("stage_peak_rss", {})
                    else ""
                    for st in mem_stages
                ],
            )
            for s in sizes
        ],
    )
    sc = results.get("scaling", {})
    if sc.get("time_exponent") is not None:
        lines += [
            "",
            f"Scaling fitted over {', '.join(format(s['subjects'], ',') for s in sizes)} subjects: "
            f"time ~ N^{sc['time_exponent']}, peak memory ~ N^{sc['memory_exponent']}, "
            f"DuckDB scan ~ N^{sc['anchor_exponent']}.",
        ]
    small = results.get("small")
    if small:
        lines += [
            "",
            f"60 subjects: `isadex run` median {small['isadex_median']:.1f} s "
            f"(runs {', '.join(f'{x:.1f}' for x in small['isadex_seconds'])}) vs bare Dagster + "
            f"dagster-dbt one-model run median {small['bare_median']:.1f} s "
            f"(runs {', '.join(f'{x:.1f}' for x in small['bare_seconds'])}): "
            f"ratio {small['ratio']:.2f} (target <= 2).",
        ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        default="1000,10000,100000",
        help="comma-separated subject counts (default 1000,10000,100000)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="repetitions of the 60-subject comparison and of each DuckDB scan (median reported)",
    )
    parser.add_argument("--no-small", action="store_true", help="skip the 60-subject comparison")
    parser.add_argument("--work", default=None, help="scratch folder (default: a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep generated data")
    parser.add_argument("--out", default=str(ROOT / "bench"), help="where results.* go")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]

    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="isadex-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    results: dict = {"machine": machine(), "targets": TARGETS, "sizes": []}
    try:
        if not args.no_small:
            print("[60] isadex run vs bare one-model run", flush=True)
            results["small"] = bench_small(work, args.repeat)
        for n in sizes:
            results["sizes"].append(asdict(bench_size(n, work, args.keep, args.repeat)))
            write_results(results, Path(args.out))  # partial results survive a later failure
    finally:
        if not args.keep and not args.work:
            shutil.rmtree(work, ignore_errors=True)
    md = write_results(results, Path(args.out))
    print(md)
    return 0


def write_results(results: dict, out: Path) -> str:
    """Scaling fit, bench/results.json and bench/results.md; returns the markdown."""
    results["sizes"].sort(key=lambda s: s["subjects"])
    ns = [s["subjects"] for s in results["sizes"]]
    results["scaling"] = {
        "time_exponent": exponent(ns, [s["full"]["seconds"] for s in results["sizes"]]),
        "memory_exponent": exponent(ns, [s["full"]["peak_rss"] for s in results["sizes"]]),
        "anchor_exponent": exponent(ns, [s["anchor_seconds"] for s in results["sizes"]]),
    }
    results["machine"]["load_avg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    md = render_md(results)
    (out / "results.md").write_text(md + hand_written(out / "results.md"))
    return md


def hand_written(path: Path) -> str:
    """The sections written by hand below the generated tables (from the first `## ` heading
    on; render_md writes none), so writing the tables again keeps them."""
    text = path.read_text() if path.exists() else ""
    at = text.find("\n## ")
    return "" if at < 0 else text[at:]


if __name__ == "__main__":
    sys.exit(main())
