import pytest

from rewards.trl_adapter import CallStats, RewardStats
from selfplay.game.prover import ScoreParityStop, parity_reached, sneaky_accuracy_below


@pytest.mark.parametrize(
    ("history", "window", "stop"),
    [
        ([(0.9, 0.1), (0.8, 0.2)], 3, False),  # window not yet filled
        ([(0.9, 0.1), (0.8, 0.2), (0.7, 0.3)], 3, False),  # helpful-correct still ahead
        ([(0.9, 0.1), (0.5, 0.5), (0.4, 0.6), (0.3, 0.7)], 3, True),  # last 3: 0.4 vs 0.6 on average
        ([(0.5, 0.5)] * 3, 3, True),  # "at least as high"
        ([(None, 0.9), (0.1, None), (None, None)], 3, False),  # no call with both kinds
        ([(None, 0.9), (0.1, 0.2), (None, None)], 3, True),  # only complete calls are averaged
    ],
)
def test_parity_rule(history, window, stop):
    assert parity_reached(history, window) is stop


@pytest.mark.parametrize(
    ("sneaky_incorrect", "window", "below"),
    [
        ([1.0, 1.0], 3, False),  # window not yet filled
        ([0.5, 0.97, 0.96, 0.98], 3, True),  # last 3: accuracy 0.03 on average
        ([1.0, 1.0, 0.7], 3, False),  # accuracy 0.1: not below
        ([None, None, None], 3, False),  # no sneaky samples
        ([1.0, None, 0.99], 3, True),  # calls without sneaky samples are left out: accuracy 0.005
    ],
)
def test_cgc_sneaky_accuracy_test(sneaky_incorrect, window, below):
    assert sneaky_accuracy_below(sneaky_incorrect, window) is below


@pytest.mark.parametrize(
    ("reward", "sneaky_incorrect", "stop"),
    [
        ("src", [0.5, 0.5], True),  # SRC: parity alone
        ("cgc", [0.5, 0.5], False),  # CGC: parity, but sneaky accuracy is 50%
        ("cgc", [1.0, 0.98], True),  # CGC: parity and sneaky accuracy 1%
    ],
)
def test_the_stop_callback_adds_the_sneaky_accuracy_test_for_cgc_only(reward, sneaky_incorrect, stop):
    stats = RewardStats([CallStats(0.4, 0.6, rate) for rate in sneaky_incorrect])
    assert ScoreParityStop(stats, window=2, reward=reward).should_stop() is stop
