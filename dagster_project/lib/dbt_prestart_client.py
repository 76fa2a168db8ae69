"""``isadex-dbt``: the dbt executable dagster-dbt runs (defs/resources.py).

With a prestarted dbt waiting for this run (ISADEX_DBT_SERVER names its socket,
lib/dbt_prestart.py), ``isadex-dbt build ...`` hands it this process's standard output and the
request and exits with dbt's exit code; dagster-dbt reads the same JSON log lines it would read
from dbt. Anything else, or a prestarted dbt that declines (its parse failed, other vars), runs
the dbt beside this interpreter with the same arguments, as if called directly.

Kept to the standard library: it starts on every dbt command.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import struct
import sys
from pathlib import Path

SERVER_ENV = "ISADEX_DBT_SERVER"


def real_dbt() -> str:
    return str(Path(sys.executable).parent / "dbt")


def ask(socket_path: str, args: list[str]) -> int | None:
    """dbt's exit code from the prestarted dbt, or None when it did not build (run dbt here)."""
    try:
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        conn.connect(socket_path)
    except OSError as exc:
        print(
            f"isadex-dbt: no prestarted dbt at {socket_path} ({exc}); running dbt", file=sys.stderr
        )
        return None
    # An interrupt for dbt (dagster-dbt sends SIGINT when the run is cancelled) goes to the
    # process that runs it.
    pid = struct.unpack("3i", conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12))[0]
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda signum, _frame: os.kill(pid, signum))
    request = json.dumps({"args": args, "env": dict(os.environ), "cwd": os.getcwd()}).encode()
    sys.stdout.flush()
    with conn:
        try:
            socket.send_fds(conn, [len(request).to_bytes(8, "big")], [sys.stdout.fileno()])
            conn.sendall(request)
            answer = b""
            while not answer.endswith(b"\n"):
                chunk = conn.recv(4096)
                if not chunk:
                    break
                answer += chunk
        except OSError as exc:
            answer = b""
            print(f"isadex-dbt: lost the prestarted dbt: {exc}", file=sys.stderr)
    if not answer:
        # It may have built part of the graph already: running dbt again would repeat its
        # events to dagster-dbt, so this is dbt's "unhandled error".
        print("isadex-dbt: the prestarted dbt ended without an exit code", file=sys.stderr)
        return 2
    said = json.loads(answer)
    if "exit" in said:
        return int(said["exit"])
    print(
        f"isadex-dbt: prestarted dbt declined ({said.get('fallback')}); running dbt",
        file=sys.stderr,
    )
    return None


def main() -> None:
    args = sys.argv[1:]
    socket_path = os.environ.get(SERVER_ENV)
    if socket_path and args[:1] == ["build"]:
        code = ask(socket_path, args)
        if code is not None:
            sys.exit(code)
    dbt = real_dbt()
    os.execv(dbt, [dbt, *args])


if __name__ == "__main__":
    main()
