"""The dbt project as Dagster sees it. The manifest is prepared by `make` (dbt parse) or by
`dagster dev` (prepare_if_dev), never parsed on every code-location load."""

from pathlib import Path

from dagster_dbt import DbtProject

DBT_DIR = Path(__file__).resolve().parents[3] / "dbt"

dbt_project = DbtProject(project_dir=DBT_DIR, profiles_dir=DBT_DIR)
dbt_project.prepare_if_dev()
