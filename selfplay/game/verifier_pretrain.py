"""Optional pretraining of the verifier's initial weights on the environment's own corruptions.

Before round 0 the verifier can learn, once, to rank a correct solution of each verifier-split
problem above a wrong one of the same form: the environment's matched renderings
(``envs.styles.contrast_pair``: stepwise vs one step off with every later step following from it,
stepwise vs a final answer that does not follow, answer vs wrong answer), or where a reference
solution has no such rendering, the reference vs ``envs.corrupt.corrupt_step`` of it. The result
becomes the initial weights that every round's verifier restarts from, as the paper's verifier
starts from a model pretrained on math. Only problems whose reference solutions are
``expression = value`` lines (the generators') can be used; others are skipped and counted.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from transformers import PreTrainedModel

from envs.corrupt import corrupt_step
from envs.problems import Problem
from envs.styles import contrast_pair
from selfplay.config import VerifierConfig, VerifierPretrainConfig
from selfplay.game.verifier_data import INITIAL_ROUND, Pair
from selfplay.game.verifier_training import train_verifier


class PretrainDataError(ValueError):
    """No problem's reference solution could be corrupted, so there is nothing to pretrain on."""


def corruption_pairs(
    problems: list[Problem], seed: int, pairs_per_problem: int = 1
) -> tuple[list[Pair], dict[str, int]]:
    """Up to ``pairs_per_problem`` fresh (correct, wrong) pairs per problem (module docstring),
    and counts (``skipped``: problems without any).

    Deterministic for ``seed``. Raises :class:`PretrainDataError` when no problem yields a pair.
    """
    rng, pairs, skipped = random.Random(seed), [], 0
    for problem in problems:
        drawn = [
            contrast_pair(problem, rng) or _reference_and_corruption(problem, rng)
            for _ in range(pairs_per_problem)
        ]
        found = [
            Pair(problem.id, INITIAL_ROUND, problem.question, *pair) for pair in drawn if pair is not None
        ]
        pairs.extend(found)
        skipped += not found
    counts = {"problems": len(problems), "pairs": len(pairs), "skipped": skipped}
    if not pairs:
        raise PretrainDataError(
            f"verifier_pretrain: none of {len(problems)} verifier-split reference solutions could be "
            "corrupted (they need `expression = value` lines, as generated problems have); "
            "set --verifier_pretrain.steps 0"
        )
    return pairs, counts


def _reference_and_corruption(problem: Problem, rng: random.Random) -> tuple[str, str] | None:
    try:
        wrong = corrupt_step(problem.solution, rng) if problem.solution else None
    except (ValueError, ArithmeticError):  # not `expression = value` lines (e.g. GSM8K prose)
        return None
    return (problem.solution, wrong) if wrong is not None else None


def pretrain_verifier(
    init_dir: str | Path,
    problems: list[Problem],
    pretrain: VerifierPretrainConfig,
    verifier: VerifierConfig,
    work_dir: str | Path,
    report_to: str | list[str] = "none",
    precision: str = "auto",
    callbacks: Sequence = (),
) -> tuple[PreTrainedModel, object, dict]:
    """Train the classifier in ``init_dir`` on :func:`corruption_pairs`; returns model, tokenizer, log.

    The log holds the trainer's log, the pair counts (``log["counts"]``) and the verifier config
    it trained with (``log["config"]``).
    """
    pairs, counts = corruption_pairs(problems, verifier.seed, pretrain.pairs_per_problem)
    config = replace(verifier, max_steps=pretrain.steps, learning_rate=pretrain.learning_rate)
    model, tokenizer, log = train_verifier(
        init_dir, pairs, config, work_dir, report_to=report_to, precision=precision, callbacks=callbacks
    )
    return model, tokenizer, log | {"counts": counts, "config": config}
