"""A prover phase with in-phase checkpoints, run as its own process by tests/test_phase_resume.py
(so that it can be killed with SIGKILL): ``python prover_phase_job.py ROOT OUT CHECKPOINTS``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import torch

from envs.generators import GeneratorConfig, generate
from selfplay.config import ProverConfig
from selfplay.game.prover import STATS_FILE, train_prover
from selfplay.models.scoring import VerifierScorer
from selfplay.models.tiny import build_tiny_causal_lm, build_tiny_classifier, build_tiny_tokenizer
from selfplay.models.trainer_utils import resume_point

CONFIG = ProverConfig(
    max_steps=6,
    save_steps=2,
    per_device_train_batch_size=8,
    num_generations=4,
    max_completion_length=12,
    learning_rate=1e-2,
)


def main(root: Path, out: Path, checkpoints: Path) -> None:
    torch.manual_seed(0)
    tokenizer = build_tiny_tokenizer()
    if not (root / "init").is_dir():
        build_tiny_causal_lm(tokenizer).save_pretrained(root / "init")
        tokenizer.save_pretrained(root / "init")
        build_tiny_classifier(tokenizer).save_pretrained(root / "verifier")
    from transformers import AutoModelForSequenceClassification

    scorer = VerifierScorer(AutoModelForSequenceClassification.from_pretrained(root / "verifier"), tokenizer)
    problems = generate("arithmetic", 32, seed=0, config=GeneratorConfig(1, 2, 10))
    resumed_from = resume_point(checkpoints, needs=(STATS_FILE,))  # what train_prover will resume
    log = train_prover(root / "init", problems, scorer.score, CONFIG, out, seed=0, checkpoint_dir=checkpoints)
    losses = [h["loss"] for h in log["history"] if "loss" in h]
    summary = {
        "steps": log["steps"],
        "losses": losses,
        "resumed_from": resumed_from and Path(resumed_from).name,
    }
    (out / "log.json").write_text(json.dumps(summary))


if __name__ == "__main__":
    main(*(Path(arg) for arg in sys.argv[1:4]))
