"""The evaluation metrics on hand-built sample sets with known answers."""

import pytest

from selfplay.evaluation.legibility import (
    _balanced_draws,
    attack_succeeded,
    balanced_best_of_n,
    judge_accuracy,
    judge_threshold,
    step_checkability,
)
from selfplay.game.metrics import round_metrics


def sample(pid, correct, score, role="helpful", judge=0.0, checkable=1.0, correct_steps=1.0):
    return {
        "problem_id": pid,
        "role": role,
        "correct": correct,
        "score": score,
        "judge_score": judge,
        "completion": "x" * 10,
        "steps": {"checkable_fraction": checkable, "correct_fraction": correct_steps},
    }


def problem(pid, correct_scores, incorrect_scores):
    return [sample(pid, True, s) for s in correct_scores] + [sample(pid, False, s) for s in incorrect_scores]


def test_a_perfect_verifier_always_picks_a_correct_solution_and_best_of_one_is_chance():
    rows = problem("a", [5, 6, 7, 8], [1, 2, 3, 4]) + problem("b", [9, 10], [0, 1, 2])
    result = balanced_best_of_n(rows, ns=(1, 2, 4, 8))
    assert result[1] == {"accuracy": 0.5, "chance": 0.5, "n_problems": 2}
    assert result[2]["accuracy"] == 1.0 and result[4]["accuracy"] == 1.0 and result[8]["accuracy"] == 1.0


def test_an_inverted_verifier_always_picks_an_incorrect_one():
    rows = problem("a", [1, 2, 3], [7, 8, 9])
    result = balanced_best_of_n(rows, ns=(2, 4, 6))
    assert [result[n]["accuracy"] for n in (2, 4, 6)] == [0.0, 0.0, 0.0]


def test_ties_at_the_top_count_pro_rata_and_one_sided_problems_are_left_out():
    rows = problem("tied", [1.0], [1.0]) + problem("only_correct", [3.0, 4.0], []) + problem("none", [], [2])
    result = balanced_best_of_n(rows, ns=(2,))
    assert result[2] == {"accuracy": 0.5, "chance": 0.5, "n_problems": 1}
    empty = {"accuracy": None, "chance": None, "n_problems": 0}
    assert balanced_best_of_n(problem("x", [1], []), ns=(2,))[2] == empty


def test_a_short_class_is_topped_up_from_the_other():
    # One correct solution only: best-of-4 draws it with three incorrect ones.
    assert _balanced_draws(1, 5, 4) == [(1, 3)]
    assert _balanced_draws(5, 1, 4) == [(3, 1)]
    assert _balanced_draws(2, 2, 8) == [(2, 2)]  # fewer than n in all: every sample
    assert _balanced_draws(3, 3, 3) == [(1, 2), (2, 1)]  # odd n: both splits
    # The correct one outranks two of the incorrect but not the third: picked iff the 9 is not drawn.
    rows = problem("a", [5], [1, 2, 9])
    result = balanced_best_of_n(rows, ns=(3,), trials=2000, seed=1)[3]
    assert result["accuracy"] == pytest.approx(1 / 3, abs=0.03)  # 1 correct + 2 of 3 incorrect: P(no 9) = 1/3
    assert result["chance"] == pytest.approx(1 / 3)  # a random pick: 1 correct in 3


def test_balanced_best_of_n_is_deterministic_for_a_seed():
    rows = problem("a", [5, 1], [2, 6, 3]) + problem("b", [4], [2, 8])
    assert balanced_best_of_n(rows, seed=3) == balanced_best_of_n(rows, seed=3)


@pytest.mark.parametrize(
    ("rate", "sneaky", "helpful", "expected"),
    [
        (0.95, 1.0, 1.0, True),  # exactly at both bars
        (1.00, 2.0, 1.0, True),
        (0.94, 2.0, 1.0, False),  # too many correct sneaky solutions
        (1.00, 0.9, 1.0, False),  # the verifier still prefers helpful-correct
        (None, 2.0, 1.0, False),  # no sneaky samples this step
        (1.00, None, 1.0, False),
        (1.00, 2.0, None, False),  # no helpful-correct reference
    ],
)
def test_attack_rule(rate, sneaky, helpful, expected):
    assert attack_succeeded(rate, sneaky, helpful) is expected


def test_weak_judge_accuracy_per_role_at_a_fixed_threshold():
    assert judge_threshold([0.0, 3.0, 1.0, 2.0]) == 1.5
    rows = [
        sample("a", True, 0, "helpful", judge=2.0),  # judged correct: right
        sample("a", True, 0, "helpful", judge=1.0),  # judged incorrect: wrong
        sample("a", False, 0, "helpful", judge=0.5),  # judged incorrect: right
        sample("a", True, 0, "helpful", judge=1.6),  # right
        sample("b", False, 0, "sneaky", judge=3.0),  # fooled: wrong
        sample("b", False, 0, "sneaky", judge=1.5),  # at the threshold counts as "incorrect": right
    ]
    assert judge_accuracy(rows, threshold=1.5) == {"helpful": 0.75, "sneaky": 0.5}
    assert judge_accuracy(rows[:2], threshold=1.5) == {"helpful": 0.5, "sneaky": None}
    with pytest.raises(ValueError, match="at least one"):
        judge_threshold([])


def test_step_checkability_per_role():
    rows = [
        sample("a", True, 0, "helpful", checkable=1.0, correct_steps=1.0),
        sample("a", True, 0, "helpful", checkable=0.5, correct_steps=0.5),
        sample("a", False, 0, "sneaky", checkable=0.0, correct_steps=None),  # nothing checkable
        sample("a", False, 0, "sneaky", checkable=0.5, correct_steps=0.0),
    ]
    assert step_checkability(rows) == {
        "helpful": {"checkable_fraction": 0.75, "correct_step_fraction": 0.75},
        "sneaky": {"checkable_fraction": 0.25, "correct_step_fraction": 0.0},
    }


def test_round_metrics_auc_and_score_means_on_known_samples():
    rows = [
        sample("a", True, 3.0, "helpful"),
        sample("a", False, 1.0, "helpful"),
        sample("a", False, 2.0, "sneaky"),
        sample("a", True, 0.5, "sneaky"),
    ]
    metrics = round_metrics(rows)
    # correct {3.0, 0.5} vs incorrect {1.0, 2.0}: 2 of 4 pairs ordered right.
    assert metrics["verifier_auc"] == 0.5
    assert metrics["helpful_accuracy"] == 0.5 and metrics["sneaky_incorrect_rate"] == 0.5
    assert metrics["score_helpful_correct"] == 3.0 and metrics["score_sneaky_incorrect"] == 2.0


def test_style_table_gives_each_styles_share_and_accuracy_per_role():
    from selfplay.evaluation.legibility import style_table

    rows = [
        {"role": "helpful", "style": "stepwise", "correct": True},
        {"role": "helpful", "style": "stepwise", "correct": False},
        {"role": "helpful", "style": "answer_only", "correct": True},
        {"role": "helpful", "style": "compressed", "correct": False},
        {"role": "sneaky", "style": "subtle", "correct": False},
    ]
    table = style_table(rows)
    assert table["helpful"]["stepwise"] == {"share": 0.5, "accuracy": 0.5, "n": 2}
    assert table["helpful"]["answer_only"] == {"share": 0.25, "accuracy": 1.0, "n": 1}
    assert table["sneaky"] == {"subtle": {"share": 1.0, "accuracy": 0.0, "n": 1}}


def test_round_metrics_carry_style_tables_only_for_labelled_rows():
    unlabelled = [sample("a", True, 1.0), sample("a", False, 0.0, role="sneaky")]
    assert "styles" not in round_metrics(unlabelled)
    labelled = [r | {"style": "stepwise", "form": "stepwise"} for r in unlabelled]
    metrics = round_metrics(labelled)
    assert metrics["forms"]["helpful"]["stepwise"]["accuracy"] == 1.0
    assert metrics["styles"]["sneaky"]["stepwise"]["accuracy"] == 0.0


def test_mean_and_spread_over_seeds():
    from selfplay.evaluation.report_tables import mean_spread

    assert mean_spread([0.4, 0.5, 0.6]) == pytest.approx((0.5, 0.1))
    assert mean_spread([0.4, None]) == (0.4, None)  # one value: no spread
    assert mean_spread([None, None]) == (None, None)
