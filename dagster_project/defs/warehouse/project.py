"""The dbt project as Dagster sees it. The manifest is prepared by `make` (dbt parse), and
parsed again only when a project file is newer than it: by `isadex run`, and by `dagster dev`
when it loads the code location, so an edited model shows in the UI after a reload."""

import subprocess

from dagster_dbt import DbtProject

from dagster_project.lib.runtime.settings import DBT_PROJECT_DIR, dbt_executable

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


def prepare_manifest() -> None:
    """Parse the dbt project when its manifest is missing or older than any project file.

    Dagster maps dbt's events through this manifest; one older than the models would make
    the run fail on a node it does not know. Not `dbt_project.prepare_if_dev()`: its parse runs
    the `dbt` on PATH, which is not the virtual environment's unless it is activated.
    """
    manifest = dbt_project.manifest_path
    if manifest.exists():
        built = manifest.stat().st_mtime
        project = dbt_project.project_dir
        sources = [
            p
            for folder in ("models", "seeds", "macros", "tests")
            for p in (project / folder).rglob("*")
            if p.is_file()
        ]
        sources.append(project / "dbt_project.yml")
        if all(p.stat().st_mtime <= built for p in sources):
            return
    subprocess.run(
        [dbt_executable(), "parse", "--quiet", "--profiles-dir", ".", "--project-dir", "."],
        cwd=dbt_project.project_dir,
        check=True,
    )


if dbt_project.preparer.using_dagster_dev():
    prepare_manifest()
