"""The selection rules on hand-built samples (selfplay/inference/select.py)."""

from __future__ import annotations

import pytest

from selfplay.inference.select import RULES, answer_groups, pass_at_n, select


def test_equivalent_answers_written_differently_vote_together():
    answers = ["1,080", "1080", "7", "0.5", "1/2", "\\frac{1}{2}"]
    assert answer_groups(answers) == [[0, 1], [2], [3, 4, 5]]
    assert select("majority", answers) == 3  # 0.5 = 1/2 = \frac{1}{2}: three votes beat two


def test_samples_without_an_answer_never_win():
    assert select("first", [None, None, "4"]) == 2
    assert select("verifier", [None, "4"], [9.0, -3.0]) == 1  # the top score has no answer
    assert select("weighted", [None, "4", "5"], [50.0, 0.1, 0.0]) == 1
    assert select("majority", [None, None, "4"]) == 2


@pytest.mark.parametrize("rule", RULES)
def test_a_group_with_no_answer_at_all_gives_none(rule):
    assert select(rule, [None, None], [1.0, 2.0]) is None


def test_majority_ties_go_to_the_verifiers_favourite_else_to_the_first_seen():
    answers = ["3", "4", "4", "3"]
    assert select("majority", answers) == 0  # 2 votes each: "3" was seen first
    assert select("majority", answers, [0.0, 0.1, 2.0, 1.0]) == 2  # "4"'s best sample scores 2.0
    assert select("majority", ["3", "4", "4"], [9.0, 0.0, 0.0]) == 1  # the vote wins over the score


def test_verifier_argmax_and_its_ties():
    assert select("verifier", ["3", "4", "5"], [0.2, 1.5, 1.5]) == 1


def test_weighted_vote_by_softmax_of_the_scores():
    answers, scores = ["3", "4", "4"], [2.0, 1.0, 1.0]
    # softmax: e^2 / (e^2 + 2e) = 0.576 for "3" against 0.424 for "4"
    assert select("weighted", answers, scores) == 0
    # a hotter softmax flattens the weights toward a plain vote: "4" wins with two samples
    assert select("weighted", answers, scores, temperature=10.0) == 1
    assert select("weighted", ["3", "4"], [1.0, 1.0]) == 0  # equal weights: the first seen


def test_a_verifier_that_prefers_wrong_answers_misleads_its_rules_but_not_the_vote():
    answers = ["72", "72", "72", "13"]  # gold 72
    scores = [-2.0, -2.0, -2.0, 3.0]  # it loves the wrong one
    assert select("majority", answers, scores) == 0
    assert answers[select("verifier", answers, scores)] == "13"
    assert answers[select("weighted", answers, scores)] == "13"  # e^3 outweighs 3 e^-2
    assert pass_at_n([a == "72" for a in answers])


def test_one_sample_is_chosen_by_every_rule():
    assert {select(rule, ["5"], [0.3]) for rule in RULES} == {0}
    assert not pass_at_n([False]) and pass_at_n([True])


def test_selection_is_deterministic_and_checks_its_inputs():
    answers, scores = ["2", "3", "2", "3", "x"], [0.1, 0.1, 0.1, 0.1, 0.0]
    assert len({select("weighted", answers, scores) for _ in range(20)}) == 1
    with pytest.raises(ValueError, match="needs verifier scores"):
        select("weighted", answers)
    with pytest.raises(ValueError, match="unknown selection rule"):
        select("best", answers, scores)
