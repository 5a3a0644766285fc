"""Batched verifier scoring and the verifier's held-out metrics.

Scoring is no-grad, sorts texts by length so that a batch pads little, and returns scores in the
input order; the same inputs give the same scores. Texts are formatted exactly as in training
(template + EOS). A text over ``max_length`` tokens keeps its end (the final answer and the EOS
token where the score is read) and loses its beginning.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from selfplay.models.verifier_text import encode_verifier_inputs
from selfplay.run_folder import atomic_write_text


class VerifierScorer:
    """Scores (question, solution) pairs with a one-score classifier."""

    def __init__(self, model, tokenizer, batch_size: int = 64, max_length: int = 512) -> None:
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.batch_size = batch_size
        self.max_length = max_length

    def score(self, questions: Sequence[str], solutions: Sequence[str]) -> list[float]:
        """One real score per solution, higher meaning "more likely correct"."""
        if len(questions) != len(solutions):
            raise ValueError(f"{len(questions)} questions but {len(solutions)} solutions")
        encoded = encode_verifier_inputs(self.tokenizer, questions, solutions)
        encoded = [ids[-self.max_length :] for ids in encoded]
        order = sorted(range(len(encoded)), key=lambda i: len(encoded[i]))
        scores = [0.0] * len(encoded)
        device = next(self.model.parameters()).device
        with torch.inference_mode():
            for start in range(0, len(order), self.batch_size):
                batch = order[start : start + self.batch_size]
                padded = self.tokenizer.pad({"input_ids": [encoded[i] for i in batch]}, return_tensors="pt")
                logits = self.model(**padded.to(device)).logits[:, 0].float().cpu().tolist()
                for index, value in zip(batch, logits, strict=True):
                    scores[index] = value
        return scores


def roc_auc(scores: Sequence[float], labels: Sequence[bool]) -> float:
    """Area under the ROC curve (ties count half): P(score of a correct > score of an incorrect)."""
    scores_arr, labels_arr = np.asarray(scores, dtype=float), np.asarray(labels, dtype=bool)
    n_pos, n_neg = int(labels_arr.sum()), int((~labels_arr).sum())
    if n_pos == 0 or n_neg == 0:
        raise ValueError(f"ROC AUC needs both classes, got {n_pos} correct and {n_neg} incorrect")
    order = np.argsort(scores_arr, kind="mergesort")
    ranks = np.empty(len(scores_arr))
    sorted_scores = scores_arr[order]
    start = 0
    for end in range(1, len(sorted_scores) + 1):  # average ranks over ties
        if end == len(sorted_scores) or sorted_scores[end] != sorted_scores[start]:
            ranks[order[start:end]] = (start + end + 1) / 2
            start = end
    return float((ranks[labels_arr].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def verifier_metrics(scores: Sequence[float], labels: Sequence[bool]) -> dict:
    """ROC AUC, accuracy at the median-score threshold, mean score of correct and incorrect."""
    scores_arr, labels_arr = np.asarray(scores, dtype=float), np.asarray(labels, dtype=bool)
    predicted = scores_arr > np.median(scores_arr)
    return {
        "roc_auc": roc_auc(scores_arr, labels_arr),
        "accuracy_at_median": float((predicted == labels_arr).mean()),
        "mean_score_correct": float(scores_arr[labels_arr].mean()),
        "mean_score_incorrect": float(scores_arr[~labels_arr].mean()),
        "n_correct": int(labels_arr.sum()),
        "n_incorrect": int((~labels_arr).sum()),
    }


def write_metrics(path: str | Path, metrics: dict) -> None:
    """Write ``metrics`` as JSON atomically (a temporary file renamed into place)."""
    atomic_write_text(Path(path), json.dumps(metrics, indent=2, sort_keys=True) + "\n")
