"""Loading a config: a YAML file, then ``--section.key value`` overrides (TRL ``TrlParser`` style).

``--config FILE`` loads YAML; every other ``--key value`` or ``--key=value`` (dotted for sections,
e.g. ``--prover.learning_rate 3e-4``) overrides it; a boolean key alone (``--push_to_hub.enabled``)
means true. Unknown keys, values of the wrong type and values outside a field's choices or bounds
are :class:`ConfigError`\\ s naming the key, the value and the fix.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from pathlib import Path

import yaml

from selfplay.config.fields import ConfigError, shown
from selfplay.config.sections import DERIVED_SEEDS, RunConfig
from selfplay.run_folder import read_saved_config, with_keys_older_folders_lack

TRUE, FALSE = ("true", "1", "yes"), ("false", "0", "no")


def _coerce_scalar(value: object, annotation: object) -> object:
    if annotation is bool:
        if isinstance(value, str):
            if value.lower() not in TRUE + FALSE:
                raise ValueError(value)
            return value.lower() in TRUE
        if not isinstance(value, (bool, int)):
            raise ValueError(value)
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
    raise TypeError(annotation)


def _coerce(value: object, annotation: object, key: str) -> object:
    """``value`` (from YAML or a CLI string) as the field's type, or :class:`ConfigError`; an
    ``object`` value is kept as given (``prover.trl``'s values are typed by TRL's config class)."""
    if annotation is object:
        return value
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
            raise ConfigError(f"{key}: expected a list, got {shown(value)}")
        return [_coerce(item, args[0], key) for item in items]
    try:
        return _coerce_scalar(value, annotation)
    except (TypeError, ValueError, OverflowError):
        name = getattr(annotation, "__name__", annotation)
        raise ConfigError(f"{key}: {shown(value)} is not a valid {name}") from None


def _coerce_mapping(value: object, value_type: type, key: str) -> dict:
    """A mapping field: a YAML mapping, or on the command line ``name=weight,name=weight`` or a YAML
    flow mapping (``{stepwise: 1}``); ``{}`` or an empty string is the empty mapping."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("{"):
            try:
                value = yaml.safe_load(text)
            except yaml.YAMLError:
                raise ConfigError(
                    f"{key}: {shown(value)} is not a YAML mapping such as {{stepwise: 1}}"
                ) from None
        else:
            items = [item.partition("=") for item in text.split(",") if item.strip()]
            if any(not sep for _, sep, _ in items):
                raise ConfigError(
                    f"{key}: {shown(value)}: expected name=weight,name=weight (e.g. stepwise=1,compressed=1)"
                )
            value = {name.strip(): weight.strip() for name, _, weight in items}
    if not isinstance(value, dict):
        raise ConfigError(
            f"{key}: expected a mapping such as {{stepwise: 1, compressed: 1}}, got {shown(value)}"
        )
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
                raise ConfigError(f"{full}: expected a section (mapping), got {shown(value)}")
            _apply(current, value, f"{full}.")
        elif isinstance(current, dict) and isinstance(value, dict):
            # a mapping given key by key (--prover.trl.use_vllm true) adds to what YAML set
            setattr(target, key, current | _coerce(value, hints[key], full))
        else:
            setattr(target, key, _coerce(value, hints[key], full))


MAX_CONFIG_BYTES = 1_000_000


class _NoAliasLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that refuses aliases: a config needs none, and a few hundred bytes of
    nested aliases expand to gigabytes (a "billion laughs" file)."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark
            raise yaml.composer.ComposerError(None, None, "aliases (*name) are not allowed in a config", mark)
        return super().compose_node(parent, index)


def _read_yaml(path: Path) -> dict:
    if not path.is_file():
        raise ConfigError(f"--config {path}: no such file")
    if path.stat().st_size > MAX_CONFIG_BYTES:
        size = path.stat().st_size
        raise ConfigError(f"--config {path}: {size} bytes; a config file is at most {MAX_CONFIG_BYTES}")
    try:
        loaded = yaml.load(path.read_text(), Loader=_NoAliasLoader) or {}
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(err, "problem", None) or "not valid YAML"
        raise ConfigError(f"--config {path}: {problem}{where}; fix the YAML there") from None
    if not isinstance(loaded, dict):
        raise ConfigError(f"--config {path}: expected a mapping at the top level")
    return loaded


def _is_bool_key(key: str) -> bool:
    node: object = RunConfig()
    *parents, leaf = key.split(".")
    for parent in parents:
        node = getattr(node, parent, None)
        if not dataclasses.is_dataclass(node):
            return False
    hints = typing.get_type_hints(type(node)) if dataclasses.is_dataclass(node) else {}
    return hints.get(leaf) is bool


def _overrides(args: list[str]) -> tuple[dict, list[str]]:
    """``--key value`` / ``--key=value`` / a bare boolean ``--key`` as a nested dict, and the
    remaining bare flags (switches for the caller)."""
    overrides: dict = {}
    switches: list[str] = []
    i = 0
    while i < len(args):
        flag = args[i]
        if not flag.startswith("--"):
            raise ConfigError(f"unexpected argument {flag!r}; options look like --prover.learning_rate 1e-3")
        key, eq, value = flag[2:].partition("=")
        if eq:
            i += 1
        elif i + 1 < len(args) and not args[i + 1].startswith("--"):
            value, i = args[i + 1], i + 2
        elif _is_bool_key(key):
            value, i = "true", i + 1
        else:
            switches.append(flag)
            i += 1
            continue
        node = overrides
        *parents, leaf = key.split(".")
        for parent in parents:
            node = node.setdefault(parent, {})
        node[leaf] = value
    return overrides, switches


def _rebuilt(section: object) -> object:
    """The section built anew from its values, so its field checks run after the overrides."""
    return type(section)(**{f.name: getattr(section, f.name) for f in dataclasses.fields(section)})


def _given(updates: dict, prefix: str = "") -> set[str]:
    """The dotted keys a YAML file or the overrides set."""
    keys = set()
    for key, value in updates.items():
        keys |= _given(value, f"{prefix}{key}.") if isinstance(value, dict) else {f"{prefix}{key}"}
    return keys


def derive_seeds(config: RunConfig, given: set[str]) -> None:
    """One seed scheme: every section seed not given explicitly is the top-level ``seed``."""
    for section, name in DERIVED_SEEDS:
        if f"{section}.{name}" not in given:
            setattr(getattr(config, section), name, config.seed)


def _finish(config: RunConfig) -> RunConfig:
    for f in dataclasses.fields(config):
        if dataclasses.is_dataclass(getattr(config, f.name)):
            setattr(config, f.name, _rebuilt(getattr(config, f.name)))
    config.problems.test_source = config.problems.resolved_test_source()
    config.validate()
    return config


def load_config(argv: list[str]) -> tuple[RunConfig, list[str]]:
    """Parse ``--config FILE`` and overrides; returns the checked config and the bare flags left
    over (the standalone switches the caller handles, e.g. ``--overwrite_config``)."""
    config, given = RunConfig(), set()
    args = [part for arg in argv for part in (arg.split("=", 1) if arg.startswith("--config=") else [arg])]
    if "--config" in args:
        at = args.index("--config")
        if at + 1 >= len(args):
            raise ConfigError("--config needs a YAML file path")
        path = Path(args.pop(at + 1))
        args.pop(at)
        loaded = _read_yaml(path)
        _apply(config, loaded)
        given = _given(loaded)
    overrides, switches = _overrides(args)
    _apply(config, overrides)
    derive_seeds(config, given | _given(overrides))
    return _finish(config), switches


def load_run_config(run_dir: str | Path) -> RunConfig:
    """The resolved config saved in a run folder's ``config.yaml``; errors name the folder."""
    path = Path(run_dir) / "config.yaml"
    if not path.is_file():
        raise ConfigError(f"{run_dir}: no config.yaml; is this a run folder made by `pvg train`?")
    saved = read_saved_config(path)
    if saved is None:
        raise ConfigError(f"{path}: no 'config' section")
    config = RunConfig()
    _apply(config, with_keys_older_folders_lack(saved))
    return _finish(config)
