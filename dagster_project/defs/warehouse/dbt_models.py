"""dbt models, seeds and tests as Dagster assets and asset checks (dbt build)."""

import contextlib
import json
import os
import sys
from collections.abc import Iterator, Mapping
from typing import Any

import dagster as dg
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    dbt_assets,
)

from dagster_project.defs.resources import WRITER_POOL, Warehouse
from dagster_project.defs.warehouse.project import dbt_project
from dagster_project.lib import build_scope
from dagster_project.lib.console import colour_allowed
from dagster_project.lib.settings import by_subject_min_subjects, dbt_file_log_level
from dagster_project.lib.warm_imports import import_in_background

OWNERS_BY_LAYER = {
    "staging": ["team:clinical-data-engineering"],
    "intermediate": ["team:clinical-data-engineering"],
    "adam": ["team:biostatistics"],
}


class WarehouseTranslator(DagsterDbtTranslator):
    """Keys are schema/name (adam/adsl) and the group is the layer: the graph reads like the
    warehouse."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return super().get_asset_key(dbt_resource_props)  # meta.dagster.asset_key = raw/<form>
        schema = dbt_resource_props["config"].get("schema") or "main"
        return dg.AssetKey([schema, dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "source":
            return "ingest"
        return dbt_resource_props["config"].get("schema") or "staging"

    def get_owners(self, dbt_resource_props: Mapping[str, Any]) -> list[str]:
        schema = dbt_resource_props["config"].get("schema") or "staging"
        return OWNERS_BY_LAYER.get(schema, ["team:clinical-data-engineering"])

    def get_tags(self, dbt_resource_props: Mapping[str, Any]) -> Mapping[str, str]:
        return {
            **super().get_tags(dbt_resource_props),
            "layer": self.get_group_name(dbt_resource_props) or "",
        }


translator = WarehouseTranslator(
    settings=DagsterDbtTranslatorSettings(
        enable_source_tests_as_checks=True, enable_code_references=False
    )
)


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=translator,
    pool=WRITER_POOL,
)
def warehouse_dbt_models(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: Warehouse
):
    """dbt build (models, seeds, data tests) on the working warehouse at the run's cut-off: by
    subject when only some subjects can have changed, in full otherwise (lib/build_scope.py)."""
    dbt_vars = warehouse.dbt_vars()
    project = build_scope.project_fingerprint(dbt_project.project_dir)
    # A selection of models (the UI) rebuilds only those: in full, and the state is left not
    # done, because the models not selected still reflect the earlier transfers.
    whole_project = set(context.selected_asset_keys) == set(warehouse_dbt_models.keys)
    with warehouse.connect() as con:
        decision = (
            build_scope.decide(
                con,
                project=project,
                dbt_vars=dbt_vars,
                relations=_built_relations(),
                min_subjects=by_subject_min_subjects(),
            )
            if whole_project
            else build_scope.Decision(False, "a selection of the dbt models")
        )
        build_scope.start(con, decision)
    context.log.info(
        f"dbt build {'by subject' if decision.by_subject else 'in full'}: {decision.reason}"
        + (f"; {len(decision.scope)} subject(s) in scope" if decision.by_subject else "")
    )
    # Unit tests check the SQL, not the data: `make test` runs them (tests/dbt), so a data run
    # does not pay for them on every transfer.
    args = [
        "build",
        *([] if decision.by_subject else ["--full-refresh"]),
        "--log-level-file",
        dbt_file_log_level(),
        # dbt colours the message text dagster-dbt prints; codes are noise in a file or pipe.
        *([] if warehouse.dbt_console and colour_allowed(sys.stdout) else ["--no-use-colors"]),
        # The working file goes to profiles.yml as a var: dbt's documented way to hand a
        # profile a value (var() there sees --vars only), and the adapter dagster-dbt opens in
        # this process reads the same --vars. Not an environment variable: DbtCliResource.cli
        # takes no env for its child (it copies this process's), so one set here outlived the
        # run (issue 28). Nor a profiles.yml written per warehouse: a second copy of the
        # profile. Kept out of dbt_vars, which the build-by-subject state compares.
        "--vars",
        json.dumps({**dbt_vars, "duckdb_path": str(warehouse.settings.work_db)}),
        "--exclude",
        "resource_type:unit_test",
    ]
    try:
        invocation_id = yield from _build(context, dbt, warehouse, args, _build_metadata(decision))
    finally:
        # dbt's on-run-end does this too; here it also holds when dbt did not get that far.
        with warehouse.connect() as con:
            build_scope.end(con)
    with warehouse.connect() as con:
        build_scope.finish(con, decision, project=project, dbt_vars=dbt_vars, done=whole_project)
        # The dbt invocation id ties this run's models to dbt's own logs; quality.runs
        # records it.
        con.execute(
            "create table if not exists quality.dbt_invocations "
            "(RUN_ID varchar, INVOCATION_ID varchar, FINISHED_AT timestamp)"
        )
        con.execute(
            "insert into quality.dbt_invocations values (?, ?, now()::timestamp)",
            [context.run.run_id, invocation_id],
        )


def _built_relations() -> list[tuple[str, str]]:
    """(schema, name) of every model and seed the project builds, from the prepared manifest."""
    manifest = json.loads(dbt_project.manifest_path.read_text())
    return [
        (node["schema"], node["alias"])
        for node in manifest["nodes"].values()
        if node["resource_type"] in ("model", "seed")
    ]


def _build_metadata(decision: build_scope.Decision) -> dict[str, Any]:
    """What each model's materialization says about the build that wrote it."""
    return {
        "dbt_build": "by subject" if decision.by_subject else "full",
        "dbt_build_reason": decision.reason,
        "subjects_rebuilt": len(decision.scope) if decision.by_subject else "all",
    }


def _build(
    context,
    dbt: DbtCliResource,
    warehouse: Warehouse,
    args: list[str],
    metadata: dict[str, Any],
):
    """dbt's events as they come, each model's with ``metadata``; returns dbt's invocation
    id."""
    invocation = dbt.cli(args, context=context, target_path=warehouse.settings.dbt_target)
    # dbt builds in its own process; this one only relays its events meanwhile, so it imports
    # what the steps after dbt need (lib/warm_imports.py).
    import_in_background()
    try:
        for event in _printing_dbt_lines(invocation.stream(), warehouse.dbt_console):
            yield (
                event.with_metadata({**event.metadata, **metadata})
                if isinstance(event, dg.Output)
                else event
            )
    except BaseException:
        # dagster-dbt's stdout reader swallows GeneratorExit, so when event handling fails the
        # dbt child lives on holding the DuckDB lock; end it so the failure stays contained.
        if invocation.process.poll() is None:
            invocation.process.terminate()
            invocation.process.wait(timeout=60)
        raise
    return invocation.get_artifact("run_results.json")["metadata"]["invocation_id"]


def _printing_dbt_lines(events: Iterator, on_console: bool) -> Iterator:
    """dagster-dbt's events, with the dbt lines it writes to sys.stdout while reading them
    dropped unless ``on_console`` (dbt.log in the target folder has them). Redirected only
    while dagster-dbt reads dbt's output, not while Dagster handles the events yielded, so
    nothing else this process prints meanwhile is lost."""
    if on_console:
        yield from events
        return
    end = object()
    with open(os.devnull, "w") as nowhere:
        while True:
            with contextlib.redirect_stdout(nowhere):
                event = next(events, end)
            if event is end:
                return
            yield event
