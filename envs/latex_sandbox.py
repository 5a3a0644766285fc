"""math-verify in a killable child process, for answers that are not plain arithmetic.

math-verify parses LaTeX (``\\sqrt{2}``, ``\\pi``, tuples, intervals) with sympy, which can hang or
eat memory on adversarial input, and its own timeouts use ``signal.alarm``, which only works on
the main thread. So every comparison runs in a child process (``python -m envs._latex_child``)
with an address-space limit; the parent sends one JSON line, waits at most ``timeout_s`` seconds
for the answer line, and kills the child when it does not come. That works from any thread, and
unlike ``multiprocessing`` it never re-imports the caller's ``__main__``. After a kill a
replacement starts at once, so its start-up overlaps the caller's next work.

Only ``LatexExtractionConfig`` is used: math-verify's plain-expression path calls sympy's
``parse_expr``, which executes code.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import threading
from pathlib import Path
from typing import Literal

Outcome = Literal["equal", "different", "unparsed", "timeout"]
START_TIMEOUT_S = 60.0


class LatexSandbox:
    """Answers "are these two LaTeX answers equal?" within a wall-clock bound.

    Thread-safe (one request at a time). ``close()`` ends the child.
    """

    def __init__(self, timeout_s: float = 0.8, memory_bytes: int = 2 << 30) -> None:
        self.timeout_s = timeout_s
        self.memory_bytes = memory_bytes
        self._lock = threading.Lock()
        self._child: subprocess.Popen | None = None
        self._ready = False

    def compare(self, gold: str, pred: str) -> Outcome:
        """``equal`` / ``different`` / ``unparsed`` (either side has no answer) / ``timeout``."""
        with self._lock:
            child = self._ensure_ready()
            try:
                child.stdin.write(json.dumps([gold, pred]) + "\n")
                child.stdin.flush()
                reply = self._read_line(child, self.timeout_s)
            except (OSError, ValueError):
                reply = None  # the child died (e.g. hit its memory limit): same as a timeout
            if reply in ("equal", "different", "unparsed"):
                return reply
            self._restart()
            return "timeout"

    def close(self) -> None:
        with self._lock:
            self._kill()

    def __del__(self) -> None:
        self._kill()

    def _ensure_ready(self) -> subprocess.Popen:
        if self._child is None or self._child.poll() is not None:
            self._restart()
        if not self._ready:
            if self._read_line(self._child, START_TIMEOUT_S) != "ready":
                self._kill()
                raise RuntimeError(f"the math-verify sandbox did not start within {START_TIMEOUT_S:.0f} s")
            self._ready = True
        return self._child

    def _restart(self) -> None:
        self._kill()
        self._child = subprocess.Popen(
            [sys.executable, "-m", "envs._latex_child", str(self.memory_bytes)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            encoding="utf-8",
            errors="replace",
            env=_child_env(),
        )
        self._ready = False

    @staticmethod
    def _read_line(child: subprocess.Popen, timeout_s: float) -> str | None:
        readable, _, _ = select.select([child.stdout], [], [], timeout_s)
        if not readable:
            return None
        line = child.stdout.readline()  # the child writes whole lines and flushes each
        return line.strip() or None

    def _kill(self) -> None:
        child, self._child, self._ready = getattr(self, "_child", None), None, False
        if child is not None and child.poll() is None:
            child.kill()
            child.wait(timeout=5)
        if child is not None:
            for stream in (child.stdin, child.stdout):
                stream.close()


def _child_env() -> dict[str, str]:
    """The caller's environment, with this package importable even when it is not installed."""
    root = str(Path(__file__).resolve().parents[1])
    paths = [root, *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}


_shared: LatexSandbox | None = None
_shared_lock = threading.Lock()


def shared_sandbox() -> LatexSandbox:
    """The process-wide sandbox used by :func:`envs.checker.check_completion`."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = LatexSandbox()
        return _shared
