import json

import pytest

from selfplay.manifest import RunFileError, Verdict, verify
from selfplay.run_folder import RunFolder, read_json, read_jsonl, read_saved_config, write_jsonl


def _phase_outputs(root):
    model_dir, samples = root / "round_000" / "prover", root / "round_000" / "samples.jsonl"
    model_dir.mkdir(parents=True)
    (model_dir / "model.safetensors").write_bytes(b"weights" * 100)
    (model_dir / "train_log.json").write_text('{"train_runtime": 1.5}')
    (model_dir / "_trainer").mkdir()
    (model_dir / "_trainer" / "scratch.bin").write_bytes(b"x")
    write_jsonl(samples, [{"a": 1}, {"b": [2]}])
    return model_dir, samples


def test_a_phase_is_done_only_when_its_marker_verifies(tmp_path):
    folder = RunFolder(tmp_path)
    model_dir, samples = _phase_outputs(tmp_path)
    assert read_jsonl(samples) == [{"a": 1}, {"b": [2]}]
    assert verify(tmp_path, "p", None).problem.endswith("p.done.json is missing")
    digest = folder.mark_done("p", [model_dir, samples], upstream=None)
    marker = json.loads((tmp_path / "p.done.json").read_text())
    assert sorted(marker["files"]) == [
        "round_000/prover/DONE",
        "round_000/prover/model.safetensors",
        "round_000/prover/train_log.json",
        "round_000/samples.jsonl",
    ]  # the trainer's _working files are left out
    assert marker["files"]["round_000/prover/model.safetensors"]["bytes"] == 700
    assert verify(tmp_path, "p", None) == Verdict("p", digest)
    assert json.loads((tmp_path / "state.json").read_text()) == {"completed": ["p"]}
    samples.write_text(samples.read_text().splitlines()[0] + "\n")  # truncated at a line boundary
    assert verify(tmp_path, "p", None).problem == f"{samples} has 9 bytes, 20 were recorded"
    write_jsonl(samples, [{"a": 1}, {"b": [2]}])
    (model_dir / "model.safetensors").write_bytes(b"WEIGHTS" * 100)  # same size, other bytes
    assert "differs from what was recorded (sha256)" in verify(tmp_path, "p", None).problem
    (model_dir / "model.safetensors").write_bytes(b"")
    assert verify(tmp_path, "p", None).problem.endswith("has 0 bytes, 700 were recorded")
    (model_dir / "model.safetensors").unlink()
    assert verify(tmp_path, "p", None).problem.endswith("model.safetensors is missing")
    folder.clear([model_dir, samples])
    assert not model_dir.exists() and not samples.exists()


def test_a_phase_after_a_changed_one_is_stale_and_logs_do_not_count(tmp_path):
    folder = RunFolder(tmp_path)
    model_dir, samples = _phase_outputs(tmp_path)
    first = folder.mark_done("a", [model_dir], upstream=None)
    folder.mark_done("b", [samples], upstream=first)
    assert [v.problem for v in folder.verify_chain(["a", "b"])] == [None, None]
    (model_dir / "train_log.json").write_text('{"train_runtime": 2.25}')  # a redo's other timings
    assert folder.mark_done("a", [model_dir], upstream=None) == first
    (model_dir / "model.safetensors").write_bytes(b"other weights")  # a redo that came out different
    folder.mark_done("a", [model_dir], upstream=None)
    a, b = folder.verify_chain(["a", "b"])
    assert a.problem is None and b.stale and "since changed" in b.problem
    (model_dir / "model.safetensors").unlink()
    a, b = folder.verify_chain(["a", "b"])
    assert a.problem.endswith("is missing") and b.problem == "comes after a, which does not verify"
    assert folder.unverified([a, b]) == [f"a: {a.problem}", f"b: {b.problem}"]


def test_state_json_is_rebuilt_from_the_markers_and_a_garbage_one_is_named(tmp_path):
    folder = RunFolder(tmp_path)
    model_dir, samples = _phase_outputs(tmp_path)
    folder.mark_done("init/x", [model_dir], upstream=None)
    folder.mark_done("init/y", [samples], upstream=None)
    folder.state_path.write_text("{garbage")
    with pytest.raises(RunFileError, match=r"state\.json: unreadable \(JSONDecodeError\).*rewrites it"):
        folder.state_record()
    folder.write_state(order=["init/y", "init/x"])
    assert folder.state_record() == ["init/y", "init/x"]
    folder.state_path.unlink()
    folder.write_state()
    assert folder.state_record() == ["init/x", "init/y"] and not folder.is_legacy()


def test_every_file_read_back_names_itself_when_it_is_bad(tmp_path):
    bad = tmp_path / "samples.jsonl"
    bad.write_text('{"a": 1}\n{"b": \n')
    with pytest.raises(RunFileError, match=r"samples\.jsonl: line 2 is not JSON \(JSONDecodeError\)"):
        read_jsonl(bad)
    bad.write_bytes(b"\xff\xfe")
    with pytest.raises(RunFileError, match=r"samples\.jsonl: cannot be read \(UnicodeDecodeError\)"):
        read_jsonl(bad)
    with pytest.raises(RunFileError, match=r"metrics\.json: missing"):
        read_json(tmp_path / "metrics.json")
    (tmp_path / "deep.json").write_text("[" * 100_000)
    with pytest.raises(RunFileError, match=r"deep\.json: not readable JSON"):
        read_json(tmp_path / "deep.json")
    (tmp_path / "config.yaml").write_text("config: [")
    with pytest.raises(RunFileError, match=r"config\.yaml: not valid YAML at line 1"):
        read_saved_config(tmp_path / "config.yaml")


def test_a_changed_config_is_refused_unless_overwritten(tmp_path):
    folder = RunFolder(tmp_path)
    folder.write_config({"rounds": 3, "prover": {"beta": 0.04}, "output_dir": "a"}, {"seed": 0})
    folder.check_config({"rounds": 3, "prover": {"beta": 0.04}, "output_dir": "moved"}, overwrite=False)
    with pytest.raises(ValueError, match=r"changed: prover\.beta, rounds.*--overwrite_config"):
        folder.check_config({"rounds": 4, "prover": {"beta": 0.1}, "output_dir": "a"}, overwrite=False)
    folder.check_config({"rounds": 4, "prover": {"beta": 0.1}, "output_dir": "a"}, overwrite=True)
    saved = (tmp_path / "config.yaml").read_text()
    assert "versions:" in saved and "trl:" in saved and "seeds:" in saved


def test_a_folder_from_before_the_precision_key_resumes_as_auto(tmp_path):
    folder = RunFolder(tmp_path)
    folder.write_config({"rounds": 3}, {"seed": 0})
    folder.check_config({"rounds": 3, "precision": "auto"}, overwrite=False)
    with pytest.raises(ValueError, match="changed: precision"):
        folder.check_config({"rounds": 3, "precision": "bf16"}, overwrite=False)


def test_a_folder_from_before_prompt_formats_and_checkpoints_resumes_as_it_ran(tmp_path):
    folder = RunFolder(tmp_path)
    folder.write_config({"rounds": 3, "prover": {"beta": 0.04}, "verifier": {"lora_r": 0}}, {"seed": 0})
    ran_as = {"prompt_format": "raw", "save_steps": 0, "trl": {}}
    now = {"rounds": 3, "prover": {"beta": 0.04, **ran_as}, "verifier": {"lora_r": 0, "save_steps": 0}}
    folder.check_config(now, overwrite=False)  # raw prompts, no checkpoints, no TRL settings: as it ran
    with pytest.raises(ValueError, match=r"changed: prover\.prompt_format"):
        folder.check_config({**now, "prover": {**now["prover"], "prompt_format": "chat"}}, overwrite=False)
