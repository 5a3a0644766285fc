"""Choosing one of a prover's n samples for a problem: the rules a deployed verifier is used with.

Every rule sees the samples' extracted final answers (``None``: the sample has none, and such a
sample never wins) and, for the verifier's rules, their verifier scores (one logit each; higher
means more likely correct). Answers are compared by the environment's checker
(``envs.checker.same_answer``), so ``1,080`` and ``1080`` or ``0.5`` and ``1/2`` are one answer.

- ``first``: the first sample with an answer (plain sampling, no choosing).
- ``majority``: the answer most samples give (self-consistency); ties go to the answer whose
  best sample the verifier scores highest when scores are given, else to the one seen first.
- ``verifier``: the sample the verifier scores highest (ties: the first).
- ``weighted``: each sample votes for its answer with weight ``softmax(score / T)`` over the n
  samples with an answer (``T`` = ``temperature``, 1 by default); the answer with the largest total
  wins (ties: the one seen first).

Each rule returns the index of the chosen sample: the answer's first sample for ``majority`` without
scores, else its highest-scored sample. ``pass_at_n`` is the oracle ceiling.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from envs.checker import same_answer

RULES = ("first", "majority", "verifier", "weighted")
Same = Callable[[str, str], bool]


def answer_groups(answers: Sequence[str | None], same: Same = same_answer) -> list[list[int]]:
    """Indices of the samples with an answer, grouped by equal answers, groups in order of first
    appearance (each answer is compared with each group's first member).

    >>> answer_groups(["1,080", None, "7", "1080"])
    [[0, 3], [2]]
    """
    groups: list[list[int]] = []
    for index, answer in enumerate(answers):
        if answer is None:
            continue
        for group in groups:
            if same(answers[group[0]], answer):
                group.append(index)
                break
        else:
            groups.append([index])
    return groups


def _best(indices: Sequence[int], scores: Sequence[float] | None) -> int:
    """The highest-scored of ``indices`` (the first on ties), or the first without scores."""
    if scores is None:
        return indices[0]
    return max(indices, key=lambda i: (scores[i], -i))


def select(
    rule: str,
    answers: Sequence[str | None],
    scores: Sequence[float] | None = None,
    *,
    temperature: float = 1.0,
    same: Same = same_answer,
) -> int | None:
    """The index of the sample ``rule`` chooses, or ``None`` when no sample has an answer."""
    if rule not in RULES:
        raise ValueError(f"unknown selection rule {rule!r}; choose from {', '.join(RULES)}")
    if rule in ("verifier", "weighted") and scores is None:
        raise ValueError(f"rule {rule!r} needs verifier scores")
    answered = [i for i, answer in enumerate(answers) if answer is not None]
    if not answered:
        return None
    if rule == "first":
        return answered[0]
    if rule == "verifier":
        return _best(answered, scores)
    groups = answer_groups(answers, same)
    if rule == "majority":
        tie_break = (lambda g: scores[_best(g, scores)]) if scores is not None else (lambda g: 0.0)
        chosen = max(groups, key=lambda g: (len(g), tie_break(g), -g[0]))
        return _best(chosen, scores)
    weights = softmax([scores[i] / temperature for i in answered])
    weight_of = dict(zip(answered, weights, strict=True))
    chosen = max(groups, key=lambda g: (round(sum(weight_of[i] for i in g), 12), -g[0]))
    return _best(chosen, scores)


def softmax(values: Sequence[float]) -> list[float]:
    """Numerically stable softmax.

    >>> [round(w, 3) for w in softmax([0.0, math.log(3)])]
    [0.25, 0.75]
    """
    top = max(values)
    exps = [math.exp(v - top) for v in values]
    total = sum(exps)
    return [e / total for e in exps]


def pass_at_n(correct: Sequence[bool]) -> bool:
    """The oracle: whether any of the samples is correct."""
    return any(correct)
