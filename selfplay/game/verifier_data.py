"""The verifier's training data: labelled prover samples in, one round's balanced pairs out.

Rules (docs/game.md): the verifier of round ``r`` trains on samples from the initial prover and from
the provers of rounds ``0 .. r-1`` (its *sources*), only on problems of the verifier split. Each
source is balanced correct/incorrect by construction, because every training example is a pair
(one correct, one incorrect solution to the same problem, from the same source); at most
``solutions_per_problem`` solutions of a problem are used per source. Sources share the round's
fixed number of pairs by their weights: equal by default, ``2^i`` (oldest source ``i = 0``) as the
documented alternative. Everything is deterministic for a seed.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields

from selfplay.config import MixtureConfig

INITIAL_ROUND = -1  # the ``round`` of samples drawn from the initial (untrained) prover


@dataclass(frozen=True)
class Sample:
    """One labelled prover sample in the pool: the fields of a ``samples.jsonl`` row the verifier's
    data needs, under the same names. ``round`` is the prover's round (-1: initial)."""

    problem_id: str
    round: int
    role: str
    question: str
    completion: str
    correct: bool
    split: str = "verifier"

    @classmethod
    def from_row(cls, row: dict) -> Sample:
        """The sample of one ``samples.jsonl`` row (its other keys are ignored)."""
        return cls(**{f.name: row[f.name] for f in fields(cls) if f.name in row})


@dataclass(frozen=True)
class Pair:
    """A correct and an incorrect solution to one problem, from one source round."""

    problem_id: str
    source_round: int
    question: str
    correct_solution: str
    incorrect_solution: str


class PoolError(ValueError):
    """The pool cannot give the round a single training pair."""


def source_name(round_index: int) -> str:
    return "initial" if round_index == INITIAL_ROUND else f"round_{round_index:03d}"


def build_mixture(
    pool: Iterable[Sample], round_index: int, config: MixtureConfig
) -> tuple[list[Pair], dict[str, dict]]:
    """The training pairs of round ``round_index`` and per-source counts.

    Counts per source: ``problems`` (verifier-split problems with both kinds), ``available_pairs``,
    ``pairs`` (drawn; each is one correct and one incorrect solution), ``weight``.
    Raises :class:`PoolError` naming the round and the counts when no source has a pair.
    """
    by_source: dict[int, list[Sample]] = defaultdict(list)
    for sample in pool:
        if sample.split == "verifier" and sample.round < round_index:
            by_source[sample.round].append(sample)
    available = {src: _source_pairs(samples, src, config) for src, samples in sorted(by_source.items())}
    usable = [src for src, pairs in available.items() if pairs]
    if not usable:
        raise PoolError(_no_pair_message(round_index, by_source))
    weights = {
        src: 2.0**i if config.round_weighting == "exponential" else 1.0 for i, src in enumerate(usable)
    }
    allocation = _largest_remainder(config.n_pairs, weights)
    pairs: list[Pair] = []
    counts: dict[str, dict] = {}
    for src, source_pairs in available.items():
        n = allocation.get(src, 0)
        pairs.extend(source_pairs[i % len(source_pairs)] for i in range(n))
        counts[source_name(src)] = {
            "problems": len({p.problem_id for p in source_pairs}),
            "available_pairs": len(source_pairs),
            "pairs": n,
            "weight": weights.get(src, 0.0),
        }
    random.Random(f"{config.seed}:{round_index}:order").shuffle(pairs)
    return pairs, counts


def _source_pairs(samples: Sequence[Sample], src: int, config: MixtureConfig) -> list[Pair]:
    rng = random.Random(f"{config.seed}:{src}")
    by_problem: dict[str, tuple[list[Sample], list[Sample]]] = defaultdict(lambda: ([], []))
    for sample in samples:
        by_problem[sample.problem_id][0 if sample.correct else 1].append(sample)
    pairs = []
    for problem_id in sorted(by_problem):
        correct, incorrect = by_problem[problem_id]
        k = min(len(correct), len(incorrect), config.solutions_per_problem // 2)
        for group in (correct, incorrect):  # sorted first: the result must not depend on pool order
            group.sort(key=lambda s: (s.completion, s.role))
            rng.shuffle(group)
        pairs.extend(
            Pair(problem_id, src, c.question, c.completion, i.completion)
            for c, i in zip(correct[:k], incorrect[:k], strict=True)
        )
    rng.shuffle(pairs)
    return pairs


def _largest_remainder(total: int, weights: dict[int, float]) -> dict[int, int]:
    """Integer shares of ``total`` proportional to ``weights`` (ties go to the earlier source)."""
    norm = sum(weights.values())
    exact = {src: total * w / norm for src, w in weights.items()}
    shares = {src: int(x) for src, x in exact.items()}
    leftover = total - sum(shares.values())
    for src in sorted(exact, key=lambda s: (-(exact[s] - shares[s]), s))[:leftover]:
        shares[src] += 1
    return shares


def _no_pair_message(round_index: int, by_source: dict[int, list[Sample]]) -> str:
    if not by_source:
        return (
            f"round {round_index}: the pool has no verifier-split sample from an earlier round; "
            "sample the initial prover first"
        )
    parts = []
    for src, samples in sorted(by_source.items()):
        n_correct = sum(s.correct for s in samples)
        parts.append(f"{source_name(src)}: {n_correct} correct / {len(samples) - n_correct} incorrect")
    return (
        f"round {round_index}: no problem has both a correct and an incorrect solution from the same source "
        f"({'; '.join(parts)}); the verifier cannot be trained on this pool"
    )
