"""Pyodide under Node.js (npm ``pyodide`` run by ``node``) with the freshly built wheel.

``node_py.run(code, **vars)`` has the browser harness's contract (top-level ``await``,
last expression returned as JSON, a Python failure raised as ``PageError`` with its
traceback), but the interpreter runs in Node: no ``XMLHttpRequest``, no DOM, Node's own
``fetch``. ``tests/node/node_harness.mjs`` boots it once per session and points
``*.localhost`` names at loopback, so calls reach the ``cos_server`` fixture by the
SDK's usual virtual-host URLs.
"""

from __future__ import annotations

import itertools
import json
import queue
import subprocess
import threading
from typing import Any

import pytest

from tests.conftest import ROOT, PageError, _decode

BOOT_TIMEOUT_S = 120
RUN_TIMEOUT_S = 120


class NodePyodide:
    """One Node.js process with Pyodide booted and cos_web installed."""

    def __init__(self, wheel: str) -> None:
        cmd = ["node", str(ROOT / "tests/node/node_harness.mjs"), wheel, str(ROOT / "tests/browser/harness_runner.py")]
        self.proc = subprocess.Popen(cmd, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, bufsize=1)  # fmt: skip
        self.output: list[str] = []  # Python's prints and Node's warnings (stderr), for failure messages
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._ids = itertools.count(1)
        threading.Thread(target=self._read_stdout, daemon=True).start()
        threading.Thread(target=self._read_stderr, daemon=True).start()
        line = self._next_line(BOOT_TIMEOUT_S, "boot")
        if not line.startswith("@@ready "):
            raise PageError(f"Node Pyodide did not boot: {line}\n{self._tail()}")
        self.info = json.loads(line.split(" ", 1)[1])

    def _read_stdout(self) -> None:
        for line in self.proc.stdout:
            self._lines.put(line.rstrip("\n"))
        self._lines.put(None)  # node exited

    def _read_stderr(self) -> None:
        for line in self.proc.stderr:
            self.output.append(line.rstrip("\n"))

    def _tail(self) -> str:
        return "\n".join(line[:500] for line in self.output[-30:])

    def _next_line(self, timeout: float, what: str) -> str:
        while True:
            try:
                line = self._lines.get(timeout=timeout)
            except queue.Empty:
                raise PageError(f"Node Pyodide: no answer to {what} within {timeout} s\n{self._tail()}") from None
            if line is None:
                raise PageError(f"node exited ({self.proc.wait()}) during {what}\n{self._tail()}")
            if line.startswith("@@"):
                return line
            self.output.append(line)

    def run(self, code: str, timeout: float = RUN_TIMEOUT_S, **variables: Any) -> Any:
        """Run Python in Node's Pyodide; return its last expression's value."""
        req_id = next(self._ids)
        self.proc.stdin.write(json.dumps({"id": req_id, "code": code, "vars": variables}) + "\n")
        self.proc.stdin.flush()
        while True:
            line = self._next_line(timeout, "run")
            answer = json.loads(line.split(" ", 1)[1])
            if answer["id"] == req_id:  # an earlier run that timed out may answer late
                break
        result = json.loads(answer["result"])
        if not result["ok"]:
            raise PageError("Python in Node raised:\n" + result["error"] + "\n" + self._tail())
        return _decode(result["value"])

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture(scope="session")
def node_py(wheel_path) -> NodePyodide:
    """The session's one Node.js process running Pyodide with cos_web installed."""
    node = NodePyodide(str(wheel_path))
    yield node
    node.close()
