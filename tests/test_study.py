"""The study's parts without a server: item choice, balanced orders, codes, judging rules, results."""

from __future__ import annotations

import json
import math
import random
import shutil
from collections import Counter

import pytest
from study_helpers import make_study

from selfplay.study import judging
from selfplay.study.build import INIT, build, parse_rounds, pick
from selfplay.study.database import StudyError, open_study, transaction
from selfplay.study.raters import balanced_order, rater_for_code
from selfplay.study.results import study_results, wilson, write_results


def test_each_problem_gives_one_correct_and_one_incorrect_sample_and_one_sided_ones_none():
    rows = [{"problem_id": "all-right", "correct": True}] * 3 + [
        {"problem_id": "all-wrong", "correct": False}
    ] * 3
    rows += [
        {"problem_id": f"mixed{k}", "correct": c, "n": i}
        for k in range(5)
        for i, c in enumerate([1, 0, 1, 0])
    ]
    chosen = pick(rows, per_checkpoint=6, rng=random.Random(0))
    assert len(chosen) == 6 and Counter(bool(r["correct"]) for r in chosen) == {True: 3, False: 3}
    assert {r["problem_id"] for r in chosen} < {f"mixed{k}" for k in range(5)}
    assert len({r["problem_id"] for r in chosen}) == 3
    assert (
        len(pick(rows, per_checkpoint=100, rng=random.Random(0))) == 10
    )  # every mixed problem, once each way


def test_rounds_are_named_and_a_bad_name_is_refused():
    assert parse_rounds("init,last", [0, 1, 2]) == [INIT, 2]
    assert parse_rounds("all", [0, 1]) == [INIT, 0, 1] and parse_rounds("round_001,0", [0, 1]) == [1, 0]
    with pytest.raises(StudyError, match=r"'7' is not init, last, all or a finished round \(\[0, 1\]\)"):
        parse_rounds("init,7", [0, 1])


def test_a_raters_order_is_balanced_at_every_full_pass_and_seeded():
    items = [(i, f"c{i % 3}", (i // 3) % 2) for i in range(60)]  # 6 groups of 10
    order = balanced_order(items, seed=5)
    assert sorted(order) == list(range(60)) and order == balanced_order(items, seed=5) != balanced_order(
        items, 6
    )
    group = {i: (c, k) for i, c, k in items}
    for end in range(6, 61, 6):  # after each pass every (checkpoint, correct) group appears equally
        assert set(Counter(group[i] for i in order[:end]).values()) == {end // 6}


def test_codes_are_stored_hashed_and_checked(tmp_path):
    study, codes = make_study(tmp_path, raters=3)
    connection = open_study(study)
    stored = [row[0] for row in connection.execute("SELECT code_hash FROM raters")]
    assert all(code not in stored for code in codes) and len(set(codes)) == 3
    assert [rater_for_code(connection, "s0", code) for code in codes] == [1, 2, 3]
    assert rater_for_code(connection, "s0", "wrong") is None and rater_for_code(connection, "s0", "") is None
    assert codes[0].encode() not in (study / "study.sqlite").read_bytes()


def test_judging_records_once_in_order_and_times_out_by_the_servers_clock(tmp_path, monkeypatch):
    study, _ = make_study(tmp_path, items=4, seconds=45)
    connection, clock = open_study(study), [1_000_000]
    monkeypatch.setattr(judging, "now_ms", lambda: clock[0])
    first = judging.current_item(connection, 1, 45)
    assert (first.position, first.judged, first.total, first.remaining_ms) == (0, 0, 4, 45_000)
    assert judging.judge(connection, 1, 1, "valid", 45) == "refused"  # not served: no skipping ahead
    clock[0] += 3_000
    assert judging.judge(connection, 1, 0, "valid", 45) == "recorded"
    assert judging.judge(connection, 1, 0, "invalid", 45) == "duplicate"  # a double click records once
    second = judging.current_item(connection, 1, 45)
    clock[0] += 50_000  # past 45 s and the grace: a client cannot claim more time
    assert judging.judge(connection, 1, second.position, "valid", 45) == "recorded"
    judging.current_item(connection, 1, 45)
    clock[0] += 600_000  # the rater went away: on return that item is a timeout, the next is served
    fourth = judging.current_item(connection, 1, 45)
    assert fourth.position == 3 and fourth.judged == 3
    assert judging.judge(connection, 1, 0, "valid", 45) == "duplicate"  # no going back
    rows = connection.execute("SELECT answer, ms_taken FROM judgments ORDER BY answered_at_ms").fetchall()
    assert [tuple(r) for r in rows] == [("valid", 3_000), ("timeout", 50_000), ("timeout", 600_000)]
    assert judging.judge(connection, 1, 3, "maybe", 45) == "refused"


def _fill(connection, answers: dict[int, list[str]]) -> None:
    """Judgments for raters 1.. with the given answers, item by item in item order."""
    items = [tuple(r) for r in connection.execute("SELECT item_id FROM items ORDER BY item_id")]
    with transaction(connection):
        for rater_id, given in answers.items():
            for (item_id,), answer in zip(items, given, strict=False):
                connection.execute(
                    "INSERT INTO judgments VALUES (?, ?, ?, ?, ?, ?)",
                    (rater_id, item_id, answer, 1000 * item_id, 0, item_id),
                )


def test_results_pin_accuracy_intervals_and_the_exclusion_rule(tmp_path):
    study, _ = make_study(tmp_path, items=12, raters=3)
    connection = open_study(study)
    truth = [bool(r[0]) for r in connection.execute("SELECT correct FROM items ORDER BY item_id")]
    right = ["valid" if t else "invalid" for t in truth]
    wrong = ["invalid" if t else "valid" for t in truth]
    # Items 1..12 (k = id - 1; even k: round_000, odd k: init). Rater 1: all right but item 2
    # (timeout); rater 2: items 1-10 right, 11-12 wrong; rater 3: all wrong (excluded).
    _fill(connection, {1: [right[0], "timeout", *right[2:]], 2: right[:10] + wrong[10:], 3: wrong})
    checkpoints, raters = study_results(connection)
    kept = [(r["rater_id"], r["answered"], r["excluded"]) for r in raters]
    assert kept == [(1, 11, False), (2, 12, False), (3, 12, True)]
    assert raters[2]["reason"] == "accuracy 0.00 <= 0.55 (chance level)"
    by_name = {row["checkpoint"]: row for row in checkpoints}
    even, odd = by_name["runs/a:round_000:helpful"], by_name["runs/a:init:helpful"]
    assert (even["answered"], even["timeouts"], even["accuracy"]) == (12, 0, 11 / 12)  # rater 2 on item 11
    assert (odd["answered"], odd["timeouts"], odd["accuracy"]) == (11, 1, 10 / 11)  # rater 2 on item 12
    assert (even["ci_low"], even["ci_high"]) == wilson(11, 12)
    assert math.isclose(wilson(11, 12)[0], 0.6461, abs_tol=1e-4)
    # Right answers on the even items: 1, 3, 5, 7, 9, 11 (rater 1) and 1, 3, 5, 7, 9 (rater 2).
    assert even["median_ms_right"] == 5_000
    assert (even["accuracy_on_correct"], even["accuracy_on_incorrect"]) == (5 / 6, 1.0)  # item 11 is correct


def test_results_are_written_as_csv_markdown_and_png(tmp_path):
    study, _ = make_study(tmp_path / "study", items=12, raters=1)
    connection = open_study(study)
    truth = [bool(r[0]) for r in connection.execute("SELECT correct FROM items ORDER BY item_id")]
    _fill(connection, {1: ["valid" if t else "invalid" for t in truth]})
    write_results(connection, tmp_path / "out")
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == ["README.md", "accuracy.png", "checkpoints.csv", "raters.csv"]
    assert "| runs/a:init:helpful | 6 | 6 | 0 | 1.000 |" in (tmp_path / "out" / "README.md").read_text()


def test_build_chooses_items_from_a_runs_eval_samples(game_run, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(game_run, run)
    (run / "eval").mkdir()
    for name, rnd in (("samples_warm_start.jsonl", -1), ("samples_round_001.jsonl", 1)):
        rows = [
            {
                "problem_id": f"p{k}",
                "role": role,
                "correct": i % 2 == 0,
                "round": rnd,
                "question": f"Q{k}",
                "completion": f"{role} {k} {i}",
            }
            for k in range(6)
            for role in ("helpful", "sneaky")
            for i in range(3)
        ]
        (run / "eval" / name).write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "study"
    assert build([run], out, "init,last", per_checkpoint=4, seed=0, seconds=45) == 16  # 4 checkpoints x 4
    connection = open_study(out)
    kinds = Counter((r["round"], r["role"], r["correct"]) for r in connection.execute("SELECT * FROM items"))
    assert kinds == {(rnd, role, c): 2 for rnd in (-1, 1) for role in ("helpful", "sneaky") for c in (0, 1)}
    with pytest.raises(StudyError, match="exists; give a new --out folder"):
        build([run], out, "init,last", per_checkpoint=4, seed=0, seconds=45)


def test_build_draws_the_samples_a_checkpoint_lacks_and_keeps_them_in_the_study(game_run, tmp_path):
    out = tmp_path / "study"
    count = build([game_run], out, "last", per_checkpoint=40, seed=0, seconds=45)
    kept = out / "samples" / game_run.name / "samples_round_001.jsonl"
    rows = [json.loads(line) for line in kept.read_text().splitlines()]
    problems = {r["problem_id"] for r in rows}  # up to pvg eval's 100 (the short run's test split has fewer)
    assert len(rows) == len(problems) * 8 * 2 and {r["round"] for r in rows} == {1}  # 8 per role
    assert not (game_run / "eval").exists()  # the run folder is not written to
    connection = open_study(out)
    assert connection.execute("SELECT COUNT(*) FROM items").fetchone()[0] == count > 0


def test_bad_study_commands_name_the_flag_or_folder(tmp_path, capsys):
    from selfplay.cli import main

    assert main(["study", "raters", str(tmp_path / "none"), "--add", "2"]) == 2
    assert "no study.sqlite; make one with `pvg study build" in capsys.readouterr().err
    study, _ = make_study(tmp_path / "study")
    assert main(["study", "raters", str(study), "--add", "0"]) == 2
    assert "--add 0: give 1 or more" in capsys.readouterr().err
    assert main(["study", "build", str(tmp_path / "not_a_run"), "--out", str(tmp_path / "s2")]) == 2
    assert "no config.yaml" in capsys.readouterr().err and not (tmp_path / "s2").exists()
    assert main(["study", "results", str(study), "--out", str(tmp_path / "r")]) == 0
    assert "0 checkpoints, 0 of 0 raters kept" in capsys.readouterr().out
