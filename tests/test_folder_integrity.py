"""A run folder that defends itself: damaged finished work is found by its phase marker and
redone with a warning; a lost or garbage ``state.json`` deletes nothing; stale work is redone
only when asked; push and eval refuse a folder that does not verify; a pre-marker folder is
adopted as it is. Each test works on a copy of the shared short run (tests/game_helpers.py)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest
from game_helpers import SHORT, TRAIN, finish, train

from selfplay.manifest import MARKER_SUFFIX
from selfplay.run_folder import RunFolder, read_jsonl, write_jsonl

pytestmark = pytest.mark.timeout(900)
RESULTS = ("init/metrics.json", "round_000/metrics.json", "round_001/metrics.json", "round_001/samples.jsonl")


@pytest.fixture
def run(game_run, tmp_path):
    copy = tmp_path / "run"
    shutil.copytree(game_run, copy)
    return copy


def weights_times(run) -> dict:
    return {p: p.stat().st_mtime_ns for p in run.rglob("model.safetensors")}


def same_results(run, game_run) -> bool:
    return all((run / name).read_bytes() == (game_run / name).read_bytes() for name in RESULTS)


def refused(run, *extra: str) -> subprocess.CompletedProcess:
    command = [sys.executable, str(TRAIN), "--output_dir", str(run), *SHORT, *extra]
    return subprocess.run(command, capture_output=True, text=True, timeout=600)


def test_damaged_files_with_their_done_kept_are_found_and_redone(run, game_run):
    samples = run / "round_000" / "samples.jsonl"
    lines = samples.read_text().splitlines(keepends=True)
    samples.write_text("".join(lines[: len(lines) // 10]))  # cut at a line boundary
    (run / "round_000" / "prover" / "model.safetensors").unlink()  # its DONE is kept
    (run / "round_001" / "verifier" / "model.safetensors").write_bytes(b"")
    out = finish(train(run))
    assert f"warning: round_000/prover: {run}/round_000/prover/model.safetensors is missing; redoing" in out
    assert f"warning: round_000/samples: {samples} has " in out and " were recorded; redoing" in out
    assert "round_001/verifier/model.safetensors has 0 bytes" in out
    assert out.count(": running") == 3  # the redone phases wrote what they had, so the rest stands
    assert len(read_jsonl(samples)) == len(lines) and same_results(run, game_run)


@pytest.mark.parametrize("damage", ["missing", "garbage"])
def test_a_lost_or_garbage_state_json_deletes_nothing(run, game_run, damage):
    before = weights_times(run)
    if damage == "missing":
        (run / "state.json").unlink()
    else:
        (run / "state.json").write_text("{garbage")
    out = finish(train(run))
    assert "state.json rebuilt from the phase markers" in out and ": running" not in out
    assert weights_times(run) == before
    assert (run / "state.json").read_text() == (game_run / "state.json").read_text()


def test_stale_work_is_refused_until_asked_then_redone(run, game_run):
    samples, folder = run / "round_000" / "samples.jsonl", RunFolder(run)
    marker = json.loads((run / f"round_000/samples{MARKER_SUFFIX}").read_text())
    write_jsonl(samples, read_jsonl(samples)[:20])  # a redo that came out different, re-marked
    folder.mark_done("round_000/samples", [samples], upstream=marker["upstream"])
    before = weights_times(run)
    done = refused(run)
    assert done.returncode == 2, done.stderr[-2000:]
    assert "round_000/metrics was computed from earlier outputs that have since changed" in done.stderr
    assert "--redo_stale" in done.stderr and "Traceback" not in done.stderr
    assert weights_times(run) == before  # nothing deleted without the flag
    done = refused(run, "--redo_stale")
    assert done.returncode == 0, done.stdout[-3000:]
    assert done.stdout.count(": running") == 5  # round_000/metrics and all of round 1
    pool = json.loads((run / "round_001" / "verifier" / "verifier.json").read_text())["data_counts"]
    original = json.loads((game_run / "round_001" / "verifier" / "verifier.json").read_text())["data_counts"]
    assert pool != original  # round 1's verifier now trained on the changed pool


def test_push_and_eval_refuse_a_folder_that_does_not_verify(run, capsys):
    from selfplay.cli import main

    (run / "round_001" / "prover" / "model.safetensors").unlink()
    assert main(["push", str(run), "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert f"does not verify: round_001/prover: {run}/round_001/prover/model.safetensors is missing" in err
    assert not (run / "push_dry_run").exists()
    assert main(["eval", str(run), "--problems", "2", "--attack_steps", "0"]) == 2
    assert "does not verify: round_001/prover" in capsys.readouterr().err
    assert not (run / "eval").exists()


def test_a_folder_from_before_markers_is_adopted_as_it_is(run, game_run):
    for marker in run.rglob(f"*{MARKER_SUFFIX}"):
        marker.unlink()
    (run / "state.json").unlink()  # and its state.json lost as well: whole outputs are adopted
    before = weights_times(run)
    out = finish(train(run))
    assert out.count("finished before phase markers existed; its files are kept and marked") == 3 + 4 * 2
    assert ": running" not in out and weights_times(run) == before
    assert sorted(RunFolder(run).marked_phases()) == sorted(
        json.loads((game_run / "state.json").read_text())["completed"]
    )


def test_a_garbage_config_yaml_is_named(run, capsys):
    from selfplay.train import main

    (run / "config.yaml").write_text("config: [\n")
    assert main(["--output_dir", str(run), *SHORT]) == 2
    err = capsys.readouterr().err
    assert f"{run}/config.yaml: not valid YAML at line 2" in err and "Traceback" not in err
