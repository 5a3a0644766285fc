"""train_prover with each algorithm and with LoRA: a couple of steps, a loadable model folder."""

import json
import warnings

import pytest
import torch
from safetensors.torch import load_file

from envs.generators import GeneratorConfig, generate
from selfplay.config import ProverConfig
from selfplay.game.prover import build_prover_trainer, train_prover
from selfplay.models.scoring import VerifierScorer
from selfplay.models.tiny import build_tiny_causal_lm, build_tiny_classifier, build_tiny_tokenizer


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    root = tmp_path_factory.mktemp("prover")
    torch.manual_seed(0)
    tokenizer = build_tiny_tokenizer()
    build_tiny_causal_lm(tokenizer).save_pretrained(root / "init")
    tokenizer.save_pretrained(root / "init")
    scorer = VerifierScorer(build_tiny_classifier(tokenizer), tokenizer)
    return root, scorer, generate("arithmetic", 32, seed=0, config=GeneratorConfig(1, 2, 10))


@pytest.mark.parametrize(("algorithm", "lora_r"), [("grpo", 0), ("rloo", 0), ("grpo", 4)])
def test_prover_phase_trains_and_saves(setup, algorithm, lora_r):
    root, scorer, problems = setup
    cfg = ProverConfig(
        algorithm=algorithm,
        lora_r=lora_r,
        max_steps=2,
        per_device_train_batch_size=8,
        num_generations=4,
        max_completion_length=16,
        learning_rate=1e-2,
    )
    out = root / f"{algorithm}-{lora_r}"
    log = train_prover(root / "init", problems, scorer.score, cfg, out, seed=0)
    assert log["steps"] == 2 and log["num_processes"] == 1
    json.dumps(log)  # the log goes to train_log.json
    before, after = load_file(root / "init" / "model.safetensors"), load_file(out / "model.safetensors")
    assert set(before) == set(after), "a LoRA run must save a plain (merged) model"
    assert any(not torch.equal(before[name], after[name]) for name in before)


@pytest.mark.parametrize("checkpointing", [False, True])
def test_gradient_checkpointing_follows_the_config_not_trls_default(setup, checkpointing):
    root, scorer, problems = setup
    cfg = ProverConfig(gradient_checkpointing=checkpointing, per_device_train_batch_size=8, num_generations=4)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        trainer, _ = build_prover_trainer(root / "init", problems, scorer.score, cfg, root / "gc", seed=0)
    assert trainer.args.gradient_checkpointing is checkpointing
    # set under the name this transformers reads, so its deprecation of the old one stays silent
    assert not [w for w in caught if "`gradient_checkpointing` is deprecated" in str(w.message)]


def test_bf16_on_cpu_trains_under_autocast_with_eager_attention(setup):
    root, scorer, problems = setup
    cfg = ProverConfig(
        max_steps=2, per_device_train_batch_size=8, num_generations=4, max_completion_length=16
    )
    trainer, _ = build_prover_trainer(
        root / "init", problems, scorer.score, cfg, root / "bf16", seed=0, precision="bf16"
    )
    assert trainer.args.bf16 and trainer.model.config._attn_implementation == "eager"
    trainer.train()
    assert all(p.dtype == torch.float32 for p in trainer.model.parameters()), "weights stay fp32"
    auto, _ = build_prover_trainer(root / "init", problems, scorer.score, cfg, root / "auto", seed=0)
    assert not auto.args.bf16 and auto.model.config._attn_implementation == "sdpa"


def test_trl_passthrough_settings_reach_the_trainer(setup):
    root, scorer, problems = setup
    cfg = ProverConfig(
        per_device_train_batch_size=8,
        num_generations=4,
        trl={"top_p": "0.9", "loss_type": "dr_grpo", "mask_truncated_completions": True},
    )
    trainer, _ = build_prover_trainer(root / "init", problems, scorer.score, cfg, root / "trl", seed=0)
    assert (trainer.args.top_p, trainer.args.loss_type, trainer.args.mask_truncated_completions) == (
        0.9,
        "dr_grpo",
        True,
    )
