"""Pretraining the verifier's initial weights on the environment's corruptions."""

import json

import pytest
import torch

from envs.checker import check_completion
from envs.generators import GeneratorConfig, generate
from envs.problems import Problem
from envs.styles import form_of, solution_program
from selfplay.config import VerifierConfig
from selfplay.game.verifier_pretrain import (
    PretrainDataError,
    VerifierPretrainConfig,
    corruption_pairs,
    pretrain_verifier,
)
from selfplay.models.tiny import build_tiny_classifier, build_tiny_tokenizer
from selfplay.models.verifier import load_classifier

PROBLEMS = generate("arithmetic", 40, seed=0, config=GeneratorConfig(1, 2, 10))
PROSE = Problem("gsm-1", "How many?", "5", "gsm8k", solution="She has five apples.\n#### 5")
NO_SOLUTION = Problem("m-1", "What is x?", "2", "math500")


def test_pairs_are_a_correct_and_a_wrong_solution_of_the_same_form():
    pairs, counts = corruption_pairs([*PROBLEMS, PROSE, NO_SOLUTION], seed=0)
    assert counts == {"problems": 42, "pairs": len(pairs), "skipped": 42 - len(pairs)}
    assert len(pairs) >= 30 and counts["skipped"] >= 2
    by_id = {p.id: p for p in PROBLEMS}
    for pair in pairs:
        problem = by_id[pair.problem_id]
        assert pair.question == problem.question
        assert form_of(pair.correct_solution) == form_of(pair.incorrect_solution) != "other"
        assert check_completion(pair.correct_solution, problem.answer, with_steps=False).correct
        assert not check_completion(pair.incorrect_solution, problem.answer, with_steps=False).correct
    assert {p.problem_id for p in pairs}.isdisjoint({"gsm-1", "m-1"})


def test_several_fresh_pairs_per_problem():
    pairs, counts = corruption_pairs(PROBLEMS, seed=0, pairs_per_problem=8)
    per_problem = {pid: [p for p in pairs if p.problem_id == pid] for pid in {p.problem_id for p in pairs}}
    assert max(len(v) for v in per_problem.values()) == 8 and counts["pairs"] == len(pairs)
    assert (
        sum(len({p.incorrect_solution for p in v}) > 1 for v in per_problem.values()) >= len(per_problem) // 2
    )


def test_a_solution_without_renderings_falls_back_to_its_corrupted_reference():
    # Most linear solutions start with a bare negative number: no program, but corrupt_step works.
    linear = [p for p in generate("linear", 40, seed=0) if solution_program(p.solution) is None]
    pairs, _ = corruption_pairs(linear, seed=0)
    references = {p.id: p.solution for p in linear}
    assert len(pairs) >= 5 and all(p.correct_solution == references[p.problem_id] for p in pairs)


def test_pairs_are_deterministic_for_the_seed():
    assert corruption_pairs(PROBLEMS, seed=3) == corruption_pairs(PROBLEMS, seed=3)
    assert corruption_pairs(PROBLEMS, seed=3)[0] != corruption_pairs(PROBLEMS, seed=4)[0]


def test_no_corruptible_problem_is_an_error_naming_the_fix():
    with pytest.raises(PretrainDataError, match=r"none of 2 .*--verifier_pretrain.steps 0"):
        corruption_pairs([PROSE, NO_SOLUTION], seed=0)


@pytest.mark.parametrize(("steps", "lr", "per_problem"), [(-1, 1e-3, 1), (10, 0.0, 1), (10, 1e-3, 0)])
def test_bad_settings_name_the_field(steps, lr, per_problem):
    with pytest.raises(ValueError, match="verifier_pretrain"):
        VerifierPretrainConfig(steps=steps, learning_rate=lr, pairs_per_problem=per_problem)


def test_pretraining_moves_the_initial_weights_and_records_its_settings(tmp_path):
    tokenizer = build_tiny_tokenizer()
    torch.manual_seed(0)
    build_tiny_classifier(tokenizer).save_pretrained(tmp_path / "init")
    tokenizer.save_pretrained(tmp_path / "init")
    before, _ = load_classifier(str(tmp_path / "init"))
    pretrain = VerifierPretrainConfig(steps=6, learning_rate=2e-3)
    model, _, log = pretrain_verifier(
        tmp_path / "init", PROBLEMS, pretrain, VerifierConfig(pairs_per_device=4), tmp_path / "work"
    )
    moved = [n for n, t in before.state_dict().items() if not torch.equal(t, model.state_dict()[n])]
    assert "score.weight" in moved and len(moved) == len(before.state_dict())
    assert (log["steps"], log["config"].max_steps, log["config"].learning_rate) == (6, 6, 2e-3)
    assert log["counts"]["pairs"] == len(corruption_pairs(PROBLEMS, seed=0, pairs_per_problem=8)[0])


def test_train_refuses_pretraining_on_problems_it_cannot_corrupt_before_any_work(tmp_path, capsys):
    from selfplay.train import main

    rows = [{"question": f"Q{i}: how many?", "answer": f"She has {i} apples.\n#### {i}"} for i in range(60)]
    data = tmp_path / "prose.jsonl"
    data.write_text("".join(json.dumps(row) + "\n" for row in rows))
    run = tmp_path / "run"
    assert main(["--output_dir", str(run), "--problems.source", str(data)]) == 2
    assert "--verifier_pretrain.steps 0" in capsys.readouterr().err
    assert not run.exists() or [p.name for p in run.iterdir()] == [".lock"]  # only the folder's lock
