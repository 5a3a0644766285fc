"""One tracker run per game: phases log under their names on a step that keeps counting across
phases (and across a resumed run), rounds' metrics under ``round/``; read back from TensorBoard's
event files."""

from __future__ import annotations

import json
import random

import pytest
import torch

from envs.corrupt import corrupt_step
from envs.generators import GeneratorConfig, generate
from selfplay.config import ConfigError, VerifierConfig, load_config
from selfplay.game.tracking import STATE_FILE, GameTracker
from selfplay.game.verifier_data import Pair
from selfplay.game.verifier_training import train_verifier
from selfplay.models.tiny import build_tiny_classifier, build_tiny_tokenizer

pytest.importorskip("tensorboard", reason="tensorboard is installed by the [dev] and [tensorboard] extras")
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator


def _events(root) -> dict[str, list[tuple[int, float]]]:
    folders = list((root / "tracking").iterdir())
    assert len(folders) == 1, "one tracker run per game"
    acc = EventAccumulator(str(folders[0]))
    acc.Reload()
    return {tag: [(e.step, e.value) for e in acc.Scalars(tag)] for tag in acc.Tags()["scalars"]}


def _pairs(n: int) -> list[Pair]:
    problems = generate("arithmetic", n, seed=0, config=GeneratorConfig(1, 2, 10))
    rng = random.Random(0)
    wrong = [(p, corrupt_step(p.solution, rng)) for p in problems]
    return [Pair(p.id, 0, p.question, p.solution, w) for p, w in wrong if w is not None]


def test_phases_share_one_run_with_a_step_that_keeps_counting(tmp_path):
    torch.manual_seed(0)
    tokenizer = build_tiny_tokenizer()
    build_tiny_classifier(tokenizer).save_pretrained(tmp_path / "init")
    tokenizer.save_pretrained(tmp_path / "init")
    root = tmp_path / "run"
    tracker = GameTracker(["tensorboard"], root, is_main_process=True)
    config = VerifierConfig(max_steps=4, pairs_per_device=4, warmup_steps=0)
    for phase in ("round_000/verifier", "round_001/verifier"):
        tracker.begin(phase)
        train_verifier(tmp_path / "init", _pairs(32), config, tmp_path / phase, callbacks=tracker.callbacks())
        tracker.end()
    tracker.begin("round_001/metrics")
    tracker.log_round({"round": 1, "helpful_accuracy": 0.5, "styles": {"helpful": {"stepwise": 0.25}}})
    tracker.end()
    tracker.finish()

    events = _events(root)
    first, second = events["round_000/verifier/loss"], events["round_001/verifier/loss"]
    assert [s for s, _ in first] == [1, 2, 3, 4] and [s for s, _ in second] == [5, 6, 7, 8]
    assert events["round/helpful_accuracy"] == [(8, 0.5)]
    assert events["round/styles/helpful/stepwise"] == [(8, 0.25)]
    state = json.loads((root / STATE_FILE).read_text())
    assert state["phases"]["round_001/verifier"] == {"start": 4, "steps": 4}

    resumed = GameTracker(["tensorboard"], root, is_main_process=True)  # the same command again
    assert resumed.state["run_id"] == state["run_id"] and resumed.step == 8
    resumed.finish()


def test_no_tracker_logs_nothing_and_other_processes_never_start_one(tmp_path):
    assert GameTracker(["none"], tmp_path, True).callbacks() == []
    assert GameTracker(["tensorboard"], tmp_path, is_main_process=False).callbacks() == []
    assert not (tmp_path / "tracking").exists() and not (tmp_path / STATE_FILE).exists()


def test_report_to_is_a_list_of_known_trackers():
    assert load_config(["--report_to", "tensorboard,trackio"])[0].report_to == ["tensorboard", "trackio"]
    assert load_config([])[0].report_to == ["none"]
    with pytest.raises(ConfigError, match="report_to"):
        load_config(["--report_to", "tensorbord"])
    with pytest.raises(ConfigError, match="`none` cannot be given with a tracker"):
        load_config(["--report_to", "none,wandb"])
