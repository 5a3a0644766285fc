"""The one thin adapter from TRL's reward-function signature to the pure rewards in ``rewards.pvg``.

TRL calls ``reward(prompts=..., completions=..., completion_ids=..., **columns)`` with the
dataset's columns as lists. This adapter needs the columns ``problem_id``, ``role`` (``helpful`` /
``sneaky``), ``question`` and ``answer``; it grades each completion with the environment's checker,
scores it with the verifier (any ``score_fn(questions, solutions) -> list[float]``; none for the
``correctness`` baseline), computes the named reward, and logs per-role means through TRL's
``log_metric`` hook. It imports no model and no trainer.

SRC normalises within a group (one problem and role), so a group must be whole in each call:
:func:`check_group_layout` refuses a TRL layout that could split one across processes, and every
call checks that each group it sees has exactly ``num_generations`` members.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from envs.checker import CORRECT, WRONG_ANSWER, check_batch
from envs.prompts import ROLES
from rewards.pvg import REWARDS

ScoreFn = Callable[[Sequence[str], Sequence[str]], list[float]]
NEEDS_VERIFIER = frozenset({"src", "cgc", "goodhart"})


def check_group_layout(num_processes: int, per_device_batch_size: int, num_generations: int) -> None:
    """Refuse a layout in which TRL would split a group across processes.

    TRL deals each process ``per_device_batch_size`` completions at a time from a list in which a
    group's ``num_generations`` completions are consecutive, so groups stay whole per process only
    with one process or when ``per_device_batch_size`` is a multiple of ``num_generations``.
    """
    if num_processes > 1 and per_device_batch_size % num_generations:
        raise ValueError(
            f"per_device_train_batch_size ({per_device_batch_size} completions) is not a multiple of "
            f"num_generations ({num_generations}) with {num_processes} processes: TRL would split a group "
            "across processes and SRC would normalise it by the wrong mean. Make it a multiple."
        )


def completion_text(completion: str | list[dict]) -> str:
    """The text of a completion, standard (a string) or conversational (a list of messages)."""
    if isinstance(completion, str):
        return completion
    return "".join(message.get("content", "") for message in completion if message.get("role") == "assistant")


@dataclass(frozen=True)
class CallStats:
    """One reward call: the mean verifier score of its helpful-correct and of its sneaky-incorrect
    samples (``None`` when there were none, or no verifier), and the share of its sneaky samples
    that are incorrect (``None`` without sneaky samples)."""

    helpful_correct_score: float | None
    sneaky_incorrect_score: float | None
    sneaky_incorrect_rate: float | None


@dataclass
class RewardStats:
    """Every call's :class:`CallStats`, in order: the score-parity stop rule and the attack monitor
    read it (one optimizer step makes one call when a step's batch is one generation batch)."""

    calls: list[CallStats] = field(default_factory=list)

    def parity(self) -> list[tuple[float | None, float | None]]:
        """Per call: (helpful-correct score, sneaky-incorrect score)."""
        return [(c.helpful_correct_score, c.sneaky_incorrect_score) for c in self.calls]

    def sneaky_incorrect_rates(self) -> list[float | None]:
        return [c.sneaky_incorrect_rate for c in self.calls]


class PVGReward:
    """A TRL reward function for one named reward (``src``, ``cgc``, ``goodhart``, ``correctness``)."""

    def __init__(self, reward: str, num_generations: int, score_fn: ScoreFn | None = None) -> None:
        if reward not in REWARDS:
            raise ValueError(f"unknown reward {reward!r}; choose from {sorted(REWARDS)}")
        if reward in NEEDS_VERIFIER and score_fn is None:
            raise ValueError(f"reward {reward!r} needs a verifier score_fn")
        self.reward, self.num_generations, self.score_fn = reward, num_generations, score_fn
        self.__name__ = f"pvg_{reward}"  # TRL names the logged reward column after this
        self.stats = RewardStats()  # what the stop rule and the attack monitor read, per call

    def __call__(
        self,
        prompts: Sequence,
        completions: Sequence,
        completion_ids: Sequence | None = None,
        *,
        problem_id: Sequence[str],
        role: Sequence[str],
        question: Sequence[str],
        answer: Sequence[str],
        log_metric: Callable[[str, float], None] | None = None,
        **_: object,
    ) -> list[float]:
        texts = [completion_text(c) for c in completions]
        unknown = sorted(set(role) - set(ROLES))
        if unknown:
            raise ValueError(f"dataset column 'role' has {unknown}; expected one of {ROLES}")
        groups = [(pid, r) for pid, r in zip(problem_id, role, strict=True)]
        self._check_whole_groups(groups)
        results = check_batch(texts, answer, with_steps=False)  # LaTeX checks in parallel children
        correct = [r.correct for r in results]
        helpful = [r == "helpful" for r in role]
        scores = list(self.score_fn(question, texts)) if self.score_fn else [0.0] * len(texts)
        rewards = REWARDS[self.reward](scores, correct, helpful, groups)
        parity = (None, None)  # no verifier, no scores to compare: the stop rule never fires
        if self.score_fn is not None:
            parity = (
                _mean(scores, [h and c for h, c in zip(helpful, correct, strict=True)]),
                _mean(scores, [not h and not c for h, c in zip(helpful, correct, strict=True)]),
            )
        sneaky_incorrect = _mean([float(not c) for c in correct], [not h for h in helpful])
        self.stats.calls.append(CallStats(*parity, sneaky_incorrect))
        if log_metric is not None:
            for name, value in zip(
                ("helpful_correct/verifier_score", "sneaky_incorrect/verifier_score"), parity, strict=True
            ):
                if value is not None:
                    log_metric(name, value)
            failures = [r.reason not in (CORRECT, WRONG_ANSWER) for r in results]
            self._log_per_role(log_metric, role, rewards, scores, correct, failures)
            for name, (spread, flat) in group_spread(rewards, groups).items():
                log_metric(f"{name}/group_reward_std", spread)
                log_metric(f"{name}/zero_std_groups", flat)
        return rewards

    def _check_whole_groups(self, groups: list[tuple[str, str]]) -> None:
        sizes: dict[tuple[str, str], int] = {}
        for group in groups:
            sizes[group] = sizes.get(group, 0) + 1
        broken = {group: n for group, n in sizes.items() if n != self.num_generations}
        if broken:
            raise ValueError(
                f"groups must arrive whole ({self.num_generations} completions each); got {broken}. "
                "A (problem, role) group was split across processes or batches; see check_group_layout."
            )

    @staticmethod
    def _log_per_role(log_metric, role, rewards, scores, correct, failures) -> None:
        for name in ROLES:
            index = [i for i, r in enumerate(role) if r == name]
            if not index:
                continue
            for metric, values in (
                ("reward", rewards),
                ("verifier_score", scores),
                ("accuracy", correct),
                ("checker_failures", failures),
            ):
                log_metric(f"{name}/{metric}", sum(float(values[i]) for i in index) / len(index))


def group_spread(
    rewards: Sequence[float], groups: Sequence[tuple[str, str]]
) -> dict[str, tuple[float, float]]:
    """Per role: the mean over its groups of the rewards' population standard deviation within a
    group, and the share of groups whose rewards are all equal (GRPO learns nothing from those:
    their advantages are zero)."""
    by_group: dict[tuple[str, str], list[float]] = {}
    for value, group in zip(rewards, groups, strict=True):
        by_group.setdefault(group, []).append(float(value))
    spreads: dict[str, list[float]] = {}
    for (_, role), values in by_group.items():
        centre = sum(values) / len(values)
        spreads.setdefault(role, []).append((sum((v - centre) ** 2 for v in values) / len(values)) ** 0.5)
    return {
        role: (sum(stds) / len(stds), sum(std == 0.0 for std in stds) / len(stds))
        for role, stds in spreads.items()
    }


def _mean(values: Sequence[float], mask: Sequence[bool]) -> float | None:
    picked = [v for v, keep in zip(values, mask, strict=True) if keep]
    return sum(picked) / len(picked) if picked else None
