"""`isadex generate | run`: the command-line contract of ../shared/spec/README.md."""

from __future__ import annotations

import argparse
import atexit
import os
import sys
import threading
import time
from pathlib import Path

EXIT_OK, EXIT_FAILED, EXIT_REFUSED = 0, 1, 2


def _generate(args: argparse.Namespace) -> int:
    from dagster_project.lib.generator import generate_trial

    started = time.perf_counter()
    truth = generate_trial(
        Path(args.out), subjects=args.subjects, sites=args.sites, seed=args.seed, cutoff=args.cutoff
    )
    if args.faults:
        from dagster_project.lib.faults import write_all_faults

        cases = write_all_faults(Path(args.out))
        print(f"wrote {len(cases)} faulty deliveries for tests")
    seconds = time.perf_counter() - started
    print(
        f"generated {args.subjects} subjects at {args.sites} sites in {seconds:.1f} s -> {args.out}"
        f" (cut-off {truth.get('cutoff', '?')})"
    )
    return EXIT_OK


def _run(args: argparse.Namespace) -> int:
    from dagster_project.lib.runtime import supervise, writer_lock
    from dagster_project.lib.settings import RunSettings, stable_path

    settings = RunSettings(
        landing=Path(args.landing).resolve(),
        warehouse=stable_path(args.warehouse),
        cutoff=args.cutoff,
        as_of=args.as_of,
        report_dir=stable_path(args.report_dir) if args.report_dir else None,
    )
    if not settings.landing.is_dir():
        print(f"isadex run: landing folder {settings.landing} does not exist", file=sys.stderr)
        return EXIT_FAILED
    if not supervise.is_worker():
        # One writer: refused at once, before anything starts; the run itself goes to a worker
        # process whose whole process group ends with this one (lib/runtime/supervise.py).
        try:
            fd = writer_lock.acquire(settings.layout.lock)
        except writer_lock.WarehouseBusy as busy:
            print(f"isadex run: {busy}", file=sys.stderr)
            return EXIT_FAILED
        try:
            return supervise.run_worker(
                [sys.executable, "-m", "dagster_project.cli", *args.argv], fd
            )
        finally:
            writer_lock.release(settings.layout.lock)
    supervise.watch_supervisor()
    # The same definitions the UI loads read their settings from the environment.
    os.environ.update(settings.to_env())
    from dagster_project.runner import run_pipeline

    outcome = run_pipeline(settings)
    print(outcome.summary())
    return outcome.exit_code


def _verify(args: argparse.Namespace) -> int:
    from dagster_project.lib.publication import audit
    from dagster_project.lib.settings import stable_path

    warehouse = stable_path(args.warehouse)
    problems = audit.verify(warehouse)
    for problem in problems:
        print(f"NOT OK {problem}")
    if problems:
        print(f"isadex verify: {len(problems)} problem(s) in the published history of {warehouse}")
        return EXIT_FAILED
    print(f"isadex verify: {warehouse}: every publication and ledger record holds")
    return EXIT_OK


def _prune(args: argparse.Namespace) -> int:
    from dagster_project.lib.publication import audit
    from dagster_project.lib.publication.layout import Layout
    from dagster_project.lib.runtime import writer_lock
    from dagster_project.lib.settings import stable_path

    warehouse = stable_path(args.warehouse)
    try:
        with writer_lock.holding(Layout(warehouse, warehouse).lock):
            removed = audit.prune(warehouse, args.keep)
    except writer_lock.WarehouseBusy as busy:
        print(f"isadex prune: {busy}", file=sys.stderr)
        return EXIT_FAILED
    except ValueError as exc:
        print(f"isadex prune: {exc}", file=sys.stderr)
        return EXIT_FAILED
    for cut in removed:
        print(f"removed {cut} (its ledger record stays)")
    print(f"isadex prune: {len(removed)} publication(s) removed, the newest {args.keep} kept")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="isadex", description="ISA-DEX-MM trial warehouse")
    sub = parser.add_subparsers(dest="command", required=True)

    gen = sub.add_parser("generate", help="write a synthetic landing zone (site_extracts.md)")
    gen.add_argument("--out", required=True)
    gen.add_argument("--subjects", type=int, default=60)
    gen.add_argument("--sites", type=int, default=6)
    gen.add_argument("--seed", type=int, default=20261125)
    gen.add_argument("--cutoff", default=None, help="YYYY-MM-DD: date of the last transfer")
    gen.add_argument("--faults", action="store_true", help="also write every kind of bad input")
    gen.set_defaults(func=_generate)

    run = sub.add_parser("run", help="materialize every asset through Dagster and publish")
    run.add_argument("--landing", required=True)
    run.add_argument("--warehouse", required=True)
    run.add_argument("--cutoff", default=None, help="YYYY-MM-DD clinical cut-off")
    run.add_argument("--as-of", dest="as_of", default=None, help="use transfers extracted <= this")
    run.add_argument("--report-dir", dest="report_dir", default=None)
    run.set_defaults(func=_run)

    verify = sub.add_parser(
        "verify", help="check the published files and the ledger's chain of a warehouse"
    )
    verify.add_argument("--warehouse", required=True)
    verify.set_defaults(func=_verify)

    prune = sub.add_parser("prune", help="remove all but the newest N publications")
    prune.add_argument("--warehouse", required=True)
    prune.add_argument("--keep", type=int, required=True)
    prune.set_defaults(func=_prune)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser().parse_args(argv)
    args.argv = argv
    return args.func(args)


def entry() -> None:
    """The `isadex` console script: :func:`main`, then exit without tearing Python down.

    When a command returns, everything it wrote is closed: DuckDB connections, the Dagster
    instance, the report files. Tearing the interpreter down after a run (freeing dagster,
    dbt, pandas, GX and SciPy and their objects, module by module) takes ~2 s here, as long
    as validating all five datasets of the 60-subject trial. So the exit handlers run
    (logging flushes, multiprocessing joins its children) and the process leaves; a thread
    still working (none does today) gets the ordinary exit that waits for it.
    """
    code = main()
    working = [
        t for t in threading.enumerate() if t is not threading.main_thread() and not t.daemon
    ]
    if working:
        sys.exit(code)
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    entry()
