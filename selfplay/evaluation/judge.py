"""The fixed weak judge of ``pvg eval``: the miniature's stand-in for the paper's time-limited raters.

It scores every round's solutions with one fixed model and one fixed threshold, so its accuracy
per role can move only because the solutions changed. In the paper, time-limited humans judged the
helpful prover's solutions more accurately over rounds and the sneaky prover's less accurately.

- ``independent`` (the default): a classifier much smaller than the verifier (one layer, width 32),
  random init, trained once on the environment's matched correct and wrong renderings of the run's
  verifier-split problems (``envs.styles.contrast_pair``: stepwise vs one step off, stepwise vs a
  final answer that does not follow, answer vs wrong answer). No prover ever trained against it.
- ``round0``: the run's round-0 verifier, which round 0's sneaky prover optimised against.

Either way the threshold is the median of the judge's scores on the warm start's test samples.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from transformers import AutoTokenizer

from envs.problems import Problem
from envs.styles import contrast_pair
from selfplay.config import VerifierConfig
from selfplay.game.verifier_data import INITIAL_ROUND, Pair
from selfplay.game.verifier_training import train_verifier
from selfplay.models.tiny import TinyModelConfig, build_tiny_classifier
from selfplay.models.verifier import load_verifier, save_verifier, verifier_info
from selfplay.run_folder import DONE, read_json

JUDGE_SIZE = TinyModelConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_attention_heads=2)


@dataclass(frozen=True)
class JudgeSettings:
    """How the independent judge is trained: optimizer ``steps`` of 32 pairs, ``seed``."""

    steps: int = 300
    seed: int = 0


class JudgeDataError(ValueError):
    """No problem can be rendered as a contrast pair, so the independent judge cannot be trained."""


def judge_pairs(problems: list[Problem], seed: int) -> list[Pair]:
    """One matched (correct, wrong) pair per problem that has one (deterministic for ``seed``)."""
    rng, pairs = random.Random(seed), []
    for problem in problems:
        pair = contrast_pair(problem, rng)
        if pair is not None:
            pairs.append(Pair(problem.id, INITIAL_ROUND, problem.question, *pair))
    if not pairs:
        raise JudgeDataError(
            f"the independent judge needs problems with `expression = value` reference solutions "
            f"(generated ones); none of {len(problems)} has one. Use --judge round0"
        )
    return pairs


def independent_judge(tokenizer_dir: Path, problems: list[Problem], out_dir: Path, settings: JudgeSettings):
    """The judge in ``out_dir``, trained there first unless it was trained with ``settings``.

    ``tokenizer_dir`` gives the tokenizer (the run's prover's). Returns ``(model, tokenizer)``.
    """
    info_path = out_dir / "verifier.json"
    if (out_dir / DONE).is_file() and read_json(info_path).get("judge") == asdict(settings):
        model, tokenizer, _ = load_verifier(out_dir)
        return model, tokenizer
    pairs = judge_pairs(problems, settings.seed)
    tokenizer = AutoTokenizer.from_pretrained(tokenizer_dir)
    init = out_dir / "_init"
    torch.manual_seed(settings.seed)
    build_tiny_classifier(tokenizer, JUDGE_SIZE).save_pretrained(init)
    tokenizer.save_pretrained(init)
    config = VerifierConfig(max_steps=settings.steps, learning_rate=1e-3, lam=0.1, seed=settings.seed)
    model, tokenizer, log = train_verifier(init, pairs, config, out_dir / "_work")
    info = verifier_info(config, {"judge": {"pairs": len(pairs)}}, {"train_loss": log["train_loss"]})
    save_verifier(out_dir, model, tokenizer, info | {"judge": asdict(settings), "size": asdict(JUDGE_SIZE)})
    (out_dir / DONE).write_text("ok\n")
    return model.eval(), tokenizer
