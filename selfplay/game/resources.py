"""What each phase cost: wall time and peak memory, recorded in the run folder's
``resources.json``; and the memory a phase leaves behind released before the next one.

Peak host memory is this process's resident set (psutil), polled every ``POLL_SECONDS`` while the phase
runs (the kernel keeps only a lifetime peak); peak GPU memory is torch's allocator peak, reset at
each phase's start. Each process measures itself; the main process's numbers are written.
"""

from __future__ import annotations

import gc
import json
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import psutil  # accelerate's own dependency
import torch

from selfplay.run_folder import atomic_write_text, read_json

FILE = "resources.json"
POLL_SECONDS = 0.2
_MB = 2**20


def resident_mb() -> float:
    """This process's resident memory in MiB."""
    return psutil.Process().memory_info().rss / _MB


def release_memory() -> None:
    """Free what a finished phase's models, optimizers and trainers left: their reference cycles
    (``gc``) and, on a GPU, the allocator's cached blocks."""
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


@contextmanager
def measured(record: dict):
    """Fill ``record`` with the block's ``seconds``, ``peak_rss_mb`` and, on a GPU,
    ``cuda_peak_allocated_mb`` / ``cuda_peak_reserved_mb``."""
    peak, done = [resident_mb()], threading.Event()

    def poll() -> None:
        while not done.wait(POLL_SECONDS):
            peak[0] = max(peak[0], resident_mb())

    watcher = threading.Thread(target=poll, daemon=True)
    watcher.start()
    if torch.cuda.is_available():
        torch.cuda.reset_peak_memory_stats()
    start = time.perf_counter()
    try:
        yield record
    finally:
        done.set()
        watcher.join()
        record["seconds"] = round(time.perf_counter() - start, 2)
        record["peak_rss_mb"] = round(max(peak[0], resident_mb()), 1)
        if torch.cuda.is_available():
            record["cuda_peak_allocated_mb"] = round(torch.cuda.max_memory_allocated() / _MB, 1)
            record["cuda_peak_reserved_mb"] = round(torch.cuda.max_memory_reserved() / _MB, 1)


def record_phase(root: Path, phase: str, record: dict) -> None:
    """Add (or replace, for a redone phase) one phase's record in ``root/resources.json``."""
    path = Path(root) / FILE
    records = read_json(path) if path.is_file() else {}
    records[phase] = record
    atomic_write_text(path, json.dumps(records, indent=1))
