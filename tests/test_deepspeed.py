"""The DeepSpeed accelerate configs, exercised on CPU: a short game under ZeRO-2 and ZeRO-3 with two
processes (DeepSpeed's CPU accelerator; the configs' bf16 and 8 processes overridden).

ZeRO-3 shards the weights, so these runs show that every saved model is gathered whole, that
models loaded to sample and score are not sharded, and that generation does not hang or fail in
lockstep (selfplay/models/trainer_utils.py).
"""

import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from game_helpers import SHORT, TRAIN
from safetensors.torch import load_file

from selfplay.models.trainer_utils import refuse_lora_under_zero3

CONFIGS = Path(__file__).resolve().parents[1] / "configs" / "accelerate"


def _weights(folder: Path) -> dict[str, torch.Tensor]:
    return load_file(folder / "model.safetensors")


@pytest.mark.parametrize("stage", ["zero2", "zero3"])
def test_two_process_deepspeed_run_saves_whole_trained_models(stage, tmp_path):
    pytest.importorskip("deepspeed")
    folder = tmp_path / stage
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"}
    command = [
        *(sys.executable, "-m", "accelerate.commands.launch"),
        *("--config_file", str(CONFIGS / f"{stage}.yaml"), "--num_processes", "2", "--mixed_precision", "no"),
        *(str(TRAIN), "--output_dir", str(folder), *SHORT, "--rounds", "1"),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=900, env=env)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    prover_log = json.loads((folder / "round_000" / "prover" / "train_log.json").read_text())
    assert prover_log["num_processes"] == 2
    assert json.loads((folder / "init" / "metrics.json").read_text())["helpful_accuracy"] > 0.1
    for role in ("prover", "verifier"):
        before, after = _weights(folder / "init" / role), _weights(folder / "round_000" / role)
        assert before.keys() == after.keys()
        assert all(t.numel() > 0 for t in after.values()), "a sharded (empty) tensor was saved"
        assert any(not torch.equal(before[name], after[name]) for name in before), role
    assert (folder / "round_000" / "metrics.json").is_file()


def _trainer(stage: int | None):
    plugin = SimpleNamespace(zero_stage=stage) if stage else None
    return SimpleNamespace(
        is_deepspeed_enabled=stage is not None,
        accelerator=SimpleNamespace(state=SimpleNamespace(deepspeed_plugin=plugin)),
    )


def test_lora_under_zero3_is_refused_naming_the_field_and_the_fix():
    with pytest.raises(ValueError, match=r"prover\.lora_r > 0 .* ZeRO-3: set prover\.lora_r 0 .*zero2\.yaml"):
        refuse_lora_under_zero3(_trainer(3), 8, "prover")
    refuse_lora_under_zero3(_trainer(2), 8, "prover")
    refuse_lora_under_zero3(_trainer(None), 8, "verifier")
    refuse_lora_under_zero3(_trainer(3), 0, "verifier")
