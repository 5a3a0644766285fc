"""Check a solution's ``expression = value`` steps one by one.

A *step* is one ``=`` sign with an arithmetic run on each side. GSM8K's ``<<48/2=24>>``
annotations, where a line has them, are that line's steps; otherwise the line is tokenised (see
:mod:`envs.arith`) and the maximal arithmetic runs left and right of each ``=`` are compared, so
``a = b = c`` gives two steps. Each step is ``correct``, ``wrong`` or ``uncheckable`` (a side is
not plain arithmetic, e.g. ``x = 5`` or ``Total = $72``). Values must match exactly, except that
a decimal written with d >= 2 places counts as correct when it is the exact value rounded to d
places (``10/3 = 3.33``), as careful solutions round.
"""

from __future__ import annotations

import re
import time
from dataclasses import asdict, dataclass

import sympy

from envs.arith import ArithError, Token, evaluate_tokens, tokenize

CORRECT, WRONG, UNCHECKABLE = "correct", "wrong", "uncheckable"
_ARITH_KINDS = frozenset({"num", "op", "lparen", "rparen", "lbrace", "rbrace", "frac"})
ANNOTATION_RE = re.compile(r"<<([^<>]*)>>")  # GSM8K calculator annotations
_LIST_MARKER_RE = re.compile(r"^\s*(?:[-*•]|\d{1,3}[.)]|step \d{1,3}\s*[:.])\s+", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class StepVerdict:
    """One step: 1-based ``line``, the two sides as written, the verdict and, if not correct, why."""

    line: int
    expression: str
    claimed: str
    verdict: str
    reason: str = ""


@dataclass(frozen=True, slots=True)
class StepSummary:
    """Counts over a solution. ``checkable_fraction`` = lines with a checkable step / non-empty
    lines; ``correct_fraction`` = correct steps / checkable steps (``None`` when none is checkable).
    """

    n_lines: int
    n_steps: int
    n_checkable: int
    n_correct: int
    checkable_fraction: float
    correct_fraction: float | None

    def to_dict(self) -> dict:
        return asdict(self)


def check_steps(solution: str, deadline: float | None = None) -> tuple[tuple[StepVerdict, ...], StepSummary]:
    """Verdicts for every step in ``solution`` and their summary.

    ``deadline`` is a ``time.thread_time()`` instant (this thread's CPU time, so the verdicts do
    not depend on how loaded the machine is); steps not reached by then are ``uncheckable`` with
    reason ``timeout`` (the caller bounds the text length, so this is a second guard).
    """
    verdicts: list[StepVerdict] = []
    n_lines = checkable_lines = 0
    for line_no, line in enumerate(solution.splitlines(), start=1):
        if not line.strip():
            continue
        n_lines += 1
        if deadline is not None and time.thread_time() > deadline:
            line_verdicts = (
                [StepVerdict(line_no, line[:80], "", UNCHECKABLE, "timeout")] if "=" in line else []
            )
        else:
            line_verdicts = _line_steps(line_no, line)
        verdicts.extend(line_verdicts)
        checkable_lines += any(v.verdict != UNCHECKABLE for v in line_verdicts)
    n_checkable = sum(v.verdict != UNCHECKABLE for v in verdicts)
    n_correct = sum(v.verdict == CORRECT for v in verdicts)
    summary = StepSummary(
        n_lines=n_lines,
        n_steps=len(verdicts),
        n_checkable=n_checkable,
        n_correct=n_correct,
        checkable_fraction=checkable_lines / n_lines if n_lines else 0.0,
        correct_fraction=n_correct / n_checkable if n_checkable else None,
    )
    return tuple(verdicts), summary


def _line_steps(line_no: int, line: str) -> list[StepVerdict]:
    if "=" not in line:
        return []
    annotations = ANNOTATION_RE.findall(line)
    if annotations:
        return [step for text in annotations for step in _line_steps_from_tokens(line_no, text)]
    return _line_steps_from_tokens(line_no, _LIST_MARKER_RE.sub("", line, count=1))


def _line_steps_from_tokens(line_no: int, text: str) -> list[StepVerdict]:
    tokens = tokenize(text)
    eq_positions = [i for i, tok in enumerate(tokens) if tok.kind == "eq"]
    steps = []
    for pos in eq_positions:
        lhs = _trim_unbalanced(_run_before(tokens, pos), left_side=True)
        rhs = _trim_unbalanced(_run_after(tokens, pos), left_side=False)
        steps.append(_judge(line_no, text, tokens, pos, lhs, rhs))
    return steps


def _run_before(tokens: list[Token], pos: int) -> list[Token]:
    start = pos
    while start > 0 and tokens[start - 1].kind in _ARITH_KINDS:
        start -= 1
    return tokens[start:pos]


def _run_after(tokens: list[Token], pos: int) -> list[Token]:
    end = pos + 1
    while end < len(tokens) and tokens[end].kind in _ARITH_KINDS:
        end += 1
    return tokens[pos + 1 : end]


def _trim_unbalanced(run: list[Token], left_side: bool) -> list[Token]:
    """Drop parentheses that open before (or close after) the step, as in ``(5 * 3 = 15)``."""
    opens = sum(t.kind == "lparen" for t in run)
    closes = sum(t.kind == "rparen" for t in run)
    if left_side:
        while run and run[0].kind == "lparen" and opens > closes:
            run, opens = run[1:], opens - 1
    else:
        while run and run[-1].kind == "rparen" and closes > opens:
            run, closes = run[:-1], closes - 1
    return run


def _span(text: str, run: list[Token]) -> str:
    if not run:
        return ""
    return text[run[0].start : run[-1].start + len(run[-1].text)].strip()


def _judge(
    line_no: int, text: str, tokens: list[Token], pos: int, lhs: list[Token], rhs: list[Token]
) -> StepVerdict:
    expression, claimed = _span(text, lhs), _span(text, rhs)
    if not lhs or not rhs:
        return StepVerdict(line_no, expression, claimed, UNCHECKABLE, "no_expression")
    lhs_start = pos - len(lhs)
    # "20% of 80 = 16": a bare number right after a word is the end of a phrase, not the step.
    if len(lhs) == 1 and lhs_start > 0 and tokens[lhs_start - 1].kind == "word":
        return StepVerdict(line_no, expression, claimed, UNCHECKABLE, "ambiguous")
    try:
        value, claimed_value = evaluate_tokens(lhs), evaluate_tokens(rhs)
    except ArithError as err:
        return StepVerdict(line_no, expression, claimed, UNCHECKABLE, err.reason)
    if value == claimed_value or _rounds_to(value, claimed_value, rhs):
        return StepVerdict(line_no, expression, claimed, CORRECT)
    return StepVerdict(line_no, expression, claimed, WRONG, "mismatch")


def _rounds_to(value: sympy.Rational, claimed: sympy.Rational, rhs: list[Token]) -> bool:
    """True when ``rhs`` is one decimal literal with >= 2 places equal to ``value`` rounded."""
    if len(rhs) != 1 or rhs[0].kind != "num" or "." not in rhs[0].text:
        return False
    places = len(rhs[0].text.partition(".")[2])
    if places < 2:
        return False
    scale = 10**places
    return abs(value * scale - claimed * scale) <= sympy.Rational(1, 2)
