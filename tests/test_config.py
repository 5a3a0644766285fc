import re
from dataclasses import asdict
from pathlib import Path

import pytest
import yaml

from selfplay.config import ConfigError, load_config

CONFIGS = Path(__file__).resolve().parents[1] / "configs"


def test_tiny_cpu_yaml_is_the_embedded_default():
    from_file, _ = load_config(["--config", str(CONFIGS / "tiny_cpu.yaml")])
    assert asdict(from_file) == asdict(load_config([])[0])


def test_cli_overrides_win_over_the_file_and_switches_are_returned():
    config, switches = load_config(
        [
            "--config",
            str(CONFIGS / "tiny_cpu.yaml"),
            "--prover.learning_rate",
            "1e-4",
            "--rounds",
            "5",
            "--problems.families",
            "arithmetic,percent",
            "--verifier_model",
            "none",
            "--overwrite_config",
        ]
    )
    assert (config.prover.learning_rate, config.rounds, config.problems.families) == (
        1e-4,
        5,
        ["arithmetic", "percent"],
    )
    assert config.verifier_model is None and switches == ["--overwrite_config"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--prover.lr", "1"], "unknown config key 'prover.lr'"),
        (["--rounds", "two"], "rounds: 'two' is not a valid int"),
        (["--rounds", "1.5"], "rounds: '1.5' is not a valid int"),
        (["--rounds", "0"], "rounds must be >= 1"),
        (["--precision", "fp16"], "precision must be one of auto, bf16, fp32; got 'fp16'"),
        (["--prover.algorithm", "ppo"], "no PPOTrainer"),
        (["--prover.algorithm", "a2c"], "prover.algorithm must be one of"),
        (["--prover.num_generations", "5"], "multiple of prover.num_generations"),
        (["--verifier.objective", "hinge"], "verifier: verifier.objective"),
        (["--mixture.round_weighting", "linear"], "mixture: mixture.round_weighting"),
        (["--verifier_pretrain.steps", "-1"], "verifier_pretrain: verifier_pretrain.steps must be >= 0"),
        (["--config", "nope.yaml"], "--config nope.yaml: no such file"),
        (["--prover.helpful_styles", "stepwise=1,subtle=1"], "prover.helpful_styles: unknown style 'subtle'"),
        (["--prover.sneaky_styles", "subtle=-1"], "prover.sneaky_styles: weights must be >= 0"),
        (["--prover.sneaky_styles", "subtle=0"], "with at least one > 0"),
        (["--prover.sneaky_styles", "subtle"], "prover.sneaky_styles: 'subtle': expected name=weight"),
        (
            ["--prover.sneaky_styles", "subtle=lots"],
            "prover.sneaky_styles.subtle: 'lots' is not a valid float",
        ),
        (["--prover.sneaky_styles", "{subtle: [1"], "is not a YAML mapping"),
        (["stray"], "unexpected argument 'stray'"),
    ],
)
def test_bad_input_names_the_key(argv, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_config(argv)


def test_style_mixtures_from_the_command_line_and_their_defaults():
    from selfplay.config import DEFAULT_HELPFUL_STYLES, DEFAULT_SNEAKY_STYLES, warm_start_styles

    config, _ = load_config(
        ["--prover.helpful_styles", "stepwise=2,answer_only=1", "--prover.sneaky_styles", "{}"]
    )
    assert config.prover.helpful_styles == {"stepwise": 2.0, "answer_only": 1.0}
    assert warm_start_styles(config.prover) == ({"stepwise": 2.0, "answer_only": 1.0}, {})
    flow, _ = load_config(["--prover.sneaky_styles", "{subtle: 3, blatant: 1}"])
    assert flow.prover.sneaky_styles == {"subtle": 3.0, "blatant": 1.0}
    embedded, _ = load_config([])
    assert warm_start_styles(embedded.prover) == (DEFAULT_HELPFUL_STYLES, DEFAULT_SNEAKY_STYLES)
    own, _ = load_config(["--prover.model", "some/model"])
    assert warm_start_styles(own.prover) == ({}, {}), "a user's own model keeps the reference warm start"


def test_bad_yaml_key_names_the_section(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("prover:\n  learning_rat: 0.1\n")
    with pytest.raises(ConfigError, match=r"unknown config key 'prover\.learning_rat'"):
        load_config(["--config", str(path)])


def test_shipped_recipes_and_accelerate_configs_parse():
    from accelerate.commands.config.config_args import load_config_from_file

    gsm8k, _ = load_config(["--config", str(CONFIGS / "gsm8k_qwen.yaml")])
    assert gsm8k.prover.model == "Qwen/Qwen2.5-0.5B-Instruct" and gsm8k.problems.source == "openai/gsm8k"
    stages = {
        name: load_config_from_file(str(CONFIGS / "accelerate" / f"{name}.yaml"))
        for name in ("single", "ddp", "zero2", "zero3")
    }
    assert (
        stages["zero2"].deepspeed_config["zero_stage"] == 2
        and stages["zero3"].deepspeed_config["zero_stage"] == 3
    )
    assert str(stages["ddp"].distributed_type).endswith("MULTI_GPU")


def test_a_run_folder_from_before_verifier_pretraining_reads_back_without_it(tmp_path):
    from selfplay.config import load_run_config

    saved = asdict(load_config([])[0])
    del saved["verifier_pretrain"]
    (tmp_path / "config.yaml").write_text(yaml.safe_dump({"config": saved}))
    assert load_run_config(tmp_path).verifier_pretrain.steps == 0
    saved["verifier_pretrain"] = {"steps": 7}
    (tmp_path / "config.yaml").write_text(yaml.safe_dump({"config": saved}))
    assert load_run_config(tmp_path).verifier_pretrain.steps == 7


def test_a_run_folder_from_before_styles_reads_back_as_it_ran(tmp_path):
    from selfplay.config import load_run_config, warm_start_styles
    from selfplay.run_folder import RunFolder

    saved = asdict(load_config([])[0])
    for section, key in (
        ("problems", "max_total"),
        ("prover", "helpful_styles"),
        ("prover", "sneaky_styles"),
        ("prover", "warmup_steps"),
        ("sampling", "cold_temperature"),
        ("verifier_pretrain", "pairs_per_problem"),
    ):
        del saved[section][key]
    (tmp_path / "config.yaml").write_text(yaml.safe_dump({"config": saved}))
    old = load_run_config(tmp_path)
    assert old.problems.max_total is None  # the problems it played, regenerated exactly
    assert warm_start_styles(old.prover) == ({}, {})  # reference solutions, helpful prompt only
    assert old.verifier_pretrain.pairs_per_problem == 1 and old.verifier_pretrain.steps == 1200
    # and it resumes: its config is the same run's
    RunFolder(tmp_path).check_config(asdict(old), overwrite=False)
