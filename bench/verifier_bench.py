"""Verifier benchmarks: scoring throughput, and what the tiny verifier learns in its CPU budget.

    python bench/verifier_bench.py              # scoring: batched vs one-by-one (target >= 2,000/s batched)
    python bench/verifier_bench.py --learning   # + held-out AUC, 1,200 steps: by corruption and init

`--learning` trains on two problem sets of 20,000 generated problems each (the verifier split's
~9,000 for training): 2-4 steps with values <= 50, and the embedded default's 1-2 steps with
values <= 10. Three kinds of incorrect solution: the final line changed (`corrupt_final`), one
step changed with every later step following (`corrupt_step`, any step: the verifier issue's
learning test), and a middle step changed (any step but the last, problems of 2+ steps only).
Two initial weights: random, and the body of a tiny Llama warm-started on the reference solutions
of the prover and verifier splits, as the embedded default's verifier starts from its prover
(`verifier_model: prover`). Train time includes tokenizing the pairs (building them, once per
kind of corruption, is not timed); the warm start's own time is printed once per problem set.

Both numbers of a ratio come from the same run on the same inputs.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

import torch

from envs.corrupt import corrupt_final, corrupt_step, corruptible_steps
from envs.generators import GeneratorConfig, generate
from envs.problems import split_problems
from selfplay.config import VerifierConfig
from selfplay.game.verifier_data import INITIAL_ROUND, MixtureConfig, Sample, build_mixture
from selfplay.game.verifier_training import train_verifier
from selfplay.game.warm_start import warm_start
from selfplay.models.scoring import VerifierScorer, verifier_metrics
from selfplay.models.tiny import build_tiny_causal_lm, build_tiny_classifier, build_tiny_tokenizer
from selfplay.models.verifier import save_initial_classifier


def _examples(problems, corrupt, rng):
    out = []
    for p in problems:
        wrong = corrupt(p.solution, rng)
        if wrong is not None:
            out += [(p, p.solution, True), (p, wrong, False)]
    return out


REPEATS = 5  # each rate is the median of this many timed passes: one sub-second pass is noisy


def _rate(scorer: VerifierScorer, questions, solutions) -> float:
    """Median solutions/s over :data:`REPEATS` passes of ``scorer`` over the same inputs."""
    rates = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        scorer.score(questions, solutions)
        rates.append(len(questions) / (time.perf_counter() - start))
    return statistics.median(rates)


def scoring(tokenizer, problems) -> None:
    model = build_tiny_classifier(tokenizer)
    examples = _examples(problems, corrupt_final, random.Random(0))
    questions, solutions = [p.question for p, _, _ in examples], [s for _, s, _ in examples]
    batched, single = (
        VerifierScorer(model, tokenizer, batch_size=128),
        VerifierScorer(model, tokenizer, batch_size=1),
    )
    batched.score(questions[:64], solutions[:64])  # warm-up
    batched_rate = _rate(batched, questions, solutions)
    single_rate = _rate(single, questions[:300], solutions[:300])
    print(f"scoring {len(questions)} solutions, tiny verifier, {torch.get_num_threads()} threads")
    print(f"(median of {REPEATS} passes each):")
    print(f"  batched (128): {batched_rate:8.0f} solutions/s (target >= 2,000)")
    print(f"  one-by-one:    {single_rate:8.0f} solutions/s")
    print(f"  ratio batched/one-by-one: {batched_rate / single_rate:.2f}x")


def corrupt_middle(solution: str, rng: random.Random) -> str | None:
    """``corrupt_step`` on a step other than the last (``None`` for one-step solutions)."""
    middle = corruptible_steps(solution)[:-1]
    return corrupt_step(solution, rng, step=rng.choice(middle)) if middle else None


CORRUPTIONS = {
    "final line changed": corrupt_final,
    "one step changed": corrupt_step,
    "a middle step changed": corrupt_middle,
}
WARM_START_STEPS = 800


def initial_weights(tokenizer, splits, root: Path) -> dict[str, Path]:
    """Random-init and warm-started-LM classifier folders under ``root``."""
    inits = {"random init": root / "random", "warm-started LM": root / "warm"}
    build_tiny_classifier(tokenizer).save_pretrained(inits["random init"])
    start = time.perf_counter()
    problems = splits["prover"] + splits["verifier"]
    lm = build_tiny_causal_lm(tokenizer)
    warm_start(
        lm,
        tokenizer,
        problems,
        root / "lm",
        steps=WARM_START_STEPS,
        learning_rate=3e-3,
        batch_size=32,
        seed=0,
    )
    save_initial_classifier(root / "lm", inits["warm-started LM"])
    print(
        f"  (LM warm start: {WARM_START_STEPS} SFT steps of 32 on {len(problems)} problems, "
        f"{time.perf_counter() - start:.0f} s)"
    )
    tokenizer.save_pretrained(inits["random init"])
    return inits


def learning(tokenizer, splits, steps: int) -> None:
    config = VerifierConfig(
        max_steps=steps, learning_rate=1e-3, lam=0.1
    )  # the numbers docs/verifier.md quotes
    with tempfile.TemporaryDirectory() as tmp:
        inits = initial_weights(tokenizer, splits, Path(tmp))
        for name, corrupt in CORRUPTIONS.items():
            train = _examples(splits["verifier"], corrupt, random.Random(0))
            pool = [Sample(p.id, INITIAL_ROUND, "x", p.question, s, ok) for p, s, ok in train]
            pairs, _ = build_mixture(pool, 0, MixtureConfig(n_pairs=steps * config.pairs_per_device))
            held_out = _examples(splits["test"][:400], corrupt, random.Random(1))
            for init_name, init in inits.items():
                start = time.perf_counter()
                model, tok, _ = train_verifier(init, pairs, config, Path(tmp) / "work")
                seconds = time.perf_counter() - start
                scores = VerifierScorer(model, tok).score(
                    [p.question for p, _, _ in held_out], [s for _, s, _ in held_out]
                )
                metrics = verifier_metrics(scores, [ok for _, _, ok in held_out])
                print(
                    f"  {name:<22} {init_name:<16} ROC AUC {metrics['roc_auc']:.3f}  accuracy@median "
                    f"{metrics['accuracy_at_median']:.3f}  train {seconds:.1f} s ({steps} steps, "
                    f"{len(held_out) // 2} held-out problems)"
                )


N_PROBLEMS = 20_000  # measured: 6,000 -> middle-step AUC 0.73, 20,000 -> 0.77 (600 steps, old tokenizer)
PROBLEM_SETS = {
    "2-4 steps, values <= 50": GeneratorConfig(2, 4, 50),
    "embedded default's problems (1-2 steps, values <= 10)": GeneratorConfig(1, 2, 10),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learning", action="store_true", help="also train and report held-out AUC")
    parser.add_argument("--steps", type=int, default=1200, help="verifier optimizer steps (32 pairs each)")
    args = parser.parse_args()
    torch.manual_seed(0)
    tokenizer = build_tiny_tokenizer()
    for index, (name, generator) in enumerate(PROBLEM_SETS.items()):
        splits = split_problems(generate("arithmetic", N_PROBLEMS, seed=0, config=generator))
        if index == 0:
            scoring(tokenizer, splits["test"])
        if args.learning:
            print(f"held-out ROC AUC, arithmetic ({name}), reference vs corrupted, tiny verifier on CPU:")
            learning(tokenizer, splits, args.steps)


if __name__ == "__main__":
    main()
