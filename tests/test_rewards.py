import pytest

from rewards.pvg import REWARDS, cgc_rewards, correctness_rewards, goodhart_rewards, src_rewards

# Two groups: (problem 1, helpful) with scores 0.9/0.5/0.1 (mean 0.5), (problem 1, sneaky) 0.8/0.2 (mean 0.5).
SCORES = [0.9, 0.5, 0.1, 0.8, 0.2]
CORRECT = [True, True, False, False, True]
HELPFUL = [True, True, True, False, False]
GROUPS = [("p1", "helpful")] * 3 + [("p1", "sneaky")] * 2


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        # SRC: V' = [0.4, 0.0, -0.4, 0.3, -0.3]; only V' > 0 is signed by (2c-1)(2h-1), the rest get -1.
        ("src", [0.4, -1.0, -1.0, 0.3, -1.0]),
        # CGC: role-aligned (c == h) gets V, else -2.
        ("cgc", [0.9, 0.5, -2.0, 0.8, -2.0]),
        ("goodhart", [0.9, 0.5, 0.1, 0.8, 0.2]),
        ("correctness", [1.0, 1.0, 0.0, 1.0, 0.0]),
    ],
)
def test_rewards_pinned(name, expected):
    assert REWARDS[name](SCORES, CORRECT, HELPFUL, GROUPS) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("score", "correct", "helpful", "expected"),
    [
        (1.5, True, True, 0.5),  # helpful, correct, above mean: +V'
        (1.5, False, True, -0.5),  # helpful but wrong: -V'
        (1.5, False, False, 0.5),  # sneaky and wrong (its goal): +V'
        (1.5, True, False, -0.5),  # sneaky but right: -V'
        (0.0, True, True, -1.0),  # below the mean: -1 whatever the role and correctness
    ],
)
def test_src_sign_table(score, correct, helpful, expected):
    # The other member of the group scores 0.5: with 1.5 the mean is 1.0 and V' = 0.5.
    rewards = src_rewards([score, 0.5], [correct, True], [helpful, helpful], ["g", "g"])
    assert rewards[0] == pytest.approx(expected)


def test_src_normalises_within_groups_only():
    # Same scores, different groups: each is its group's only member, so V' = 0 and the reward is -1.
    assert src_rewards([5.0, -5.0], [True, True], [True, True], ["a", "b"]) == [-1.0, -1.0]
    # Group means are taken per group even when groups interleave.
    assert src_rewards([2.0, 10.0, 0.0, 0.0], [True] * 4, [True] * 4, ["a", "b", "a", "b"]) == [
        1.0,
        5.0,
        -1.0,
        -1.0,
    ]


def test_cgc_penalty_is_configurable():
    assert cgc_rewards([0.3], [False], [True], [0], penalty=-5.0) == [-5.0]


def test_baselines_ignore_what_they_should():
    assert goodhart_rewards([0.1, 0.2], [False, True], [True, False], [0, 0]) == [0.1, 0.2]
    assert correctness_rewards([100.0, -100.0], [True, True], [True, True], [0, 0]) == [1.0, 1.0]


@pytest.mark.parametrize("name", sorted(REWARDS))
def test_unequal_lengths_are_refused(name):
    with pytest.raises(ValueError, match="equal lengths"):
        REWARDS[name]([0.1, 0.2], [True], [True, True], [0, 0])
