"""The one reuse mechanism: Dagster's data versions and code versions.

Every asset reports a data version: the content fingerprint of what it wrote (a table's
``table_fingerprint``, a file's SHA-256), or, where it gives none, the version Dagster derives
from its code version and its inputs' data versions. Dagster records with each materialization
the code version that made it and the data versions of the inputs it read (its provenance,
``context.get_asset_provenance``). A step whose provenance says "this code, these input
versions" when the code version and every input's latest data version are still those, and
whose output in place still has the data version it recorded, does not compute again: it
materializes the asset anew with the same data version and says why in the metadata
(``not_recomputed``, ``reused_from_run``), which is what the UI shows on the asset's page.

Why materialize at all rather than yield nothing: Dagster skips every step downstream of an
output that was not yielded, also those whose other inputs did change.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import dagster as dg
import duckdb

# The tag Dagster writes on every materialization with its data version (the UI's
# "Data version"); read from the public EventLogEntry of the latest materialization.
DATA_VERSION_TAG = "dagster/data_version"
# Metadata keys this module adds; not carried over from the materialization reused.
REUSE_KEYS = ("not_recomputed", "reused_from_run")


@dataclass(frozen=True)
class Reusable:
    """The latest materialization of an asset, still valid: made by this code version from
    inputs whose data versions are still those."""

    key: dg.AssetKey
    run_id: str
    data_version: str
    metadata: Mapping[str, object]
    reason: str


def _latest_materializations(
    instance: dg.DagsterInstance, keys: Iterable[dg.AssetKey]
) -> dict[dg.AssetKey, dg.EventLogEntry]:
    """The latest materialization of each of ``keys`` that has one, in one query of the
    instance's asset records (a query per key costs tens of milliseconds on SQLite)."""
    found = {}
    for record in instance.get_asset_records(list(keys)):
        entry = record.asset_entry.last_materialization
        if entry is not None and entry.asset_materialization is not None:
            found[record.asset_entry.asset_key] = entry
    return found


def latest_data_version(instance: dg.DagsterInstance, key: dg.AssetKey) -> str | None:
    """The data version of ``key``'s latest materialization (None: never materialized)."""
    entry = _latest_materializations(instance, [key]).get(key)
    return None if entry is None else entry.asset_materialization.tags.get(DATA_VERSION_TAG)


def _short(version: str) -> str:
    return version[:12]


def reusable_many(
    context: dg.AssetExecutionContext, code_versions: Mapping[dg.AssetKey, str | None]
) -> dict[dg.AssetKey, Reusable | None]:
    """For each asset of ``code_versions``: its latest materialization when that was made by
    this code version and every input it recorded still has the data version it read; None
    otherwise (never made, other code, an input changed)."""
    provenance = {key: context.get_asset_provenance(key) for key in code_versions}
    inputs = {k for p in provenance.values() if p is not None for k in p.input_data_versions}
    latest = _latest_materializations(context.instance, {*inputs, *code_versions})

    def version_of(key: dg.AssetKey) -> str | None:
        entry = latest.get(key)
        return None if entry is None else entry.asset_materialization.tags.get(DATA_VERSION_TAG)

    found: dict[dg.AssetKey, Reusable | None] = {}
    for key, code_version in code_versions.items():
        made = provenance[key]
        entry = latest.get(key)
        data_version = version_of(key)
        if (
            made is None
            or entry is None
            or data_version is None
            or code_version is None
            or made.code_version != code_version
            or any(version_of(k) != v.value for k, v in made.input_data_versions.items())
        ):
            found[key] = None
            continue
        inputs_text = ", ".join(
            f"{k.to_user_string()} {_short(v.value)}"
            for k, v in sorted(made.input_data_versions.items(), key=lambda kv: kv[0])
        )
        found[key] = Reusable(
            key=key,
            run_id=entry.run_id,
            data_version=data_version,
            metadata={
                k: v for k, v in entry.asset_materialization.metadata.items() if k not in REUSE_KEYS
            },
            reason=(
                f"code version {_short(code_version)} and input data versions "
                f"({inputs_text or 'none'}) are those of the materialization in run "
                f"{entry.run_id[:8]}"
            ),
        )
    return found


def reusable(
    context: dg.AssetExecutionContext, key: dg.AssetKey, code_version: str | None
) -> Reusable | None:
    """``reusable_many`` for one asset."""
    return reusable_many(context, {key: code_version})[key]


def still_in_place(
    reuse: Reusable | None, current_fingerprint: Callable[[], str | None]
) -> Reusable | None:
    """``reuse`` when what is in place has the data version it recorded (a working file
    replaced or altered since is computed again); ``current_fingerprint`` is asked only then."""
    if reuse is None:
        return None
    try:
        now = current_fingerprint()
    except (OSError, LookupError, ValueError, duckdb.Error):  # gone, unreadable, altered
        return None
    return reuse if now == reuse.data_version else None


def reused_result(reuse: Reusable, **metadata) -> dg.MaterializeResult:
    """The asset materialized again, not recomputed: same data version, the earlier metadata,
    and why."""
    return dg.MaterializeResult(
        asset_key=reuse.key,
        data_version=dg.DataVersion(reuse.data_version),
        metadata={
            **reuse.metadata,
            **metadata,
            "not_recomputed": reuse.reason,
            "reused_from_run": reuse.run_id,
        },
    )


def versioned(
    key: dg.AssetKey, data_version: str, metadata: Mapping[str, object]
) -> dg.MaterializeResult:
    """A computed asset's result with the content fingerprint as its data version."""
    return dg.MaterializeResult(
        asset_key=key, data_version=dg.DataVersion(data_version), metadata=dict(metadata)
    )
