import random

import pytest

from envs.checker import check_completion
from envs.corrupt import corrupt_final, corrupt_step, corruptible_steps
from envs.generators import FAMILIES, generate

SOLUTION = "99 - 36 = 63\n63 * 2 = 126\n126 - 34 = 92\n#### 92"


def test_one_step_changes_and_later_steps_follow():
    assert corruptible_steps(SOLUTION) == [0, 1, 2]
    corrupted = corrupt_step(SOLUTION, random.Random(0), step=0)
    first, second, third, final = corrupted.splitlines()
    wrong = int(first.rpartition(" = ")[2])
    assert first.startswith("99 - 36 = ") and wrong != 63 and abs(wrong - 63) <= 9
    assert second == f"{wrong} * 2 = {wrong * 2}"
    assert third == f"{wrong * 2} - 34 = {wrong * 2 - 34}"
    assert final == f"#### {wrong * 2 - 34}"


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_corruption_leaves_exactly_one_wrong_step_and_a_wrong_answer(family):
    rng = random.Random(1)
    made = 0
    for problem in generate(family, 200, seed=3):
        corrupted = corrupt_step(problem.solution, rng)
        if corrupted is None:
            continue
        made += 1
        result = check_completion(corrupted, problem.answer)
        assert result.reason == "wrong_answer"
        assert (result.summary.n_steps - result.summary.n_correct) == 1, corrupted
    assert made >= 50


def test_non_chain_solutions_only_corrupt_their_last_step():
    linear = "-2 - 13 = -15\n1 - 4 = -3\n(-15) / (-3) = 5\n#### 5"
    assert corruptible_steps(linear) == [2]
    assert corrupt_step(linear, random.Random(0), step=0) is None


def test_final_line_only():
    corrupted = corrupt_final(SOLUTION, random.Random(0))
    assert corrupted.rpartition("\n")[0] == SOLUTION.rpartition("\n")[0]
    result = check_completion(corrupted, "92")
    assert result.reason == "wrong_answer" and result.summary.n_correct == result.summary.n_steps == 3
