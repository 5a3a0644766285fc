import json

import pytest

from selfplay.run_folder import RunFolder, read_jsonl, write_jsonl


def test_a_phase_is_done_only_when_recorded_and_its_outputs_exist(tmp_path):
    folder = RunFolder(tmp_path)
    model_dir, samples = tmp_path / "round_000" / "prover", tmp_path / "round_000" / "samples.jsonl"
    model_dir.mkdir(parents=True)
    write_jsonl(samples, [{"a": 1}, {"b": [2]}])
    assert read_jsonl(samples) == [{"a": 1}, {"b": [2]}]
    assert not folder.is_done("p", [model_dir, samples])
    folder.mark_done("p", [model_dir, samples])
    assert (model_dir / "DONE").is_file() and folder.is_done("p", [model_dir, samples])
    assert json.loads((tmp_path / "state.json").read_text()) == {"completed": ["p"]}
    (model_dir / "DONE").unlink()  # half-written: never trusted
    assert not folder.is_done("p", [model_dir, samples])
    folder.clear([model_dir, samples])
    assert not model_dir.exists() and not samples.exists()


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
