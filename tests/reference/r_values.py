"""The stored R reference values (make_reference.R -> r_reference.json) and how to compare."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

REF_DIR = Path(__file__).parent
REF = json.loads((REF_DIR / "r_reference.json").read_text())


def assert_same(actual, expected, tol):
    """None must match None (R NA); numbers must agree within tol."""
    assert len(actual) == len(expected)
    for a, e in zip(actual, expected, strict=True):
        if e is None:
            assert a is None
        else:
            assert a is not None and a == pytest.approx(e, abs=tol)
