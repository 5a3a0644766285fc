"""One writer per run folder: ``pvg train`` and ``pvg eval`` hold an exclusive lock on
``RUN/.lock`` while they work, so a second one on the same folder is refused with a message
naming the holder instead of deleting the first one's outputs.

The lock is the kernel's (``fcntl.flock`` on the open file): it is released when the holder
exits, however it exits (SIGKILL included), so a lock left by a dead process is never in the way;
the file's text (pid, host, command, start time) only names the holder. Under torchrun or
accelerate only the main process (``RANK`` 0) takes it. ``flock`` is local to one machine: on a
network filesystem shared by several hosts it may not exclude a process on another host.
"""

from __future__ import annotations

import fcntl
import json
import os
import platform
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

LOCK_FILE = ".lock"


class FolderLocked(ValueError):
    """Another process works on the folder; the message names it."""


@contextmanager
def folder_lock(root: str | Path, what: str) -> Iterator[None]:
    """Hold the folder's lock for the block (no-op on processes other than the main one);
    :class:`FolderLocked` if another process holds it."""
    if int(os.environ.get("RANK", "0")) != 0:
        yield
        return
    path = Path(root) / LOCK_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise FolderLocked(
                f"{root} is in use by {_holder(path)}; wait for it to finish or use another folder"
            ) from None
        handle.seek(0)
        handle.truncate()
        holder = {
            "pid": os.getpid(),
            "host": platform.node(),
            "what": what,
            "since": time.strftime("%Y-%m-%d %H:%M:%S"),
        }
        handle.write(json.dumps(holder | {"command": sys.argv[:8]}) + "\n")
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()  # the kernel releases the lock when the file closes


def _holder(path: Path) -> str:
    try:
        info = json.loads(path.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        info = {}
    if not info:
        return "another process"
    where = f"pid {info.get('pid')} on {info.get('host')}, since {info.get('since')}"
    return f"{info.get('what', 'a process')} ({where})"
