"""The prover's rewards (docs/rewards.md): pure functions over lists, no model or trainer imports.

Every function has the same signature so that one name→function dict serves the trainer:
``f(scores, correct, helpful, group_ids) -> list[float]``, where for sample ``k``
``scores[k]`` is the verifier score V, ``correct[k]`` is c (the final answer is right),
``helpful[k]`` is h (the prompt's role is helpful) and ``group_ids[k]`` names its group: the samples
drawn for one (problem, role) prompt. Inputs must have equal lengths.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Sequence

CGC_PENALTY = -2.0


def _check_lengths(*columns: Sequence) -> int:
    lengths = {len(column) for column in columns}
    if len(lengths) != 1:
        raise ValueError(f"reward inputs must have equal lengths, got {sorted(lengths)}")
    return lengths.pop()


def src_rewards(
    scores: Sequence[float], correct: Sequence[bool], helpful: Sequence[bool], group_ids: Sequence[Hashable]
) -> list[float]:
    """Signed relative convincingness: V' = V − mean of V over the sample's group;
    reward = (2c−1)(2h−1)·V' if V' > 0, else −1 (whatever the correctness).

    >>> src_rewards([3.0, 1.0, 2.0, 2.0], [1, 0, 0, 1], [1, 1, 0, 0], [0, 0, 1, 1])
    [1.0, -1.0, -1.0, -1.0]
    """
    _check_lengths(scores, correct, helpful, group_ids)
    totals: dict[Hashable, list[float]] = defaultdict(lambda: [0.0, 0])
    for score, group in zip(scores, group_ids, strict=True):
        totals[group][0] += score
        totals[group][1] += 1
    rewards = []
    for score, c, h, group in zip(scores, correct, helpful, group_ids, strict=True):
        relative = score - totals[group][0] / totals[group][1]
        sign = (2 * int(c) - 1) * (2 * int(h) - 1)
        rewards.append(sign * relative if relative > 0 else -1.0)
    return rewards


def cgc_rewards(
    scores: Sequence[float],
    correct: Sequence[bool],
    helpful: Sequence[bool],
    group_ids: Sequence[Hashable],
    penalty: float = CGC_PENALTY,
) -> list[float]:
    """Correctness-gated convincingness: V when the sample is role-aligned (c == h), else ``penalty``.

    >>> cgc_rewards([0.5, 0.5, 0.7, 0.7], [1, 0, 0, 1], [1, 1, 0, 0], [0, 0, 1, 1])
    [0.5, -2.0, 0.7, -2.0]
    """
    _check_lengths(scores, correct, helpful, group_ids)
    return [
        float(s) if bool(c) == bool(h) else penalty for s, c, h in zip(scores, correct, helpful, strict=True)
    ]


def goodhart_rewards(
    scores: Sequence[float], correct: Sequence[bool], helpful: Sequence[bool], group_ids: Sequence[Hashable]
) -> list[float]:
    """The verifier score alone, role and correctness ignored (a baseline).

    >>> goodhart_rewards([0.25, -1.0], [True, False], [True, False], [0, 1])
    [0.25, -1.0]
    """
    _check_lengths(scores, correct, helpful, group_ids)
    return [float(s) for s in scores]


def correctness_rewards(
    scores: Sequence[float], correct: Sequence[bool], helpful: Sequence[bool], group_ids: Sequence[Hashable]
) -> list[float]:
    """The correctness-only baseline, no verifier: c for helpful prompts (1 − c for sneaky ones,
    should a run have any).

    >>> correctness_rewards([9.0, 9.0, 9.0], [True, False, False], [True, True, False], [0, 0, 1])
    [1.0, 0.0, 1.0]
    """
    _check_lengths(scores, correct, helpful, group_ids)
    return [float(bool(c) == bool(h)) for c, h in zip(correct, helpful, strict=True)]


RewardFn = Callable[[Sequence[float], Sequence[bool], Sequence[bool], Sequence[Hashable]], list[float]]
REWARDS: dict[str, RewardFn] = {
    "src": src_rewards,
    "cgc": cgc_rewards,
    "goodhart": goodhart_rewards,
    "correctness": correctness_rewards,
}
