"""Optional pretraining of the verifier's initial weights on the environment's own corruptions.

Before round 0 the verifier can learn, once, to rank each verifier-split problem's reference
solution above the same solution with one step's result changed (``envs.corrupt.corrupt_step``,
every later step following from it). The result becomes the initial weights that every round's
verifier restarts from, as the paper's verifier starts from a model pretrained on math. Only
problems whose reference solutions are ``expression = value`` lines (the generators') can be
corrupted; others are skipped and counted.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from pathlib import Path

from transformers import PreTrainedModel

from envs.corrupt import corrupt_step
from envs.problems import Problem
from selfplay.verifier import VerifierConfig, train_verifier
from selfplay.verifier_data import INITIAL_ROUND, Pair


@dataclass
class VerifierPretrainConfig:
    """``steps``: optimizer steps (0 = no pretraining; pairs per step as ``verifier.pairs_per_device``).
    ``learning_rate``: AdamW peak rate. Objective, λ, warmup and lengths come from ``verifier``."""

    steps: int = 1200
    learning_rate: float = 1e-3

    def __post_init__(self) -> None:
        if self.steps < 0:
            raise ValueError(f"verifier_pretrain.steps must be >= 0 (0 = off), got {self.steps}")
        if self.learning_rate <= 0:
            raise ValueError(f"verifier_pretrain.learning_rate must be > 0, got {self.learning_rate}")


class PretrainDataError(ValueError):
    """No problem's reference solution could be corrupted, so there is nothing to pretrain on."""


def corruption_pairs(problems: list[Problem], seed: int) -> tuple[list[Pair], dict[str, int]]:
    """One (reference, ``corrupt_step`` version) pair per corruptible problem, and counts.

    Deterministic for ``seed``. Raises :class:`PretrainDataError` when no problem yields a pair.
    """
    rng, pairs = random.Random(seed), []
    for problem in problems:
        try:
            wrong = corrupt_step(problem.solution, rng) if problem.solution else None
        except (ValueError, ArithmeticError):  # not `expression = value` lines (e.g. GSM8K prose)
            wrong = None
        if wrong is not None:
            pairs.append(Pair(problem.id, INITIAL_ROUND, problem.question, problem.solution, wrong))
    counts = {"problems": len(problems), "pairs": len(pairs), "skipped": len(problems) - len(pairs)}
    if not pairs:
        raise PretrainDataError(
            f"verifier_pretrain: none of {len(problems)} verifier-split reference solutions could be "
            "corrupted (they need `expression = value` lines, as generated problems have); "
            "set --verifier_pretrain.steps 0"
        )
    return pairs, counts


def pretrain_verifier(
    init_dir: str | Path,
    problems: list[Problem],
    pretrain: VerifierPretrainConfig,
    verifier: VerifierConfig,
    work_dir: str | Path,
    report_to: str = "none",
    precision: str = "auto",
) -> tuple[PreTrainedModel, object, dict]:
    """Train the classifier in ``init_dir`` on :func:`corruption_pairs`; returns model, tokenizer, log.

    The log holds the trainer's log, the pair counts (``log["counts"]``) and the verifier config
    it trained with (``log["config"]``).
    """
    pairs, counts = corruption_pairs(problems, verifier.seed)
    config = replace(verifier, max_steps=pretrain.steps, learning_rate=pretrain.learning_rate)
    model, tokenizer, log = train_verifier(
        init_dir, pairs, config, work_dir, report_to=report_to, precision=precision
    )
    return model, tokenizer, log | {"counts": counts, "config": config}
