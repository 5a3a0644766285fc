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
        (["--rounds", "0"], "rounds: 0 is not allowed; it must be >= 1 (the default is 3)"),
        (["--precision", "fp16"], "precision: 'fp16' is not allowed; it must be one of auto, bf16, fp32"),
        (["--prover.algorithm", "ppo"], "no PPOTrainer"),
        (["--prover.algorithm", "a2c"], "prover.algorithm: 'a2c' is not allowed; it must be one of grpo"),
        (["--prover.num_generations", "5"], "multiple of prover.num_generations"),
        (["--prover.num_generations", "0"], "prover.num_generations: 0 is not allowed; it must be >= 2"),
        (["--prover.reward", "foo"], "prover.reward: 'foo' is not allowed; it must be one of src, cgc"),
        (["--prover.temperature", "-1"], "prover.temperature: -1.0 is not allowed; it must be > 0"),
        (["--prover.lora_r", "-3"], "prover.lora_r: -3 is not allowed; it must be >= 0"),
        (["--prover.sneaky_fraction", "1.5"], "prover.sneaky_fraction: 1.5 is not allowed; it must be >= 0;"),
        (["--sampling.batch_size", "0"], "sampling.batch_size: 0 is not allowed; it must be >= 1"),
        (["--report_to", "foo"], "report_to: 'foo' is not allowed; it must be one of none, tensorboard"),
        (["--problems.families", "arithmetic,algebra"], "problems.families: 'algebra' is not allowed"),
        (["--problems.min_steps", "3"], "problems.min_steps (3) must be <= problems.max_steps (2)"),
        (["--problems.split_fractions", "0.5,0.5,0.5"], "problems.split_fractions must be three shares"),
        (["--verifier.objective", "hinge"], "verifier.objective: 'hinge' is not allowed"),
        (["--mixture.round_weighting", "linear"], "mixture.round_weighting: 'linear' is not allowed"),
        (["--verifier_pretrain.steps", "-1"], "verifier_pretrain.steps: -1 is not allowed; it must be >= 0"),
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


def test_equals_form_bare_booleans_and_config_equals():
    config, switches = load_config(
        [f"--config={CONFIGS / 'tiny_cpu.yaml'}", "--prover.learning_rate=3e-4", "--push_to_hub.enabled"]
    )
    assert config.prover.learning_rate == 3e-4 and config.push_to_hub.enabled is True and switches == []
    off, _ = load_config(["--push_to_hub.enabled", "false"])
    assert off.push_to_hub.enabled is False


def test_the_top_level_seed_reaches_every_section_seed_unless_one_is_given():
    reseeded, _ = load_config(["--seed", "3"])
    assert (reseeded.seed, reseeded.verifier.seed, reseeded.mixture.seed) == (3, 3, 3)
    pinned, _ = load_config(["--seed", "3", "--verifier.seed", "5"])
    assert (pinned.verifier.seed, pinned.mixture.seed) == (5, 3)
    assert load_config([])[0].verifier.seed == 0


def test_malformed_yaml_is_one_line_naming_the_place(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("prover:\n  learning_rate: [1\n")
    with pytest.raises(ConfigError, match=r"bad\.yaml: .* at line 3, column 1; fix the YAML there") as err:
        load_config(["--config", str(bad)])
    assert "\n" not in str(err.value)


def _leaf_fields():
    import dataclasses

    from selfplay.config import RunConfig
    from selfplay.config.sections import sections_of

    config = RunConfig()
    for section in (config, *sections_of(config)):
        for f in dataclasses.fields(section):
            if not dataclasses.is_dataclass(getattr(section, f.name)):
                yield section.KEY, f


def test_every_field_has_help_and_is_read_by_the_code():
    root = Path(__file__).resolve().parents[1]
    sources = [p for d in ("selfplay", "envs", "rewards") for p in (root / d).rglob("*.py")]
    generic = {"fields.py", "parse.py", "docs.py"}  # they handle every field alike
    code = "\n".join(p.read_text() for p in sources if not ("config" in p.parts and p.name in generic))
    for key, f in _leaf_fields():
        assert len(f.metadata.get("help", "")) > 8, f"{key}.{f.name} has no help text"
        dynamic = f.name.endswith("_repo") and 'f"{kind}_repo"' in code  # hub.py: getattr(push, ...)
        read = re.search(rf"\.{f.name}\b|\[\"{f.name}\"\]", code)  # attribute, or key of asdict(config)
        assert dynamic or read, f"{key}.{f.name} is never read"


def test_the_configuration_reference_is_generated_from_the_fields():
    from selfplay.config.docs import help_text, with_tables

    reference = (Path(__file__).resolve().parents[1] / "docs" / "configuration.md").read_text()
    stale = "stale: run python -m selfplay.config.docs --write docs/configuration.md"
    assert with_tables(reference) == reference, stale
    text = help_text()
    for key, f in _leaf_fields():
        flag = f"--{key}.{f.name}" if key else f"--{f.name}"
        assert flag in text and f"`{f.name}`" in reference, flag


def test_train_help_and_bad_values_exit_without_a_traceback(capsys, tmp_path):
    from selfplay.train import main

    assert main(["--help"]) == 0
    assert "--prover.learning_rate FLOAT" in capsys.readouterr().out
    assert main(["--prover.temperature", "-1", "--output_dir", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("pvg train: error: prover.temperature: -1.0") and err.count("\n") == 1
    assert main(["--prover.max_steps"]) == 2
    assert "--prover.max_steps: it needs a value" in capsys.readouterr().err


def test_dry_run_prints_the_plan_and_builds_nothing(capsys, tmp_path):
    from selfplay.train import main

    run = tmp_path / "run"
    assert main(["--dry_run", "--output_dir", str(run), "--problems.n_problems", "300"]) == 0
    out = capsys.readouterr().out
    assert "problems (generated): prover " in out and "round_002/metrics: would run" in out
    assert "learning_rate: 0.0002" in out
    assert not run.exists(), "a dry run writes nothing"


def test_a_yaml_alias_bomb_and_huge_values_give_short_messages(tmp_path):
    bomb = tmp_path / "bomb.yaml"
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    lines += [
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]" for i in range(8)
    ]
    bomb.write_text("\n".join(lines) + "\nprover:\n  learning_rate: *i\n")
    with pytest.raises(ConfigError, match="aliases") as caught:
        load_config(["--config", str(bomb)])
    assert len(str(caught.value)) < 300
    with pytest.raises(ConfigError, match=r"prover\.learning_rate") as caught:
        load_config(["--prover.learning_rate", "9" * 100_000 + "x"])
    assert len(str(caught.value)) < 300
    huge = tmp_path / "huge.yaml"
    huge.write_text("seed: 1\n" + "# padding\n" * 120_000)
    with pytest.raises(ConfigError, match="a config file is at most 1000000"):
        load_config(["--config", str(huge)])
