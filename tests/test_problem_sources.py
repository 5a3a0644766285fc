"""Where a run's problems come from (``problems.*``): local GSM8K files with the official test
file held out, Hub ids with config / split / columns as named, and the errors for bad sources."""

from __future__ import annotations

import json

import pytest

from selfplay.config import ConfigError, load_config
from selfplay.game.plan import ProblemSourceError, load_problems


def _cfg(*flags: str):
    return load_config(list(flags))[0]


def test_local_gsm8k_with_its_official_test_file_held_out(shared_data):
    train, test = shared_data / "gsm8k" / "train.jsonl", shared_data / "gsm8k" / "test.jsonl"
    splits = load_problems(_cfg("--problems.source", str(train), "--problems.test_source", str(test)))
    assert (
        len(splits["test"]) == 1019
    )  # every row of the local test file (1,019 of the 1,319), none from train
    assert {p.source for p in splits["test"]} == {"test"}
    assert {p.source for p in splits["prover"] + splits["verifier"]} == {"train"}
    assert len(splits["prover"]) + len(splits["verifier"]) == 7473
    assert abs(len(splits["prover"]) / 7473 - 0.5) < 0.02  # 0.45 : 0.45 of the training file
    questions = [{p.question for p in splits[s]} for s in ("prover", "verifier", "test")]
    assert not (questions[0] & questions[1]) and not (questions[0] | questions[1]) & questions[2]


def test_a_local_source_alone_is_hash_split_as_before(shared_data):
    cfg = _cfg("--problems.source", str(shared_data / "gsm8k" / "train.jsonl"))
    assert cfg.problems.test_source == "hash"  # `auto` resolved at load, recorded in config.yaml
    assert _cfg("--problems.source", "openai/gsm8k").problems.test_source == "test"
    splits = load_problems(cfg)
    assert sum(map(len, splits.values())) == 7473 and 600 < len(splits["test"]) < 900


def test_training_questions_that_are_test_questions_are_left_out(tmp_path):
    rows = [{"question": f"What is {i} + 1?", "answer": str(i + 1)} for i in range(40)]
    (tmp_path / "train.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (tmp_path / "test.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows[:10]))
    cfg = _cfg(
        "--problems.source",
        str(tmp_path / "train.jsonl"),
        "--problems.test_source",
        str(tmp_path / "test.jsonl"),
    )
    splits = load_problems(cfg)
    assert len(splits["test"]) == 10 and len(splits["prover"]) + len(splits["verifier"]) == 30


def test_a_hub_source_loads_the_named_config_split_and_columns(monkeypatch):
    calls = []

    def fake_load_dataset(dataset_id, config, split):
        calls.append((dataset_id, config, split))
        return [{"problem": f"{split} question {i}?", "solution": f"#### {i}"} for i in range(20)]

    monkeypatch.setattr("datasets.load_dataset", fake_load_dataset)
    cfg = _cfg(
        "--problems.source",
        "someone/math",
        "--problems.hub_config",
        "socratic",
        "--problems.question_column",
        "problem",
        "--problems.answer_column",
        "solution",
    )
    splits = load_problems(cfg)
    assert calls == [("someone/math", "socratic", "train"), ("someone/math", "socratic", "test")]
    assert len(splits["test"]) == 20 and all(p.question.startswith("test") for p in splits["test"])
    assert all(p.question.startswith("train") for p in splits["prover"] + splits["verifier"])


def test_an_unreachable_hub_dataset_names_the_source_split_and_fix(monkeypatch):
    def offline(*args, **kwargs):
        raise ConnectionError("no network")

    monkeypatch.setattr("datasets.load_dataset", offline)
    with pytest.raises(ProblemSourceError, match=r"'openai/gsm8k' \(split 'train'\).*test_source test.jsonl"):
        load_problems(_cfg("--problems.source", "openai/gsm8k"))


def test_a_split_name_needs_a_hub_source_and_the_test_source_must_be_held_out(tmp_path):
    (tmp_path / "t.jsonl").write_text(json.dumps({"question": "q?", "answer": "1"}) + "\n")
    with pytest.raises(ProblemSourceError, match=r"problems.test_source 'test': not a jsonl file"):
        load_problems(_cfg("--problems.source", str(tmp_path / "t.jsonl"), "--problems.test_source", "test"))
    with pytest.raises(ConfigError, match=r"problems.test_source .* is also where the training problems"):
        _cfg("--problems.source", "openai/gsm8k", "--problems.test_source", "train")
