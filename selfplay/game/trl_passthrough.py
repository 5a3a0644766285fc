"""``prover.trl``: more GRPOConfig / RLOOConfig settings, passed to TRL as given.

The names are checked against the installed TRL's config class (TRL adds and renames fields
between versions, so no list is kept here), values given on the command line as text are read as
YAML scalars (``true``, ``0.2``, ``colocate``), and a setting this project already sets from its
own config is refused with the key to use, so no value has two sources.
"""

from __future__ import annotations

import dataclasses
import difflib

import yaml

from selfplay.config import ConfigError, ProverConfig
from selfplay.models.trainer_utils import checkpointing_kwargs

# TRL setting -> the key of this config that sets it (and why the passthrough may not).
OWNED = {
    "output_dir": "--output_dir (each phase's scratch folder is derived from it)",
    "max_steps": "prover.max_steps",
    "per_device_train_batch_size": "prover.per_device_train_batch_size",
    "num_generations": "prover.num_generations",
    "max_completion_length": "prover.max_completion_length",
    "temperature": "prover.temperature (pool and eval sampling use it too)",
    "learning_rate": "prover.learning_rate",
    "warmup_steps": "prover.warmup_steps",
    "beta": "prover.beta",
    "seed": "seed (every phase derives its own)",
    "report_to": "report_to",
    "bf16": "precision",
    "fp16": "precision",
    "use_cpu": "precision",
    "model_init_kwargs": "precision (weights load in fp32)",
    "gradient_checkpointing": "prover.gradient_checkpointing",
    "activation_checkpointing": "prover.gradient_checkpointing",
    "scale_rewards": "prover.reward (SRC normalises scores within each group itself)",
    "save_strategy": "nothing yet: a prover phase is redone whole when interrupted",
}


def trl_config_class(algorithm: str) -> type:
    from trl import GRPOConfig, RLOOConfig  # TRL imports slowly; only when a prover is set up

    return GRPOConfig if algorithm == "grpo" else RLOOConfig


def trl_settings(prover: ProverConfig) -> dict:
    """``prover.trl`` checked and typed for the installed TRL config class; :class:`ConfigError`
    names the first bad key and the fix."""
    config_cls = trl_config_class(prover.algorithm)
    fields = {f.name: f for f in dataclasses.fields(config_cls)}
    settings = {}
    for name, value in prover.trl.items():
        key = f"prover.trl.{name}"
        if name in OWNED:
            raise ConfigError(f"{key}: set by this project; use {OWNED[name]}")
        if name not in fields:
            close = difflib.get_close_matches(name, list(fields), n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise ConfigError(f"{key}: not a field of TRL's {config_cls.__name__}; {hint}see TRL's docs")
        settings[name] = _typed(key, value, fields[name])
    return settings


def _typed(key: str, value: object, field: dataclasses.Field) -> object:
    """``value`` read as YAML if it is command-line text, checked against a plain field type and
    the field's ``choices`` metadata where TRL declares them."""
    if isinstance(value, str) and field.type is not str:
        value = yaml.safe_load(value)
    expected = field.type if field.type in (bool, int, float, str) else None
    if expected is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if expected and (not isinstance(value, expected) or (expected is int and isinstance(value, bool))):
        raise ConfigError(f"{key}: expected a {expected.__name__}, got {value!r}")
    choices = field.metadata.get("choices")
    if choices and value not in choices:
        raise ConfigError(f"{key}: {value!r} is not one of {', '.join(map(str, choices))}")
    return value


def check_trl_settings(prover: ProverConfig) -> None:
    """Build the TRL config once with the passthrough settings, so values TRL refuses fail before
    any model is built (TRL checks its fields in ``__post_init__``)."""
    settings = trl_settings(prover)
    if not settings:
        return
    config_cls = trl_config_class(prover.algorithm)
    try:
        config_cls(
            output_dir="/tmp/pvg-trl-check",  # never written: the config is only built
            per_device_train_batch_size=prover.per_device_train_batch_size,
            num_generations=prover.num_generations,
            use_cpu=True,
            bf16=False,
            report_to="none",
            **checkpointing_kwargs(prover.gradient_checkpointing),
            **settings,
        )
    except (TypeError, ValueError) as err:
        message = str(err).splitlines()[0][:300]
        raise ConfigError(f"prover.trl: TRL's {config_cls.__name__} refused {settings}: {message}") from None
