"""A run's settings travel as arguments and resources, never through this process's environment
(issue 28): the environment is read as the UI's and the schedule's configuration, and written
by no module of ours, so two runs in one process, or a test after a run, see only what they
were given."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "dagster_project"

# Methods that change a mapping in place.
MUTATING = {"update", "setdefault", "pop", "popitem", "clear", "__setitem__", "__delitem__"}


def _is_os(node: ast.AST) -> bool:
    return isinstance(node, ast.Name) and node.id == "os"


def _is_environ(node: ast.AST) -> bool:
    """`os.environ`, or `environ` imported from os."""
    if isinstance(node, ast.Attribute):
        return node.attr == "environ" and _is_os(node.value)
    return isinstance(node, ast.Name) and node.id == "environ"


def environment_writes(source: str) -> list[int]:
    """Line numbers of the statements in ``source`` that change the process's environment:
    ``os.environ[k] = v`` (or ``+=``, ``del``), a mutating method of ``os.environ``, or
    ``os.putenv`` / ``os.unsetenv``. Reading it, or copying it into a child's ``env``, is
    not a write."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        targets: list[ast.AST] = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets = [node.target]
        elif isinstance(node, ast.Delete):
            targets = node.targets
        if any(isinstance(t, ast.Subscript) and _is_environ(t.value) for t in targets):
            lines.append(node.lineno)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            method, owner = node.func.attr, node.func.value
            if (method in MUTATING and _is_environ(owner)) or (
                method in ("putenv", "unsetenv") and _is_os(owner)
            ):
                lines.append(node.lineno)
    return sorted(lines)


def test_the_check_finds_each_kind_of_write_and_no_read():
    writes = """
import os
from os import environ
os.environ["A"] = "1"
os.environ["A"] += "2"
del os.environ["A"]
os.environ.update({"A": "1"})
os.environ.setdefault("A", "1")
os.environ.pop("A", None)
environ["B"] = "1"
os.putenv("A", "1")
"""
    assert environment_writes(writes) == [4, 5, 6, 7, 8, 9, 10, 11]
    reads = """
import os
a = os.environ.get("A")
b = os.environ["A"]
child = {**os.environ, "A": "1"}
copied = dict(os.environ)
copied.update({"A": "1"})
"""
    assert environment_writes(reads) == []


def test_no_module_of_ours_writes_the_environment():
    """The fault this pins: `isadex run` exported its settings (ISADEX_*) for the definitions to
    read back, and the dbt step exported the DuckDB path for profiles.yml. A child's environment
    is built as a dict of its own (lib/runtime/supervise.py), which this allows."""
    found = {
        f"{path.relative_to(PACKAGE.parent)}:{line}"
        for path in sorted(PACKAGE.rglob("*.py"))
        for line in environment_writes(path.read_text())
    }
    assert not found, sorted(found)
