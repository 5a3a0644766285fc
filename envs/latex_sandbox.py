"""math-verify in killable child processes, for answers that are not plain arithmetic.

math-verify parses LaTeX (``\\sqrt{2}``, ``\\pi``, tuples, intervals) with sympy, which can hang or
eat memory on adversarial input, and its own timeouts use ``signal.alarm``, which only works on
the main thread. So every comparison runs in a child process (``python -m envs._latex_child``)
with an address-space limit, a CPU-time budget per comparison (the child's own CPU time, so a
verdict does not depend on how loaded the machine is), a wall-clock ceiling the parent enforces
by killing it, and a minimal environment: no tokens or other secrets of the caller's. That works
from any thread, and unlike ``multiprocessing`` it never re-imports the caller's ``__main__``.

:class:`LatexSandbox` keeps a small pool of such children, so threads (and a reward batch graded
by :func:`envs.checker.check_batch`) compare in parallel, and caches every outcome, timeouts
included, in a cache bounded by bytes: a batch of identical LaTeX bombs costs one budget.

Only ``LatexExtractionConfig`` is used: math-verify's plain-expression path calls sympy's
``parse_expr``, which executes code.
"""

from __future__ import annotations

import json
import os
import queue
import select
import subprocess
import sys
import threading
from pathlib import Path
from typing import Literal

from envs.bounded_cache import BytesBoundedCache

Outcome = Literal["equal", "different", "unparsed", "timeout"]
START_TIMEOUT_S = 60.0
DEFAULT_POOL_SIZE = 4
CACHE_BYTES = 16 << 20


class LatexChild:
    """One child process answering one comparison at a time (not thread-safe: the pool lends
    each child to one thread at a time)."""

    def __init__(self, cpu_s: float, wall_s: float, memory_bytes: int) -> None:
        self.cpu_s, self.wall_s, self.memory_bytes = cpu_s, wall_s, memory_bytes
        self._child: subprocess.Popen | None = None
        self._ready = False

    @property
    def pid(self) -> int | None:
        return self._child.pid if self._child is not None else None

    def compare(self, gold: str, pred: str) -> Outcome:
        """``equal`` / ``different`` / ``unparsed`` (either side has no answer) / ``timeout``."""
        child = self._ensure_ready()
        try:
            child.stdin.write(json.dumps([gold, pred]) + "\n")
            child.stdin.flush()
            reply = self._read_line(child, self.wall_s)
        except (OSError, ValueError):
            reply = None  # the child died (its memory or CPU limit): same as a timeout
        if reply in ("equal", "different", "unparsed", "timeout"):
            return reply
        self._restart()  # killed at the wall-clock ceiling, or dead: a fresh one starts now
        return "timeout"

    def _ensure_ready(self) -> subprocess.Popen:
        if self._child is None or self._child.poll() is not None:
            self._restart()
        if not self._ready:
            if self._read_line(self._child, START_TIMEOUT_S) != "ready":
                self.kill()
                raise RuntimeError(f"the math-verify sandbox did not start within {START_TIMEOUT_S:.0f} s")
            self._ready = True
        return self._child

    def _restart(self) -> None:
        self.kill()
        self._child = subprocess.Popen(
            [sys.executable, "-m", "envs._latex_child", str(self.memory_bytes), str(self.cpu_s)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            encoding="utf-8",
            errors="replace",
            env=child_env(),
        )
        self._ready = False

    @staticmethod
    def _read_line(child: subprocess.Popen, timeout_s: float) -> str | None:
        readable, _, _ = select.select([child.stdout], [], [], timeout_s)
        if not readable:
            return None
        line = child.stdout.readline()  # the child writes whole lines and flushes each
        return line.strip() or None

    def kill(self) -> None:
        child, self._child, self._ready = getattr(self, "_child", None), None, False
        if child is not None and child.poll() is None:
            child.kill()
            child.wait(timeout=5)
        if child is not None:
            for stream in (child.stdin, child.stdout):
                stream.close()

    def __del__(self) -> None:
        self.kill()


class LatexSandbox:
    """Answers "are these two LaTeX answers equal?" within a CPU-time budget per comparison.

    Thread-safe: up to ``size`` comparisons run at once, each in its own child (started on first
    need); outcomes are cached (``cache_bytes`` of keys at most). ``cpu_s`` is the child's CPU
    time a comparison may use; ``wall_s`` is the ceiling at which the parent kills a child that
    gets no CPU at all. ``close()`` ends the children.
    """

    def __init__(
        self,
        cpu_s: float = 0.8,
        wall_s: float = 10.0,
        memory_bytes: int = 2 << 30,
        size: int = DEFAULT_POOL_SIZE,
        cache_bytes: int = CACHE_BYTES,
    ) -> None:
        self.cpu_s, self.wall_s, self.memory_bytes, self.size = cpu_s, wall_s, memory_bytes, size
        self.cache = BytesBoundedCache(cache_bytes)
        self._idle: queue.LifoQueue[LatexChild] = queue.LifoQueue()
        self._started = 0
        self._lock = threading.Lock()
        self._children: list[LatexChild] = []
        self._in_flight: dict[tuple[str, str], threading.Event] = {}

    def compare(self, gold: str, pred: str) -> Outcome:
        """The cached outcome, else one child's (see :meth:`LatexChild.compare`). A pair already
        being compared by another thread is waited for, not compared twice."""
        key = (gold, pred)
        while (outcome := self.cache.get(key)) is None:
            with self._lock:
                running = self._in_flight.get(key)
                if running is None:
                    self._in_flight[key] = threading.Event()
            if running is not None:
                running.wait()
                continue  # cached now, unless the cache had no room: then compare it here
            try:
                outcome = self._compare_in_child(gold, pred)
                self.cache.put(key, outcome)
                return outcome
            finally:
                with self._lock:
                    self._in_flight.pop(key).set()
        return outcome

    def _compare_in_child(self, gold: str, pred: str) -> Outcome:
        child = self._borrow()
        try:
            return child.compare(gold, pred)
        finally:
            self._idle.put(child)

    def child_pids(self) -> list[int]:
        """The running children's process ids (for tests and diagnostics)."""
        with self._lock:
            return [c.pid for c in self._children if c.pid is not None]

    def close(self) -> None:
        with self._lock:
            for child in self._children:
                child.kill()

    def _borrow(self) -> LatexChild:
        try:
            return self._idle.get_nowait()  # the most recently used: warm
        except queue.Empty:
            pass
        with self._lock:
            if self._started < self.size:
                self._started += 1
                child = LatexChild(self.cpu_s, self.wall_s, self.memory_bytes)
                self._children.append(child)
                return child
        return self._idle.get()  # all busy: wait for one


def child_env() -> dict[str, str]:
    """What a child needs and nothing else (no tokens, no credentials): this package importable
    even when not installed, the interpreter's own settings, a plain PATH and a UTF-8 locale."""
    root = str(Path(__file__).resolve().parents[1])
    paths = [root, *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    env = {"PYTHONPATH": os.pathsep.join(paths), "PATH": os.defpath, "LC_ALL": "C.UTF-8"}
    env |= {"OMP_NUM_THREADS": "1", "PYTHONIOENCODING": "utf-8", "PYTHONDONTWRITEBYTECODE": "1"}
    return env | {key: os.environ[key] for key in ("PYTHONHOME", "VIRTUAL_ENV") if key in os.environ}


_shared: LatexSandbox | None = None
_shared_lock = threading.Lock()


def shared_sandbox() -> LatexSandbox:
    """The process-wide sandbox used by :func:`envs.checker.check_completion`."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = LatexSandbox()
        return _shared
