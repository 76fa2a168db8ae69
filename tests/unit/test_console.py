"""Where console output goes: colour only to a terminal without NO_COLOR, and dbt's own lines
(printed by dagster-dbt while it reads dbt's output) only when asked for."""

import io
import sys

import pytest

from dagster_project.defs.warehouse.dbt_models import _printing_dbt_lines
from dagster_project.lib.runtime.console import colour_allowed, is_terminal


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_colour_only_on_a_terminal_without_no_color(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert colour_allowed(_Terminal())
    assert not colour_allowed(io.StringIO())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not colour_allowed(_Terminal())


def test_a_closed_stream_is_no_terminal():
    stream = io.StringIO()
    stream.close()
    assert not is_terminal(stream)


def _dagster_dbt_like():
    """Like dagster-dbt's stream(): writes each dbt line to sys.stdout, then yields an event."""
    for i in range(3):
        sys.stdout.write(f"{i} of 3 OK created sql view model\n")
        yield i


def test_dbt_lines_dropped_but_not_what_the_step_prints_between_events(capsys):
    seen = []
    for event in _printing_dbt_lines(_dagster_dbt_like(), on_console=False):
        print(f"handled {event}")  # Dagster's handling of the event: stdout as it was
        seen.append(event)
    assert seen == [0, 1, 2]
    assert capsys.readouterr().out == "handled 0\nhandled 1\nhandled 2\n"


def test_dbt_lines_kept_with_verbose(capsys):
    assert list(_printing_dbt_lines(_dagster_dbt_like(), on_console=True)) == [0, 1, 2]
    assert capsys.readouterr().out.count(" OK created sql view model") == 3


def test_stdout_restored_when_dbt_fails(capsys):
    def failing():
        sys.stdout.write("dbt line\n")
        raise RuntimeError("dbt failed")
        yield  # a generator

    stdout = sys.stdout
    with pytest.raises(RuntimeError, match="dbt failed"):
        list(_printing_dbt_lines(failing(), on_console=False))
    assert sys.stdout is stdout
    assert capsys.readouterr().out == ""
