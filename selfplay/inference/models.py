"""The models behind ``pvg solve``: the prover (its samples, prompted as in training) and the
optional verifier (their scores)."""

from __future__ import annotations

import argparse
from pathlib import Path

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from selfplay.config import ProverConfig, load_run_config
from selfplay.game.sampling import generate
from selfplay.inference.solve import SolveProblem, solved_row
from selfplay.models.prompting import prompter_for
from selfplay.models.scoring import VerifierScorer
from selfplay.models.verifier import INFO_FILE, load_classifier, load_verifier

DEFAULT_MAX_NEW_TOKENS = 256  # for a prover outside a run folder


def run_prover_config(prover: str) -> ProverConfig | None:
    """The prover settings of the run a prover folder belongs to (``RUN/round_XXX/prover`` or
    ``RUN/init/prover``), or ``None`` for a folder outside a run or a Hub name."""
    folder = Path(prover).parent.parent
    return load_run_config(folder).prover if (folder / "config.yaml").is_file() else None


def _scores(
    verifier: str, problems: list[SolveProblem], completions: list[list[str]], device
) -> list[list[float]]:
    model, tokenizer, *_ = (
        load_verifier(verifier) if (Path(verifier) / INFO_FILE).is_file() else load_classifier(verifier)
    )
    scorer = VerifierScorer(model.to(device), tokenizer)
    flat = scorer.score(
        [p.question for p, texts in zip(problems, completions, strict=True) for _ in texts],
        [text for texts in completions for text in texts],
    )
    n = len(completions[0]) if completions else 0
    return [flat[i * n : (i + 1) * n] for i in range(len(completions))]


def solve_problems(problems: list[SolveProblem], args: argparse.Namespace, rule: str) -> list[dict]:
    """``args.n`` samples per problem from the prover with the helpful prompt, scored by the
    verifier when one is given, each problem's choice made by ``rule``."""
    device = "cuda" if torch.cuda.is_available() else "cpu"
    tokenizer = AutoTokenizer.from_pretrained(args.prover)
    tokenizer.pad_token = tokenizer.pad_token or tokenizer.eos_token
    model = AutoModelForCausalLM.from_pretrained(args.prover).to(device)
    run_settings = run_prover_config(args.prover)
    prompter = prompter_for(tokenizer, run_settings or ProverConfig())
    max_new = args.max_new_tokens or (
        run_settings.max_completion_length if run_settings else DEFAULT_MAX_NEW_TOKENS
    )
    completions = generate(
        model,
        tokenizer,
        [prompter.text(p.question, "helpful") for p in problems],
        n=args.n,
        max_new_tokens=max_new,
        temperature=args.temperature,
        batch_size=args.batch_size,
        seed=args.seed,
        desc="solving",
    )
    scores = (
        _scores(args.verifier, problems, completions, device) if args.verifier else [None] * len(problems)
    )
    return [solved_row(p, texts, s, rule) for p, texts, s in zip(problems, completions, scores, strict=True)]
