"""The `isadex` command line parsed in this process: help, version, arguments checked before
anything starts. The console script run as a process: tests/integration/test_cli_process.py."""

import os
import re
from importlib.metadata import version

import pytest

from dagster_project import cli
from dagster_project.lib.synthetic import DEFAULT_CUTOFF


def _exit(argv, capsys):
    """(exit status, stdout, stderr) of `isadex ARGV` parsed in this process."""
    with pytest.raises(SystemExit) as done:
        cli.main(argv)
    out, err = capsys.readouterr()
    return done.value.code, out, err


def _help(argv, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")  # argparse wraps to the terminal's width
    code, out, _ = _exit([*argv, "--help"], capsys)
    assert code == 0
    return re.sub(r"\s+", " ", out)  # one line, whatever the wrapping


def _assert_exit_codes(text):
    assert "exit status:" in text
    assert "0 all well" in text
    assert "2 the run completed and published, but a transfer" in text
    assert "1 failed (a wrong argument, a blocking check, an error): nothing new is published" in (
        text
    )


def test_top_help_lists_commands_and_exit_codes(capsys, monkeypatch):
    text = _help([], capsys, monkeypatch)
    for command in cli.COMMANDS:
        assert f" {command} " in text
    assert "--version" in text
    _assert_exit_codes(text)


def test_run_help_describes_every_option_with_its_default(capsys, monkeypatch):
    text = _help(["run"], capsys, monkeypatch)
    assert "Ingest the new transfers" in text
    options = text.split(" options: ", 1)[1]
    for option, default in [
        ("--landing DIR", "(required)"),
        ("--warehouse FILE", "(required)"),
        ("--cutoff YYYY-MM-DD", "(default: the date of the newest extract in force)"),
        ("--as-of DATETIME", "(default: every transfer)"),
        ("--report-dir DIR", "(default: report/ beside the warehouse)"),
        ("-v, --verbose", "(default: off; dbt's lines are always in <warehouse>.dbt/dbt.log)"),
        ("-q, --quiet", "(default: off)"),
    ]:
        after = options.split(f" {option} ", 1)[1]
        assert default in after.split(" -", 1)[0], option
    _assert_exit_codes(text)


def test_generate_help_describes_every_option_with_its_default(capsys, monkeypatch):
    text = _help(["generate"], capsys, monkeypatch)
    options = text.split(" options: ", 1)[1]
    for option, default in [
        ("--out DIR", "required"),
        ("--subjects N", "(default: 60)"),
        ("--sites K", "(default: 6)"),
        ("--seed S", "(default: 20261125)"),
        ("--cutoff YYYY-MM-DD", f"(default: {DEFAULT_CUTOFF})"),
        ("--faults", "(default: off)"),
    ]:
        after = options.split(f" {option} ", 1)[1]
        assert default in after.split(" --", 1)[0], option
    assert "exit status: 0 written 1 a wrong argument or an error" in text


@pytest.mark.parametrize(
    ("command", "options", "codes"),
    [
        (
            "verify",
            [("--warehouse FILE", "(required)")],
            "exit status: 0 every publication and ledger record holds 1 a problem, each named",
        ),
        (
            "prune",
            [("--warehouse FILE", "(required)"), ("--keep N", "at least 1 (required)")],
            "exit status: 0 pruned (or nothing to prune) 1 the warehouse is busy",
        ),
    ],
)
def test_verify_and_prune_help(command, options, codes, capsys, monkeypatch):
    text = _help([command], capsys, monkeypatch)
    described = text.split(" options: ", 1)[1]
    for option, default in options:
        assert default in described.split(f" {option} ", 1)[1].split(" --", 1)[0], option
    assert codes in text


def test_prune_keeps_at_least_one(tmp_path, capsys):
    code, _, err = _exit(
        ["prune", "--warehouse", str(tmp_path / "w.duckdb"), "--keep", "0"], capsys
    )
    assert code == 1
    assert err == "isadex prune: argument --keep: must be at least 1: 0 (see isadex prune --help)\n"


def test_version_is_the_package_version(capsys):
    code, out, _ = _exit(["--version"], capsys)
    assert code == 0
    assert out.strip() == f"isadex {version('isadex')}"


@pytest.fixture
def landing(tmp_path):
    folder = tmp_path / "landing" / "FR01_20260101T0800"
    folder.mkdir(parents=True)
    (folder / "manifest.json").write_text("{}")
    return folder.parent


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--cutoff", "2026-13-45"], "argument --cutoff: not a calendar date: '2026-13-45'"),
        (["--cutoff", "2026-02-30"], "argument --cutoff: not a calendar date: '2026-02-30'"),
        (["--as-of", "last week"], "argument --as-of: not an ISO date-time"),
        (["--as-of", "2026-03-01T00:00+01:00"], "argument --as-of: give the time in UTC"),
        (["--verbose", "--quiet"], "argument -q/--quiet: not allowed with argument -v/--verbose"),
    ],
)
def test_run_refuses_a_wrong_value_with_one_line_and_exit_1(
    extra, message, landing, tmp_path, capsys
):
    argv = ["run", "--landing", str(landing), "--warehouse", str(tmp_path / "w.duckdb"), *extra]
    code, out, err = _exit(argv, capsys)
    assert code == 1
    assert out == ""
    assert err.startswith(f"isadex run: {message}")
    assert err.count("\n") == 1
    assert not (tmp_path / "w.duckdb").exists()


def test_run_refuses_paths(landing, tmp_path, capsys):
    warehouse = str(tmp_path / "w.duckdb")
    empty = tmp_path / "empty"
    empty.mkdir()
    (tmp_path / "plain").write_text("x")
    for argv, message in [
        (["--landing", str(empty), "--warehouse", warehouse], f"no transfer in {empty}"),
        (
            ["--landing", str(tmp_path / "plain"), "--warehouse", warehouse],
            f"landing folder {tmp_path / 'plain'} is not a folder",
        ),
        (
            ["--landing", str(landing), "--warehouse", str(tmp_path / "plain" / "w.duckdb")],
            f"argument --warehouse: {tmp_path / 'plain'} is not a folder",
        ),
        (
            [
                "--landing",
                str(landing),
                "--warehouse",
                warehouse,
                "--report-dir",
                str(tmp_path / "plain"),
            ],
            "argument --report-dir:",
        ),
        (["--landing", str(landing)], "the following arguments are required: --warehouse"),
    ]:
        code, _, err = _exit(["run", *argv], capsys)
        assert code == 1, argv
        assert message in err and err.count("\n") == 1, err


def _returned(argv, capsys):
    """(exit status, stdout, stderr) of `isadex ARGV` refused after its arguments parsed."""
    code = cli.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_run_refuses_paths_that_overlap_the_landing_folder(landing, tmp_path, capsys):
    """Publishing replaces the report folder's name by a link (a real folder there is moved
    aside) and the warehouse's files go beside it: a --report-dir that was the landing folder
    moved the landing folder aside, and a warehouse inside it gave it folders read as transfers
    (found by testing the operations contract). Refused at once; nothing is created."""
    before = sorted(tmp_path.rglob("*"))
    warehouse = str(tmp_path / "w.duckdb")
    for extra, message in [
        (["--warehouse", warehouse, "--report-dir", str(landing)], "overlaps the landing folder"),
        (
            ["--warehouse", warehouse, "--report-dir", str(landing / "report")],
            "overlaps the landing folder",
        ),
        (["--warehouse", warehouse, "--report-dir", str(tmp_path)], "overlaps the landing folder"),
        (
            ["--warehouse", str(landing / "w.duckdb")],
            f"--warehouse {landing / 'w.duckdb'} is inside the landing folder",
        ),
        (
            [
                "--warehouse",
                str(tmp_path / "out" / "w.duckdb"),
                "--report-dir",
                str(tmp_path / "out"),
            ],
            "holds the warehouse",
        ),
    ]:
        code, out, err = _returned(["run", "--landing", str(landing), *extra], capsys)
        assert code == 1 and out == "", extra
        assert message in err and err.count("\n") == 1, err
    assert sorted(tmp_path.rglob("*")) == before


def test_run_says_in_one_line_when_the_warehouse_folder_takes_no_file(landing, capsys):
    """/proc passes a writability check and takes no file: the lock's creation failed with a
    traceback (found by testing the operations contract)."""
    code, out, err = _returned(
        ["run", "--landing", str(landing), "--warehouse", "/proc/w.duckdb"], capsys
    )
    assert code == 1 and out == ""
    assert err.startswith("isadex run: ") and err.count("\n") == 1, err


def test_run_refuses_an_as_of_before_every_transfer(tmp_path, capsys):
    """Found by testing as_of: --as-of before the first extract failed the run 47 s in, on a
    dbt test of an empty cut-off. Refused at once from the manifests; an as_of at or after an
    extract is no refusal."""
    from dagster_project.lib.runtime.arguments import transfers_by
    from dagster_project.lib.synthetic.faults import valid_frames
    from dagster_project.lib.synthetic.transfer_writer import write_transfer

    landing = tmp_path / "landing"
    write_transfer(landing, "IT01", "2026-03-01T08:00:00Z", valid_frames("IT01"))
    argv = ["run", "--landing", str(landing), "--warehouse", str(tmp_path / "w.duckdb")]
    code, out, err = _returned([*argv, "--as-of", "2026-02-28T00:00:00"], capsys)
    assert code == 1 and out == ""
    assert err == (
        f"isadex run: no transfer in {landing} was extracted at or before --as-of "
        "2026-02-28T00:00:00 (the first: 2026-03-01T08:00:00) (see isadex run --help)\n"
    )
    assert not (tmp_path / "w.duckdb").exists()
    assert transfers_by(landing, "2026-03-01T08:00:00") is None


def test_prune_refuses_a_warehouse_without_publications(tmp_path, capsys):
    """prune on a warehouse that was never published created its folder and lock and said it
    kept the newest 1 (found by testing the operations contract)."""
    warehouse = tmp_path / "nowhere" / "w.duckdb"
    code, out, err = _returned(["prune", "--warehouse", str(warehouse), "--keep", "1"], capsys)
    assert code == 1 and out == ""
    assert err == f"isadex prune: no publication of {warehouse} (no ledger beside it)\n"
    assert not (tmp_path / "nowhere").exists()


@pytest.mark.parametrize("shown", [[], ["--verbose"]])
def test_run_gives_the_pipeline_its_settings_as_arguments_not_in_the_environment(
    shown, landing, tmp_path, monkeypatch, capsys
):
    """Issue 28: the worker exported the run's settings (ISADEX_*) and whether dbt's lines are
    shown (ISADEX_DBT_CONSOLE) for the definitions to read back. They go to run_pipeline as
    arguments, and the process's environment is left as it was."""
    from dagster_project import runner
    from dagster_project.lib.runtime import supervise
    from dagster_project.lib.runtime.settings import RunSettings, stable_path

    monkeypatch.setattr(supervise, "is_worker", lambda: True)
    monkeypatch.setattr(supervise, "watch_supervisor", lambda: None)
    given = {}

    def run_pipeline(settings, progress=None, **options):
        given.update(settings=settings, **options)
        return runner.RunOutcome(success=True, seconds=0.0, warehouse=str(settings.warehouse))

    monkeypatch.setattr(runner, "run_pipeline", run_pipeline)
    warehouse = tmp_path / "w.duckdb"
    argv = ["run", "--landing", str(landing), "--warehouse", str(warehouse)]
    before = dict(os.environ)
    try:
        code = cli.main([*argv, "--cutoff", "2026-06-30", *shown])
        after = dict(os.environ)
    finally:  # keeps the fault, where it is present, out of the tests that follow
        os.environ.clear()
        os.environ.update(before)
    capsys.readouterr()
    assert code == 0
    assert after == before
    assert given == {
        "settings": RunSettings(
            landing=landing.resolve(), warehouse=stable_path(warehouse), cutoff="2026-06-30"
        ),
        "dbt_console": bool(shown),
    }


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--subjects", "0"], "argument --subjects: must be at least 1: 0"),
        (["--sites", "-1"], "argument --sites: must be at least 1: -1"),
        (["--subjects", "many"], "argument --subjects: not a whole number: 'many'"),
        (["--cutoff", "2026-10-32"], "argument --cutoff: not a calendar date"),
    ],
)
def test_generate_refuses_a_wrong_value(extra, message, tmp_path, capsys):
    code, _, err = _exit(["generate", "--out", str(tmp_path / "l"), *extra], capsys)
    assert code == 1
    assert err.startswith(f"isadex generate: {message}")
    assert not (tmp_path / "l").exists()


def test_generate_says_how_many_sites_it_wrote(tmp_path, capsys):
    # 1,000 subjects need two sites of at most 900 (lib/synthetic/cohort.py), whatever --sites
    out = tmp_path / "l"
    assert cli.main(["generate", "--out", str(out), "--subjects", "1000", "--sites", "1"]) == 0
    sites = {p.name.split("_")[0] for p in out.iterdir() if p.is_dir()}
    assert len(sites) == 2
    assert "generated 1000 subjects at 2 sites" in capsys.readouterr().out
