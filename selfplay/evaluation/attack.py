"""Attack robustness (docs/evaluation.md): a fresh sneaky-only prover trained by RL against a frozen verifier.

The attacker starts from the run's initial (warm-started) policy, sees only sneaky prompts and is
rewarded by SRC against the frozen verifier (the run's own reward if it is verifier-based). After
every optimizer step the attack rule (:func:`selfplay.evaluation.legibility.attack_succeeded`) is checked on
that step's samples against the helpful-correct mean score of the round's evaluation samples; the
first step where it holds is the result, else "not within budget" (``None``).
"""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Sequence
from pathlib import Path

from transformers import TrainerCallback

from envs.problems import Problem
from rewards.trl_adapter import NEEDS_VERIFIER, RewardStats
from selfplay.config import ProverConfig
from selfplay.evaluation.legibility import attack_succeeded
from selfplay.game.prover import build_prover_trainer


class AttackMonitor(TrainerCallback):
    """Stops training at the first step whose samples satisfy the attack rule."""

    def __init__(self, stats: RewardStats, helpful_correct_score: float | None) -> None:
        self.stats, self.helpful_correct_score = stats, helpful_correct_score
        self.succeeded_at: int | None = None
        self.steps: list[dict] = []

    def on_step_end(self, args, state, control, **kwargs):
        last = self.stats.calls[-1]
        rate, score = last.sneaky_incorrect_rate, last.sneaky_incorrect_score
        self.steps.append({"step": state.global_step, "sneaky_incorrect_rate": rate, "score": score})
        if attack_succeeded(rate, score, self.helpful_correct_score):
            self.succeeded_at = state.global_step
            control.should_training_stop = True
        return control


def attack_config(prover: ProverConfig, budget_steps: int) -> ProverConfig:
    """The attacker's settings: the run's prover settings, sneaky prompts only, a verifier-based
    reward (SRC if the run used the correctness baseline) and ``budget_steps`` optimizer steps."""
    reward = prover.reward if prover.reward in NEEDS_VERIFIER else "src"
    return dataclasses.replace(prover, sneaky_fraction=1.0, max_steps=budget_steps, reward=reward)


def run_attack(
    init_dir: Path,
    problems: Sequence[Problem],
    score_fn,
    prover: ProverConfig,
    helpful_correct_score: float | None,
    *,
    budget_steps: int,
    seed: int,
) -> dict:
    """Train an attacker for at most ``budget_steps`` steps; returns ``steps_to_success`` (``None``
    when not within budget), the budget, the reference score and the per-step history."""
    cfg = attack_config(prover, budget_steps)
    with tempfile.TemporaryDirectory(prefix="pvg-attack-") as work:  # the attacker is not kept
        trainer, reward = build_prover_trainer(init_dir, problems, score_fn, cfg, Path(work), seed=seed)
        monitor = AttackMonitor(reward.stats, helpful_correct_score)
        trainer.add_callback(monitor)
        trainer.train()
    return {
        "steps_to_success": monitor.succeeded_at,
        "budget_steps": budget_steps,
        "helpful_correct_score": helpful_correct_score,
        "reward": cfg.reward,
        "history": monitor.steps,
    }
