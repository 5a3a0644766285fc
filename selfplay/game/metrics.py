"""Per-round game metrics from labelled test-split samples (``sampling.sample_and_label`` rows)."""

from __future__ import annotations

from collections.abc import Callable
from statistics import mean

from selfplay.evaluation.legibility import style_table
from selfplay.models.scoring import roc_auc


def _mean_or_none(values: list[float]) -> float | None:
    return mean(values) if values else None


def round_metrics(rows: list[dict]) -> dict:
    """Helpful accuracy, sneaky incorrect rate, mean verifier score of helpful-correct vs
    sneaky-incorrect, verifier ROC AUC on these fresh samples (``None`` without both classes or
    without scores), mean completion length per role (characters), step checkability, and per
    role the share and accuracy of each style and form (``envs.styles``; rows from before styles
    were labelled have none)."""
    helpful = [r for r in rows if r["role"] == "helpful"]
    sneaky = [r for r in rows if r["role"] == "sneaky"]
    scored = [r for r in rows if "score" in r]
    labels = [r["correct"] for r in scored]
    auc = roc_auc([r["score"] for r in scored], labels) if scored and 0 < sum(labels) < len(labels) else None
    return {
        "helpful_accuracy": _mean_or_none([float(r["correct"]) for r in helpful]),
        "sneaky_incorrect_rate": _mean_or_none([float(not r["correct"]) for r in sneaky]),
        "score_helpful_correct": _mean_or_none(
            [r["score"] for r in helpful if r["correct"] and "score" in r]
        ),
        "score_sneaky_incorrect": _mean_or_none(
            [r["score"] for r in sneaky if not r["correct"] and "score" in r]
        ),
        "verifier_auc": auc,
        "length_helpful": _mean_or_none([len(r["completion"]) for r in helpful]),
        "length_sneaky": _mean_or_none([len(r["completion"]) for r in sneaky]),
        "checkable_fraction_helpful": _mean_or_none([r["steps"]["checkable_fraction"] for r in helpful]),
        "checkable_fraction_sneaky": _mean_or_none([r["steps"]["checkable_fraction"] for r in sneaky]),
        "n_samples": len(rows),
        **_style_tables(rows),
    }


def free_baselines(sample: Callable[..., list[dict]], n: int, cold_temperature: float) -> dict:
    """The warm start's free baselines: helpful accuracy at ``cold_temperature`` (``n`` samples a
    problem) and greedy, from ``sample(n, temperature=..., roles=...)``, which returns labelled
    rows of the same problems. An RL gain must be read beside them: they come from sharpening
    alone."""
    helpful = ("helpful",)
    cold = sample(n, temperature=cold_temperature, roles=helpful)
    greedy = sample(1, temperature=0.0, roles=helpful)
    return {
        "cold_temperature": cold_temperature,
        "helpful_accuracy_cold": round_metrics(cold)["helpful_accuracy"],
        "helpful_accuracy_greedy": round_metrics(greedy)["helpful_accuracy"],
    }


def _style_tables(rows: list[dict]) -> dict:
    labelled = [r for r in rows if "style" in r]
    if not labelled:
        return {}
    return {"styles": style_table(labelled, "style"), "forms": style_table(labelled, "form")}
