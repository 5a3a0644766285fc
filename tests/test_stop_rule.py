import pytest

from selfplay.prover import parity_reached


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
