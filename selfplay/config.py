"""The run's configuration: nested dataclasses, a YAML file and ``--section.key value`` overrides.

``--config FILE`` loads YAML; every other ``--key value`` (dotted for sections, e.g.
``--prover.learning_rate 3e-4``) overrides it, in the style of TRL's ``TrlParser``. Unknown keys and
values of the wrong type are errors naming the key. Units are in each field's comment and in
``docs/configuration.md``.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from envs.styles import CORRECT_STYLES, WRONG_STYLES
from selfplay.run_folder import with_keys_older_folders_lack
from selfplay.trainer_utils import PRECISIONS
from selfplay.verifier import VerifierConfig
from selfplay.verifier_data import MixtureConfig
from selfplay.verifier_pretrain import VerifierPretrainConfig

ALGORITHMS = ("grpo", "rloo", "ppo")
# The embedded default's warm-start mixtures (prover.helpful_styles / sneaky_styles = None).
DEFAULT_HELPFUL_STYLES = {"stepwise": 1.0, "compressed": 1.0, "answer_only": 1.0}
# `blatant` is left out: with it the warm-started sneaky role wrote correct solutions 0.168 of the
# time instead of 0.092 (docs/game.md), and SRC needs a sneaky role that is reliably wrong.
DEFAULT_SNEAKY_STYLES = {"subtle": 1.0, "wrong_answer_only": 1.0}
PROVER_INIT = "prover"  # verifier_model value: start the verifier from the initial prover


def verifier_source(verifier_model: str | None, pretrain_steps: int = 0, prover_text: str = "") -> str:
    """Where the verifier's initial weights come from, in words (for reports and model cards);
    ``prover_text`` names the prover when the verifier starts from it."""
    if verifier_model == PROVER_INIT:
        source = "the run's initial (warm-started) prover with a new score head"
        source += f": {prover_text}" if prover_text else ""
    else:
        source = verifier_model or "the embedded tiny classifier (random init)"
    if pretrain_steps:
        source += (
            f"; then pretrained for {pretrain_steps} steps on correct vs wrong renderings of the same form"
        )
    return source


def warm_start_styles(prover: ProverConfig) -> tuple[dict[str, float], dict[str, float]]:
    """The (helpful, sneaky) style mixtures the warm start uses: a mixture left at None is the
    embedded default's for the embedded model and none (``{}``) for a model of the user's."""
    embedded = prover.model is None

    def resolve(weights: dict[str, float] | None, default: dict[str, float]) -> dict[str, float]:
        return dict(weights) if weights is not None else dict(default) if embedded else {}

    return resolve(prover.helpful_styles, DEFAULT_HELPFUL_STYLES), resolve(
        prover.sneaky_styles, DEFAULT_SNEAKY_STYLES
    )


def _check_styles(key: str, weights: dict[str, float] | None, allowed: tuple[str, ...]) -> None:
    if weights is None:
        return
    unknown = sorted(set(weights) - set(allowed))
    if unknown:
        raise ConfigError(f"{key}: unknown style {unknown[0]!r}; choose from {', '.join(allowed)}")
    if any(w < 0 for w in weights.values()) or (weights and not any(w > 0 for w in weights.values())):
        raise ConfigError(
            f"{key}: weights must be >= 0 with at least one > 0 (or {{}} for none); got {weights}"
        )


class ConfigError(ValueError):
    """A configuration value or key that cannot be used; the message names it and the fix."""


@dataclass
class ProblemsConfig:
    source: str = "generated"  # "generated", a GSM8K Hub id ("openai/gsm8k"), or a jsonl path
    n_problems: int = 16000  # problems generated (split afterwards); ignored for datasets
    families: list[str] = field(default_factory=lambda: ["arithmetic"])
    min_steps: int = 1  # operations per arithmetic problem
    max_steps: int = 2
    max_value: int = 10  # largest starting quantity
    max_total: int | None = 30  # largest quantity a problem reaches at any step (null = unbounded)
    split_fractions: list[float] = field(default_factory=lambda: [0.45, 0.45, 0.10])  # prover/verifier/test


@dataclass
class ProverConfig:
    model: str | None = None  # Hub name or folder of a causal LM; None = the embedded tiny model
    algorithm: str = "grpo"  # grpo | rloo (TRL has no PPOTrainer since 1.13)
    reward: str = "src"  # src | cgc | goodhart | correctness
    sneaky_fraction: float = 0.5  # share of RL prompts in the sneaky role (0 = helpful-only baseline)
    beta: float = 0.04  # KL penalty toward the initial policy
    learning_rate: float = 2e-4  # AdamW peak rate, linear decay (docs/game.md: 1e-4 to 3e-4 measured)
    max_steps: int = 50  # optimizer steps per round (the budget; the stop rule may end earlier)
    warmup_steps: int = 0  # optimizer steps of linear learning-rate warmup (then linear decay)
    per_device_train_batch_size: int = 128  # completions per device per step (16 prompts x 8)
    num_generations: int = 8  # completions per prompt: one SRC group
    max_completion_length: int = 40  # tokens per completion (the default's longest solutions: ~25)
    temperature: float = 0.7  # sampling temperature, RL and pool sampling alike
    lora_r: int = 0  # LoRA rank, 0 = full fine-tuning
    stop_window: int = 5  # optimizer steps averaged by the score-parity stop rule
    sft_steps: int = 2000  # warm start of both roles (the styles below), optimizer steps (0 = none)
    sft_learning_rate: float = 3e-3
    sft_batch_size: int = 32  # sequences per device per step
    # Warm-start style mixtures (envs/styles.py): style name -> relative weight. None = the
    # embedded default's mixture when `model` is null, else none; {} = none (the helpful prompt
    # learns the reference solutions, the sneaky prompt nothing).
    helpful_styles: dict[str, float] | None = None
    sneaky_styles: dict[str, float] | None = None
    gradient_checkpointing: bool = False  # SFT and RL recompute activations: less memory, more time


@dataclass
class SamplingConfig:
    problems_per_round: int = 800  # verifier-split problems sampled after each prover phase
    samples_per_role: int = 2  # completions per (problem, role) added to the verifier pool
    eval_problems: int = 200  # test-split problems for each round's metrics
    eval_samples_per_role: int = 4  # completions per (test problem, role): more samples, less noise
    cold_temperature: float = 0.35  # the warm start's colder free baseline (greedy is the other)
    batch_size: int = 64  # prompts per generate() call


@dataclass
class PushConfig:
    enabled: bool = False  # push every finished round during `pvg train`
    prover_repo: str | None = None  # Hub repo id for the prover, e.g. "me/pvg-prover"
    verifier_repo: str | None = None  # Hub repo id for the verifier
    private: bool = True  # create missing repos as private


@dataclass
class RunConfig:
    output_dir: str = "runs/tiny_cpu"
    seed: int = 0
    rounds: int = 3
    report_to: str = "none"  # passed to TRL: none | tensorboard | wandb
    precision: str = "auto"  # auto | bf16 | fp32: every trainer's forward pass (docs/configuration.md)
    problems: ProblemsConfig = field(default_factory=ProblemsConfig)
    prover: ProverConfig = field(default_factory=ProverConfig)
    # Rounds fine-tune the pretrained initial weights gently: at 1e-3 a round's pool pulled the
    # verifier's AUC down (0.76 -> 0.62), at 1e-4 it held (docs/verifier.md). λ 0.3 with longer
    # pretraining: AUC 0.79 on the warm start's samples, against 0.76 (docs/verifier.md).
    verifier: VerifierConfig = field(
        default_factory=lambda: VerifierConfig(max_steps=200, learning_rate=1e-4, lam=0.3)
    )
    # Where the verifier's initial weights come from: "prover" = the run's initial (warm-started)
    # prover with a new one-score head; null = the embedded tiny classifier, random init; else a
    # Hub name or folder of a classifier (write ./prover for a folder named "prover").
    verifier_model: str | None = PROVER_INIT
    # Once, before round 0: train those weights to rank correct renderings of the verifier split's
    # problems above wrong ones of the same form; every round restarts from the result (steps 0 = off).
    verifier_pretrain: VerifierPretrainConfig = field(default_factory=VerifierPretrainConfig)
    mixture: MixtureConfig = field(default_factory=lambda: MixtureConfig(n_pairs=200 * 32))
    sampling: SamplingConfig = field(default_factory=SamplingConfig)
    push_to_hub: PushConfig = field(default_factory=PushConfig)

    def validate(self) -> None:
        """Cross-field checks; raises :class:`ConfigError` naming the field."""
        if self.rounds < 1:
            raise ConfigError(f"rounds must be >= 1, got {self.rounds}")
        if self.precision not in PRECISIONS:
            raise ConfigError(f"precision must be one of {', '.join(PRECISIONS)}; got {self.precision!r}")
        if self.prover.algorithm == "ppo":
            raise ConfigError(
                "prover.algorithm: ppo is not available: TRL >= 1.13 has no PPOTrainer. Use grpo or rloo."
            )
        if self.prover.algorithm not in ALGORITHMS:
            raise ConfigError(f"prover.algorithm must be one of grpo, rloo; got {self.prover.algorithm!r}")
        if self.prover.warmup_steps < 0:
            raise ConfigError(f"prover.warmup_steps must be >= 0, got {self.prover.warmup_steps}")
        if not 0.0 <= self.prover.sneaky_fraction <= 1.0:
            raise ConfigError(f"prover.sneaky_fraction must be in [0, 1], got {self.prover.sneaky_fraction}")
        _check_styles("prover.helpful_styles", self.prover.helpful_styles, CORRECT_STYLES)
        _check_styles("prover.sneaky_styles", self.prover.sneaky_styles, WRONG_STYLES)
        if self.prover.per_device_train_batch_size % self.prover.num_generations:
            raise ConfigError(
                f"prover.per_device_train_batch_size ({self.prover.per_device_train_batch_size}) must be a "
                f"multiple of prover.num_generations ({self.prover.num_generations}) so SRC groups stay whole"
            )


def _coerce(value: object, annotation: object, key: str) -> object:
    """``value`` (from YAML or a CLI string) as the field's type, or :class:`ConfigError`."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        is_none = value is None or (isinstance(value, str) and value.lower() in ("none", "null"))
        if is_none and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return _coerce(value, inner[0], key)
    if origin is dict:
        return _coerce_mapping(value, args[1], key)
    if origin is list:
        items = value.split(",") if isinstance(value, str) else value
        if not isinstance(items, list):
            raise ConfigError(f"{key}: expected a list, got {value!r}")
        return [_coerce(item, args[0], key) for item in items]
    try:
        if annotation is bool:
            if isinstance(value, str):
                if value.lower() not in ("true", "false", "1", "0", "yes", "no"):
                    raise ValueError(value)
                return value.lower() in ("true", "1", "yes")
            return bool(value)
        if annotation in (int, float):
            if isinstance(value, bool):
                raise ValueError(value)
            coerced = annotation(value)
            if annotation is int and isinstance(value, float) and value != coerced:
                raise ValueError(value)
            return coerced
        if annotation is str:
            if not isinstance(value, (str, int, float)):
                raise ValueError(value)
            return str(value)
    except (TypeError, ValueError):
        raise ConfigError(
            f"{key}: {value!r} is not a valid {getattr(annotation, '__name__', annotation)}"
        ) from None
    raise ConfigError(f"{key}: unsupported field type {annotation}")


def _coerce_mapping(value: object, value_type: type, key: str) -> dict:
    """A mapping field: a YAML mapping, or on the command line ``name=weight,name=weight`` or a YAML
    flow mapping (``{stepwise: 1}``); ``{}`` or an empty string is the empty mapping."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("{"):
            try:
                value = yaml.safe_load(text)
            except yaml.YAMLError:
                raise ConfigError(f"{key}: {value!r} is not a YAML mapping such as {{stepwise: 1}}") from None
        else:
            items = [item.partition("=") for item in text.split(",") if item.strip()]
            if any(not sep for _, sep, _ in items):
                raise ConfigError(
                    f"{key}: {value!r}: expected name=weight,name=weight (e.g. stepwise=1,compressed=1)"
                )
            value = {name.strip(): weight.strip() for name, _, weight in items}
    if not isinstance(value, dict):
        raise ConfigError(f"{key}: expected a mapping such as {{stepwise: 1, compressed: 1}}, got {value!r}")
    return {str(name): _coerce(weight, value_type, f"{key}.{name}") for name, weight in value.items()}


def _apply(target: object, updates: dict, prefix: str = "") -> None:
    hints = typing.get_type_hints(type(target))
    names = {f.name for f in dataclasses.fields(target)}
    for key, value in updates.items():
        full = f"{prefix}{key}"
        if key not in names:
            raise ConfigError(f"unknown config key {full!r}; known keys here: {', '.join(sorted(names))}")
        current = getattr(target, key)
        if dataclasses.is_dataclass(current):
            if not isinstance(value, dict):
                raise ConfigError(f"{full}: expected a section (mapping), got {value!r}")
            _apply(current, value, f"{full}.")
        else:
            setattr(target, key, _coerce(value, hints[key], full))


def _rebuild(section: object, key: str) -> object:
    """Re-run a section's own ``__post_init__`` checks after overrides; errors name the section."""
    try:
        return type(section)(**{f.name: getattr(section, f.name) for f in dataclasses.fields(section)})
    except ValueError as err:
        raise ConfigError(f"{key}: {err}") from None


def load_config(argv: list[str]) -> tuple[RunConfig, list[str]]:
    """Parse ``--config FILE`` and ``--key value`` overrides; returns the config and leftover flags.

    Leftover flags are the standalone switches the caller handles (e.g. ``--overwrite_config``).
    """
    config = RunConfig()
    args, switches = list(argv), []
    if "--config" in args:
        at = args.index("--config")
        if at + 1 >= len(args):
            raise ConfigError("--config needs a YAML file path")
        path = Path(args.pop(at + 1))
        args.pop(at)
        if not path.is_file():
            raise ConfigError(f"--config {path}: no such file")
        loaded = yaml.safe_load(path.read_text()) or {}
        if not isinstance(loaded, dict):
            raise ConfigError(f"--config {path}: expected a mapping at the top level")
        _apply(config, loaded)
    overrides: dict = {}
    i = 0
    while i < len(args):
        flag = args[i]
        if not flag.startswith("--"):
            raise ConfigError(f"unexpected argument {flag!r}; options look like --prover.learning_rate 1e-3")
        if i + 1 >= len(args) or args[i + 1].startswith("--"):
            switches.append(flag)
            i += 1
            continue
        node = overrides
        *parents, leaf = flag[2:].split(".")
        for parent in parents:
            node = node.setdefault(parent, {})
        node[leaf] = args[i + 1]
        i += 2
    _apply(config, overrides)
    for name in ("prover", "problems", "sampling"):
        setattr(config, name, _rebuild(getattr(config, name), name))
    config.verifier = _rebuild(config.verifier, "verifier")
    config.mixture = _rebuild(config.mixture, "mixture")
    config.verifier_pretrain = _rebuild(config.verifier_pretrain, "verifier_pretrain")
    config.validate()
    return config, switches


def load_run_config(run_dir: str | Path) -> RunConfig:
    """The resolved config saved in a run folder's ``config.yaml``; errors name the folder."""
    path = Path(run_dir) / "config.yaml"
    if not path.is_file():
        raise ConfigError(f"{run_dir}: no config.yaml; is this a run folder made by `pvg train`?")
    saved = (yaml.safe_load(path.read_text()) or {}).get("config")
    if not isinstance(saved, dict):
        raise ConfigError(f"{path}: no 'config' section")
    config = RunConfig()
    _apply(config, with_keys_older_folders_lack(saved))
    config.validate()
    return config
