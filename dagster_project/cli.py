"""`isadex generate | run | verify | prune`: the command-line contract of
../shared/spec/README.md.

One function per command (`_run`) and one that declares it and its options (`_add_run`); a
new command is one more pair and a line in `COMMANDS`.
Values are checked while the arguments are parsed (lib/runtime/arguments.py), so a wrong one exits 1
with one line naming it before anything starts.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from functools import partial
from importlib.metadata import version
from pathlib import Path

from dagster_project.lib.ingest.contract import CONTRACT_VERSIONS, DEFAULT_CONTRACT_VERSION
from dagster_project.lib.runtime import arguments

EXIT_OK, EXIT_FAILED, EXIT_REFUSED = 0, 1, 2

AddParser = Callable[..., argparse.ArgumentParser]  # the subparsers' add_parser
Command = Callable[[argparse.Namespace], int]

EXIT_CODES = """\
exit status:
  0  all well
  2  the run completed and published, but a transfer in the landing folder stands
     refused (that site's earlier transfers stay in force; raw.transfers says why)
  1  failed (a wrong argument, a blocking check, an error): nothing new is published
     and the previous publication stays current"""


class _Parser(argparse.ArgumentParser):
    """argparse, but a wrong command line exits 1 with one line: its own exit status 2 would
    read as "published, with a refused transfer" to a scheduler that follows the contract."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_FAILED, f"{self.prog}: {message} (see {self.prog} --help)\n")


class _Help(argparse.RawDescriptionHelpFormatter):
    """Descriptions and the exit-status epilog as written (line breaks kept)."""

    def __init__(self, prog: str) -> None:
        super().__init__(prog, max_help_position=30)


def _generate(args: argparse.Namespace) -> int:
    from dagster_project.lib.synthetic import generate_trial
    from dagster_project.lib.synthetic.cohort import n_sites_for

    started = time.perf_counter()
    truth = generate_trial(
        Path(args.out),
        subjects=args.subjects,
        sites=args.sites,
        seed=args.seed,
        cutoff=args.cutoff,
        contract_version=args.contract_version,
    )
    if args.faults:
        from dagster_project.lib.synthetic.faults import (
            write_all_faults,
            write_contract_version_faults,
        )

        cases = write_all_faults(Path(args.out)) + write_contract_version_faults(Path(args.out))
        print(f"wrote {len(cases)} faulty deliveries for tests")
    seconds = time.perf_counter() - started
    # the sites written: --sites, or more when a site would hold over 900 subjects
    sites = n_sites_for(args.subjects, args.sites)
    print(
        f"generated {args.subjects} subjects at {sites} sites in {seconds:.1f} s -> {args.out}"
        f" (cut-off {truth.get('cutoff', '?')})"
    )
    return EXIT_OK


def _add_generate(add_parser: AddParser) -> argparse.ArgumentParser:
    gen = add_parser(
        "generate",
        help="write a synthetic landing zone (site_extracts.md)",
        description=(
            "Write a synthetic landing zone for a realistic trial: several cumulative transfers\n"
            "per site, each a folder with its manifest.json and one CSV per form\n"
            "(../shared/spec/site_extracts.md), and truth.json beside them."
        ),
        epilog="exit status:\n  0  written\n  1  a wrong argument or an error",
    )
    gen.add_argument(
        "--out",
        required=True,
        type=arguments.output_folder,
        metavar="DIR",
        help="the landing folder to write (created when missing; required)",
    )
    gen.add_argument(
        "--subjects",
        type=arguments.positive_int,
        default=60,
        metavar="N",
        help="subjects screened (default: %(default)s)",
    )
    gen.add_argument(
        "--sites",
        type=arguments.positive_int,
        default=6,
        metavar="K",
        help="sites, at least one per 900 subjects (default: %(default)s)",
    )
    gen.add_argument(
        "--seed",
        type=int,
        default=20261125,
        metavar="S",
        help="random seed; the same seed writes the same files (default: %(default)s)",
    )
    gen.add_argument(
        "--cutoff",
        type=arguments.calendar_date,
        default=None,
        metavar="YYYY-MM-DD",
        help="date of each site's last transfer (default: 2026-10-31)",
    )
    gen.add_argument(
        "--contract-version",
        choices=CONTRACT_VERSIONS,
        default=DEFAULT_CONTRACT_VERSION,
        metavar="V",
        help="site-extract contract version the transfers follow: "
        f"{', '.join(CONTRACT_VERSIONS)} (1.1 adds imaging, the re-induction start, the basis "
        "of each progression and adjudicated immunofixation) (default: %(default)s)",
    )
    gen.add_argument(
        "--faults",
        action="store_true",
        help="also write every kind of bad delivery, for tests (default: off)",
    )
    return gen


def _run(args: argparse.Namespace) -> int:
    from dagster_project.lib.runtime import supervise, writer_lock
    from dagster_project.lib.runtime.settings import RunSettings, stable_path

    settings = RunSettings(
        landing=Path(args.landing).resolve(),
        warehouse=stable_path(args.warehouse),
        cutoff=args.cutoff,
        as_of=args.as_of,
        report_dir=stable_path(args.report_dir) if args.report_dir else None,
    )
    refusal = arguments.separate_from_landing(
        settings.landing, settings.warehouse, settings.report_path
    )
    refusal = refusal or (
        arguments.transfers_by(settings.landing, settings.as_of) if settings.as_of else None
    )
    if refusal:
        print(f"isadex run: {refusal} (see isadex run --help)", file=sys.stderr)
        return EXIT_FAILED
    if not supervise.is_worker():
        # One writer: refused at once, before anything starts; the run itself goes to a worker
        # process whose whole process group ends with this one (lib/runtime/supervise.py).
        try:
            fd = writer_lock.acquire(settings.layout.lock)
        except writer_lock.WarehouseBusy as busy:
            print(f"isadex run: {busy}", file=sys.stderr)
            return EXIT_FAILED
        except OSError as exc:
            # a folder the checks found writable that still takes no file (/proc, say)
            print(
                f"isadex run: --warehouse: cannot write {exc.filename}: {exc.strerror}",
                file=sys.stderr,
            )
            return EXIT_FAILED
        try:
            # -P: the worker runs this installation's code even when the folder the user is
            # in holds a dagster_project of its own (`-m` would put that folder first).
            from dagster_project.lib.warehouse import publish

            published_before = publish.last_recorded(settings.layout)
            return supervise.run_worker(
                [sys.executable, "-P", "-m", "dagster_project.cli", *args.argv],
                fd,
                settle=partial(_complete_recorded_publication, settings, published_before),
            )
        finally:
            writer_lock.release(settings.layout.lock)
    supervise.watch_supervisor()
    from dagster_project.progress import Progress
    from dagster_project.runner import run_pipeline

    progress = Progress.for_stream(sys.stdout, verbose=args.verbose, quiet=args.quiet)
    # Dagster, dbt and the definitions take seconds to load before the first step.
    progress.note(f"isadex run: {settings.landing} -> {settings.warehouse}")
    try:
        # The definitions the UI loads, bound to this run's settings (definitions.build_defs);
        # dbt's own lines only with --verbose (dbt.log has them always).
        outcome = run_pipeline(settings, progress, dbt_console=args.verbose)
    finally:
        progress.close()
    print(outcome.summary())
    return outcome.exit_code


def _complete_recorded_publication(settings, published_before: str | None) -> str | None:
    """After a stopped worker: the publication it recorded (lib/warehouse/publish.py: the
    ledger record is the commit point), switched to now if it was not yet; None when it
    recorded none."""
    from dagster_project.lib.warehouse import publish

    publish.complete_interrupted(settings.layout)
    last = publish.last_recorded(settings.layout)
    return last if last != published_before else None


def _add_run(add_parser: AddParser) -> argparse.ArgumentParser:
    run = add_parser(
        "run",
        help="materialize every asset through Dagster and publish",
        description=(
            "Ingest the new transfers of the landing folder, build ADaM with dbt, validate,\n"
            "compute the endpoint tables, figures, report and transport files, and publish them\n"
            "with the warehouse file, through the same Dagster definitions the UI shows. Shows\n"
            "its progress per stage and ends with a summary naming what was published."
        ),
        epilog=EXIT_CODES,
    )
    run.add_argument(
        "--landing",
        required=True,
        type=arguments.landing_folder,
        metavar="DIR",
        help="landing folder holding one folder per transfer (required)",
    )
    run.add_argument(
        "--warehouse",
        required=True,
        type=arguments.output_file,
        metavar="FILE",
        help="the published DuckDB file readers open; the working file, cuts and dbt's "
        "folder go beside it (required)",
    )
    run.add_argument(
        "--cutoff",
        type=arguments.calendar_date,
        default=None,
        metavar="YYYY-MM-DD",
        help="clinical cut-off (default: the date of the newest extract in force)",
    )
    run.add_argument(
        "--as-of",
        dest="as_of",
        type=arguments.utc_datetime,
        default=None,
        metavar="DATETIME",
        help="use only transfers extracted at or before this UTC time, ISO 8601 "
        "(default: every transfer)",
    )
    run.add_argument(
        "--report-dir",
        dest="report_dir",
        type=arguments.published_folder,
        default=None,
        metavar="DIR",
        help="where the report, figures and transport files go (default: report/ beside "
        "the warehouse)",
    )
    shown = run.add_mutually_exclusive_group()
    shown.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="also show dbt's own lines and each step's messages (default: off; dbt's lines "
        "are always in <warehouse>.dbt/dbt.log)",
    )
    shown.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="show only warnings, errors and the summary (default: off)",
    )
    return run


def _verify(args: argparse.Namespace) -> int:
    from dagster_project.lib.runtime.settings import stable_path
    from dagster_project.lib.warehouse import audit

    warehouse = stable_path(args.warehouse)
    problems = audit.verify(warehouse)
    for problem in problems:
        print(f"NOT OK {problem}")
    if problems:
        print(f"isadex verify: {len(problems)} problem(s) in the published history of {warehouse}")
        return EXIT_FAILED
    print(f"isadex verify: {warehouse}: every publication and ledger record holds")
    return EXIT_OK


def _add_verify(add_parser: AddParser) -> argparse.ArgumentParser:
    verify = add_parser(
        "verify",
        help="check the published files and the ledger's chain of a warehouse",
        description=(
            "Recompute the SHA-256 of every published file and the hash chain of the ledger\n"
            "beside the warehouse (<warehouse>.ledger.jsonl), and check that published files\n"
            "are read-only. Prints NOT OK and the file or record for each problem."
        ),
        epilog="exit status:\n  0  every publication and ledger record holds\n"
        "  1  a problem, each named (or a wrong argument)",
    )
    verify.add_argument(
        "--warehouse",
        required=True,
        metavar="FILE",
        help="the published DuckDB file (stable name) whose history to check (required)",
    )
    return verify


def _prune(args: argparse.Namespace) -> int:
    from dagster_project.lib.runtime import writer_lock
    from dagster_project.lib.runtime.settings import stable_path
    from dagster_project.lib.warehouse import audit
    from dagster_project.lib.warehouse.layout import Layout

    warehouse = stable_path(args.warehouse)
    if not Layout(warehouse, warehouse).ledger.exists():
        # before the lock, which would create a file beside a warehouse that is not there
        print(f"isadex prune: no publication of {warehouse} (no ledger beside it)", file=sys.stderr)
        return EXIT_FAILED
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


def _add_prune(add_parser: AddParser) -> argparse.ArgumentParser:
    prune = add_parser(
        "prune",
        help="remove all but the newest N publications",
        description=(
            "Remove the oldest publications of a warehouse (<warehouse>.cuts/), keeping the\n"
            "newest N and the one in force; the ledger keeps their records. Takes the writer's\n"
            "lock, so it never runs beside an `isadex run` on the same warehouse."
        ),
        epilog="exit status:\n  0  pruned (or nothing to prune)\n"
        "  1  the warehouse is busy, a wrong argument or an error",
    )
    prune.add_argument(
        "--warehouse",
        required=True,
        metavar="FILE",
        help="the published DuckDB file (stable name) whose publications to prune (required)",
    )
    prune.add_argument(
        "--keep",
        required=True,
        type=arguments.positive_int,
        metavar="N",
        help="how many of the newest publications to keep, at least 1 (required)",
    )
    return prune


# name -> (declares the command and its options, runs it and returns the exit status)
COMMANDS: dict[str, tuple[Callable[[AddParser], argparse.ArgumentParser], Command]] = {
    "generate": (_add_generate, _generate),
    "run": (_add_run, _run),
    "verify": (_add_verify, _verify),
    "prune": (_add_prune, _prune),
}


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="isadex",
        description="ISA-DEX-MM trial warehouse: site extracts -> DuckDB raw -> dbt ADaM -> "
        "endpoints,\norchestrated by Dagster. `isadex COMMAND --help` describes each command.",
        epilog=EXIT_CODES,
        formatter_class=_Help,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {version('isadex')}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for declare, command in COMMANDS.values():
        declare(partial(sub.add_parser, formatter_class=_Help)).set_defaults(func=command)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser().parse_args(argv)
    args.argv = argv
    return args.func(args)


def entry() -> None:
    """The `isadex` console script: :func:`main`, and a normal exit with its status."""
    sys.exit(main())


if __name__ == "__main__":
    entry()
