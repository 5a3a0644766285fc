"""math-verify in a killable child process, for answers that are not plain arithmetic.

math-verify parses LaTeX (``\\sqrt{2}``, ``\\pi``, tuples, intervals) with sympy, which can hang or
eat memory on adversarial input, and its own timeouts use ``signal.alarm``, which only works on
the main thread. So every comparison runs in a child process with an address-space limit; the
parent waits at most ``timeout_s`` seconds on a pipe and kills the child when it does not answer.
That works from any thread. Children fork from a ``forkserver`` that has math-verify preloaded,
so a replacement after a kill starts in milliseconds.

Only ``LatexExtractionConfig`` is used: math-verify's plain-expression path calls sympy's
``parse_expr``, which executes code.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import threading
from typing import Literal

Outcome = Literal["equal", "different", "unparsed", "timeout"]

_CHILD_MODULE = "envs._latex_child"


class LatexSandbox:
    """Answers "are these two LaTeX answers equal?" within a wall-clock bound.

    Thread-safe (one request at a time). ``close()`` ends the child; it also ends with the parent.
    """

    def __init__(self, timeout_s: float = 1.0, memory_bytes: int = 2 << 30) -> None:
        self.timeout_s = timeout_s
        self.memory_bytes = memory_bytes
        self._lock = threading.Lock()
        self._process: multiprocessing.process.BaseProcess | None = None
        self._conn: multiprocessing.connection.Connection | None = None

    def compare(self, gold: str, pred: str) -> Outcome:
        """``equal`` / ``different`` / ``unparsed`` (either side has no answer) / ``timeout``."""
        with self._lock:
            conn = self._ensure_child()
            try:
                conn.send((gold, pred))
                if conn.poll(self.timeout_s):
                    return conn.recv()
            except (EOFError, OSError, BrokenPipeError):
                pass  # the child died (e.g. hit its memory limit): treat as a timeout
            self._kill_child()
            return "timeout"

    def close(self) -> None:
        with self._lock:
            self._kill_child()

    def _ensure_child(self) -> multiprocessing.connection.Connection:
        if self._process is not None and self._process.is_alive() and self._conn is not None:
            return self._conn
        self._kill_child()
        ctx = _forkserver_context()
        parent_conn, child_conn = ctx.Pipe()
        from envs import _latex_child

        process = ctx.Process(
            target=_latex_child.serve,
            args=(child_conn, self.memory_bytes),
            daemon=True,
            name="pvg-latex-sandbox",
        )
        process.start()
        child_conn.close()
        # Readiness is awaited outside any check's time bound: starting is not checking.
        if not parent_conn.poll(60) or parent_conn.recv() != "ready":
            process.kill()
            raise RuntimeError("the math-verify sandbox process did not start within 60 s")
        self._process, self._conn = process, parent_conn
        return parent_conn

    def _kill_child(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.join(timeout=5)
        if self._conn is not None:
            self._conn.close()
        self._process, self._conn = None, None


_CONTEXT_LOCK = threading.Lock()


def _forkserver_context() -> multiprocessing.context.BaseContext:
    with _CONTEXT_LOCK:
        ctx = multiprocessing.get_context("forkserver")
        # Takes effect only if this process has not started its forkserver yet; otherwise each
        # child imports math-verify itself (about a second), which is slower but still correct.
        ctx.set_forkserver_preload([_CHILD_MODULE])
        return ctx


_shared: LatexSandbox | None = None


def shared_sandbox() -> LatexSandbox:
    """The process-wide sandbox used by :func:`envs.checker.check_completion`."""
    global _shared
    with _CONTEXT_LOCK:
        if _shared is None:
            _shared = LatexSandbox()
        return _shared
