"""The embedded default end to end (2 short rounds), and SIGKILL-and-resume equality.

One uninterrupted run is shared by the tests. The resume test starts a second run folder from the
first one's finished init phases (the same command resumes there), kills it with SIGKILL in the
middle of round 1, re-runs the same command, and compares every metrics.json with the first run.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest
import torch
from game_helpers import SHORT, TRAIN, finish, train
from safetensors.torch import load_file

# The shared run (tests/game_helpers.py) is made in the setup of whichever test needs it first.
pytestmark = pytest.mark.timeout(900)

PHASE_FILES = [
    "config.yaml",
    "state.json",
    "init/prover/DONE",
    "init/prover.done.json",
    "init/verifier/DONE",
    "init/verifier.done.json",
    "init/samples.done.json",
    "init/samples.jsonl",
    "init/metrics.json",
]
ROUND_FILES = [
    "verifier/DONE",
    "verifier/verifier.json",
    "verifier/model.safetensors",
    "prover/DONE",
    "prover/model.safetensors",
    "prover/train_log.json",
    "samples.jsonl",
    "eval_samples.jsonl",
    "metrics.json",
    "verifier.done.json",
    "prover.done.json",
    "samples.done.json",
    "metrics.done.json",
]


def test_every_artifact_exists(game_run):
    for name in PHASE_FILES:
        assert (game_run / name).is_file(), name
    for r in range(2):
        for name in ROUND_FILES:
            assert (game_run / f"round_{r:03d}" / name).is_file(), f"round {r}: {name}"
    assert set(json.loads((game_run / "state.json").read_text())["completed"]) >= {
        "init/prover",
        "round_001/metrics",
    }


def test_prover_and_verifier_parameters_changed(game_run):
    for role, init in (
        ("prover", game_run / "init" / "prover"),
        ("verifier", game_run / "init" / "verifier"),
    ):
        before = load_file(init / "model.safetensors")
        after = load_file(game_run / "round_000" / role / "model.safetensors")
        moved = [name for name in before if not torch.equal(before[name], after[name])]
        assert moved, f"no {role} parameter changed"


def _same_body(verifier_dir, prover_dir) -> bool:
    """Whether the classifier in ``verifier_dir`` has the prover's body exactly (names, shapes, values)."""
    prover = load_file(prover_dir / "model.safetensors")
    verifier = load_file(verifier_dir / "model.safetensors")
    body = [name for name in verifier if name.startswith("model.")]
    assert len(body) == len([name for name in prover if name.startswith("model.")]) > 0
    assert verifier["score.weight"].shape == (1, prover["model.embed_tokens.weight"].shape[1])
    return all(torch.equal(verifier[name], prover[name]) for name in body)


def test_initial_verifier_is_the_warm_started_prover_pretrained_on_corruptions(game_run):
    assert not _same_body(game_run / "init" / "verifier", game_run / "init" / "prover")
    info = json.loads((game_run / "init" / "verifier" / "verifier.json").read_text())
    assert info["pretrain"]["steps"] == 10 and info["config"]["max_steps"] == 10
    assert info["data_counts"]["pretrain"]["pairs"] > 0


def test_without_pretraining_the_initial_verifier_is_the_prover_body_and_a_new_head(game_run, tmp_path):
    from selfplay.config import load_config
    from selfplay.game.game import Game
    from selfplay.game.verifier_phase import init_verifier
    from selfplay.run_folder import RunFolder

    shutil.copytree(game_run / "init" / "prover", tmp_path / "init" / "prover")
    cfg, _ = load_config([*SHORT, "--verifier_pretrain.steps", "0"])
    init_verifier(Game(cfg, RunFolder(tmp_path)).context)
    assert _same_body(tmp_path / "init" / "verifier", tmp_path / "init" / "prover")
    assert not (tmp_path / "init" / "verifier" / "verifier.json").exists()


def test_round_metrics_are_reported(game_run):
    init = json.loads((game_run / "init" / "metrics.json").read_text())
    metrics = json.loads((game_run / "round_001" / "metrics.json").read_text())
    assert metrics["n_samples"] == 30 * 2 * 4  # eval problems x roles x samples
    for key in ("helpful_accuracy", "sneaky_incorrect_rate", "checkable_fraction_helpful"):
        assert 0.0 <= metrics[key] <= 1.0, key
    assert metrics["verifier_auc"] is None or 0.0 <= metrics["verifier_auc"] <= 1.0
    assert 1 <= metrics["prover_steps"] <= 4  # SHORT's max_steps; the stop rule may end it sooner
    assert metrics["warm_start_helpful_accuracy"] == init["helpful_accuracy"]
    counts = metrics["verifier_data_counts"]
    assert set(counts) == {"initial", "round_000"}  # round 1 trains on both sources
    assert all(source["pairs"] > 0 and source["problems"] > 0 for source in counts.values()), counts
    shares = [s["share"] for s in metrics["styles"]["helpful"].values()]
    assert abs(sum(shares) - 1.0) < 1e-9


FORM_OF_STYLE = {"stepwise": "stepwise", "compressed": "compressed", "answer_only": "answer_only"}
FORM_OF_STYLE |= {"subtle": "stepwise", "blatant": "stepwise", "wrong_answer_only": "answer_only"}
# 30 test problems x 4 samples a role (sampling noise about 0.045) after a 300-step warm start,
# which follows its mixture only roughly (seen 0.18 off for the sneaky role); the default's
# 2,000-step warm start lands within 0.08. A role that never samples one of its forms fails.
STYLE_SHARE_TOLERANCE = 0.25


def test_the_warm_start_samples_both_roles_styles_near_their_mixture(game_run):
    trained = json.loads((game_run / "init" / "prover" / "train_log.json").read_text())["styles"]
    samples = [
        json.loads(line) for line in (game_run / "init" / "eval_samples.jsonl").read_text().splitlines()
    ]
    for role in ("helpful", "sneaky"):
        counts = {key.split("/")[1]: n for key, n in trained.items() if key.startswith(f"{role}/")}
        expected: dict[str, float] = {}
        for style, n in counts.items():
            expected[FORM_OF_STYLE[style]] = expected.get(FORM_OF_STYLE[style], 0.0) + n / sum(
                counts.values()
            )
        sampled = [r["form"] for r in samples if r["role"] == role]
        assert counts and sampled
        for form, share in expected.items():
            observed = sampled.count(form) / len(sampled)
            assert abs(observed - share) <= STYLE_SHARE_TOLERANCE, (role, form, observed, share)
    metrics = json.loads((game_run / "init" / "metrics.json").read_text())
    assert set(metrics["styles"]) == {"helpful", "sneaky"} and set(metrics["forms"]) == {"helpful", "sneaky"}
    for key in ("helpful_accuracy_cold", "helpful_accuracy_greedy"):
        assert 0.0 <= metrics[key] <= 1.0


def test_rerunning_a_finished_run_recomputes_nothing(game_run):
    before = {p: p.stat().st_mtime_ns for p in game_run.rglob("*.json")}
    out = finish(train(game_run))
    assert out.count("done, skipped") == 3 + 4 * 2
    assert {p: p.stat().st_mtime_ns for p in game_run.rglob("*.json")} == before


def test_sigkill_in_round_one_then_resume_gives_the_same_metrics(game_run, tmp_path):
    resumed = tmp_path / "resumed"
    shutil.copytree(game_run / "init", resumed / "init")
    shutil.copy(game_run / "config.yaml", resumed / "config.yaml")
    process = train(resumed, start_new_session=True)
    deadline = time.monotonic() + 600
    while not (resumed / "round_001" / "verifier.done.json").exists():
        assert process.poll() is None and time.monotonic() < deadline, "run ended before round 1"
        time.sleep(0.2)
    time.sleep(1.0)  # inside round 1's prover phase
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    assert not (resumed / "round_001" / "metrics.done.json").exists()
    finish(train(resumed))
    for name in ("init/metrics.json", "round_000/metrics.json", "round_001/metrics.json"):
        assert json.loads((resumed / name).read_text()) == json.loads((game_run / name).read_text()), name


def test_two_process_torchrun_completes_a_round_with_whole_groups(game_run, tmp_path):
    # `accelerate launch --cpu --num_processes 2` silently runs one process on this machine; torchrun
    # really starts two. The reward adapter raises if any SRC group arrives split, so finishing the
    # round shows every group stayed whole on its process. init/samples is redone on two processes
    # too: both sample their share, and together they draw what one process drew.
    folder = tmp_path / "ddp"
    shutil.copytree(game_run / "init", folder / "init")
    shutil.copy(game_run / "config.yaml", folder / "config.yaml")
    # init/verifier and init/samples are redone: pretraining and sampling run on both processes.
    for phase in ("verifier", "samples"):  # without their markers these phases are unfinished
        (folder / "init" / f"{phase}.done.json").unlink()
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "OMP_NUM_THREADS": "1"}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--nproc_per_node",
            "2",
            str(TRAIN),
            "--output_dir",
            str(folder),
            *SHORT,
            "--rounds",
            "1",
            "--overwrite_config",
        ],
        capture_output=True,
        text=True,
        timeout=900,
        env=env,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    prover_log = json.loads((folder / "round_000" / "prover" / "train_log.json").read_text())
    verifier_info = json.loads((folder / "round_000" / "verifier" / "verifier.json").read_text())
    pretrain_info = json.loads((folder / "init" / "verifier" / "verifier.json").read_text())
    assert prover_log["num_processes"] == 2 and verifier_info["num_processes"] == 2
    assert pretrain_info["num_processes"] == 2
    assert (folder / "round_000" / "metrics.json").is_file()
    assert "[rank 0]" in done.stderr and "[rank 1]" in done.stderr  # both processes sampled
    for name in ("samples.jsonl", "eval_samples.jsonl", "metrics.json"):
        assert (folder / "init" / name).read_bytes() == (game_run / "init" / name).read_bytes(), name


def test_every_phase_records_its_time_and_peak_memory(game_run):
    from selfplay.config import load_run_config
    from selfplay.game.plan import phase_names

    records = json.loads((game_run / "resources.json").read_text())
    assert list(records) == phase_names(load_run_config(game_run))  # in the order they ran
    assert all(r["seconds"] > 0 and r["peak_rss_mb"] > 100 for r in records.values()), records
