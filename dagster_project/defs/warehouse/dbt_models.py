"""dbt models, seeds and tests as Dagster assets and asset checks (dbt build)."""

import contextlib
import functools
import graphlib
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

from dagster_project.defs import reuse
from dagster_project.defs.resources import WRITER_POOL, Warehouse
from dagster_project.defs.warehouse.project import dbt_project
from dagster_project.lib.runtime.console import colour_allowed
from dagster_project.lib.runtime.settings import by_subject_min_subjects, dbt_file_log_level
from dagster_project.lib.runtime.warm_imports import import_in_background
from dagster_project.lib.warehouse import build_scope, dbt_parse
from dagster_project.lib.warehouse.fingerprint import table_fingerprint

# What makes a model the same: its own SQL (dbt's checksum) and everything around it that dbt
# compiles it with (macros, seeds, dbt_project.yml, the engine's versions).
PROJECT_VERSION = build_scope.project_fingerprint(dbt_project.project_dir)
# The models whose content a consumer outside dbt reads: their data version is the content
# fingerprint of the table, so a rebuild that changes nothing in them leaves what reads them
# alone. The others take the version Dagster derives from their code and inputs.
FINGERPRINTED_LAYERS = ("adam", "quality")

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

    def get_code_version(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        checksum = (dbt_resource_props.get("checksum") or {}).get("checksum", "")
        return f"{PROJECT_VERSION[:16]}-{checksum[:16]}"

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
    subject when only some subjects can have changed, in full otherwise
    (lib/warehouse/build_scope.py)."""
    dbt_vars = warehouse.dbt_vars()
    project = PROJECT_VERSION
    # A selection of models (the UI) rebuilds only those: in full, and the state is left not
    # done, because the models not selected still reflect the earlier transfers.
    whole_project = set(context.selected_asset_keys) == set(warehouse_dbt_models.keys)
    unchanged = _unchanged_build(context, warehouse, dbt_vars) if whole_project else None
    if unchanged is not None:
        context.log.info(
            "dbt build not run: every model's code version and inputs' data versions are "
            "those of its last build, and the working file holds that build"
        )
        yield from unchanged
        return
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
        warehouse.settings.dbt_cli_vars(),
        "--exclude",
        "resource_type:unit_test",
    ]
    try:
        invocation_id = yield from _build(
            context, dbt, warehouse, args, _build_metadata(decision, dbt_vars)
        )
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


@functools.cache
def _manifest_nodes() -> dict[str, Mapping[str, Any]]:
    """The prepared manifest's nodes, read once per process: it is made by `make manifest`
    before the definitions load and does not change under them."""
    return json.loads(dbt_project.manifest_path.read_text())["nodes"]


def _built_relations() -> list[tuple[str, str]]:
    """(schema, name) of every model and seed the project builds, from the prepared manifest."""
    return [(node["schema"], node["alias"]) for node in _built_nodes().values()]


def _build_metadata(decision: build_scope.Decision, dbt_vars: dict[str, str]) -> dict[str, Any]:
    """What each model's materialization says about the build that wrote it (``dbt_vars``:
    part of what a later run compares before it reuses the build)."""
    return {
        "dbt_vars": json.dumps(dbt_vars, sort_keys=True),
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
    # `isadex run` parsed the project for this warehouse while the run started
    # (lib/warehouse/dbt_parse.py); dbt reads that parse back once it has ended.
    dbt_parse.wait(warehouse.settings.dbt_target)
    invocation = dbt.cli(args, context=context, target_path=warehouse.settings.dbt_target)
    # dbt builds in its own process; this one only relays its events meanwhile, so it imports
    # what the steps after dbt need (lib/runtime/warm_imports.py).
    import_in_background()
    # The events of HELD_UNTIL_DBT_ENDS wait until dbt lets go of the file; every other
    # model's and test's are stored while dbt goes on.
    held: list = []
    try:
        for event in _printing_dbt_lines(invocation.stream(), warehouse.dbt_console):
            if isinstance(event, dg.Output):
                event = event.with_metadata({**event.metadata, **metadata})
            if _event_key(context, event) in HELD_UNTIL_DBT_ENDS:
                held.append(event)
            else:
                yield event
    except BaseException:
        # dagster-dbt's stdout reader swallows GeneratorExit, so when event handling fails the
        # dbt child lives on holding the DuckDB lock; end it so the failure stays contained.
        if invocation.process.poll() is None:
            invocation.process.terminate()
            invocation.process.wait(timeout=60)
        raise
    with warehouse.connect() as con:
        for event in held:
            key = _event_key(context, event)
            if isinstance(event, dg.Output) and key[0] in FINGERPRINTED_LAYERS:
                event = dg.Output(
                    value=event.value,
                    output_name=event.output_name,
                    metadata=event.metadata,
                    data_version=dg.DataVersion(
                        table_fingerprint(con, _relation(dg.AssetKey(list(key))))
                    ),
                )
            yield event
    return invocation.get_artifact("run_results.json")["metadata"]["invocation_id"]


def _event_key(context, event) -> tuple[str, ...]:
    """The asset key path an event of dagster-dbt is about (() for other events)."""
    if isinstance(event, dg.Output):
        return tuple(context.asset_key_for_output(event.output_name).path)
    key = getattr(event, "asset_key", None)
    return tuple(key.path) if key is not None else ()


def _relation(key: dg.AssetKey) -> str:
    schema, name = key.path
    return f'"{schema}"."{name}"'


def _built_nodes() -> dict[str, Mapping[str, Any]]:
    return {
        unique_id: node
        for unique_id, node in _manifest_nodes().items()
        if node["resource_type"] in ("model", "seed")
    }


def _parents(node: Mapping[str, Any]) -> set[str]:
    return set(node.get("depends_on", {}).get("nodes", ()))


def _in_build_order() -> list[Mapping[str, Any]]:
    """The project's models and seeds, each after every one it reads (the order dbt builds
    them in, and the order Dagster wants a multi-asset's outputs in)."""
    nodes = _built_nodes()
    order = graphlib.TopologicalSorter({u: _parents(n) for u, n in nodes.items()}).static_order()
    return [nodes[u] for u in order if u in nodes]


# {asset key: code version} of the project's models and seeds, as the translator gives them,
# in the order dbt builds them.
CODE_VERSIONS = {
    translator.get_asset_key(node): translator.get_code_version(node) for node in _in_build_order()
}


def _held_until_dbt_ends() -> frozenset[tuple[str, ...]]:
    """Asset key paths whose events (output, materialization, test results) wait until dbt lets
    go of the file: the fingerprinted models, whose data version is the table's fingerprint,
    read once dbt has closed the file, and every model downstream of one, because Dagster
    refuses a multi-asset output yielded before one of the models it reads. The other models'
    and tests' events are stored while dbt goes on: most of a small build's ~780 events, each a
    SQLite write or more, which held until the end added seconds after dbt."""
    held_ids: set[str] = set()
    held: set[tuple[str, ...]] = set()
    for node in _in_build_order():
        key = tuple(translator.get_asset_key(node).path)
        if key[0] in FINGERPRINTED_LAYERS or _parents(node) & held_ids:
            held_ids.add(node["unique_id"])
            held.add(key)
    return frozenset(held)


HELD_UNTIL_DBT_ENDS = _held_until_dbt_ends()


def _unchanged_build(context, warehouse: Warehouse, dbt_vars: dict[str, str]) -> list | None:
    """The events of a build that need not run: every model reusable (defs/reuse.py) with the
    same dbt vars, the working file holding that finished build, the fingerprinted models as
    they were, and the last build's test results at hand (reported again, not re-run: same
    relations, same tests). None when anything differs."""
    vars_text = json.dumps(dbt_vars, sort_keys=True)
    kept = []
    candidates = reuse.reusable_many(
        context, {k: v for k, v in CODE_VERSIONS.items() if k in context.selected_asset_keys}
    )
    for found in candidates.values():
        previous_vars = found.metadata.get("dbt_vars") if found else None
        if found is None or getattr(previous_vars, "value", previous_vars) != vars_text:
            return None
        kept.append(found)
    with warehouse.connect() as con:
        if not build_scope.last_build_done(con, _built_relations()):
            return None
        for found in kept:
            if found.key.path[0] in FINGERPRINTED_LAYERS and not reuse.still_in_place(
                found, lambda key=found.key: table_fingerprint(con, _relation(key))
            ):
                return None
        invocation = con.execute(
            "select INVOCATION_ID from quality.dbt_invocations order by FINISHED_AT desc limit 1"
        ).fetchone()
    checks = _last_test_results(context, warehouse, invocation[0] if invocation else None)
    if checks is None:
        return None
    return [reuse.reused_result(found) for found in kept] + checks


def _last_test_results(context, warehouse: Warehouse, invocation_id: str | None) -> list | None:
    """The dbt tests' outcomes of the last build (its run_results.json, when it is the build
    recorded last in quality.dbt_invocations) as this step's check results; None when that
    build's results are not at hand."""
    path = warehouse.settings.dbt_target / "run_results.json"
    try:
        results = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if invocation_id is None or results["metadata"]["invocation_id"] != invocation_id:
        return None
    manifest = _manifest_nodes()
    status = {
        manifest[r["unique_id"]]["name"]: r["status"]
        for r in results["results"]
        if r["unique_id"] in manifest and manifest[r["unique_id"]]["resource_type"] == "test"
    }
    checks = []
    for spec in context.assets_def.check_specs:
        if spec.key not in context.selected_asset_check_keys:
            continue
        outcome = status.get(spec.name)
        if outcome is None:
            return None
        checks.append(
            dg.AssetCheckResult(
                asset_key=spec.asset_key,
                check_name=spec.name,
                passed=outcome == "pass",
                severity=dg.AssetCheckSeverity.WARN
                if outcome == "warn"
                else dg.AssetCheckSeverity.ERROR,
                metadata={
                    "status": outcome,
                    "not_recomputed": "the test ran on these same relations in dbt invocation "
                    f"{invocation_id}, the build the working file holds",
                },
            )
        )
    return checks


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
