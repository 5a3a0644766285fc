"""``pvg solve`` end to end on a tiny finished run and on GSM8K rows, and its input errors."""

from __future__ import annotations

import json

import pytest

from envs.generators import GeneratorConfig, generate
from selfplay.cli import main


def _problems(path, rows):
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


@pytest.fixture
def arithmetic(tmp_path):
    problems = generate("arithmetic", 6, seed=11, config=GeneratorConfig(1, 1, 10))
    return _problems(
        tmp_path / "p.jsonl", [{"id": p.id, "question": p.question, "answer": p.answer} for p in problems]
    )


def test_solve_with_a_runs_prover_and_verifier(game_run, arithmetic, tmp_path, capsys):
    rd = game_run / "round_001"
    argv = [
        "solve",
        "--prover",
        str(rd / "prover"),
        "--verifier",
        str(rd / "verifier"),
        "--problems",
        str(arithmetic),
    ]
    assert main([*argv, "--out", str(tmp_path / "a.jsonl"), "--n", "4", "--seed", "3"]) == 0
    printed = capsys.readouterr().out
    rows = [json.loads(line) for line in (tmp_path / "a.jsonl").read_text().splitlines()]
    assert len(rows) == 6 and {row["rule"] for row in rows} == {"weighted"}  # the default with a verifier
    for row in rows:
        assert len(row["samples"]) == 4 and all(isinstance(s["score"], float) for s in row["samples"])
        if row["answer"] is not None:
            assert row["completion"] in [s["completion"] for s in row["samples"]]
        assert isinstance(row["correct"], bool) and row["pass_at_n"] >= row["correct"]
    accuracy = sum(row["correct"] for row in rows) / 6
    assert f"accuracy {accuracy:.3f} on 6 with answers (pass@4" in printed
    assert main([*argv, "--out", str(tmp_path / "b.jsonl"), "--n", "4", "--seed", "3"]) == 0
    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()  # deterministic


def test_solve_reads_gsm8k_rows_and_votes_without_a_verifier(game_run, shared_data, tmp_path, capsys):
    lines = (shared_data / "gsm8k" / "test.jsonl").read_text().splitlines()[:3]
    problems = tmp_path / "gsm8k.jsonl"
    problems.write_text("\n".join(lines) + "\n")
    out = tmp_path / "g.jsonl"
    argv = ["solve", "--prover", str(game_run / "round_001" / "prover"), "--problems", str(problems)]
    assert main([*argv, "--out", str(out), "--n", "2", "--max_new_tokens", "16"]) == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [row["id"] for row in rows] == ["gsm8k-1", "gsm8k-2", "gsm8k-3"]  # ids from the line numbers
    assert {row["rule"] for row in rows} == {"majority"} and all("correct" in row for row in rows)
    assert "3 problems, 2 samples each, rule majority" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("extra", "rows", "message"),
    [
        (["--n", "0"], None, "--n must be >= 1"),
        (["--select", "verifier"], None, "--select verifier needs --verifier PATH"),
        ([], [{"id": 1, "question": "a?"}, {"id": 1, "question": "b?"}], "line 2 repeats id '1'"),
        ([], [{"id": 1, "text": "no question"}], "no row has a non-empty string 'question'"),
    ],
)
def test_bad_input_is_a_clear_error_with_exit_2(tmp_path, capsys, extra, rows, message):
    problems = _problems(tmp_path / "p.jsonl", rows or [{"question": "q?"}])
    argv = ["solve", "--prover", "unused", "--problems", str(problems), "--out", str(tmp_path / "o.jsonl")]
    assert main([*argv, *extra]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "o.jsonl").exists()


def test_a_missing_file_and_rows_without_a_question(game_run, tmp_path, capsys):
    argv = ["solve", "--prover", str(game_run / "round_001" / "prover"), "--out", str(tmp_path / "o.jsonl")]
    assert main([*argv, "--problems", str(tmp_path / "missing.jsonl")]) == 2
    assert "is not a file" in capsys.readouterr().err
    problems = _problems(tmp_path / "p.jsonl", [{"question": "What is 2 + 2?", "answer": "4"}, {"id": "x"}])
    (problems.open("a")).write("{broken\n")
    assert main([*argv, "--problems", str(problems), "--n", "1", "--max_new_tokens", "8"]) == 0
    assert "skipped 2 row(s) without a question: lines 2, 3" in capsys.readouterr().err
