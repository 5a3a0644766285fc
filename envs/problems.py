"""Problems with known answers, and their deterministic disjoint splits.

Splits are assigned by hashing the normalised question text, so the same question lands in the
same split whatever its source, order or batch, and no question text is in two splits.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import sympy

SPLITS = ("prover", "verifier", "test")
DEFAULT_SPLIT_FRACTIONS = (0.45, 0.45, 0.10)


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem.

    ``answer`` is the gold answer text (``72``, ``-3``, ``5/6``, or LaTeX for datasets such as
    MATH-500); ``value`` its exact sympy number when it has one. ``solution`` is a reference
    solution whose last line is ``#### <answer>``, when the source has one.
    """

    id: str
    question: str
    answer: str
    source: str
    value: sympy.Rational | None = None
    solution: str | None = None
    meta: dict = field(default_factory=dict, compare=False)

    def to_dict(self) -> dict:
        """JSON-ready form (``value`` as text)."""
        return {
            "id": self.id,
            "question": self.question,
            "answer": self.answer,
            "source": self.source,
            "value": None if self.value is None else str(self.value),
            "solution": self.solution,
            "meta": self.meta,
        }


def normalise_question(question: str) -> str:
    """Case- and whitespace-insensitive form of a question, the key for splits and duplicates."""
    return " ".join(question.lower().split())


def split_of(
    question: str, fractions: Sequence[float] = DEFAULT_SPLIT_FRACTIONS, salt: str = "pvg-split-v1"
) -> str:
    """The split (``prover``/``verifier``/``test``) of a question, from a hash of its text."""
    _check_fractions(fractions)
    digest = hashlib.sha256(f"{salt}\0{normalise_question(question)}".encode()).digest()
    position = int.from_bytes(digest[:8], "big") / 2**64
    cumulative = 0.0
    for name, fraction in zip(SPLITS, fractions, strict=True):
        cumulative += fraction
        if position < cumulative:
            return name
    return SPLITS[-1]


def split_problems(
    problems: Iterable[Problem], fractions: Sequence[float] = DEFAULT_SPLIT_FRACTIONS
) -> dict[str, list[Problem]]:
    """Problems by split, input order kept; a repeated question text is kept only once."""
    _check_fractions(fractions)
    splits: dict[str, list[Problem]] = {name: [] for name in SPLITS}
    seen: set[str] = set()
    for problem in problems:
        key = normalise_question(problem.question)
        if key in seen:
            continue
        seen.add(key)
        splits[split_of(problem.question, fractions)].append(problem)
    return splits


def split_with_test(
    train: Iterable[Problem], test: Iterable[Problem], fractions: Sequence[float] = DEFAULT_SPLIT_FRACTIONS
) -> dict[str, list[Problem]]:
    """Problems by split when the test problems come from their own source (a held-out split):
    ``train`` is shared between prover and verifier in the ratio of the first two ``fractions``
    (the third is unused), and a training problem whose question is also a test question is left
    out, so no split shares a question."""
    _check_fractions(fractions)
    prover_share = fractions[0] / (fractions[0] + fractions[1]) if fractions[0] + fractions[1] else 0.5
    test_split = split_problems(test, (0.0, 0.0, 1.0))["test"]
    held_out = {normalise_question(p.question) for p in test_split}
    kept = [p for p in train if normalise_question(p.question) not in held_out]
    halves = split_problems(kept, (prover_share, 1 - prover_share, 0.0))
    # a hash at the float edge of the cumulative shares lands in "test": it belongs to the verifier
    return {"prover": halves["prover"], "verifier": halves["verifier"] + halves["test"], "test": test_split}


def _check_fractions(fractions: Sequence[float]) -> None:
    if len(fractions) != len(SPLITS) or any(f < 0 for f in fractions) or abs(sum(fractions) - 1) > 1e-9:
        raise ValueError(
            f"split fractions must be three non-negative numbers for {SPLITS} summing to 1, "
            f"got {tuple(fractions)}"
        )
