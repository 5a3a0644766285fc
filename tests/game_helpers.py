"""The short embedded-default run shared by the end-to-end tests (2 rounds, few steps)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

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
    "--verifier_pretrain.steps",
    "10",
    "--verifier.max_steps",
    "20",
    "--mixture.n_pairs",
    "640",
    "--sampling.problems_per_round",
    "40",
    "--sampling.eval_problems",
    "30",
]


def train(output_dir: Path, **popen) -> subprocess.Popen:
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "TOKENIZERS_PARALLELISM": "false"}
    return subprocess.Popen(
        [sys.executable, str(TRAIN), "--output_dir", str(output_dir), *SHORT],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        **popen,
    )


def finish(process: subprocess.Popen, timeout: float = 600) -> str:
    out, _ = process.communicate(timeout=timeout)
    assert process.returncode == 0, out[-3000:]
    return out
