"""The prestarted dbt: a process that imports dbt and parses the project while the run starts
and ingests, then runs the one ``dbt build`` the dbt step asks for (lib/dbt_prestart.py says
why and how it is wired).

Run as ``python -m dagster_project.lib.dbt_prestart_server FD PROJECT_DIR VARS_JSON TARGET``
with the build's ISADEX_DBT_DB and a scratch DBT_TARGET_PATH for the parse (FD: a listening
Unix socket it inherits; TARGET: the warehouse's dbt target folder). It serves one request on
the socket and exits:

- the client (lib/dbt_prestart_client.py) sends its standard output as a file descriptor, then
  the dbt arguments, environment and working folder as JSON;
- if the parse failed, or the request is not the build this parse is for (another command,
  other ``--vars``, another warehouse), the answer is ``{"fallback": reason}`` and the client
  runs dbt itself, which parses and reports what is wrong;
- otherwise dbt builds in this process, writing its JSON log lines to the client's standard
  output (dagster-dbt reads them as from its own dbt process), with the manifest parsed here;
  DuckDB is closed before the answer ``{"exit": code}``, so the step after dbt finds the file
  free, as it would after a dbt process ended.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import sys
from pathlib import Path

PARTIAL_PARSE_FILE = "partial_parse.msgpack"
# What the parse leaves in its scratch folder and the build's target folder should hold: the
# build does not parse, so without these the folder would keep a previous run's.
PARSE_ARTIFACTS = (PARTIAL_PARSE_FILE, "manifest.json", "semantic_manifest.json")
# A request is a few kilobytes (the environment); anything larger is not ours.
MAX_REQUEST = 1 << 20
# The server never outlives the run that started it by more than this (seconds between checks
# that its parent is alive while no request came).
PARENT_CHECK = 1.0


def exit_code(result) -> int:
    """dbt's own exit codes (dbt.cli.main): 0 success, 1 failed nodes, 2 an error."""
    if result.success:
        return 0
    return 1 if result.exception is None else 2


def _vars_of(args: list[str]) -> str | None:
    return args[args.index("--vars") + 1] if "--vars" in args[:-1] else None


def _invoke_parse(project_dir: str, dbt_vars: str):
    from dbt.cli.main import dbtRunner

    args = ["parse", "--quiet", "--profiles-dir", project_dir, "--project-dir", project_dir]
    if dbt_vars:
        args += ["--vars", dbt_vars]
    sys.argv = ["dbt", *args]  # dbt.log records the command from the process's arguments
    try:
        result = dbtRunner().invoke(args)
    except Exception as exc:  # noqa: BLE001 (any failure means: let dbt parse itself)
        return None, f"dbt parse raised {exc!r}"
    if not result.success:
        return None, f"dbt parse failed: {result.exception!r}"
    return result.result, None


def _seed(partial_parse: Path, scratch: Path) -> None:
    if partial_parse.is_file():
        shutil.copyfile(partial_parse, scratch / PARTIAL_PARSE_FILE)


def _databases(manifest) -> set[str]:
    nodes = [*manifest.nodes.values(), *manifest.sources.values()]
    return {node.database for node in nodes}


def parse(project_dir: str, dbt_vars: str, work_db: str, build_target: Path):
    """The manifest of this project and vars for a build in ``work_db``, or why there is none.

    dbt reuses an earlier parse only for the profile it was made with, and the profile names
    the working file, so a new warehouse would parse the whole project (3-5 s). But the
    manifest depends on the file only through its catalog name (dbt-duckdb: the file name up
    to its first dot, ``warehouse`` for ``warehouse.work.duckdb``): so this parses with the
    profile's default file, from the parse `make manifest` prepared in the project's target
    folder (dbt re-parses only what changed since), and keeps the manifest when every node
    names the catalog of ``work_db``. Otherwise it parses for ``work_db`` itself, from this
    warehouse's last parse when there is one. dbt also re-parses in full for other vars than
    the parse it starts from, and `make manifest` parses without vars: a run with vars (a
    pinned ``--cutoff``, usually the same from run to run) starts from this warehouse's last
    parse instead.
    """
    from dbt.adapters.duckdb.credentials import DuckDBCredentials

    scratch = Path(os.environ["DBT_TARGET_PATH"])
    catalog = DuckDBCredentials.path_derived_database_name(work_db)
    os.environ.pop("ISADEX_DBT_DB", None)
    prepared = build_target if dbt_vars else Path(project_dir) / "target"
    _seed(prepared / PARTIAL_PARSE_FILE, scratch)
    manifest, failed = _invoke_parse(project_dir, dbt_vars)
    if manifest is not None and _databases(manifest) == {catalog}:
        return manifest, None
    os.environ["ISADEX_DBT_DB"] = work_db
    (scratch / PARTIAL_PARSE_FILE).unlink(missing_ok=True)
    _seed(build_target / PARTIAL_PARSE_FILE, scratch)
    return _invoke_parse(project_dir, dbt_vars)


def why_not(request: dict, dbt_vars: str, parsed_db: str | None) -> str | None:
    """The reason this parse cannot serve the request, if there is one."""
    args = request.get("args") or []
    if args[:1] != ["build"]:
        return f"serves dbt build only, not {args[:1]}"
    try:
        same_vars = json.loads(_vars_of(args) or "{}") == json.loads(dbt_vars or "{}")
    except ValueError:
        same_vars = False
    if not same_vars:
        return "the build's --vars differ from the parse's"
    if request.get("env", {}).get("ISADEX_DBT_DB") != parsed_db:
        return "the build is for another warehouse file than the parse"
    return None


def _receive(conn: socket.socket) -> tuple[dict, int]:
    head, fds, _flags, _addr = socket.recv_fds(conn, 8, 1)
    if len(fds) != 1 or len(head) != 8:
        raise ValueError("no standard output was passed")
    size = int.from_bytes(head, "big")
    if size > MAX_REQUEST:
        raise ValueError(f"request of {size} bytes")
    body = b""
    while len(body) < size:
        chunk = conn.recv(size - len(body))
        if not chunk:
            raise ValueError("request cut short")
        body += chunk
    return json.loads(body), fds[0]


def _answer(conn: socket.socket, answer: dict) -> None:
    conn.sendall(json.dumps(answer).encode() + b"\n")


def _accept(server: socket.socket) -> socket.socket | None:
    """The client's connection, or None once the run that started this process is gone."""
    parent = os.getppid()
    server.settimeout(PARENT_CHECK)
    while True:
        try:
            conn, _ = server.accept()
        except TimeoutError:
            if os.getppid() != parent:
                return None
            continue
        conn.settimeout(None)
        return conn


def _move_parse_artifacts(scratch: Path, target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    for name in PARSE_ARTIFACTS:
        if (scratch / name).is_file():
            os.replace(scratch / name, target / name)
    shutil.rmtree(scratch, ignore_errors=True)


def close_duckdb(reset_adapters) -> None:
    """Close the database dbt built in, so the next writer finds the file unlocked, as after a
    dbt process. dbt's adapter reset releases its connections but dbt-duckdb keeps the database
    open in its environment until the process ends."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    environment = DuckDBConnectionManager._ENV  # dbt-duckdb 1.11 (pinned in requirements.lock)
    reset_adapters()
    if environment is not None:
        environment.close()


def build(manifest, request: dict, stdout_fd: int) -> int:
    """dbt build in this process with the client's environment, output and folder."""
    from dbt.adapters.factory import reset_adapters
    from dbt.cli.main import dbtRunner

    os.dup2(stdout_fd, 1)
    os.dup2(stdout_fd, 2)
    os.close(stdout_fd)
    os.environ.clear()
    os.environ.update(request["env"])
    os.chdir(request["cwd"])
    sys.argv = ["dbt", *request["args"]]
    try:
        result = dbtRunner(manifest=manifest).invoke(request["args"])
        code = exit_code(result)
        if result.exception is not None:
            print(f"dbt build raised: {result.exception!r}", file=sys.stderr)
    except BaseException as exc:  # noqa: BLE001 (reported to dagster-dbt like dbt would)
        print(f"dbt build raised: {exc!r}", file=sys.stderr)
        code = 2
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        close_duckdb(reset_adapters)
    # Release the client's output: dagster-dbt reads until every writer has closed it.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    return code


def serve(listening_fd: str, project_dir: str, dbt_vars: str, build_target: str) -> None:
    # Bound and listening before this process started (lib/dbt_prestart.py): a client that
    # comes before the parse is done waits in the backlog.
    server = socket.socket(fileno=int(listening_fd))
    work_db = os.environ["ISADEX_DBT_DB"]
    manifest, failed = parse(project_dir, dbt_vars, work_db, Path(build_target))
    conn = _accept(server)
    if conn is None:
        return
    with conn:
        try:
            request, stdout_fd = _receive(conn)
        except (OSError, ValueError) as exc:
            _answer(conn, {"fallback": f"unreadable request: {exc}"})
            return
        reason = failed or why_not(request, dbt_vars, work_db)
        if reason:
            os.close(stdout_fd)
            _answer(conn, {"fallback": reason})
            return
        target = request["env"].get("DBT_TARGET_PATH")
        if target:
            _move_parse_artifacts(Path(os.environ["DBT_TARGET_PATH"]), Path(target))
        code = build(manifest, request, stdout_fd)
        _answer(conn, {"exit": code})


if __name__ == "__main__":
    serve(*sys.argv[1:5])
    sys.stdout.flush()
    # Nothing is left to tear down that matters (DuckDB closed above); interpreter teardown of
    # dbt's modules is a second of nothing.
    os._exit(0)
