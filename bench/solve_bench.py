"""``pvg solve`` throughput against plain generation of the same samples, as a ratio.

    python bench/solve_bench.py [--run RUN_DIR] [--problems 64] [--n 16] [--repeats 3]

With ``--run`` the last round's prover and verifier of a finished run are used (e.g. the embedded
default's ``runs/tiny_cpu``); without it a random-init tiny prover and verifier are built locally.
Each repeat times, on the same problems and seed, (a) generation of n samples per problem alone
and (b) what ``pvg solve --select weighted`` does: the same generation, then answer extraction,
verifier scoring, the weighted vote and grading. The ratio is of the medians, b / a.
Target: ratio <= 1.10 (choosing costs at most 10% on top of generation) for the tiny default.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch
from transformers import AutoModelForCausalLM, AutoModelForSequenceClassification, AutoTokenizer

from envs.generators import GeneratorConfig
from envs.generators import generate as generate_problems
from selfplay.config import ProverConfig
from selfplay.game.sampling import generate
from selfplay.inference.solve import SolveProblem, solved_row
from selfplay.models.prompting import prompter_for
from selfplay.models.scoring import VerifierScorer
from selfplay.models.tiny import build_tiny_causal_lm, build_tiny_classifier, build_tiny_tokenizer


def _models(run: Path | None):
    if run is None:
        torch.manual_seed(0)
        tokenizer = build_tiny_tokenizer()
        return build_tiny_causal_lm(tokenizer), build_tiny_classifier(tokenizer), tokenizer
    last = sorted(run.glob("round_*/verifier/DONE"))[-1].parent.parent
    tokenizer = AutoTokenizer.from_pretrained(last / "prover")
    prover = AutoModelForCausalLM.from_pretrained(last / "prover")
    return prover, AutoModelForSequenceClassification.from_pretrained(last / "verifier"), tokenizer


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path)
    parser.add_argument("--problems", type=int, default=64)
    parser.add_argument("--n", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    prover, verifier, tokenizer = _models(args.run)
    scorer = VerifierScorer(verifier, tokenizer)
    problems = [
        SolveProblem(p.id, p.question, p.answer)
        for p in generate_problems("arithmetic", args.problems, seed=5, config=GeneratorConfig(1, 2, 10))
    ]
    prompter = prompter_for(tokenizer, ProverConfig())
    prompts = [prompter.text(p.question, "helpful") for p in problems]
    settings = {
        "n": args.n,
        "max_new_tokens": 40,
        "temperature": 0.7,
        "batch_size": 16,
        "seed": 0,
        "desc": "bench",
    }
    plain, solving = [], []
    for _ in range(args.repeats):
        start = time.perf_counter()
        generate(prover, tokenizer, prompts, **settings)
        plain.append(time.perf_counter() - start)
        start = time.perf_counter()
        completions = generate(prover, tokenizer, prompts, **settings)
        flat = scorer.score(
            [p.question for p in problems for _ in range(args.n)], [c for cs in completions for c in cs]
        )
        scores = [flat[i * args.n : (i + 1) * args.n] for i in range(len(problems))]
        [solved_row(p, cs, s, "weighted") for p, cs, s in zip(problems, completions, scores, strict=True)]
        solving.append(time.perf_counter() - start)
    a, b = statistics.median(plain), statistics.median(solving)
    samples = args.problems * args.n
    print(f"plain generation: {a:.2f} s ({args.problems / a:.1f} problems/s, {samples / a:.0f} samples/s)")
    print(
        f"pvg solve (weighted): {b:.2f} s ({args.problems / b:.1f} problems/s, {samples / b:.0f} samples/s)"
    )
    print(f"ratio solve / generation: {b / a:.3f} (target <= 1.10)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
