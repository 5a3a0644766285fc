"""Prover-step cost of the PVG reward path vs plain TRL GRPO, and the embedded default's footprint.

    python bench/step_bench.py             # time per GRPO step: PVG (SRC + verifier + checker) vs
                                           # correctness-only reward, same tiny model/batch/lengths
    python bench/step_bench.py --default   # + wall time and peak RSS of the embedded default run

The two trainers run in one process, alternating three times, on a random-init prover with
learning rate 0, so both sample exactly the same completions (full length: it rarely stops early)
and only the reward path differs. Each run's first (warm-up) step is left out; the ratio is of the
median step times over all runs. This shared machine's steps vary by +-15% between runs of the
same trainer, more than the reward path costs, so the reward functions' own time per call is
timed too, and a second ratio adds the PVG reward's extra time to the plain step.
Target: ratio <= 1.10.
"""

from __future__ import annotations

import argparse
import itertools
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
from datasets import Dataset
from transformers import TrainerCallback
from trl import GRPOConfig, GRPOTrainer

from envs.checker import check_completion
from envs.generators import GeneratorConfig, generate
from envs.prompts import rl_rows
from rewards.trl_adapter import PVGReward
from selfplay.models.scoring import VerifierScorer
from selfplay.models.tiny import build_tiny_causal_lm, build_tiny_classifier, build_tiny_tokenizer
from selfplay.models.trainer_utils import checkpointing_kwargs

ROOT = Path(__file__).resolve().parents[1]
DEVICE = "cuda" if torch.cuda.is_available() else "cpu"  # fp32 on either


def plain_correctness(completions, answer, **_) -> list[float]:
    """The baseline a TRL user would write: 1.0 when the checker says correct."""
    return [
        float(check_completion(c, a, with_steps=False).correct)
        for c, a in zip(completions, answer, strict=True)
    ]


class Timed:
    """Wraps a TRL reward function and records the seconds of each call."""

    def __init__(self, reward) -> None:
        self.reward, self.seconds = reward, []
        self.__name__ = getattr(reward, "__name__", type(reward).__name__)

    def __call__(self, *args, **kwargs) -> list[float]:
        start = time.perf_counter()
        rewards = self.reward(*args, **kwargs)
        self.seconds.append(time.perf_counter() - start)
        return rewards


def step_seconds(prover_dir: Path, reward, tokenizer, rows, steps: int, work: Path) -> list[float]:
    """Seconds of each GRPO step after the first (warm-up) one."""
    args = GRPOConfig(
        output_dir=str(work),
        max_steps=steps + 1,
        per_device_train_batch_size=32,
        num_generations=8,
        max_completion_length=64,
        learning_rate=0.0,  # both sample the same completions; only the reward path differs
        beta=0.04,
        logging_steps=1,
        report_to="none",
        save_strategy="no",
        use_cpu=DEVICE == "cpu",
        bf16=False,
        scale_rewards="none",
        seed=0,
        **checkpointing_kwargs(False),  # as the game's prover phase (TRL's default is on)
        disable_tqdm=True,
    )
    trainer = GRPOTrainer(
        model=str(prover_dir),
        reward_funcs=[reward],
        args=args,
        train_dataset=Dataset.from_list(rows),
        processing_class=tokenizer,
    )
    stamps: list[float] = []

    class Clock(TrainerCallback):  # step boundaries, so the first (warm-up) step can be left out
        def on_step_end(self, *args, **kwargs) -> None:
            stamps.append(time.perf_counter())

    trainer.add_callback(Clock())
    trainer.train()
    return [later - earlier for earlier, later in itertools.pairwise(stamps)]


def step_ratio(steps: int, repeats: int = 3) -> None:
    torch.manual_seed(0)
    tokenizer = build_tiny_tokenizer()
    rows = rl_rows(generate("arithmetic", 256, seed=0, config=GeneratorConfig(1, 2, 10)), seed=0)
    with tempfile.TemporaryDirectory() as tmp:
        prover = Path(tmp) / "prover"
        build_tiny_causal_lm(tokenizer).save_pretrained(prover)
        tokenizer.save_pretrained(prover)
        scorer = VerifierScorer(build_tiny_classifier(tokenizer).to(DEVICE), tokenizer)
        rewards = {"plain": Timed(plain_correctness), "pvg": Timed(PVGReward("src", 8, scorer.score))}
        step_s: dict[str, list[float]] = {"plain": [], "pvg": []}
        for repeat in range(repeats):  # alternate, so slow spells of the machine hit both
            for name, reward in rewards.items():
                work = Path(tmp) / f"{name}{repeat}"
                step_s[name] += step_seconds(prover, reward, tokenizer, rows, steps, work)
    median_s = {name: statistics.median(seconds) for name, seconds in step_s.items()}
    reward_ms = {name: 1000 * statistics.median(r.seconds) for name, r in rewards.items()}
    n_steps, threads = len(step_s["pvg"]), torch.get_num_threads()
    shape = f"32 completions x 64 tokens, {DEVICE}, {threads} threads"
    print(f"GRPO step, tiny prover, {shape}, median of {n_steps}:")
    for name, label in (("plain", "plain correctness reward:"), ("pvg", "PVG reward (SRC):        ")):
        print(f"  {label} {median_s[name]:.3f} s/step (reward function {reward_ms[name]:.1f} ms/call)")
    extra_s = (reward_ms["pvg"] - reward_ms["plain"]) / 1000
    print(f"  ratio PVG/plain: {median_s['pvg'] / median_s['plain']:.3f}x (target <= 1.10)")
    print(f"  ratio from the reward functions' time alone: {1 + extra_s / median_s['plain']:.3f}x")


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
    parser.add_argument("--steps", type=int, default=8, help="timed steps per run (after one warm-up)")
    parser.add_argument("--default", action="store_true", help="also run the embedded default")
    args = parser.parse_args()
    step_ratio(args.steps)
    if args.default:
        default_run()


if __name__ == "__main__":
    main()
