"""One writer per warehouse: an exclusive lock on ``<stem>.lock`` for the whole of a run.

``flock`` belongs to the open file, so the kernel releases it when the last process holding
it ends, however it ends: a killed run never leaves a stale lock behind. The file says who
holds it (process id, start time, command) so a refused run can name the one that is going.

`isadex run` takes the lock before anything starts and hands it to the process that runs
Dagster (an inherited descriptor, named in ISADEX_WRITER_LOCK_FD); the Dagster resource of
every run (also one started from the UI or the schedule) takes it unless its process holds
it already, and ``isadex prune`` takes it too.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

INHERITED_FD = "ISADEX_WRITER_LOCK_FD"

_held: dict[Path, int] = {}


class WarehouseBusy(RuntimeError):
    """Another process is writing this warehouse."""


def _holder(lock: Path) -> str:
    try:
        info = json.loads(lock.read_text() or "{}")
    except (OSError, ValueError):
        info = {}
    if not info:
        return "another process"
    return (
        f"{info.get('command', 'a process')} (process id {info.get('pid', '?')} on "
        f"{info.get('host', '?')}, started {info.get('started', '?')})"
    )


def _same_file(fd: int, path: Path) -> bool:
    try:
        a, b = os.fstat(fd), os.stat(path)
    except OSError:
        return False
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


def held_here(lock: Path) -> bool:
    """True when this process holds the lock, itself or through its supervising process."""
    lock = lock.resolve()
    if lock in _held:
        return True
    inherited = os.environ.get(INHERITED_FD)
    return bool(inherited and inherited.isdigit() and _same_file(int(inherited), lock))


def acquire(lock: Path, command: str | None = None) -> int:
    """Take the lock at once or raise :class:`WarehouseBusy` naming its holder; the descriptor."""
    lock = lock.resolve()
    lock.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise WarehouseBusy(
            f"the warehouse of {lock} is being written by {_holder(lock)}; nothing was changed"
        ) from None
    info = {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "started": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "command": command or " ".join(["isadex", *sys.argv[1:]]),
    }
    os.ftruncate(fd, 0)
    os.pwrite(fd, json.dumps(info).encode(), 0)
    _held[lock] = fd
    return fd


def release(lock: Path) -> None:
    fd = _held.pop(lock.resolve(), None)
    if fd is not None:
        os.close(fd)  # closing the last descriptor releases the flock


@contextmanager
def holding(lock: Path, command: str | None = None) -> Iterator[None]:
    """Hold the lock for the block, unless this process holds it already."""
    if held_here(lock):
        yield
        return
    acquire(lock, command)
    try:
        yield
    finally:
        release(lock)
