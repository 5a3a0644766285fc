"""Solution styles: one problem's reference solution rendered several ways, and the style of any text.

The prover's warm start learns a repertoire from these renderings (correct styles for the helpful
role, wrong ones for the sneaky role), so that RL has behaviours to select among; ``style_of``
names the style of a model's completion so that the selection can be measured.

A reference solution (lines ``expression = value``, then ``#### <answer>``) is read as a small
program of binary operations (:func:`solution_program`): operands are numbers from the problem or
results of earlier operations. From it:

Correct styles
  ``stepwise``     one operation per line (``3 * 10 = 30`` then ``5 + 30 = 35``), every line checkable.
  ``compressed``   the whole computation on one line (``(5 + 3 * 10) * 2 = 70``); only when the
                   program is one expression of at least two operations.
  ``answer_only``  the ``#### N`` line alone.
Wrong styles (the final answer is always wrong)
  ``subtle``            ``stepwise`` with one operation's result off by 1–9 and every later line
                        computed from the wrong value, so exactly one line is wrong.
  ``blatant``           ``stepwise`` lines, all right, and a final answer that does not follow.
  ``wrong_answer_only`` a wrong ``#### N`` line alone.

:func:`style_of` classifies any text by these rules, in order (lines are the non-empty lines):

1. ``other`` unless the last line is ``#### N`` with a number ``N``, and every other line is one
   step ``expression = number`` with plain arithmetic on the left.
2. No step lines: ``answer_only``; with the true answer given and ``N`` wrong, ``wrong_answer_only``.
3. Every step right: if ``N`` differs from the last step's value, ``blatant``; else ``compressed``
   for one line with two or more operations, ``stepwise`` when every line has one operation,
   ``other`` otherwise (several lines, some with several operations).
4. Exactly one step wrong and ``N`` equal to the last step's value: ``subtle``.
5. Anything else: ``other``.

So ``stepwise`` and ``compressed`` name the form, not the correctness: a stepwise solution built on
a misread quantity is still ``stepwise``. :func:`form_of` names the form alone (``stepwise``,
``compressed``, ``answer_only`` or ``other``, by rule 1 and the operation counts), whatever the
steps' values: the accuracy of each form is the room RL has to select among them.
Everything here is pure and bounded: texts longer than ``MAX_CHARS`` are ``other``.
"""

from __future__ import annotations

import functools
import itertools
import random
import re
from collections.abc import Mapping
from dataclasses import dataclass

import sympy

from envs import arith
from envs.checker import check_completion
from envs.corrupt import OFFSETS
from envs.generators import fmt
from envs.problems import Problem

CORRECT_STYLES = ("stepwise", "compressed", "answer_only")
WRONG_STYLES = ("subtle", "blatant", "wrong_answer_only")
STYLES = (*CORRECT_STYLES, *WRONG_STYLES)
OTHER = "other"
FORMS = ("stepwise", "compressed", "answer_only", OTHER)
MAX_CHARS = 4096  # longer texts are ``other`` without parsing
MAX_LINES = 64

_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2}
_OPERAND_RE = re.compile(r"\((-?\d+(?:\.\d+)?)\)|(\d+(?:\.\d+)?)|([-+*/])|(\S)")
_FINAL_RE = re.compile(r"^####\s*(\S.*)$")


@dataclass(frozen=True)
class Ref:
    """An operand that is the result of operation ``index`` of the program."""

    index: int


Operand = sympy.Rational | Ref


@dataclass(frozen=True)
class Operation:
    """``left op right``; ``value`` is its exact result."""

    op: str
    left: Operand
    right: Operand
    value: sympy.Rational


# --- reading a reference solution as a program ------------------------------------------------


def _line_tokens(lhs: str) -> list[str | sympy.Rational] | None:
    """Numbers and operators of a reference line's left side, or ``None`` if it is anything else."""
    tokens: list[str | sympy.Rational] = []
    for match in _OPERAND_RE.finditer(lhs):
        wrapped, plain, op, junk = match.groups()
        if junk is not None:
            return None
        tokens.append(op if op else sympy.Rational(wrapped or plain))
    operands_at_even = all(isinstance(t, str) == (i % 2 == 1) for i, t in enumerate(tokens))
    return tokens if tokens and len(tokens) % 2 == 1 and operands_at_even else None


def _compile_line(tokens: list, program: list[Operation], results: list[int]) -> int | None:
    """Append the line's operations (precedence, left to right) to ``program``; return the index of
    its last one. The first operand equal to an earlier line's result not yet used becomes a
    reference to it."""
    unused = list(results)
    operands: list[Operand] = []
    for token in tokens[::2]:
        match = next((i for i in reversed(unused) if program[i].value == token), None)
        if match is not None:
            unused.remove(match)
            operands.append(Ref(match))
        else:
            operands.append(token)
    ops = tokens[1::2]
    if not ops:
        return None
    output, pending = [operands[0]], []
    for op, operand in zip(ops, operands[1:], strict=True):
        while pending and _PRECEDENCE[pending[-1]] >= _PRECEDENCE[op]:
            _emit(pending.pop(), output, program)
        pending.append(op)
        output.append(operand)
    while pending:
        _emit(pending.pop(), output, program)
    return len(program) - 1


def _emit(op: str, output: list[Operand], program: list[Operation]) -> None:
    right, left = output.pop(), output.pop()
    value = _apply(op, _value(left, program), _value(right, program))
    program.append(Operation(op, left, right, value))
    output.append(Ref(len(program) - 1))


def _value(operand: Operand, program: list[Operation]) -> sympy.Rational:
    return program[operand.index].value if isinstance(operand, Ref) else operand


def _apply(op: str, left: sympy.Rational, right: sympy.Rational) -> sympy.Rational:
    if op == "/" and right == 0:
        raise ZeroDivisionError
    return {"+": left + right, "-": left - right, "*": left * right, "/": left / right}[op]


@functools.lru_cache(maxsize=65_536)  # a problem is rendered many times (several styles and pairs)
def solution_program(solution: str) -> tuple[Operation, ...] | None:
    """The reference ``solution`` as operations in evaluation order, or ``None`` when a line is not
    ``number op number ... = value`` (plain or parenthesised numbers, ``+ - * /``), its value is
    off, or a result is a fraction that has no finite decimal."""
    *lines, final = solution.strip().splitlines()
    if not _FINAL_RE.match(final) or not lines:
        return None
    program: list[Operation] = []
    results: list[int] = []
    for line in lines:
        lhs, sep, rhs = line.rpartition(" = ")
        tokens = _line_tokens(lhs) if sep else None
        try:
            last = _compile_line(tokens, program, results) if tokens else None
            claimed = arith.evaluate(rhs)
        except (arith.ArithError, ZeroDivisionError):
            return None
        if last is None or program[last].value != claimed:
            return None
        results.append(last)
    # A fraction such as 11/3 would be written with a slash, which reads as one more operation.
    if any("/" in fmt(o.value) for o in program):
        return None
    return tuple(program)


# --- rendering --------------------------------------------------------------------------------


def _plain(value: sympy.Rational) -> str:
    return str(value.p) if value.q == 1 else fmt(value)  # whole numbers without sympy's formatting


def _number(value: sympy.Rational) -> str:
    """``value`` as an operand: negatives (and fractions) in parentheses."""
    text = _plain(value)
    return f"({text})" if value.p < 0 or "/" in text else text


def _operand_text(operand: Operand, values: list[sympy.Rational]) -> str:
    return _number(values[operand.index] if isinstance(operand, Ref) else operand)


def _stepwise_lines(program: tuple[Operation, ...], values: list[sympy.Rational]) -> list[str]:
    return [
        f"{_operand_text(o.left, values)} {o.op} {_operand_text(o.right, values)} = {_plain(values[i])}"
        for i, o in enumerate(program)
    ]


def _expression(program: tuple[Operation, ...], index: int) -> str:
    """Operation ``index`` as one expression with the parentheses precedence needs."""
    operation = program[index]

    def side(operand: Operand, is_right: bool) -> str:
        if not isinstance(operand, Ref):
            return _number(operand)
        child, text = program[operand.index].op, _expression(program, operand.index)
        lower = _PRECEDENCE[child] < _PRECEDENCE[operation.op]
        same_on_right = is_right and _PRECEDENCE[child] == _PRECEDENCE[operation.op] and operation.op in "-/"
        return f"({text})" if lower or same_on_right else text

    return f"{side(operation.left, False)} {operation.op} {side(operation.right, True)}"


def _is_one_expression(program: tuple[Operation, ...]) -> bool:
    """Every result but the last is used exactly once: the program is one expression tree."""
    uses = [0] * len(program)
    for operation in program:
        for operand in (operation.left, operation.right):
            if isinstance(operand, Ref):
                uses[operand.index] += 1
    return len(program) >= 2 and all(n == 1 for n in uses[:-1]) and uses[-1] == 0


def _recompute(program: tuple[Operation, ...], index: int, offset: int) -> list[sympy.Rational] | None:
    """Results with operation ``index``'s off by ``offset`` and every later one computed from it;
    ``None`` when a later result would stop being whole (where it was) or the answer would change
    sign or stay the same."""
    values: list[sympy.Rational] = []
    for i, operation in enumerate(program):
        if i == index:
            value = operation.value + offset
        elif i < index:
            value = operation.value
        else:
            try:
                value = _apply(
                    operation.op, _value_in(operation.left, values), _value_in(operation.right, values)
                )
            except ZeroDivisionError:
                return None
        if (operation.value.q == 1) != (value.q == 1):
            return None
        values.append(value)
    old, new = program[-1].value, values[-1]
    return values if new != old and (new < 0) == (old < 0) else None


def _value_in(operand: Operand, values: list[sympy.Rational]) -> sympy.Rational:
    return values[operand.index] if isinstance(operand, Ref) else operand


def _wrong_answer(answer: sympy.Rational, rng: random.Random) -> sympy.Rational:
    """``answer`` off by 1–9, keeping its sign (and whole where it was whole)."""
    for offset in rng.sample(OFFSETS, len(OFFSETS)):
        wrong = answer + offset
        if (wrong < 0) == (answer < 0):
            return wrong
    raise AssertionError("some offset keeps the sign")  # |offset| <= 9 and offsets of both signs


def render(problem: Problem | str, style: str, rng: random.Random) -> str | None:
    """``problem``'s reference solution (or a reference solution text) in ``style``; ``None`` when
    the style does not apply (no program, ``compressed`` for one operation or a non-tree program,
    ``subtle`` where no offset keeps later results whole). Wrong styles draw their error from ``rng``."""
    if style not in STYLES:
        raise ValueError(f"unknown style {style!r}; choose from {', '.join(STYLES)}")
    solution = problem if isinstance(problem, str) else problem.solution
    program = solution_program(solution) if solution else None
    if program is None:
        return None
    values = [o.value for o in program]
    answer = values[-1]
    if style == "stepwise":
        return "\n".join([*_stepwise_lines(program, values), f"#### {fmt(answer)}"])
    if style == "compressed":
        if not _is_one_expression(program):
            return None
        return f"{_expression(program, len(program) - 1)} = {fmt(answer)}\n#### {fmt(answer)}"
    if style == "answer_only":
        return f"#### {fmt(answer)}"
    if style == "blatant":
        return "\n".join([*_stepwise_lines(program, values), f"#### {fmt(_wrong_answer(answer, rng))}"])
    if style == "wrong_answer_only":
        return f"#### {fmt(_wrong_answer(answer, rng))}"
    return _subtle(program, rng)


def _subtle(program: tuple[Operation, ...], rng: random.Random) -> str | None:
    for index in rng.sample(range(len(program)), len(program)):
        for offset in rng.sample(OFFSETS, len(OFFSETS)):
            values = _recompute(program, index, offset)
            if values is not None:
                return "\n".join([*_stepwise_lines(program, values), f"#### {fmt(values[-1])}"])
    return None


def sample_style(weights: Mapping[str, float], rng: random.Random) -> str:
    """One style name drawn with probability proportional to ``weights`` (non-negative, some > 0)."""
    names = [name for name, weight in weights.items() if weight > 0]
    return rng.choices(names, weights=[weights[name] for name in names])[0]


def render_mixture(
    problem: Problem, weights: Mapping[str, float], rng: random.Random
) -> tuple[str, str] | None:
    """``(style, text)``: a style drawn from ``weights`` and ``problem`` rendered in it; a style that
    does not apply to the problem is redrawn among the others. ``None`` when none applies."""
    remaining = {name: weight for name, weight in weights.items() if weight > 0}
    while remaining:
        style = sample_style(remaining, rng)
        text = render(problem, style, rng)
        if text is not None:
            return style, text
        del remaining[style]
    return None


# --- classifying any text ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Parsed:
    steps: list[tuple[sympy.Rational, sympy.Rational, int]]  # (left value, claimed value, operations)
    final: sympy.Rational


def _binary_operations(tokens: list[arith.Token]) -> int:
    return sum(
        1
        for before, token in itertools.pairwise(tokens)
        if token.kind == "op" and before.kind in ("num", "rparen")
    )


def _parse(completion: str) -> _Parsed | None:
    """Rule 1 of the module docstring: the step lines and the final number, or ``None``."""
    if len(completion) > MAX_CHARS:
        return None
    lines = [line.strip() for line in completion.strip().splitlines() if line.strip()]
    if not lines or len(lines) > MAX_LINES:
        return None
    final = _FINAL_RE.match(lines[-1])
    try:
        final_value = arith.evaluate(final.group(1)) if final else None
        steps = []
        for line in lines[:-1]:
            if line.count("=") != 1:
                return None
            lhs, rhs = line.split("=")
            tokens = arith.tokenize(lhs)
            steps.append((arith.evaluate_tokens(tokens), arith.evaluate(rhs), _binary_operations(tokens)))
    except arith.ArithError:
        return None
    return _Parsed(steps, final_value) if final_value is not None else None


def _form(parsed: _Parsed | None) -> str:
    if parsed is None:
        return OTHER
    if not parsed.steps:
        return "answer_only"
    operations = [n for _, _, n in parsed.steps]
    if len(operations) == 1 and operations[0] >= 2:
        return "compressed"
    return "stepwise" if all(n == 1 for n in operations) else OTHER


def form_of(completion: str) -> str:
    """The form of ``completion``: ``stepwise``, ``compressed``, ``answer_only`` or ``other``
    (module docstring), whatever its steps' values."""
    return _form(_parse(completion))


def style_of(completion: str, answer: str | None = None) -> str:
    """The style of ``completion`` by the rules of the module docstring (``other`` when none fits).

    ``answer`` (the true answer) is needed only to tell ``wrong_answer_only`` from ``answer_only``.

    >>> style_of("3 * 10 = 30\\n5 + 30 = 35\\n#### 35")
    'stepwise'
    >>> style_of("3 * 10 = 31\\n5 + 31 = 36\\n#### 36")
    'subtle'
    """
    return _style(_parse(completion), completion, answer)


def style_and_form(completion: str, answer: str | None = None) -> tuple[str, str]:
    """``(style_of(completion, answer), form_of(completion))``, parsing the text once."""
    parsed = _parse(completion)
    return _style(parsed, completion, answer), _form(parsed)


def _style(parsed: _Parsed | None, completion: str, answer: str | None) -> str:
    if parsed is None:
        return OTHER
    if not parsed.steps:
        wrong = answer is not None and not check_completion(completion, answer, with_steps=False).correct
        return "wrong_answer_only" if wrong else "answer_only"
    wrong_steps = sum(value != claimed for value, claimed, _ in parsed.steps)
    follows = parsed.final == parsed.steps[-1][1]
    if wrong_steps == 0:
        return _form(parsed) if follows else "blatant"
    return "subtle" if wrong_steps == 1 and follows else OTHER


# Matched (correct, wrong) style pairs: the same form, so only the flaw tells them apart.
CONTRAST_KINDS = (("stepwise", "subtle"), ("stepwise", "blatant"), ("answer_only", "wrong_answer_only"))


def contrast_pair(
    problem: Problem, rng: random.Random, kinds: tuple[tuple[str, str], ...] = CONTRAST_KINDS
) -> tuple[str, str] | None:
    """A correct and a wrong rendering of ``problem`` of one kind drawn from ``kinds`` (a kind that
    does not apply is redrawn among the others); ``None`` when none applies."""
    for correct_style, wrong_style in rng.sample(kinds, len(kinds)):
        correct, wrong = render(problem, correct_style, rng), render(problem, wrong_style, rng)
        if correct is not None and wrong is not None:
            return correct, wrong
    return None
