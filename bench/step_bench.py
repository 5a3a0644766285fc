"""Prover-step cost of the PVG reward path vs plain TRL GRPO, and the embedded default's footprint.

    python bench/step_bench.py             # time per GRPO step: PVG (SRC + verifier + checker) vs
                                           # correctness-only reward, same tiny model/batch/lengths
    python bench/step_bench.py --default   # + wall time and peak RSS of the embedded default run

The two trainers run in one process, alternating twice (each one's best run counts), on a
random-init prover with learning rate 0, so both sample exactly the same completions (full
length: it rarely stops early) and only the reward path differs.
Target: ratio <= 1.10.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
from datasets import Dataset
from trl import GRPOConfig, GRPOTrainer

from envs.checker import check_completion
from envs.generators import GeneratorConfig, generate
from rewards.trl_adapter import PVGReward
from selfplay.prompts import rl_rows
from selfplay.scoring import VerifierScorer
from selfplay.tiny import build_tiny_causal_lm, build_tiny_classifier, build_tiny_tokenizer

ROOT = Path(__file__).resolve().parents[1]


def plain_correctness(completions, answer, **_) -> list[float]:
    """The baseline a TRL user would write: 1.0 when the checker says correct."""
    return [
        float(check_completion(c, a, with_steps=False).correct)
        for c, a in zip(completions, answer, strict=True)
    ]


def seconds_per_step(prover_dir: Path, reward, tokenizer, rows, steps: int, work: Path) -> float:
    args = GRPOConfig(
        output_dir=str(work),
        max_steps=steps + 1,
        per_device_train_batch_size=32,
        num_generations=8,
        max_completion_length=64,
        learning_rate=1e-4,
        beta=0.04,
        logging_steps=1,
        report_to="none",
        save_strategy="no",
        use_cpu=True,
        bf16=False,
        scale_rewards="none",
        seed=0,
        disable_tqdm=True,
    )
    trainer = GRPOTrainer(
        model=str(prover_dir),
        reward_funcs=[reward],
        args=args,
        train_dataset=Dataset.from_list(rows),
        processing_class=tokenizer,
    )
    stamps = []

    class Clock:  # step boundaries, so the first (warm-up) step can be left out
        def on_step_end(self, *a, **k):
            stamps.append(time.perf_counter())

    from transformers import TrainerCallback

    trainer.add_callback(type("ClockCallback", (TrainerCallback,), {"on_step_end": Clock.on_step_end}))
    trainer.train()
    return (stamps[-1] - stamps[0]) / (len(stamps) - 1)


def step_ratio(steps: int) -> None:
    torch.manual_seed(0)
    tokenizer = build_tiny_tokenizer()
    rows = rl_rows(generate("arithmetic", 256, seed=0, config=GeneratorConfig(1, 2, 10)), seed=0)
    with tempfile.TemporaryDirectory() as tmp:
        prover = Path(tmp) / "prover"
        build_tiny_causal_lm(tokenizer).save_pretrained(prover)
        tokenizer.save_pretrained(prover)
        scorer = VerifierScorer(build_tiny_classifier(tokenizer), tokenizer)
        timings: dict[str, list[float]] = {"plain": [], "pvg": []}
        for repeat in range(2):  # alternate, and keep each one's best: the first run also warms caches
            for name, reward in (("plain", plain_correctness), ("pvg", PVGReward("src", 8, scorer.score))):
                work = Path(tmp) / f"{name}{repeat}"
                timings[name].append(seconds_per_step(prover, reward, tokenizer, rows, steps, work))
        plain, pvg = min(timings["plain"]), min(timings["pvg"])
    threads = torch.get_num_threads()
    print(f"GRPO step, tiny prover, 32 completions x 64 tokens, {threads} threads, {steps} steps, best of 2:")
    print(f"  plain correctness reward: {plain:.3f} s/step")
    print(f"  PVG reward (SRC):         {pvg:.3f} s/step")
    print(f"  ratio PVG/plain: {pvg / plain:.3f}x (target <= 1.10)")


def default_run() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, str(ROOT / "selfplay" / "train.py"), "--output_dir", f"{tmp}/run"],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wall = time.perf_counter() - start
    peak_gib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 2**20
    print(
        f"embedded default (3 rounds): {wall / 60:.1f} min wall, peak RSS {peak_gib:.2f} GiB "
        "(targets <= 10 min, <= 3 GiB)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--default", action="store_true", help="also run the embedded default")
    args = parser.parse_args()
    step_ratio(args.steps)
    if args.default:
        default_run()


if __name__ == "__main__":
    main()
