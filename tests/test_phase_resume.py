"""A prover phase with ``prover.save_steps`` killed with SIGKILL after a checkpoint resumes from
it and ends as an uninterrupted phase does: the same weights and the same losses."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from safetensors.torch import load_file

JOB = Path(__file__).with_name("prover_phase_job.py")
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}


def _run(root: Path, name: str, kill_after: str | None = None) -> subprocess.CompletedProcess | None:
    argv = [sys.executable, str(JOB), str(root), str(root / name), str(root / f"{name}_checkpoints")]
    if kill_after is None:
        return subprocess.run(argv, capture_output=True, text=True, timeout=600, env=ENV)
    process = subprocess.Popen(argv, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    marker = root / f"{name}_checkpoints" / kill_after / "pvg_reward_stats.json"
    deadline = time.monotonic() + 600
    while not marker.is_file() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    return None


def test_a_killed_prover_phase_resumes_from_its_checkpoint_to_the_same_end(tmp_path):
    whole = _run(tmp_path, "whole")
    assert whole.returncode == 0, whole.stderr[-3000:]
    _run(tmp_path, "killed", kill_after="checkpoint-4")
    assert not (tmp_path / "killed" / "model.safetensors").exists(), "killed before the phase ended"
    resumed = _run(tmp_path, "killed")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    a, b = (
        load_file(tmp_path / "whole" / "model.safetensors"),
        load_file(tmp_path / "killed" / "model.safetensors"),
    )
    assert all((a[k] == b[k]).all() for k in a), "resumed weights differ from the uninterrupted phase's"
    whole_log = json.loads((tmp_path / "whole" / "log.json").read_text())
    resumed_log = json.loads((tmp_path / "killed" / "log.json").read_text())
    assert whole_log["steps"] == resumed_log["steps"] == 6
    assert (whole_log["resumed_from"], resumed_log["resumed_from"]) == (None, "checkpoint-4")
    assert resumed_log["losses"][-2:] == whole_log["losses"][-2:]  # steps 5-6 ran after the resume
