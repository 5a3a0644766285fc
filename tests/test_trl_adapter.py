import pytest

from rewards.trl_adapter import PVGReward, check_group_layout, completion_text
from selfplay.game.prover import parity_reached

COLUMNS = {
    "problem_id": ["p1", "p1", "p1", "p1"],
    "role": ["helpful", "helpful", "sneaky", "sneaky"],
    "question": ["Ava has 3 cards. She finds 4 more. How many?"] * 4,
    "answer": ["7", "7", "7", "7"],
}
COMPLETIONS = ["3 + 4 = 7\n#### 7", "3 + 4 = 8\n#### 8", "3 + 4 = 6\n#### 6", "no answer here"]
SCORES = {COMPLETIONS[0]: 0.9, COMPLETIONS[1]: 0.1, COMPLETIONS[2]: 0.8, COMPLETIONS[3]: 0.2}


def fake_verifier(questions, solutions):
    assert questions == COLUMNS["question"]
    return [SCORES[s] for s in solutions]


def test_src_through_the_adapter_with_per_role_logs():
    logged = {}
    reward = PVGReward("src", num_generations=2, score_fn=fake_verifier)
    values = reward(["prompt"] * 4, COMPLETIONS, log_metric=logged.__setitem__, **COLUMNS)
    # helpful group: V' = +0.4 (correct) / -0.4; sneaky group: V' = +0.3 (incorrect: its goal) / -0.3.
    assert values == pytest.approx([0.4, -1.0, 0.3, -1.0])
    assert logged == pytest.approx(
        {
            "helpful/reward": -0.3,
            "helpful/verifier_score": 0.5,
            "helpful/accuracy": 0.5,
            "helpful/checker_failures": 0.0,
            "sneaky/reward": -0.35,
            "sneaky/verifier_score": 0.5,
            "sneaky/accuracy": 0.0,
            "sneaky/checker_failures": 0.5,
            "helpful_correct/verifier_score": 0.9,
            "sneaky_incorrect/verifier_score": 0.5,
            "helpful/group_reward_std": 0.7,  # rewards 0.4 and -1.0
            "helpful/zero_std_groups": 0.0,
            "sneaky/group_reward_std": 0.65,  # 0.3 and -1.0
            "sneaky/zero_std_groups": 0.0,
        }
    )
    assert reward.stats.parity() == [pytest.approx((0.9, 0.5))]
    assert reward.stats.sneaky_incorrect_rates() == [1.0]  # both sneaky samples are incorrect
    assert reward.__name__ == "pvg_src"


def test_correctness_baseline_needs_no_verifier_and_reads_conversational_completions():
    chat = [[{"role": "assistant", "content": text}] for text in COMPLETIONS]
    reward, logged = PVGReward("correctness", num_generations=2), {}
    values = reward(["p"] * 4, chat, log_metric=logged.__setitem__, **COLUMNS)
    assert values == [1.0, 0.0, 1.0, 1.0]
    # The sneaky group's rewards are equal: no variance, nothing for GRPO to learn from it.
    assert (logged["helpful/group_reward_std"], logged["helpful/zero_std_groups"]) == (0.5, 0.0)
    assert (logged["sneaky/group_reward_std"], logged["sneaky/zero_std_groups"]) == (0.0, 1.0)
    # No verifier scores: the score-parity stop rule has nothing to compare and must never fire.
    assert reward.stats.parity() == [(None, None)]
    assert not parity_reached(reward.stats.parity() * 10, window=5)
    assert completion_text([{"role": "user", "content": "x"}, {"role": "assistant", "content": "y"}]) == "y"


def test_a_split_group_is_refused():
    reward = PVGReward("src", num_generations=4, score_fn=fake_verifier)
    with pytest.raises(ValueError, match="groups must arrive whole"):
        reward(["p"] * 4, COMPLETIONS, **COLUMNS)


@pytest.mark.parametrize(
    ("processes", "per_device", "generations", "ok"),
    [
        (1, 3, 4, True),
        (2, 8, 4, True),
        (2, 6, 4, False),
        (4, 2, 2, True),
        (2, 3, 2, False),
    ],
)
def test_group_layout_rule(processes, per_device, generations, ok):
    if ok:
        check_group_layout(processes, per_device, generations)
    else:
        with pytest.raises(ValueError, match="split a group across processes"):
            check_group_layout(processes, per_device, generations)


def test_bad_reward_configuration():
    with pytest.raises(ValueError, match="unknown reward"):
        PVGReward("ppo", 2)
    with pytest.raises(ValueError, match="needs a verifier"):
        PVGReward("cgc", 2)
    with pytest.raises(ValueError, match="expected one of"):
        PVGReward("correctness", 2)(
            ["p"] * 2,
            COMPLETIONS[:2],
            problem_id=["a", "a"],
            role=["evil", "evil"],
            question=["q", "q"],
            answer=["7", "7"],
        )
