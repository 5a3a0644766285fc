"""Deployment best-of-n curves from hand-built samples (selfplay/evaluation/deployment.py)."""

from __future__ import annotations

from selfplay.evaluation.deployment import curves, grouped, verifier_beats_majority


def test_curves_use_the_first_n_samples_of_each_problem():
    groups = [
        # gold is "2": the first sample is wrong, the vote and the verifier are right from n = 2 on
        {
            "answers": ["1", "2", "2", "1"],
            "correct": [False, True, True, False],
            "scores": [0.0, 3.0, 1.0, 0.0],
        },
        # no answer first; the verifier prefers the wrong "5"
        {
            "answers": [None, "4", "5", "4"],
            "correct": [False, True, False, True],
            "scores": [9.0, 0.0, 2.0, 0.0],
        },
    ]
    result = curves(groups, [1, 2, 4])
    assert result["first"] == {"1": 0.0, "2": 0.5, "4": 0.5}
    assert result["pass@n"] == {"1": 0.0, "2": 1.0, "4": 1.0}
    assert result["verifier"] == {"1": 0.0, "2": 1.0, "4": 0.5}
    # problem 1 at n = 4: two votes each, the tie going to "2", whose best sample scores 3.0
    assert result["majority"] == {"1": 0.0, "2": 1.0, "4": 1.0}
    assert result["weighted"] == {"1": 0.0, "2": 1.0, "4": 0.5}  # e^2 for "5" outweighs 2 e^0 for "4"
    assert verifier_beats_majority(result) == []  # this verifier never helps beyond the vote


def test_where_the_verifier_beats_the_vote_it_is_reported_with_its_margin():
    group = {"answers": ["1", "1", "2", "2", "1"], "correct": [False, False, True, True, False]}
    result = curves([group | {"scores": [0.0, 0.0, 5.0, 4.0, 0.0]}], [1, 5])
    assert (result["majority"]["5"], result["verifier"]["5"], result["weighted"]["5"]) == (0.0, 1.0, 1.0)
    assert verifier_beats_majority(result) == [(5, "verifier", 1.0), (5, "weighted", 1.0)]


def test_without_scores_only_the_vote_and_the_first_sample_are_measured():
    rows = [
        {"problem_id": "a", "completion": "1 + 1 = 2\\n#### 2", "correct": True},
        {"problem_id": "a", "completion": "no answer here", "correct": False},
    ]
    result = curves(grouped(rows, None), [1, 2])
    assert set(result) == {"first", "majority", "pass@n"}
    assert result["majority"] == {"1": 1.0, "2": 1.0}
