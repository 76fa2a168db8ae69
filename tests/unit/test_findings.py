"""The findings rules are pinned by dbt unit tests (dbt/models/quality/_quality__unit_tests.yml,
run by tests/dbt/test_dbt_project.py with every other unit test). Here: every rule the findings
model accepts is broken by at least one unit test whose expected rows raise it, and each family
model has a unit test."""

from pathlib import Path

import yaml

QUALITY = Path(__file__).resolve().parents[2] / "dbt" / "models" / "quality"


def _yaml(name: str) -> dict:
    return yaml.safe_load((QUALITY / name).read_text())


def _rules_accepted() -> set[str]:
    models = {m["name"]: m for m in _yaml("_quality__models.yml")["models"]}
    coded = next(
        t["columns_accepted_values"]
        for t in models["findings"]["data_tests"]
        if "columns_accepted_values" in t
    )
    return set(coded["arguments"]["values"]["RULE"])


def test_every_rule_is_raised_by_a_unit_test():
    tests = _yaml("_quality__unit_tests.yml")["unit_tests"]
    raised = {row["rule"] for t in tests for row in t["expect"]["rows"]}
    assert _rules_accepted() == raised


def test_every_family_model_has_a_unit_test_and_is_in_the_union():
    families = {p.stem for p in QUALITY.glob("findings_*.sql")} - {"findings_by_site"}
    tested = {t["model"] for t in _yaml("_quality__unit_tests.yml")["unit_tests"]}
    assert families == tested
    union = (QUALITY / "findings.sql").read_text()
    assert all(f"ref('{family}')" in union for family in families)


def test_negative_cases_are_present():
    """Each unit test feeds records that must NOT raise a finding next to those that must (the
    expected rows are fewer than the records given), so over-eager rules fail too."""
    for test in _yaml("_quality__unit_tests.yml")["unit_tests"]:
        given = sum(
            len(g.get("rows") or []) for g in test["given"] if g["input"].startswith("ref(")
        )
        assert given > len(test["expect"]["rows"]), test["name"]
