"""Subtly wrong versions of a reference solution, for verifier tests and weak judges.

``corrupt_step`` changes one step's result by a small offset and recomputes every later step from
it, so the solution stays internally consistent except for that one step, and its final answer is
wrong (the ``arithmetic`` family's chains allow any step; other families only their last step).
``corrupt_final`` changes only the ``#### N`` line. Both work on solutions made of
``expression = value`` lines (the generators' reference solutions); ``corrupt_step`` returns
``None`` when no corruption keeps every later value whole (so no fraction gives the change away).
"""

from __future__ import annotations

import random

import sympy

from envs import arith
from envs.generators import fmt

OFFSETS = tuple(d for d in range(-9, 10) if d)


def _parse_lines(solution: str) -> tuple[list[tuple[str, sympy.Rational]], str]:
    """``[(lhs text, value), ...]`` for the step lines, and the final answer text."""
    *lines, final = solution.strip().splitlines()
    if not final.startswith("#### "):
        raise ValueError("solution must end with a '#### <answer>' line")
    steps = []
    for line in lines:
        lhs, _, rhs = line.rpartition(" = ")
        steps.append((lhs, arith.evaluate(rhs)))
    return steps, final[5:]


def _leading_operand(lhs: str, value: sympy.Rational) -> str | None:
    """The text with which ``lhs`` starts when that is ``value`` (``63`` or ``(-15)``), else ``None``."""
    for text in (f"({fmt(value)})", fmt(value)):
        if lhs.startswith(text + " "):
            return text
    return None


def corruptible_steps(solution: str) -> list[int]:
    """Indices of steps whose change can be followed through the rest of the solution.

    A change propagates only along a chain in which each later line starts with the previous
    line's result (``63 * 2 = 126`` after ``99 - 36 = 63``); the last step is always corruptible.
    """
    steps, _ = _parse_lines(solution)
    chained_from = len(steps) - 1
    while chained_from > 0 and _leading_operand(steps[chained_from][0], steps[chained_from - 1][1]):
        chained_from -= 1
    return list(range(chained_from, len(steps)))


def corrupt_step(solution: str, rng: random.Random, step: int | None = None) -> str | None:
    """``solution`` with one step's result off by 1–9 and every later step following from it.

    ``step`` defaults to a random one of :func:`corruptible_steps`. Returns ``None`` if no offset
    keeps all later results whole and of the same sign, or if ``step`` cannot be propagated.
    """
    steps, _ = _parse_lines(solution)
    allowed = corruptible_steps(solution) if steps else []
    index = rng.choice(allowed) if step is None and allowed else step
    if index not in allowed:
        return None
    offsets = list(OFFSETS)
    rng.shuffle(offsets)
    for offset in offsets:
        candidate = _propagate(steps, index, offset)
        if candidate is not None:
            return candidate
    return None


def _propagate(steps: list[tuple[str, sympy.Rational]], index: int, offset: int) -> str | None:
    lines = [f"{lhs} = {fmt(value)}" for lhs, value in steps[:index]]
    lhs, old = steps[index]
    new = old + offset
    lines.append(f"{lhs} = {fmt(new)}")
    for lhs, value in steps[index + 1 :]:
        operand = _leading_operand(lhs, old)
        new_operand = f"({fmt(new)})" if new < 0 or operand.startswith("(") else fmt(new)
        new_lhs = new_operand + lhs[len(operand) :]
        try:
            old, new = value, arith.evaluate(new_lhs)
        except arith.ArithError:
            return None
        lines.append(f"{new_lhs} = {fmt(new)}")
    if new.q != 1 or (new < 0) != (old < 0):
        return None  # a fraction or a sign flip would give the change away
    lines.append(f"#### {fmt(new)}")
    return "\n".join(lines)


def corrupt_final(solution: str, rng: random.Random) -> str:
    """``solution`` with only its ``#### N`` line off by 1–9."""
    steps, answer = _parse_lines(solution)
    body = solution.strip().rpartition("\n")[0] if steps else ""
    wrong = arith.evaluate(answer) + rng.choice(OFFSETS)
    return f"{body}\n#### {fmt(wrong)}" if body else f"#### {fmt(wrong)}"
