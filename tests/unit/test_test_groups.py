"""`make test` runs the suite in parallel (pytest-xdist, `--dist loadgroup`). The modules that
share a built warehouse, and each e2e, integration or dbt module, must run whole in one worker:
their tests read what an earlier test of theirs did to a warehouse (test_operations publishes an
earlier cut, then the same cut again; test_report_print reads the publication left).

xdist schedules by the group it appends to each test's node id, in its own
`pytest_collection_modifyitems`. Two faults meant no test was ever grouped (the CI failure of
2026-12-07: test_report_print read the earlier cut test_operations publishes, 5 transfers
instead of 6): our hook, which adds the `xdist_group` marks, ran after xdist's; and pytest 9.2
keeps the node id where xdist 3.8 no longer writes it (requirements.in pins pytest < 9.2).
This runs tests/conftest.py's hook under xdist, on probe modules, and checks the node ids xdist
schedules by. It fails if either fault comes back."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

CONFTEST = Path(__file__).resolve().parents[1] / "conftest.py"

MODULE_PROBE = """
def test_a_module_of_its_folder_is_one_group(request):
    assert request.node.nodeid.endswith("@e2e/test_module.py"), request.node.nodeid
"""

# The whole module joins the shared warehouse's group, the test without the fixture too.
SHARED_PROBE = """
import pytest


@pytest.fixture(scope="session")
def synthetic_run():
    return None


def test_a_shared_warehouse_is_one_group(request, synthetic_run):
    assert request.node.nodeid.endswith("@synthetic_run"), request.node.nodeid


def test_its_module_goes_with_it(request):
    assert request.node.nodeid.endswith("@synthetic_run"), request.node.nodeid
"""

UNIT_PROBE = """
def test_a_unit_test_goes_to_any_worker(request):
    assert "@" not in request.node.nodeid, request.node.nodeid
"""

# A unit module whose module fixture is expensive asks to run whole (tests/unit/test_ingestion.py).
WHOLE_PROBE = """
import pytest

pytestmark = pytest.mark.whole_module


def test_a_marked_unit_module_is_one_group(request):
    assert request.node.nodeid.endswith("@unit/test_whole.py"), request.node.nodeid
"""


def test_every_grouped_test_is_scheduled_by_its_group(tmp_path):
    tests = tmp_path / "tests"
    for folder in ("e2e", "unit"):
        (tests / folder).mkdir(parents=True)
    shutil.copyfile(CONFTEST, tests / "conftest.py")
    (tests / "e2e" / "test_module.py").write_text(MODULE_PROBE)
    (tests / "e2e" / "test_shared.py").write_text(SHARED_PROBE)
    (tests / "unit" / "test_probe_unit.py").write_text(UNIT_PROBE)
    (tests / "unit" / "test_whole.py").write_text(WHOLE_PROBE)
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-n", "2", "--dist", "loadgroup",
         "-p", "no:cacheprovider", "--rootdir", str(tmp_path), "-c", "/dev/null", str(tests)],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert "5 passed" in run.stdout, run.stdout[-2000:]
