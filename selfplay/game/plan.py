"""The run's plan, without any model: its problems by split, its phases in order, and every
phase's seed. ``pvg train --dry_run`` prints it; the game (``selfplay/game/game.py``) follows it."""

from __future__ import annotations

from envs.datasets import load_hub, load_jsonl
from envs.generators import GeneratorConfig, generate_mixture
from envs.problems import split_problems, split_with_test
from selfplay.config import ProblemsConfig, RunConfig
from selfplay.config.sections import is_local_source
from selfplay.run_folder import RunFolder, round_name

INIT_PHASES = ("init/prover", "init/verifier", "init/samples")
# (phase, its outputs under round_XXX/, whether every process runs it), in order. Sampling phases
# run on every process too: each samples its share of the batches (selfplay/game/sampling.py).
ROUND_PHASES = (
    ("verifier", ("verifier",), True),
    ("prover", ("prover",), True),
    ("samples", ("samples.jsonl",), True),
    ("metrics", ("eval_samples.jsonl", "metrics.json"), True),
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
    """The run's problems by split (prover / verifier / test); see ``problems.test_source``."""
    p = cfg.problems
    if p.source == "generated":
        knobs = GeneratorConfig(p.min_steps, p.max_steps, p.max_value, max_total=p.max_total)
        problems = generate_mixture(p.n_problems, cfg.seed, p.families, knobs)
    else:
        problems = _read_source(p, p.source, p.train_split)
    test_source = p.resolved_test_source()  # a config built in code may still say `auto`
    if test_source == "hash":
        return split_problems(problems, p.split_fractions)
    return split_with_test(problems, _read_source(p, test_source, test_source), p.split_fractions)


class ProblemSourceError(ValueError):
    """``problems.source`` or ``problems.test_source`` cannot be read; the message names it and the fix."""


def _read_source(p: ProblemsConfig, source: str, split: str) -> list:
    """Problems from a jsonl path, or from ``split`` of the Hub dataset ``p.source``."""
    if is_local_source(source):
        # GSM8K files too: their "#### N" answers are recognised
        return load_jsonl(source, p.question_column, p.answer_column)
    if p.source == "generated" or is_local_source(p.source):
        raise ProblemSourceError(
            f"problems.test_source {source!r}: not a jsonl file; with a local or generated source give "
            "`hash` or a jsonl path"
        )
    try:
        return load_hub(p.source, p.hub_config, split, p.question_column, p.answer_column)
    except (ConnectionError, OSError, ValueError) as err:
        raise ProblemSourceError(
            f"problems.source {p.source!r} (split {split!r}): cannot load it from the Hub "
            f"({type(err).__name__}: {str(err)[:200]}); check the id, config, split and the network, "
            "or pass local jsonl files (--problems.source train.jsonl --problems.test_source test.jsonl)"
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
    states = _phase_states(folder, phase_names(cfg))
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
    lines += [f"  {name}: {state}" for name, state in states.items()]
    return "\n".join(lines)


def _phase_states(folder: RunFolder, names: list[str]) -> dict[str, str]:
    """Each phase's state in ``folder``: done, would run, or would be redone and why."""
    if not folder.root.is_dir():
        return dict.fromkeys(names, "would run")
    if folder.is_legacy():
        return dict.fromkeys(names, "made before phase markers: pvg train marks its finished phases")
    marked = set(folder.marked_phases())
    states = {}
    for verdict in folder.verify_chain(names):
        if verdict.problem is None:
            states[verdict.phase] = "done"
        elif verdict.stale:
            states[verdict.phase] = "stale: its inputs changed (pvg train refuses it without --redo_stale)"
        else:
            reason = f" ({verdict.problem})" if verdict.phase in marked else ""
            states[verdict.phase] = f"would {'re' if reason else ''}run{reason}"
    return states
