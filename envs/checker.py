"""Grade a completion against a gold answer: the environment's one verdict function.

``check_completion`` extracts the final answer (:mod:`envs.answers`), evaluates both sides with
the whitelisted exact evaluator (:mod:`envs.arith`) and compares the sympy numbers exactly. Only
when a side is not plain arithmetic (``\\sqrt{2}``, ``\\pi``, a tuple) does it ask math-verify, in
a pool of killable child processes with a CPU-time budget each (:mod:`envs.latex_sandbox`);
:func:`check_batch` grades a batch from several threads, so those comparisons run in parallel.
It also checks every ``expression = value`` step (:mod:`envs.steps`). It never raises on model
text: every failure is a verdict with a reason.

Reasons: ``correct``, ``wrong_answer``, ``no_answer`` (no marker found), ``parse_error`` (the
answer is not a number or LaTeX math), ``oversize`` (over a size bound), ``timeout`` (the LaTeX
comparison used up its CPU-time budget), ``gold_invalid`` (the gold answer itself is unusable).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import sympy

from envs import arith
from envs.answers import extract_final_answer, gold_answer_text, normalise_gold, relations, tidy_answer
from envs.bounded_cache import cached_by_bytes
from envs.latex_sandbox import LatexSandbox, shared_sandbox
from envs.steps import StepSummary, StepVerdict, check_steps

CORRECT = "correct"
WRONG_ANSWER = "wrong_answer"
NO_ANSWER = "no_answer"
PARSE_ERROR = "parse_error"
OVERSIZE = "oversize"
TIMEOUT = "timeout"
GOLD_INVALID = "gold_invalid"
REASONS = (CORRECT, WRONG_ANSWER, NO_ANSWER, PARSE_ERROR, OVERSIZE, TIMEOUT, GOLD_INVALID)

MAX_COMPLETION_CHARS = 65_536
MAX_LATEX_CHARS = 1_000
MAX_LATEX_BRACE_DEPTH = 24
STEP_BUDGET_S = 0.5
NUMERIC_CACHE_BYTES = 16 << 20


@dataclass(frozen=True, slots=True)
class CheckResult:
    """The verdict on one completion. ``extracted`` is the answer text as found (or ``None``)."""

    correct: bool
    reason: str
    extracted: str | None
    steps: tuple[StepVerdict, ...]
    summary: StepSummary

    def to_dict(self) -> dict:
        """JSON-ready verdict: correctness, extracted answer, reason and the step summary."""
        return {
            "correct": self.correct,
            "extracted": self.extracted,
            "reason": self.reason,
            "steps": self.summary.to_dict(),
        }


def check_completion(
    completion: str, gold: str, *, with_steps: bool = True, sandbox: LatexSandbox | None = None
) -> CheckResult:
    """Grade ``completion`` against ``gold`` (a bare answer or a solution ending ``#### N``).

    Bounded: texts over ``MAX_COMPLETION_CHARS`` are ``oversize`` at once; arithmetic is
    size-bounded; step checking stops after ``STEP_BUDGET_S`` of this thread's CPU time; a LaTeX
    comparison stops at its CPU-time budget (or the sandbox's wall-clock ceiling). A check
    takes about a second at most.

    >>> check_completion("48/2 = 24\\n#### 24", "#### 24").reason
    'correct'
    """
    if len(completion) > MAX_COMPLETION_CHARS:
        return _result(False, OVERSIZE, None, None)
    extracted = extract_final_answer(completion)
    steps = check_steps(completion, time.thread_time() + STEP_BUDGET_S) if with_steps else None
    if extracted is None:
        return _result(False, NO_ANSWER, None, steps)
    reason = _compare(normalise_gold(gold_answer_text(gold)), tidy_answer(extracted.text), sandbox)
    return _result(reason == CORRECT, reason, extracted.text, steps)


def check_batch(
    completions: Sequence[str], golds: Sequence[str], *, with_steps: bool = True, workers: int | None = None
) -> list[CheckResult]:
    """:func:`check_completion` on each pair, in order, from ``workers`` threads (default: the
    shared sandbox's pool size), so that a batch's LaTeX comparisons run in parallel children."""
    if len(completions) != len(golds):
        raise ValueError(f"{len(completions)} completions but {len(golds)} gold answers")
    workers = workers or shared_sandbox().size
    if workers <= 1 or len(completions) <= 1:
        return [
            check_completion(c, g, with_steps=with_steps) for c, g in zip(completions, golds, strict=True)
        ]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(
            pool.map(
                lambda pair: check_completion(*pair, with_steps=with_steps),
                zip(completions, golds, strict=True),
            )
        )


def same_answer(first: str, second: str, *, sandbox: LatexSandbox | None = None) -> bool:
    """Whether two extracted final answers are the same value by the rules that grade a completion
    against a gold answer (``1,080`` and ``1080``, ``0.5`` and ``1/2``; LaTeX through
    math-verify in the bounded child). Bounded as :func:`check_completion` is.

    >>> same_answer("1,080", "1080"), same_answer("0.5", "1/2"), same_answer("3", "4")
    (True, True, False)
    """
    if max(len(first), len(second)) > MAX_COMPLETION_CHARS:
        return False
    return _compare(tidy_answer(first), tidy_answer(second), sandbox) == CORRECT


def _result(correct: bool, reason: str, extracted: str | None, steps) -> CheckResult:
    verdicts, summary = steps if steps is not None else ((), StepSummary(0, 0, 0, 0, 0.0, None))
    return CheckResult(correct, reason, extracted, verdicts, summary)


def _compare(gold: str, pred: str, sandbox: LatexSandbox | None) -> str:
    if relations(pred) > relations(gold):
        return WRONG_ANSWER  # a final answer is one value: ``73 = 72`` or ``72 \approx 73`` is not 72
    if _comma_in_brackets(gold) or _comma_in_brackets(pred):
        return _compare_latex(gold, pred, sandbox)  # ``(2,500)``: a pair, or 2500? math-verify decides
    gold_value = numeric_value(gold)
    if isinstance(gold_value, str) and gold_value != arith.UNSUPPORTED:
        return GOLD_INVALID
    pred_value = numeric_value(pred)
    if not isinstance(gold_value, str) and not isinstance(pred_value, str):
        return CORRECT if gold_value == pred_value else WRONG_ANSWER
    if isinstance(pred_value, str) and pred_value != arith.UNSUPPORTED:
        return OVERSIZE if pred_value == arith.OVERSIZE else PARSE_ERROR
    return _compare_latex(gold, pred, sandbox)


def _comma_in_brackets(text: str) -> bool:
    """Whether a comma sits inside ``(...)`` or ``[...]``: a tuple or an interval, not a number
    with a thousands separator, so the numeric fast path must not read it.

    >>> _comma_in_brackets("(2,500)"), _comma_in_brackets("2,500"), _comma_in_brackets("[0,111)")
    (True, False, True)
    """
    depth = 0
    for char in text:
        if char in "([":
            depth += 1
        elif char in ")]":
            depth = max(depth - 1, 0)
        elif char == "," and depth:
            return True
    return False


def _compare_latex(gold: str, pred: str, sandbox: LatexSandbox | None) -> str:
    if len(pred) > MAX_LATEX_CHARS or _brace_depth(pred) > MAX_LATEX_BRACE_DEPTH:
        return OVERSIZE
    outcome = (sandbox or shared_sandbox()).compare(gold, pred)
    return {"equal": CORRECT, "different": WRONG_ANSWER, "unparsed": PARSE_ERROR}.get(outcome, TIMEOUT)


@cached_by_bytes(NUMERIC_CACHE_BYTES)
def numeric_value(answer: str) -> sympy.Rational | str:
    """Exact value of a tidied answer, or the :mod:`envs.arith` reason it has none.

    Cached (by bytes, not entries: answers can be long) because gold answers repeat across a
    group of samples.
    """
    try:
        return arith.evaluate(answer)
    except arith.ArithError as err:
        return err.reason


def _brace_depth(text: str) -> int:
    depth = deepest = 0
    for char in text:
        if char == "{":
            depth += 1
            deepest = max(deepest, depth)
        elif char == "}":
            depth -= 1
    return deepest
