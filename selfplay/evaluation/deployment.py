"""Deployment best-of-n: how a trained verifier is used at test time, measured per round.

For a prover, ``max(ns)`` helpful samples are drawn once per test problem; for every n in ``ns``
the first n of them are given to each selection rule (``selfplay.inference.select``) and the
chosen sample graded by the checker, so every rule and n sees the same samples. ``pass@n`` (any
of the n correct) is the ceiling. Unlike ``pvg eval``'s balanced best-of-n (half correct, half
incorrect draws: a robustness probe), this is the accuracy a user of the verifier gets.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from statistics import mean

from envs.answers import final_answer_text
from selfplay.inference.select import RULES, pass_at_n, select

DEPLOY_N = (1, 2, 4, 8, 16, 32, 64)
MATRIX_N = 16  # the verifier-round x prover-round matrix: weighted vote at this n
MATRIX_RULE = "weighted"


@dataclass
class DeployConfig:
    """Deployment settings. Units: problems, samples per problem."""

    problems: int = 100  # test-split problems (0: no deployment evaluation)
    ns: list[int] = field(default_factory=lambda: list(DEPLOY_N))


def curves(
    groups: Sequence[dict], ns: Sequence[int], rules: Sequence[str] = RULES
) -> dict[str, dict[str, float]]:
    """Accuracy per rule (and ``pass@n``) for each n: ``{rule: {str(n): accuracy}}``.

    ``groups``: one per problem, ``{"answers": [...], "correct": [...], "scores": [...] | None}``
    over the same samples in draw order. A rule that needs scores is left out when a group has none.
    """
    out: dict[str, dict[str, float]] = {}
    usable = [
        rule
        for rule in rules
        if rule in ("first", "majority") or all(g["scores"] is not None for g in groups)
    ]
    for rule in (*usable, "pass@n"):
        out[rule] = {}
        for n in ns:
            hits = []
            for g in groups:
                answers, correct = g["answers"][:n], g["correct"][:n]
                if rule == "pass@n":
                    hits.append(pass_at_n(correct))
                    continue
                scores = g["scores"][:n] if g["scores"] is not None else None
                chosen = select(rule, answers, scores)
                hits.append(chosen is not None and correct[chosen])
            out[rule][str(n)] = mean(hits) if hits else 0.0
    return out


def grouped(rows: Sequence[dict], scores: Sequence[float] | None) -> list[dict]:
    """Sample rows (one prover, helpful role, several per problem in draw order) as one group per
    problem for :func:`curves`, with ``scores`` (one per row) or none."""
    by_problem: dict[str, dict] = {}
    answers = [final_answer_text(row["completion"]) for row in rows]
    for i, row in enumerate(rows):
        group = by_problem.setdefault(row["problem_id"], {"answers": [], "correct": [], "scores": []})
        group["answers"].append(answers[i])
        group["correct"].append(bool(row["correct"]))
        group["scores"].append(None if scores is None else scores[i])
    for group in by_problem.values():
        if scores is None:
            group["scores"] = None
    return list(by_problem.values())


def verifier_beats_majority(curve: dict[str, dict[str, float]]) -> list[tuple[int, str, float]]:
    """Where a verifier rule beats the majority vote: ``(n, rule, margin)`` for each n and rule
    whose accuracy is above majority's, in order of n."""
    wins = []
    for n in curve["majority"]:
        for rule in ("verifier", "weighted"):
            if rule in curve and curve[rule][n] > curve["majority"][n]:
                wins.append((int(n), rule, round(curve[rule][n] - curve["majority"][n], 4)))
    return wins
