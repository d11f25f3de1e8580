"""A real headless Chromium driven over the DevTools protocol, for the tests of pages we write.

`--remote-debugging-pipe` speaks the protocol on file descriptors 3 (commands in) and 4 (replies
and events out), NUL-separated JSON: no websocket library, no port to pick. What a test gets
back: the console errors and uncaught exceptions of the page, every URL it tried to fetch, the
value of any expression, and a PNG screenshot.
"""

from __future__ import annotations

import base64
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BINARIES = ("chromium", "chromium-browser", "google-chrome")
WAIT_SECONDS = 60           # a safety net for a hung browser, not a speed check


def chromium_path() -> str | None:
    return next((found for name in BINARIES if (found := shutil.which(name))), None)


class ProtocolError(RuntimeError):
    pass


@dataclass
class Page:
    """What the page did while it loaded and was looked at."""

    errors: list[str] = field(default_factory=list)        # console errors, exceptions, failed loads
    requests: list[str] = field(default_factory=list)      # every URL the page asked for


class Chromium:
    def __init__(self, binary: str, profile: Path) -> None:
        commands_read, self._commands = os.pipe()
        self._replies, replies_write = os.pipe()
        args = [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--no-first-run", "--no-default-browser-check", "--disable-extensions",
                "--disable-background-networking", "--remote-debugging-pipe", f"--user-data-dir={profile}",
                "about:blank"]

        def fds() -> None:
            """The child's fds 3 and 4, whatever numbers the pipes got here (copies first, so that
            placing one never overwrites the other). Our other fds are not inheritable (PEP 446),
            so close_fds=False leaks nothing, and keeps these two, which close_fds would close."""
            commands, replies = os.dup(commands_read), os.dup(replies_write)
            os.dup2(commands, 3)
            os.dup2(replies, 4)

        self.process = subprocess.Popen(args, preexec_fn=fds, close_fds=False,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(commands_read)
        os.close(replies_write)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []

    # -- the protocol ----------------------------------------------------------------------
    def _read_message(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise ProtocolError("Chromium did not answer in time")
            ready, _, _ = select.select([self._replies], [], [], left)
            if ready:
                chunk = os.read(self._replies, 1 << 20)
                if not chunk:
                    raise ProtocolError("Chromium closed the DevTools pipe")
                self._buffer += chunk
        message, _, self._buffer = self._buffer.partition(b"\0")
        return json.loads(message)

    def call(self, method: str, params: dict[str, Any] | None = None, session: str | None = None) -> dict[str, Any]:
        self._next_id += 1
        request: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            request["sessionId"] = session
        os.write(self._commands, json.dumps(request).encode() + b"\0")
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            message = self._read_message(deadline)
            if message.get("id") == self._next_id:
                if "error" in message:
                    raise ProtocolError(f"{method}: {message['error']}")
                return message.get("result", {})
            self.events.append(message)

    def wait_for(self, method: str, session: str) -> dict[str, Any]:
        deadline = time.monotonic() + WAIT_SECONDS
        seen = next((e for e in self.events if e.get("method") == method and e.get("sessionId") == session), None)
        while seen is None:
            message = self._read_message(deadline)
            self.events.append(message)
            if message.get("method") == method and message.get("sessionId") == session:
                seen = message
        return seen

    def close(self) -> None:
        try:
            self.call("Browser.close")
        except (ProtocolError, OSError):
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        for fd in (self._commands, self._replies):
            try:
                os.close(fd)
            except OSError:
                pass

    # -- what a test does --------------------------------------------------------------------
    def open(self, url: str, width: int, height: int, mobile: bool) -> tuple[str, Page]:
        """Load `url` in a new tab of that size; the session id, and what happened while loading."""
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Runtime", "Log", "Network", "Page"):
            self.call(f"{domain}.enable", session=session)
        self.call("Emulation.setDeviceMetricsOverride", {"width": width, "height": height, "deviceScaleFactor": 2,
                                                         "mobile": mobile}, session)
        start = len(self.events)
        self.call("Page.navigate", {"url": url}, session)
        self.wait_for("Page.loadEventFired", session)
        self.evaluate(session, "new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        return session, self._page(self.events[start:], session)

    def _page(self, events: list[dict[str, Any]], session: str) -> Page:
        page = Page()
        for event in events:
            if event.get("sessionId") != session:
                continue
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                page.errors.append("console: " + " ".join(str(a.get("value", a.get("description", "")))
                                                          for a in params.get("args", [])))
            elif method == "Runtime.exceptionThrown":
                page.errors.append("exception: " + str(params.get("exceptionDetails", {}).get("text")))
            elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
                page.errors.append("log: " + str(params["entry"].get("text")))
            elif method == "Network.loadingFailed":
                page.errors.append("failed load: " + str(params.get("errorText")))
            elif method == "Network.requestWillBeSent":
                page.requests.append(str(params.get("request", {}).get("url")))
        return page

    def evaluate(self, session: str, expression: str) -> Any:
        result = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                                "awaitPromise": True}, session)
        if "exceptionDetails" in result:
            raise ProtocolError(f"{expression}: {result['exceptionDetails']}")
        return result.get("result", {}).get("value")

    def screenshot(self, session: str, path: Path) -> bytes:
        data = base64.b64decode(self.call("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True},
                                          session)["data"])
        path.write_bytes(data)
        return data


def start(binary: str) -> tuple[Chromium, tempfile.TemporaryDirectory[str]]:
    profile = tempfile.TemporaryDirectory(prefix="chromium-profile-")
    return Chromium(binary, Path(profile.name)), profile
