"""Procedural math problems built on sympy, each with a checkable reference solution.

Four families: ``arithmetic`` (multi-step word problems, 2–6 steps), ``linear`` (one unknown,
solved with ``sympy.solve``), ``fractions`` (fractions and ratios) and ``percent`` (percentages
and rates). Every reference solution is lines of ``expression = value`` followed by
``#### <answer>``, so it grades correct and every step verifies (the tests pin both).

Problem ``i`` of a family depends only on ``(family, seed, i, config)``: the same seed gives
byte-identical problems, and asking for more problems extends the list without changing it.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import sympy

from envs.problems import Problem

NAMES = ("Ava", "Ben", "Chloe", "Dev", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jamal", "Kira", "Liam")
GOODS = ("jacket", "bike", "lamp", "backpack", "watch", "guitar", "kettle", "tent")
ITEMS = ("apples", "stickers", "marbles", "pencils", "cookies", "stamps", "shells", "cards")


@dataclass(frozen=True)
class GeneratorConfig:
    """Difficulty knobs.

    ``min_steps``/``max_steps``: operations in an ``arithmetic`` problem (2–6).
    ``max_value``: the largest starting quantity or coefficient scale (a positive integer).
    ``integer_answers``: ``linear`` and ``fractions`` problems have whole-number answers.
    ``max_total``: the largest quantity an ``arithmetic`` problem reaches at any step (``None``:
    no bound beyond ``max_value``'s); it keeps the arithmetic facts a tiny model must learn few.
    """

    min_steps: int = 2
    max_steps: int = 6
    max_value: int = 100
    integer_answers: bool = False
    max_total: int | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.min_steps <= self.max_steps <= 12:
            raise ValueError(
                f"need 1 <= min_steps <= max_steps <= 12, got {self.min_steps}, {self.max_steps}"
            )
        if self.max_value < 10:
            raise ValueError(f"max_value must be at least 10, got {self.max_value}")
        if self.max_total is not None and self.max_total < self.max_value + 4:
            raise ValueError(f"max_total must be at least max_value + 4, got {self.max_total}")


def fmt(value: sympy.Rational) -> str:
    """Exact text of a number: ``12``, ``-3``, ``5/6``; terminating decimals as ``12.5``."""
    value = sympy.Rational(value)
    if value.q == 1:
        return str(value.p)
    q = int(value.q)
    while q % 2 == 0:
        q //= 2
    while q % 5 == 0:
        q //= 5
    if q == 1:
        return str(sympy.Float(value, 30)).rstrip("0")
    return f"{value.p}/{value.q}"


def _term(value: sympy.Rational) -> str:
    """A number as an operand: negatives and fractions in parentheses."""
    text = fmt(value)
    return f"({text})" if value < 0 or "/" in text else text


def _as_fraction(value: sympy.Rational) -> str:
    """``p/q`` in lowest terms (``-1/6``), or a whole number."""
    return str(value.p) if value.q == 1 else f"{value.p}/{value.q}"


def _problem(family: str, seed: int, index: int, question: str, steps: list[str], answer) -> Problem:
    answer = sympy.Rational(answer)
    solution = "\n".join([*steps, f"#### {fmt(answer)}"])
    return Problem(
        id=f"{family}-{seed}-{index:06d}",
        question=question,
        answer=fmt(answer),
        source=f"generated/{family}",
        value=answer,
        solution=solution,
        meta={"family": family, "seed": seed, "index": index, "n_steps": len(steps)},
    )


def _arithmetic(rng: random.Random, cfg: GeneratorConfig) -> tuple[str, list[str], sympy.Rational]:
    name, item = rng.choice(NAMES), rng.choice(ITEMS)
    total = sympy.Integer(rng.randint(5, cfg.max_value))
    sentences, steps = [f"{name} has {total} {item}."], []
    for _ in range(rng.randint(cfg.min_steps, cfg.max_steps)):
        sentence, line, total = _arithmetic_step(rng, cfg, name, item, total)
        sentences.append(sentence)
        steps.append(line)
    sentences.append(f"How many {item} does {name} have now?")
    return " ".join(sentences), steps, total


def _arithmetic_step(rng: random.Random, cfg: GeneratorConfig, name: str, item: str, total):
    room = cfg.max_total - total if cfg.max_total is not None else None  # None: unbounded
    divisors = [d for d in (2, 3, 4, 5) if total % d == 0 and total > d]
    options = ["gain"] if room is None or room >= 1 else []
    options += ["packs"] if room is None or room >= 4 else []  # the smallest pack: 2 x 2
    options += (["lose"] if total > 2 else []) + (["share"] if divisors else [])
    if total * 2 <= 10 * cfg.max_value and (room is None or total <= room):
        options.append("double")
    kind = rng.choice(options)
    if kind == "gain":
        k = rng.randint(1, cfg.max_value if room is None else min(cfg.max_value, room))
        return f"Then {name} finds {k} more {item}.", f"{total} + {k} = {total + k}", total + k
    if kind == "lose":
        k = rng.randint(1, int(total) - 1)
        return f"{name} gives {k} {item} to a friend.", f"{total} - {k} = {total - k}", total - k
    if kind == "packs":
        if room is None:
            packs, per = rng.randint(2, 6), rng.randint(2, 12)
        else:
            packs = rng.randint(2, min(6, int(room) // 2))
            per = rng.randint(2, min(12, int(room) // packs))
        new = total + packs * per
        return (
            f"{name} buys {packs} packs with {per} {item} in each.",
            f"{total} + {packs} * {per} = {new}",
            new,
        )
    if kind == "double":
        return f"{name} doubles the collection.", f"{total} * 2 = {total * 2}", total * 2
    d = rng.choice(divisors)
    return (
        f"{name} splits the {item} equally into {d} boxes and keeps one box.",
        f"{total} / {d} = {total / d}",
        total / d,
    )


def _signed(coefficient: int, text: str = "") -> str:
    return f"+ {coefficient}{text}" if coefficient >= 0 else f"- {-coefficient}{text}"


def _linear(rng: random.Random, cfg: GeneratorConfig) -> tuple[str, list[str], sympy.Rational]:
    x = sympy.Symbol("x")
    scale = max(10, cfg.max_value // 5)
    a, c = rng.sample(range(1, 10), 2)
    b = rng.randint(-scale, scale)
    # With integer answers, d is chosen so that (d - b) / (a - c) is whole.
    d = (a - c) * rng.randint(-scale, scale) + b if cfg.integer_answers else rng.randint(-scale, scale)
    (solution,) = sympy.solve(sympy.Eq(a * x + b, c * x + d), x)
    question = f"Solve for x: {a}x {_signed(b)} = {c}x {_signed(d)}. Give x as a number."
    steps = [
        f"{d} - {_term(sympy.Integer(b))} = {d - b}",
        f"{a} - {c} = {a - c}",
        f"{_term(sympy.Integer(d - b))} / {_term(sympy.Integer(a - c))} = {fmt(solution)}",
    ]
    return question, steps, solution


def _fractions(rng: random.Random, cfg: GeneratorConfig) -> tuple[str, list[str], sympy.Rational]:
    kind = rng.choice(["ratio", "part", "sum"] if not cfg.integer_answers else ["ratio", "part"])
    if kind == "ratio":
        p, q = rng.sample(range(1, 10), 2)
        k = rng.randint(2, max(2, cfg.max_value // 10))
        question = (
            f"The ratio of red to blue beads in a jar is {p}:{q}. There are {k * p} red beads. "
            "How many blue beads are there?"
        )
        return question, [f"{k * p} / {p} = {k}", f"{k} * {q} = {k * q}"], sympy.Integer(k * q)
    if kind == "part":
        b = rng.randint(2, 9)
        a = rng.randint(1, b - 1)
        n = b * rng.randint(2, max(2, cfg.max_value // b))
        given = sympy.Rational(n * a, b)
        name, item = rng.choice(NAMES), rng.choice(ITEMS)
        question = f"{name} had {n} {item} and gave away {a}/{b} of them. How many {item} are left?"
        return question, [f"{n} * {a} / {b} = {given}", f"{n} - {given} = {n - given}"], n - given
    first, second = (sympy.Rational(rng.randint(1, 11), rng.randint(2, 12)) for _ in range(2))
    op = rng.choice(["+", "-", "*"])
    total = first + second if op == "+" else first - second if op == "-" else first * second
    expression = f"{_as_fraction(first)} {op} {_as_fraction(second)}"
    question = f"What is {expression}? Give the answer as a fraction in lowest terms."
    step = f"{expression} = {_as_fraction(total)}"
    return question, [step], total


def _percent(rng: random.Random, cfg: GeneratorConfig) -> tuple[str, list[str], sympy.Rational]:
    kind = rng.choice(["discount", "growth", "rate"])
    if kind == "rate":
        r1, h1, r2, h2 = (
            rng.randint(2, max(3, cfg.max_value // 4)),
            rng.randint(2, 8),
            rng.randint(2, 20),
            rng.randint(1, 5),
        )
        question = (
            f"A machine makes {r1} parts per hour for {h1} hours, then {r2} parts per hour for {h2} "
            "hours. How many parts does it make in total?"
        )
        steps = [
            f"{r1} * {h1} = {r1 * h1}",
            f"{r2} * {h2} = {r2 * h2}",
            f"{r1 * h1} + {r2 * h2} = {r1 * h1 + r2 * h2}",
        ]
        return question, steps, sympy.Integer(r1 * h1 + r2 * h2)
    price = 4 * rng.randint(2, cfg.max_value)
    rate = 5 * rng.randint(1, 19)
    change = sympy.Rational(price * rate, 100)
    if kind == "discount":
        thing = rng.choice(GOODS)
        question = (
            f"A {thing} costs ${price}. It is on sale for {rate}% off. What is the sale price in dollars?"
        )
        return (
            question,
            [f"{price} * {rate} / 100 = {fmt(change)}", f"{price} - {fmt(change)} = {fmt(price - change)}"],
            price - change,
        )
    price = 20 * rng.randint(1, cfg.max_value)  # whole people: 20k * 5m / 100 = km
    change = sympy.Rational(price * rate, 100)
    question = (
        f"A town had {price} residents. The population grew by {rate}%. How many residents does it have now?"
    )
    return (
        question,
        [f"{price} * {rate} / 100 = {fmt(change)}", f"{price} + {fmt(change)} = {fmt(price + change)}"],
        price + change,
    )


FAMILIES: dict[str, Callable[[random.Random, GeneratorConfig], tuple[str, list[str], sympy.Rational]]] = {
    "arithmetic": _arithmetic,
    "linear": _linear,
    "fractions": _fractions,
    "percent": _percent,
}


def generate(family: str, n: int, seed: int, config: GeneratorConfig | None = None) -> list[Problem]:
    """``n`` problems of one family; problem ``i`` depends only on (family, seed, i, config)."""
    if family not in FAMILIES:
        raise ValueError(f"unknown problem family {family!r}; choose from {sorted(FAMILIES)}")
    config = config or GeneratorConfig()
    problems = []
    for index in range(n):
        rng = random.Random(f"{family}:{seed}:{index}")
        question, steps, answer = FAMILIES[family](rng, config)
        problems.append(_problem(family, seed, index, question, steps, answer))
    return problems


def generate_mixture(
    n: int, seed: int, families: Sequence[str] = tuple(FAMILIES), config: GeneratorConfig | None = None
) -> list[Problem]:
    """``n`` problems cycling through ``families`` (family ``k`` gets problems ``k, k+F, ...``)."""
    per_family = {family: generate(family, -(-n // len(families)), seed, config) for family in families}
    return [per_family[families[i % len(families)]][i // len(families)] for i in range(n)]
