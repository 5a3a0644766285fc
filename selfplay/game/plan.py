"""The run's plan, without any model: its problems by split, its phases in order, and every
phase's seed. ``pvg train --dry_run`` prints it; the game (``selfplay/game/game.py``) follows it."""

from __future__ import annotations

from pathlib import Path

from envs.datasets import load_gsm8k, load_jsonl
from envs.generators import GeneratorConfig, generate_mixture
from envs.problems import split_problems
from selfplay.config import RunConfig
from selfplay.run_folder import RunFolder, round_name

INIT_PHASES = ("init/prover", "init/verifier", "init/samples")
# (phase, its output under round_XXX/, whether every process runs it), in order.
ROUND_PHASES = (
    ("verifier", "verifier", True),
    ("prover", "prover", True),
    ("samples", "samples.jsonl", False),
    ("metrics", "metrics.json", False),
)
PHASE_SEEDS = {
    "init/prover": 1,
    "init/verifier": 2,
    "init/samples": 3,
    "verifier": 4,
    "prover": 5,
    "samples": 6,
    "metrics": 7,
    "push": 8,
}


def load_problems(cfg: RunConfig) -> dict:
    """The run's problems by split (prover / verifier / test)."""
    p = cfg.problems
    if p.source == "generated":
        knobs = GeneratorConfig(p.min_steps, p.max_steps, p.max_value, max_total=p.max_total)
        problems = generate_mixture(p.n_problems, cfg.seed, p.families, knobs)
    elif p.source.endswith(".jsonl") or Path(p.source).exists():
        problems = load_jsonl(p.source)  # GSM8K files too: their "#### N" answers are recognised
    else:
        problems = _from_hub(p.source)
    return split_problems(problems, p.split_fractions)


class ProblemSourceError(ValueError):
    """``problems.source`` cannot be read; the message names it and the fix."""


def _from_hub(dataset_id: str) -> list:
    try:
        return load_gsm8k(dataset_id)  # a Hub id, e.g. openai/gsm8k
    except (ConnectionError, OSError) as err:
        raise ProblemSourceError(
            f"problems.source {dataset_id!r}: cannot load it from the Hub ({type(err).__name__}); "
            "check the id and the network, or pass a local jsonl file (--problems.source path/to/train.jsonl)"
        ) from None


def phase_seed(seed: int, round_index: int, phase: str) -> int:
    """The seed set before ``phase`` of round ``round_index`` (-1 for the init phases)."""
    return seed * 10_000 + (round_index + 1) * 10 + PHASE_SEEDS[phase]


def phase_names(cfg: RunConfig) -> list[str]:
    """Every phase of the run, in the order the game runs them."""
    names = list(INIT_PHASES)
    for r in range(cfg.rounds):
        names += [f"{round_name(r)}/{key}" for key, _, _ in ROUND_PHASES]
        names += [f"{round_name(r)}/push"] if cfg.push_to_hub.enabled else []
    return names


def seeds_of(cfg: RunConfig) -> dict:
    """Every seed the run uses, for config.yaml."""
    phases = {name: phase_seed(cfg.seed, -1, name) for name in INIT_PHASES}
    for r in range(cfg.rounds):
        for key, _, _ in ROUND_PHASES:
            phases[f"{round_name(r)}/{key}"] = phase_seed(cfg.seed, r, key)
    return {
        "seed": cfg.seed,
        "mixture_seed": cfg.mixture.seed,
        "verifier_seed": cfg.verifier.seed,
        "phases": phases,
    }


def plan_text(cfg: RunConfig, folder: RunFolder, splits: dict | str) -> str:
    """What ``--dry_run`` prints after the resolved config: split sizes (or why the problems could
    not be read) and each phase's state in the folder."""
    done = set(folder.completed()) if folder.root.is_dir() else set()
    sizes = splits if isinstance(splits, str) else ", ".join(f"{k} {len(v)}" for k, v in splits.items())
    models = [f"prover {cfg.prover.model}"] if cfg.prover.model else []
    models += [f"verifier {cfg.verifier_model}"] if cfg.verifier_model not in (None, "prover") else []
    lines = [f"problems ({cfg.problems.source}): {sizes}"]
    lines += (
        [f"models loaded by name when the run starts (not in a dry run): {', '.join(models)}"]
        if models
        else []
    )
    lines += [f"phases in {folder.root}:"]
    lines += [f"  {name}: {'done' if name in done else 'would run'}" for name in phase_names(cfg)]
    return "\n".join(lines)
