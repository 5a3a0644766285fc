"""The embedded default end to end (2 short rounds), and SIGKILL-and-resume equality.

One uninterrupted run is shared by the tests. The resume test starts a second run folder from the
first one's finished init phases (the same command resumes there), kills it with SIGKILL in the
middle of round 1, re-runs the same command, and compares every metrics.json with the first run.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

TRAIN = Path(__file__).resolve().parents[1] / "selfplay" / "train.py"
SHORT = [
    "--rounds",
    "2",
    "--problems.n_problems",
    "600",
    "--problems.min_steps",
    "1",
    "--problems.max_steps",
    "1",
    "--prover.sft_steps",
    "300",
    "--prover.max_steps",
    "4",
    "--prover.per_device_train_batch_size",
    "16",
    "--prover.num_generations",
    "4",
    "--prover.max_completion_length",
    "32",
    "--verifier.max_steps",
    "20",
    "--mixture.n_pairs",
    "640",
    "--sampling.problems_per_round",
    "40",
    "--sampling.eval_problems",
    "30",
]
PHASE_FILES = [
    "config.yaml",
    "state.json",
    "init/prover/DONE",
    "init/verifier/DONE",
    "init/samples.jsonl",
    "init/metrics.json",
]
ROUND_FILES = [
    "verifier/DONE",
    "verifier/verifier.json",
    "verifier/model.safetensors",
    "prover/DONE",
    "prover/model.safetensors",
    "prover/train_log.json",
    "samples.jsonl",
    "eval_samples.jsonl",
    "metrics.json",
]


def _train(output_dir: Path, **popen) -> subprocess.Popen:
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "TOKENIZERS_PARALLELISM": "false"}
    return subprocess.Popen(
        [sys.executable, str(TRAIN), "--output_dir", str(output_dir), *SHORT],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        **popen,
    )


def _finish(process: subprocess.Popen, timeout: float = 600) -> str:
    out, _ = process.communicate(timeout=timeout)
    assert process.returncode == 0, out[-3000:]
    return out


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("game") / "run"
    _finish(_train(root))
    return root


def test_every_artifact_exists(run):
    for name in PHASE_FILES:
        assert (run / name).is_file(), name
    for r in range(2):
        for name in ROUND_FILES:
            assert (run / f"round_{r:03d}" / name).is_file(), f"round {r}: {name}"
    assert set(json.loads((run / "state.json").read_text())["completed"]) >= {
        "init/prover",
        "round_001/metrics",
    }


def test_prover_and_verifier_parameters_changed(run):
    for role, init in (("prover", run / "init" / "prover"), ("verifier", run / "init" / "verifier")):
        before = load_file(init / "model.safetensors")
        after = load_file(run / "round_000" / role / "model.safetensors")
        moved = [name for name in before if not torch.equal(before[name], after[name])]
        assert moved, f"no {role} parameter changed"


def test_round_metrics_are_reported(run):
    metrics = json.loads((run / "round_001" / "metrics.json").read_text())
    for key in (
        "helpful_accuracy",
        "sneaky_incorrect_rate",
        "verifier_auc",
        "prover_steps",
        "verifier_data_counts",
        "warm_start_helpful_accuracy",
    ):
        assert key in metrics
    assert set(metrics["verifier_data_counts"]) == {"initial", "round_000"}  # round 1 trains on both sources


def test_rerunning_a_finished_run_recomputes_nothing(run):
    before = {p: p.stat().st_mtime_ns for p in run.rglob("*.json")}
    out = _finish(_train(run))
    assert out.count("done, skipped") == 3 + 4 * 2
    assert {p: p.stat().st_mtime_ns for p in run.rglob("*.json")} == before


def test_sigkill_in_round_one_then_resume_gives_the_same_metrics(run, tmp_path):
    resumed = tmp_path / "resumed"
    shutil.copytree(run / "init", resumed / "init")
    shutil.copy(run / "config.yaml", resumed / "config.yaml")
    init_phases = ["init/prover", "init/verifier", "init/samples"]
    (resumed / "state.json").write_text(json.dumps({"completed": init_phases}))
    process = _train(resumed, start_new_session=True)
    deadline = time.monotonic() + 600
    while "round_001/verifier" not in (resumed / "state.json").read_text():
        assert process.poll() is None and time.monotonic() < deadline, "run ended before round 1"
        time.sleep(0.2)
    time.sleep(1.0)  # inside round 1's prover phase
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    assert "round_001/metrics" not in (resumed / "state.json").read_text()
    _finish(_train(resumed))
    for name in ("init/metrics.json", "round_000/metrics.json", "round_001/metrics.json"):
        assert json.loads((resumed / name).read_text()) == json.loads((run / name).read_text()), name


def test_two_process_torchrun_completes_a_round_with_whole_groups(run, tmp_path):
    # `accelerate launch --cpu --num_processes 2` silently runs one process on this machine; torchrun
    # really starts two. The reward adapter raises if any SRC group arrives split, so finishing the
    # round shows every group stayed whole on its process.
    folder = tmp_path / "ddp"
    shutil.copytree(run / "init", folder / "init")
    shutil.copy(run / "config.yaml", folder / "config.yaml")
    (folder / "state.json").write_text(
        json.dumps({"completed": ["init/prover", "init/verifier", "init/samples"]})
    )
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "OMP_NUM_THREADS": "1"}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--nproc_per_node",
            "2",
            str(TRAIN),
            "--output_dir",
            str(folder),
            *SHORT,
            "--rounds",
            "1",
            "--overwrite_config",
        ],
        capture_output=True,
        text=True,
        timeout=900,
        env=env,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    prover_log = json.loads((folder / "round_000" / "prover" / "train_log.json").read_text())
    verifier_info = json.loads((folder / "round_000" / "verifier" / "verifier.json").read_text())
    assert prover_log["num_processes"] == 2 and verifier_info["num_processes"] == 2
    assert (folder / "round_000" / "metrics.json").is_file()
