"""Headless Chromium driven over the Chrome DevTools Protocol, for the browser tests
(tests/e2e/test_dagster_ui.py, tests/e2e/test_report_print.py).

Debian's Chromium is started with a DevTools port and spoken to over the `websockets` client
already in the lock file: no Selenium, no browser download. The browser runs in its own process
group and dies with the test process, so no browser outlives a test.
"""

from __future__ import annotations

import base64
import ctypes
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from websockets.sync.client import ClientConnection

PAGE_TIMEOUT_S = 45.0
VIEWPORT = (1920, 1080)  # the default window: wide enough for the Dagster UI's lineage graph

# The flags this machine needs (machines/python.md): without the background-networking ones
# Chromium keeps dialing Google hosts that the closed network refuses.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-proxy-server",
    "--hide-scrollbars",
)


# ----------------------------------------------------------------------------- processes


def die_with_parent() -> None:
    """Run in the child before exec: the kernel SIGKILLs it when the test process dies
    (prctl PR_SET_PDEATHSIG), so even a killed pytest leaves no webserver or browser behind.
    Their own children follow: Chromium's helpers exit with the browser, and the code server
    stops by itself once the webserver's heartbeats stop (Dagster's 45 s heartbeat timeout)."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG


def stop_group(proc: subprocess.Popen, grace_s: float) -> None:
    """SIGTERM the process group (the webserver's code server, Chromium's renderers share it),
    then SIGKILL what is left after `grace_s`: no orphan outlives the test."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(timeout=10)


def tail(path: Path, chars: int = 3000) -> str:
    return path.read_text(errors="replace")[-chars:] if path.exists() else ""


def http_json(url: str, payload: dict | None = None, timeout: float = 10.0) -> Any:
    data = json.dumps(payload).encode() if payload is not None else None
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    # A direct opener: an http_proxy in the environment must not capture loopback calls.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(request, timeout=timeout) as response:
        return json.loads(response.read())


# ----------------------------------------------------------------------------- DevTools


class DevToolsPage:
    """A minimal Chrome DevTools Protocol client for one page target: commands are sent with
    increasing ids and the reply with the same id is awaited; events in between are dropped."""

    def __init__(self, ws: ClientConnection) -> None:
        self._ws = ws
        self._next_id = 0

    def call(self, method: str, timeout: float = 30.0, **params: Any) -> dict:
        self._next_id += 1
        command_id = self._next_id
        self._ws.send(json.dumps({"id": command_id, "method": method, "params": params}))
        deadline = time.monotonic() + timeout
        while True:
            message = json.loads(self._ws.recv(timeout=max(0.1, deadline - time.monotonic())))
            if message.get("id") == command_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message["result"]

    def evaluate(self, expression: str) -> Any:
        result = self.call(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def navigate(self, url: str) -> None:
        self.call("Page.navigate", url=url)

    def wait_until(
        self, expression: str, done: Callable[[Any], bool], timeout: float = PAGE_TIMEOUT_S
    ) -> Any:
        """Evaluate `expression` every 250 ms until `done(value)`; the last value on timeout is
        returned to the caller, whose assertion then shows what the page did render. A failed
        evaluation (the document being replaced mid-navigation) is retried, not fatal."""
        deadline = time.monotonic() + timeout
        value = None
        while time.monotonic() < deadline:
            try:
                value = self.evaluate(expression)
            except RuntimeError:
                value = None
            if value is not None and done(value):
                return value
            time.sleep(0.25)
        return value

    def settle(self) -> None:
        """Fonts loaded, two frames painted, then a short pause for the graph's zoom-to-fit."""
        self.evaluate("document.fonts.ready.then(() => true)")
        self.evaluate(
            "new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))"
        )
        time.sleep(0.75)

    def screenshot(self, path: Path) -> Path:
        data = self.call("Page.captureScreenshot", format="png")["data"]
        path.write_bytes(base64.b64decode(data))
        return path


def launch_chromium(
    binary: str, profile: Path, log: Path, window: tuple[int, int] = VIEWPORT
) -> tuple[subprocess.Popen, str]:
    """Start Chromium headless on a DevTools port it picks itself (port 0: no race); it writes
    the port to <profile>/DevToolsActivePort. Returns the process and the page's websocket."""
    with log.open("wb") as sink:
        proc = subprocess.Popen(
            [
                binary,
                *CHROMIUM_FLAGS,
                f"--user-data-dir={profile}",
                "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0",
                f"--window-size={window[0]},{window[1]}",
                "about:blank",
            ],
            stdout=sink,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=die_with_parent,
        )
    port_file = profile / "DevToolsActivePort"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        lines = port_file.read_text().splitlines() if port_file.exists() else []
        if len(lines) >= 2:
            targets = http_json(f"http://127.0.0.1:{lines[0]}/json/list")
            pages = [t for t in targets if t["type"] == "page"]
            if pages:
                return proc, pages[0]["webSocketDebuggerUrl"]
        time.sleep(0.05)
    stop_group(proc, grace_s=2)
    pytest.fail(f"Chromium did not open its DevTools port:\n{tail(log)}")


def png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", path
    return int.from_bytes(header[16:20], "big"), int.from_bytes(header[20:24], "big")


def chromium_binary() -> str:
    """The system Chromium. Missing: skip on a workstation, fail in CI (which installs it)."""
    binary = shutil.which("chromium")
    if binary is None:
        reason = "no `chromium` binary: apt-get install chromium chromium-driver (.ci/run does)"
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the browser tests, but {reason}")
        pytest.skip(reason)
    return binary
