"""`pvg eval`, `pvg report` and `pvg push --dry-run` on the shared short run (tests/game_helpers.py)."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from huggingface_hub import ModelCard
from transformers import (
    AutoModelForCausalLM,
    AutoModelForSequenceClassification,
    TrainerControl,
    TrainerState,
)

from rewards.trl_adapter import CallStats, RewardStats
from selfplay.config import ProverConfig
from selfplay.evaluation.attack import AttackMonitor, attack_config

# The shared run (tests/game_helpers.py) is made in the setup of whichever test needs it first.
pytestmark = pytest.mark.timeout(900)

EVAL = ["--problems", "4", "--samples_per_role", "4", "--attack_steps", "2", "--judge_steps", "20"]
EVAL += ["--deploy_problems", "6", "--deploy_n", "1,2,4,8"]
PNGS = ("round_metrics.png", "best_of_n.png", "attack.png", "judge.png", "styles.png")
PNGS += ("deployment.png", "deployment_matrix.png")


def pvg(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "selfplay.cli", *args],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "TOKENIZERS_PARALLELISM": "false", **(env or {})},
    )


@pytest.fixture(scope="module")
def evaluated(game_run, tmp_path_factory) -> Path:
    run = tmp_path_factory.mktemp("eval") / "game"
    shutil.copytree(game_run, run)
    done = pvg("eval", str(run), *EVAL)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    return run


def test_eval_writes_every_metric_for_every_round(evaluated):
    summary = json.loads((evaluated / "eval" / "summary.json").read_text())
    assert [r["round"] for r in summary["rounds"]] == [0, 1]
    assert summary["eval_command"].startswith("pvg eval ")
    for result in summary["rounds"]:
        assert result["metrics"]["n_samples"] == 4 * 2 * 4  # problems x roles x samples
        assert set(result["best_of_n"]) == {"1", "2", "4", "8", "16"}
        best_of_1 = result["best_of_n"]["1"]  # one correct and one incorrect drawn: a coin flip
        assert best_of_1["accuracy"] == (0.5 if best_of_1["n_problems"] else None)
        assert set(result["judge"]) == {"kind", "round", "threshold", "helpful", "sneaky"}
        assert (result["judge"]["kind"], result["judge"]["round"]) == ("independent", None)
        assert set(result["metrics"]["styles"]) == {"helpful", "sneaky"}
        assert set(result["step_checkability"]) == {"helpful", "sneaky"}
        attack = result["attack"]
        assert attack["budget_steps"] == 2 and attack["reward"] == "src"
        assert 1 <= len(attack["history"]) <= 2
        assert attack["steps_to_success"] in (None, len(attack["history"]))  # it stops when it succeeds
        rows = (evaluated / "eval" / f"samples_round_{result['round']:03d}.jsonl").read_text().splitlines()
        assert all({"score", "judge_score", "correct"} <= set(json.loads(line)) for line in rows)


def test_eval_measures_the_warm_start_and_its_free_baselines(evaluated):
    summary = json.loads((evaluated / "eval" / "summary.json").read_text())
    warm = summary["warm_start_eval"]
    assert warm["metrics"]["n_samples"] == 4 * 2 * 4
    free = warm["free_baselines"]
    assert free["helpful_accuracy"] == warm["metrics"]["helpful_accuracy"]
    for key in ("helpful_accuracy_cold", "helpful_accuracy_greedy"):
        assert 0.0 <= free[key] <= 1.0
    info = json.loads((evaluated / "eval" / "judge" / "verifier.json").read_text())
    assert info["judge"] == {"steps": 20, "seed": 0} and info["size"]["hidden_size"] == 32
    assert info["data_counts"]["judge"]["pairs"] > 0


def test_eval_with_the_round0_judge(evaluated, tmp_path):
    run = tmp_path / "round0"
    shutil.copytree(evaluated, run, ignore=shutil.ignore_patterns("eval"))
    done = pvg("eval", str(run), *EVAL, "--attack_steps", "0", "--judge", "round0")
    assert done.returncode == 0, done.stderr[-2000:]
    judge = json.loads((run / "eval" / "round_000.json").read_text())["judge"]
    assert (judge["kind"], judge["round"]) == ("round0", 0)
    assert not (run / "eval" / "judge").exists()


def test_eval_again_reads_finished_rounds_back(evaluated):
    before = {p: p.stat().st_mtime_ns for p in (evaluated / "eval").glob("round_*.json")}
    done = pvg("eval", str(evaluated), *EVAL)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.count("done, read back") == 2
    assert {p: p.stat().st_mtime_ns for p in (evaluated / "eval").glob("round_*.json")} == before
    assert "| game (src) | 1 |" in done.stdout  # the side-by-side table


def test_eval_measures_deployment_best_of_n_for_every_prover(evaluated):
    result = json.loads((evaluated / "eval" / "deployment.json").read_text())
    assert result["deploy_config"] == {"problems": 6, "ns": [1, 2, 4, 8], "seed": 0}
    own = {name: curve["verifier_round"] for name, curve in result["curves"].items()}
    assert own == {"warm_start": 0, "round_000": 0, "round_001": 1}  # the warm start: round 0's verifier
    for curve in result["curves"].values():
        assert set(curve) == {"verifier_round", "first", "majority", "verifier", "weighted", "pass@n"}
        for rule in ("first", "majority", "verifier", "weighted"):
            assert all(curve[rule][n] <= curve["pass@n"][n] for n in ("1", "2", "4", "8")), rule
        assert len({curve[rule]["1"] for rule in ("first", "majority", "verifier", "weighted")}) == 1  # n = 1
        pass_at = [curve["pass@n"][n] for n in ("1", "2", "4", "8")]
        assert pass_at == sorted(pass_at)  # more samples never lower the ceiling
    matrix = result["matrix"]
    assert (matrix["n"], matrix["rule"], matrix["verifier_rounds"]) == (8, "weighted", [0, 1])
    assert matrix["provers"] == ["warm_start", "round_000", "round_001"]
    assert len(matrix["accuracy"]) == 2 and all(len(row) == 3 for row in matrix["accuracy"])
    assert matrix["accuracy"][1][2] == result["curves"]["round_001"]["weighted"]["8"]  # own verifier, n = 8
    summary = json.loads((evaluated / "eval" / "summary.json").read_text())
    assert summary["deployment"] == result


def test_report_writes_markdown_plots_and_the_commands(evaluated, tmp_path):
    baseline = tmp_path / "baseline"
    shutil.copytree(evaluated, baseline)
    out = tmp_path / "report"
    done = pvg("report", str(evaluated), str(baseline), "--out", str(out))
    assert done.returncode == 0, done.stderr[-2000:]
    text = (out / "README.md").read_text()
    assert "accelerate launch selfplay/train.py" in text and "pvg eval " in text
    assert f"pvg report {evaluated} {baseline} --out {out}" in text
    assert "| game (src) | 1 |" in text and "| baseline (src) | 1 |" in text
    assert "Round 1, sneaky, incorrect" in text
    assert "## Deployment best-of-n" in text and "| weighted |" in text and "| round 1 |" in text
    for name in PNGS:
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
        assert f"]({name})" in text


def test_report_groups_runs_that_differ_only_by_seed(evaluated, tmp_path):
    other_seed = tmp_path / "seed1"
    shutil.copytree(evaluated, other_seed)
    config = (other_seed / "config.yaml").read_text()
    reseeded = config.replace("\n  seed: 0\n", "\n  seed: 1\n", 1)  # the run's seed ...
    reseeded = reseeded.replace("\n    seed: 0\n", "\n    seed: 1\n")  # ... and the sections' that follow it
    (other_seed / "config.yaml").write_text(reseeded)
    out = tmp_path / "report"
    done = pvg("report", str(evaluated), str(other_seed), "--out", str(out))
    assert done.returncode == 0, done.stderr[-2000:]
    text = (out / "README.md").read_text()
    assert "## Across seeds" in text and "| src, seeds 0, 1 | 1 |" in text
    assert "± 0.000" in text  # the copies agree: zero spread
    assert "## Free baselines" in text


def test_report_on_an_unevaluated_run_says_what_to_do(game_run, tmp_path):
    bare = tmp_path / "bare"
    shutil.copytree(game_run, bare, ignore=shutil.ignore_patterns("eval"))
    done = pvg("report", str(bare), "--out", str(tmp_path / "r"))
    assert done.returncode == 2 and f"run `pvg eval {bare}` first" in done.stderr


def test_push_dry_run_writes_loadable_models_with_cards(evaluated, tmp_path):
    out = tmp_path / "push"
    done = pvg(
        "push", str(evaluated), "--dry-run", "--out", str(out), env={"HF_TOKEN": "hf_canary_never_shown"}
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "hf_canary_never_shown" not in done.stdout + done.stderr
    plan = json.loads((out / "plan.json").read_text())
    assert [(p["kind"], p["revision"], p["round"]) for p in plan] == [
        ("prover", "round_000", 0),
        ("verifier", "round_000", 0),
        ("prover", "round_001", 1),
        ("verifier", "round_001", 1),
        ("prover", "main", 1),  # main holds the latest finished round, so no revision is needed
        ("verifier", "main", 1),
    ]
    prover, verifier = out / "prover" / "round_001", out / "verifier" / "round_001"
    AutoModelForCausalLM.from_pretrained(prover)
    AutoModelForSequenceClassification.from_pretrained(verifier)
    assert not (prover / "DONE").exists() and not (prover / "train_log.json").exists()
    metrics = json.loads((evaluated / "round_001" / "metrics.json").read_text())
    card = ModelCard.load(prover / "README.md")  # the card parses back with huggingface_hub
    assert f"- helpful_accuracy: {round(metrics['helpful_accuracy'], 3)}" in card.text
    assert "attack_steps_to_success" in card.text and 'revision="round_001"' in card.text
    assert "Role: sneaky." in card.text and "arXiv:2407.13692" in card.text  # prompts and citation
    assert "/tree/round_000" in card.text and "/tree/round_001" in card.text
    assert card.data.license == "apache-2.0" and card.data.tags[-1] == "prover"
    (result,) = card.data.eval_results
    assert (result.metric_name, result.metric_value) == (
        "helpful_accuracy",
        round(metrics["helpful_accuracy"], 3),
    )
    verifier_card = ModelCard.load(verifier / "README.md")
    assert "pairwise" in verifier_card.text and "Problem:" in verifier_card.text  # its input format
    assert (
        "- Base model: the run's initial (warm-started) prover with a new score head: " in verifier_card.text
    )
    assert verifier_card.data.eval_results[0].metric_name == "verifier_auc"
    main_card = ModelCard.load(out / "prover" / "main" / "README.md")
    assert "the latest finished round, 1" in main_card.text and "revision=" not in main_card.text
    AutoModelForCausalLM.from_pretrained(out / "prover" / "main")
    assert not any("hf_canary" in p.read_text(errors="ignore") for p in out.rglob("*") if p.is_file())


def test_training_with_push_fails_before_any_work_without_a_token_or_repo(tmp_path):
    train = Path(__file__).resolve().parents[1] / "selfplay" / "train.py"
    env = {k: v for k, v in os.environ.items() if k not in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN")}
    env["HF_HOME"] = str(tmp_path / "hf_home")  # no cached login either
    base = [
        sys.executable,
        str(train),
        "--output_dir",
        str(tmp_path / "run"),
        "--push_to_hub.enabled",
        "true",
    ]
    no_repo = subprocess.run(base, capture_output=True, text=True, env=env, timeout=120)
    assert no_repo.returncode == 2 and "push_to_hub.prover_repo is not set" in no_repo.stderr
    repos = ["--push_to_hub.prover_repo", "me/p", "--push_to_hub.verifier_repo", "me/v"]
    no_token = subprocess.run(base + repos, capture_output=True, text=True, env=env, timeout=120)
    assert no_token.returncode == 2 and "no Hugging Face token" in no_token.stderr
    assert not (tmp_path / "run" / "state.json").exists()


def test_attack_monitor_stops_at_the_first_step_meeting_the_rule():
    stats = RewardStats()
    monitor = AttackMonitor(stats, helpful_correct_score=1.0)
    state, control = TrainerState(), TrainerControl()
    steps = [(0.9, 2.0), (1.0, 0.5), (0.96, 1.2), (1.0, 3.0)]  # (incorrect rate, sneaky-incorrect score)
    for step, (rate, score) in enumerate(steps, start=1):
        stats.calls.append(CallStats(None, score, rate))
        state.global_step = step
        monitor.on_step_end(None, state, control)
        if control.should_training_stop:
            break
    assert monitor.succeeded_at == 3 and len(monitor.steps) == 3


def test_the_attacker_is_sneaky_only_and_verifier_driven():
    cfg = attack_config(ProverConfig(reward="correctness", sneaky_fraction=0.5), budget_steps=7)
    assert (cfg.sneaky_fraction, cfg.max_steps, cfg.reward) == (1.0, 7, "src")
    assert attack_config(ProverConfig(reward="cgc"), 3).reward == "cgc"


def test_push_uploads_each_round_to_its_own_branch_with_the_token_kept_private(
    evaluated, tmp_path, monkeypatch
):
    import huggingface_hub
    import yaml

    from selfplay.config import load_run_config
    from selfplay.publishing.hub import push_round

    run = tmp_path / "run"
    shutil.copytree(evaluated, run, ignore=shutil.ignore_patterns("eval"))
    document = yaml.safe_load((run / "config.yaml").read_text())
    document["config"]["push_to_hub"] = {"enabled": True, "prover_repo": "me/p", "verifier_repo": "me/v"}
    (run / "config.yaml").write_text(yaml.safe_dump(document))
    calls = []

    class FakeApi:
        def __init__(self, token):
            calls.append(("token", token))

        def create_repo(self, repo_id, private, exist_ok):
            calls.append(("repo", repo_id, private))

        def create_branch(self, repo_id, branch, exist_ok):
            calls.append(("branch", repo_id, branch))

        def upload_folder(self, repo_id, folder_path, revision, commit_message):
            calls.append(("upload", repo_id, revision, sorted(p.name for p in Path(folder_path).iterdir())))
            return f"https://hub/{repo_id}/commit/{revision}"

    monkeypatch.setattr(huggingface_hub, "HfApi", FakeApi)
    pushed = push_round(run, load_run_config(run), 1, token="hf_secret")
    assert [(p["kind"], p["repo"], p["revision"]) for p in pushed] == [
        ("prover", "me/p", "round_001"),
        ("prover", "me/p", "main"),
        ("verifier", "me/v", "round_001"),
        ("verifier", "me/v", "main"),
    ]
    uploads = [c for c in calls if c[0] == "upload"]
    assert [u[1:3] for u in uploads] == [
        ("me/p", "round_001"),
        ("me/p", "main"),
        ("me/v", "round_001"),
        ("me/v", "main"),
    ]
    assert (
        "README.md" in uploads[0][3] and "model.safetensors" in uploads[0][3] and "DONE" not in uploads[0][3]
    )
    assert "verifier.json" in uploads[2][3] and uploads[0][3] == uploads[1][3]
    assert ("repo", "me/p", True) in calls and ("branch", "me/v", "round_001") in calls
    assert not any("hf_secret" in p.read_text(errors="ignore") for p in run.rglob("*") if p.is_file())


def test_push_without_a_token_or_repos_fails_with_the_fix(evaluated, tmp_path):
    env = {"HF_HOME": str(tmp_path / "hf_home"), "HF_TOKEN": ""}
    done = pvg("push", str(evaluated), env=env)
    assert done.returncode == 2 and "push_to_hub.prover_repo is not set" in done.stderr


def test_training_with_push_enabled_pushes_each_finished_round_once(game_run, tmp_path, monkeypatch):
    import huggingface_hub
    from game_helpers import SHORT

    from selfplay.train import main

    run = tmp_path / "run"
    shutil.copytree(game_run, run, ignore=shutil.ignore_patterns("eval"))
    uploads = []

    class FakeApi:
        def __init__(self, token):
            assert token == "hf_from_env"

        def create_repo(self, *args, **kwargs):
            pass

        def create_branch(self, *args, **kwargs):
            pass

        def upload_folder(self, repo_id, folder_path, revision, commit_message):
            uploads.append((repo_id, revision))
            return "commit"

    monkeypatch.setattr(huggingface_hub, "HfApi", FakeApi)
    monkeypatch.setenv("HF_TOKEN", "hf_from_env")
    push = ["--push_to_hub.enabled", "true", "--push_to_hub.prover_repo", "me/p"]
    argv = ["--output_dir", str(run), *SHORT, *push, "--push_to_hub.verifier_repo", "me/v"]
    assert main(argv) == 0  # finished phases are skipped; push settings do not count as a config change
    assert uploads == [
        ("me/p", "round_000"),
        ("me/p", "main"),
        ("me/v", "round_000"),
        ("me/v", "main"),
        ("me/p", "round_001"),
        ("me/p", "main"),
        ("me/v", "round_001"),
        ("me/v", "main"),
    ]
    assert json.loads((run / "round_001" / "pushed.json").read_text())[2]["repo"] == "me/v"
    assert main(argv) == 0 and len(uploads) == 8  # re-running does not push again


def test_a_study_built_from_the_evaluated_run_goes_into_the_report(evaluated, tmp_path, monkeypatch):
    from selfplay.evaluation.report import write_report
    from selfplay.study import results

    study = tmp_path / "study"
    done = pvg("study", "build", str(evaluated), "--out", str(study), "--per_checkpoint", "8")
    assert done.returncode == 0, done.stderr[-2000:]
    assert pvg("study", "raters", str(study), "--add", "2").returncode == 0
    with sqlite3.connect(study / "study.sqlite") as connection:
        items = connection.execute("SELECT item_id, checkpoint, correct FROM items").fetchall()
        truthful = [(1, i, "valid" if c else "invalid", n) for n, (i, _, c) in enumerate(items)]
        credulous = [(2, i, "valid", n) for n, (i, _, _) in enumerate(items)]  # right on the correct half
        connection.executemany("INSERT INTO judgments VALUES (?, ?, ?, 1000, 0, ?)", truthful + credulous)
    assert items and {c.split(":")[1] for _, c, _ in items} <= {"init", "round_001"}  # init,last
    # The tiny run has few problems with both correct and incorrect samples: fewer items than
    # the rule's 10 answers per rater, so the minimum is lowered for this test only.
    monkeypatch.setattr(results, "MIN_ANSWERED", 2)
    out = tmp_path / "report"
    write_report([evaluated], out, "pvg report ...", study=study)
    text = (out / "README.md").read_text()
    assert "## Human judges" in text and "over 1 of 2 raters" in text and "accuracy 0.50 <= 0.55" in text
    assert f"From the study in `{study}`" in text and "| 1.000 |" in text
    assert (out / "human_accuracy.png").read_bytes()[:4] == b"\x89PNG"
    done = pvg("report", str(evaluated), "--out", str(tmp_path / "cli"), "--study", str(study))
    assert done.returncode == 0 and f"--study {study}" in (tmp_path / "cli" / "README.md").read_text()
