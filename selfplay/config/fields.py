"""Config fields that carry their own documentation and bounds, and the check that applies them.

Every field of a config section is made by :func:`opt`: one default, a help text (with its unit),
and optionally its allowed ``choices`` and bounds (``ge``/``gt``/``le``/``lt``). ``pvg train
--help`` and docs/configuration.md are generated from the same metadata, and :func:`check_fields`
enforces it whenever a section is built, so a bad value fails at load, before any model exists.
"""

from __future__ import annotations

import copy
import dataclasses
import reprlib
from typing import Any

BOUNDS = {"ge": ">=", "gt": ">", "le": "<=", "lt": "<"}


class ConfigError(ValueError):
    """A configuration value or key that cannot be used; the message names it and the fix."""


def opt(default: Any, help: str, *, choices: tuple | None = None, **bounds: float) -> Any:
    """A dataclass field with ``help`` (meaning and unit), ``choices`` and bounds in its metadata;
    mutable defaults (lists, dicts) are copied per instance."""
    unknown = set(bounds) - set(BOUNDS)
    if unknown:
        raise TypeError(f"opt: unknown bound {sorted(unknown)[0]!r}; use {', '.join(BOUNDS)}")
    metadata = {"help": help, "choices": choices, "bounds": bounds}
    if isinstance(default, (list, dict)):
        return dataclasses.field(default_factory=lambda: copy.deepcopy(default), metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


def rule(field: dataclasses.Field) -> str:
    """The field's allowed values in words (``one of a, b``; ``> 0``), empty when any value goes."""
    parts = []
    if field.metadata.get("choices"):
        parts.append("one of " + ", ".join(str(c) for c in field.metadata["choices"]))
    parts += [f"{BOUNDS[name]} {limit:g}" for name, limit in field.metadata.get("bounds", {}).items()]
    return "; ".join(parts)


# Error messages quote a value through reprlib: bounded however long or deeply nested it is.
_SHORT = reprlib.Repr()  # (keyword arguments only from Python 3.12)
_SHORT.maxstring, _SHORT.maxother, _SHORT.maxlist, _SHORT.maxdict, _SHORT.maxlevel = 60, 60, 6, 6, 3


def shown(value: Any) -> str:
    """A short ``repr`` of ``value`` for an error message (a huge or deeply nested value, a pasted
    file, a YAML bomb, makes a short message, not a huge one).

    >>> len(shown("x" * 200))
    60
    >>> shown(list(range(100)))
    '[0, 1, 2, 3, 4, 5, ...]'
    """
    return _SHORT.repr(value)


def _violates(value: Any, field: dataclasses.Field) -> bool:
    choices = field.metadata.get("choices")
    values = value if isinstance(value, list) else [value]
    if choices and any(v not in choices for v in values):
        return True
    checks = {
        "ge": lambda v, b: v >= b,
        "gt": lambda v, b: v > b,
        "le": lambda v, b: v <= b,
        "lt": lambda v, b: v < b,
    }
    numbers = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
    return any(
        not checks[name](v, limit)
        for name, limit in field.metadata.get("bounds", {}).items()
        for v in numbers
    )


def check_fields(section: Any, prefix: str) -> None:
    """Raise :class:`ConfigError` for the first field of ``section`` outside its choices or bounds;
    ``None`` passes (the type says whether it is allowed)."""
    for field in dataclasses.fields(section):
        value = getattr(section, field.name)
        if value is None or dataclasses.is_dataclass(value) or not rule(field):
            continue
        if _violates(value, field):
            key = f"{prefix}{field.name}"
            why = (
                field.metadata["help"]
                if field.metadata.get("choices")
                else f"the default is {default_text(field)}"
            )
            bad = [v for v in value if _violates(v, field)] if isinstance(value, list) else [value]
            first_bad = bad[0] if bad else value  # a list names its first bad item
            raise ConfigError(f"{key}: {shown(first_bad)} is not allowed; it must be {rule(field)} ({why})")


def default_text(field: dataclasses.Field) -> str:
    """The field's default as the command line would take it."""
    value = field.default_factory() if field.default is dataclasses.MISSING else field.default
    if value is None:
        return "null"
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    if isinstance(value, bool):
        return str(value).lower()
    return f"{value:g}" if isinstance(value, float) else str(value)
