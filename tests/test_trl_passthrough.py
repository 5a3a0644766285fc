"""``prover.trl``: TRL config settings passed through, checked against the installed TRL."""

from __future__ import annotations

import pytest

from selfplay.config import ConfigError, load_config
from selfplay.game.trl_passthrough import check_trl_settings, trl_settings
from selfplay.train import main


def _prover(*flags: str):
    return load_config(list(flags))[0].prover


def test_command_line_values_are_typed_by_trls_fields():
    prover = _prover(
        "--prover.trl.top_p",
        "0.9",
        "--prover.trl.use_vllm",
        "true",
        "--prover.trl.vllm_mode",
        "colocate",
        "--prover.trl.epsilon",
        "1",
    )
    assert trl_settings(prover) == {"top_p": 0.9, "use_vllm": True, "vllm_mode": "colocate", "epsilon": 1.0}


def test_yaml_and_command_line_mappings_merge(tmp_path):
    recipe = tmp_path / "r.yaml"
    recipe.write_text("prover:\n  trl:\n    loss_type: dr_grpo\n    top_p: 0.95\n")
    prover = load_config(["--config", str(recipe), "--prover.trl.top_p", "0.8"])[0].prover
    assert trl_settings(prover) == {"loss_type": "dr_grpo", "top_p": 0.8}


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (
            ["--prover.trl.use_vlm", "true"],
            r"prover.trl.use_vlm: not a field of TRL's GRPOConfig; did you mean 'use_vllm'",
        ),
        (
            ["--prover.trl.learning_rate", "1"],
            r"prover.trl.learning_rate: set by this project; use prover.learning_rate",
        ),
        (["--prover.trl.top_p", "abc"], r"prover.trl.top_p: expected a float, got 'abc'"),
        (["--prover.trl.use_vllm", "maybe"], r"prover.trl.use_vllm: expected a bool, got 'maybe'"),
        (["--prover.algorithm", "rloo", "--prover.trl.nope", "1"], r"not a field of TRL's RLOOConfig"),
    ],
)
def test_bad_settings_name_the_key_and_the_fix(flags, message):
    with pytest.raises(ConfigError, match=message):
        check_trl_settings(_prover(*flags))


def test_pvg_train_refuses_them_with_exit_2_before_building_anything(tmp_path, capsys):
    assert main(["--prover.trl.use_vlm", "true", "--output_dir", str(tmp_path / "run")]) == 2
    assert "prover.trl.use_vlm" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


def test_the_documented_vllm_example_passes_the_check():
    from pathlib import Path

    import yaml

    text = (Path(__file__).resolve().parents[1] / "docs" / "configuration.md").read_text()
    block = text.split("```yaml\nprover:\n  trl:", 1)[1].split("```", 1)[0]
    example = yaml.safe_load("prover:\n  trl:" + block)["prover"]["trl"]
    prover = _prover(
        *[part for key, value in example.items() for part in (f"--prover.trl.{key}", str(value))]
    )
    check_trl_settings(prover)
    assert trl_settings(prover)["vllm_mode"] == "colocate"
