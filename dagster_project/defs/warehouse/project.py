"""The dbt project as Dagster sees it. The manifest is prepared by `make` (dbt parse) or by
`dagster dev` (prepare_if_dev), never parsed on every code-location load."""

from dagster_dbt import DbtProject

from dagster_project.lib.settings import DBT_PROJECT_DIR

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
dbt_project.prepare_if_dev()
