"""The sampling phases: ``init/samples`` (the initial prover in both roles, with the free
baselines), each round's ``samples`` (the verifier-split pool the next verifiers train on) and
``metrics`` (fresh test-split samples, read against the warm start)."""

from __future__ import annotations

import functools

from selfplay.game.context import GameContext
from selfplay.game.metrics import free_baselines, round_metrics
from selfplay.game.verifier_data import INITIAL_ROUND
from selfplay.models.scoring import write_metrics
from selfplay.run_folder import read_json, write_jsonl


def init_samples(game: GameContext) -> None:
    """The initial prover's samples: round 0's verifier trains on its mistakes, and its test
    samples are the warm start every later round is compared with."""
    s, init = game.cfg.sampling, game.init_dir
    prover = game.load_prover(init / "prover")
    pool = game.sample(prover, INITIAL_ROUND, "verifier", s.problems_per_round, s.samples_per_role)
    fresh = game.sample(prover, INITIAL_ROUND, "test", s.eval_problems, s.eval_samples_per_role)
    # The free baselines on the same test problems: what sharpening alone gives.
    baselines = free_baselines(
        functools.partial(game.sample, prover, INITIAL_ROUND, "test", s.eval_problems),
        s.eval_samples_per_role,
        s.cold_temperature,
    )
    if game.state.is_main_process:  # every process sampled its share; one writes
        write_jsonl(init / "samples.jsonl", pool)
        write_jsonl(init / "eval_samples.jsonl", fresh)
        write_metrics(init / "metrics.json", round_metrics(fresh) | baselines)


def round_samples(game: GameContext, round_index: int) -> None:
    """The new prover's verifier-split samples, labelled by the checker: the next rounds'
    verifiers train on them (scores are kept for analysis, never used as labels)."""
    s, rd = game.cfg.sampling, game.round_dir(round_index)
    prover = game.load_prover(rd / "prover")
    pool = game.sample(
        prover, round_index, "verifier", s.problems_per_round, s.samples_per_role, game.scorer(rd).score
    )
    if game.state.is_main_process:
        write_jsonl(rd / "samples.jsonl", pool)


def round_test_metrics(game: GameContext, round_index: int) -> None:
    """Fresh test-split samples scored by this round's verifier; the warm start's numbers are
    repeated beside them so a round is always read against its baselines."""
    s, rd = game.cfg.sampling, game.round_dir(round_index)
    prover = game.load_prover(rd / "prover")
    fresh = game.sample(
        prover, round_index, "test", s.eval_problems, s.eval_samples_per_role, game.scorer(rd).score
    )
    if not game.state.is_main_process:
        return
    write_jsonl(rd / "eval_samples.jsonl", fresh)
    prover_log = read_json(rd / "prover" / "train_log.json")
    info = read_json(rd / "verifier" / "verifier.json")
    metrics = round_metrics(fresh) | {
        "round": round_index,
        "prover_steps": prover_log["steps"],
        "prover_stopped_early_at": prover_log["stopped_at"],
        "verifier_train_loss": info["metrics"]["train_loss"],
        "verifier_data_counts": info["data_counts"],
        **_warm_start_baselines(read_json(game.init_dir / "metrics.json")),
    }
    write_metrics(rd / "metrics.json", metrics)
    game.tracker.log_round(metrics)


def _warm_start_baselines(init_metrics: dict) -> dict:
    """The warm start's helpful accuracies a round's metrics repeat (cold and greedy: folders from
    before the free baselines lack them)."""
    keys = ("helpful_accuracy", "helpful_accuracy_cold", "helpful_accuracy_greedy")
    return {f"warm_start_{key}": init_metrics[key] for key in keys if key in init_metrics}
