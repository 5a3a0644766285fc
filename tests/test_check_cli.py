import json
import subprocess
import sys
from pathlib import Path

import pytest

from selfplay.cli import main


def _write(path, rows):
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))
    return path


@pytest.fixture
def files(tmp_path):
    gold = _write(
        tmp_path / "gold.jsonl",
        [
            {"id": 1, "answer": "48/2 = 24\n#### 1,080"},
            {"id": "b", "answer": "\\frac{1}{2}"},
            {"id": "c", "answer": "7"},
            "not json",
        ],
    )
    pred = _write(
        tmp_path / "pred.jsonl",
        [
            {"id": 1, "completion": "540 * 2 = 1080\n#### 1080"},
            {"id": "b", "completion": "\\boxed{0.5}"},
            {"id": "c", "completion": "I think 7"},
            {"id": "zzz", "completion": "#### 3"},
            {"id": "c"},
        ],
    )
    return gold, pred, tmp_path / "out" / "verdicts.jsonl"


def test_grades_by_id_and_writes_one_verdict_per_pred(files, capsys):
    gold, pred, out = files
    assert main(["check", "--gold", str(gold), "--pred", str(pred), "--out", str(out)]) == 0
    verdicts = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(v["line"], v["id"], v["correct"], v["reason"]) for v in verdicts] == [
        (1, 1, True, "correct"),
        (2, "b", True, "correct"),
        (3, "c", False, "no_answer"),
        (4, "zzz", False, "missing_gold"),
        (5, "c", False, "malformed_line"),  # no completion: a verdict, not a lost line
    ]
    assert verdicts[4]["error"] == 'needs "id" and a string "completion"'
    assert verdicts[0]["extracted"] == "1080"
    assert verdicts[0]["steps"] == {
        "n_lines": 2,
        "n_steps": 1,
        "n_checkable": 1,
        "n_correct": 1,
        "checkable_fraction": 0.5,
        "correct_fraction": 1.0,
    }
    captured = capsys.readouterr()
    assert "accuracy 0.4000 (2/5)" in captured.out
    assert "missing_gold" in captured.out and "malformed_pred_line x1" in captured.out
    assert "malformed_gold_line x1" in captured.out
    assert "--pred" in captured.err and "line 5" in captured.err
    assert not list(out.parent.glob(".*.tmp"))


def test_bad_paths_and_duplicate_ids_are_clear_errors(files, tmp_path, capsys):
    _, pred, out = files
    assert (
        main(["check", "--gold", str(tmp_path / "nope.jsonl"), "--pred", str(pred), "--out", str(out)]) == 2
    )
    assert "--gold" in capsys.readouterr().err
    dup = _write(tmp_path / "dup.jsonl", [{"id": 1, "answer": "1"}, {"id": 1, "answer": "2"}])
    assert main(["check", "--gold", str(dup), "--pred", str(pred), "--out", str(out)]) == 2
    assert "id '1' already on line 1" in capsys.readouterr().err
    assert not out.exists()


def test_console_script_runs(files):
    gold, pred, out = files
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "selfplay.cli",
            "check",
            "--gold",
            str(gold),
            "--pred",
            str(pred),
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "accuracy 0.4000" in done.stdout and out.exists()


def test_train_refuses_an_unknown_key():
    done = subprocess.run(
        [
            sys.executable,
            str(Path(__file__).resolve().parents[1] / "selfplay" / "train.py"),
            "--prover.lr",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "unknown config key" in done.stderr


def test_one_poisoned_line_never_costs_the_good_lines_their_verdicts(tmp_path, capsys):
    gold = _write(tmp_path / "gold.jsonl", [{"id": i, "answer": str(i)} for i in range(4)])
    poison = [
        '{"id": 0, "completion": ' + "[" * 100_000 + "]" * 100_000 + "}",  # RecursionError in json
        '{"id": ' + "9" * 5000 + ', "completion": "#### 1"}',  # over Python's int digit limit
        '{"id": 2, "completion": "#### ' + "7" * 5000 + '"}',  # a 5,000-digit answer: graded, bounded
    ]
    good = [json.dumps({"id": i, "completion": f"#### {i}"}) for i in range(4)]
    pred = tmp_path / "pred.jsonl"
    lines = [good[0], poison[0], good[1], poison[1], good[2], poison[2], good[3]]
    pred.write_bytes("\n".join(lines).encode() + b'\n{"id": 3, "completion": "\xff\xfe\\n#### 3"}\n')
    out = tmp_path / "verdicts.jsonl"
    assert main(["check", "--gold", str(gold), "--pred", str(pred), "--out", str(out)]) == 0
    verdicts = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(v["line"], v["reason"]) for v in verdicts] == [
        (1, "correct"),
        (2, "malformed_line"),
        (3, "correct"),
        (4, "malformed_line"),
        (5, "correct"),
        (6, "oversize"),
        (7, "correct"),
        (8, "correct"),  # non-UTF-8 bytes are replaced, the line still graded
    ]
    assert verdicts[1]["error"] == "nested too deep to decode" and "cannot be decoded" in verdicts[3]["error"]
    assert "accuracy 0.6250 (5/8)" in capsys.readouterr().out


@pytest.mark.parametrize("which", ["gold", "pred", "folder"])
def test_out_may_not_be_an_input_or_a_folder(files, capsys, which):
    gold, pred, _ = files
    out = {"gold": gold, "pred": pred, "folder": gold.parent}[which]
    before = gold.read_bytes(), pred.read_bytes()
    assert main(["check", "--gold", str(gold), "--pred", str(pred), "--out", str(out)]) == 2
    assert "--out" in capsys.readouterr().err
    assert (gold.read_bytes(), pred.read_bytes()) == before


def test_workers_change_nothing_but_speed_and_zero_is_refused(tmp_path, capsys):
    golds = ["\\sqrt{2}", "\\frac{1}{2}", "72", "(1, 2)"]
    answers = ["\\sqrt{2}", "\\frac{2}{4}", "#### 73", "\\boxed{(1,2)}", "\\boxed{\\pi}", "bad"]
    gold = _write(tmp_path / "gold.jsonl", [{"id": i, "answer": g} for i, g in enumerate(golds)])
    rows = [{"id": k % len(golds), "completion": answers[k % len(answers)]} for k in range(600)]
    pred = _write(tmp_path / "pred.jsonl", rows)  # more lines than one chunk of 256
    outputs = []
    for workers in ("1", "4"):
        out = tmp_path / f"v{workers}.jsonl"
        assert (
            main(["check", "--gold", str(gold), "--pred", str(pred), "--out", str(out), "--workers", workers])
            == 0
        )
        outputs.append(out.read_text())
    assert outputs[0] == outputs[1]
    assert [json.loads(line)["line"] for line in outputs[0].splitlines()] == list(range(1, 601))
    out = tmp_path / "v0.jsonl"
    assert main(["check", "--gold", str(gold), "--pred", str(pred), "--out", str(out), "--workers", "0"]) == 2
    assert "--workers 0: give 1 or more" in capsys.readouterr().err and not out.exists()
