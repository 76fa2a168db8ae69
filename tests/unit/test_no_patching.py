"""No module of ours assigns to an attribute of a module it imported (issue 28: no patched
internals). The fault this pins: `lib/validation/runner.py` set Great Expectations'
`pandas_execution_engine.HASH_THRESHOLD`, and earlier modules replaced Dagster's SQLite
`create_engine`; each breaks on the dependency's next release. Attributes of objects (a GX
context's variables, our own dataclasses) are not modules and are not flagged."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "dagster_project"


def module_attribute_assignments(source: str) -> list[int]:
    """Line numbers of ``m.attr = ...`` (or ``+=``, ``del``) where ``m`` is a name an
    import statement of ``source`` bound to a module (``import x``, ``import x as m``,
    ``from x import m`` when m is not a class or function: any name from an import counts,
    so an imported class's attribute is flagged too, which is as much a patch)."""
    tree = ast.parse(source)
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported |= {a.asname or a.name for a in node.names}
    lines = []
    for node in ast.walk(tree):
        targets: list[ast.AST] = []
        if isinstance(node, (ast.Assign, ast.Delete)):
            targets = node.targets
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets = [node.target]
        for target in targets:
            base = target
            while isinstance(base, ast.Attribute):
                base = base.value
            if isinstance(target, ast.Attribute) and isinstance(base, ast.Name):
                if base.id in imported:
                    lines.append(node.lineno)
    return sorted(lines)


def test_the_check_finds_assignments_to_imported_modules_only():
    source = """
import great_expectations.execution_engine.pandas_execution_engine as engine
from great_expectations.execution_engine import pandas_execution_engine
import sqlalchemy
pandas_execution_engine.HASH_THRESHOLD = 0
engine.HASH_THRESHOLD += 1
sqlalchemy.create_engine = None
del sqlalchemy.orm
context = object()
context.variables = 1
"""
    assert module_attribute_assignments(source) == [5, 6, 7, 8]


def test_no_module_of_ours_assigns_to_an_imported_module():
    found = {
        str(path.relative_to(PACKAGE.parent)): lines
        for path in sorted(PACKAGE.rglob("*.py"))
        if (lines := module_attribute_assignments(path.read_text()))
    }
    assert found == {}
