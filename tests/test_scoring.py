import pytest
import torch

from selfplay.models.scoring import VerifierScorer, roc_auc, verifier_metrics, write_metrics
from selfplay.models.tiny import build_tiny_classifier, build_tiny_tokenizer


@pytest.mark.parametrize(
    ("scores", "labels", "auc"),
    [
        ([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1], 0.75),
        ([1, 2, 3, 4], [0, 0, 1, 1], 1.0),
        ([1, 2, 3, 4], [1, 1, 0, 0], 0.0),
        ([5, 5, 5, 5], [1, 0, 1, 0], 0.5),
        ([1, 2, 2, 3], [0, 1, 0, 1], 0.875),
    ],
)
def test_roc_auc_pinned(scores, labels, auc):
    assert roc_auc(scores, [bool(x) for x in labels]) == pytest.approx(auc)


def test_metrics_and_their_json(tmp_path):
    metrics = verifier_metrics([0.9, 0.8, 0.1, 0.3], [True, True, False, False])
    assert metrics == {
        "roc_auc": 1.0,
        "accuracy_at_median": 1.0,
        "mean_score_correct": pytest.approx(0.85),
        "mean_score_incorrect": pytest.approx(0.2),
        "n_correct": 2,
        "n_incorrect": 2,
    }
    write_metrics(tmp_path / "m" / "metrics.json", metrics)
    assert (tmp_path / "m" / "metrics.json").read_text().startswith("{")
    with pytest.raises(ValueError, match="both classes"):
        roc_auc([1.0, 2.0], [True, True])


@pytest.fixture(scope="module")
def scorer():
    torch.manual_seed(0)
    tokenizer = build_tiny_tokenizer()
    return VerifierScorer(build_tiny_classifier(tokenizer), tokenizer, batch_size=3, max_length=64)


def test_batched_scores_equal_one_by_one_in_input_order(scorer):
    questions = ["Ava has 3 cards.", "What is 1/2 + 1/3?", "Ben has 10 apples.", "Solve for x: 2x = 4.", "q"]
    solutions = [
        "3 + 4 = 7\n#### 7",
        "#### 5/6",
        "10 - 2 = 8\n8 * 2 = 16\n#### 16",
        "4 / 2 = 2\n#### 2",
        "a" * 400,
    ]
    batched = scorer.score(questions, solutions)
    single = [scorer.score([q], [s])[0] for q, s in zip(questions, solutions, strict=True)]
    assert batched == pytest.approx(single, abs=1e-5)
    assert scorer.score(questions, solutions) == batched  # same inputs, same scores
    assert len(set(batched)) == len(batched)


def test_long_texts_keep_their_end(scorer):
    # Only the last max_length tokens are read, so a different beginning cannot change the score.
    tail = "\n3 + 4 = 7\n#### 7" * 20
    assert scorer.score(["q"], ["x" * 300 + tail]) == pytest.approx(scorer.score(["q"], ["y" * 300 + tail]))
    with pytest.raises(ValueError, match="2 questions but 1 solutions"):
        scorer.score(["a", "b"], ["c"])
