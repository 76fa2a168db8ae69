"""The submission package of the demo-sized trial (the session's 60-subject run, tests/conftest.py
`synthetic_run`) as a reviewer receives it (submission.md, issue 31): define.xml valid against the
Define-XML 2.1 schema, and the package passing the conformance check a reviewer's tool runs
(lib/export/conformance.py, which reads define.xml and every .xpt with pyreadstat and nothing of
ours: names, labels, types and formats of every file against define.xml, required variables,
codelists, keys, sequence numbers, dates). The hand-built trial's package is checked the same
way in tests/e2e/test_handbuilt_trial.py."""

from __future__ import annotations

from pathlib import Path

from dagster_project.lib.export.conformance import ERROR, check_package, format_finding
from dagster_project.lib.export.define_xml import validate_define

DATASETS = ["adae.xpt", "adex.xpt", "adlb.xpt", "adrs.xpt", "adsl.xpt", "adtte.xpt"]


def assert_publishable_package(folder: Path) -> None:
    """Every dataset's file and define.xml are there, define.xml is schema-valid, and the
    conformance check finds no error (its warnings are printed)."""
    assert sorted(p.name for p in folder.glob("*.xpt")) == DATASETS
    validate_define(folder / "define.xml")
    findings = check_package(folder)
    for finding in findings:
        print(format_finding(finding))
    errors = [format_finding(f) for f in findings if f.severity == ERROR]
    assert not errors, "\n".join(errors)


def test_demo_package_is_schema_valid_and_conformant(synthetic_run):
    outcome, warehouse = synthetic_run
    assert outcome.exit_code == 0, outcome.summary()
    assert_publishable_package(warehouse.with_name("report") / "submission")
