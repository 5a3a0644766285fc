"""Trainable weights are fp32 whatever dtype a checkpoint was saved in (``precision`` is autocast
only): a bf16 Hub checkpoint must not train in bf16."""

from __future__ import annotations

import torch

from selfplay.game.warm_start import _initial_policy
from selfplay.models.tiny import build_tiny_causal_lm, build_tiny_classifier, build_tiny_tokenizer
from selfplay.models.verifier import load_classifier


def test_a_bf16_classifier_checkpoint_loads_in_fp32(tmp_path):
    tokenizer = build_tiny_tokenizer()
    build_tiny_classifier(tokenizer).to(torch.bfloat16).save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    model, _ = load_classifier(str(tmp_path))
    assert {p.dtype for p in model.parameters()} == {torch.float32}


def test_a_bf16_causal_lm_checkpoint_loads_in_fp32_for_the_warm_start(tmp_path):
    tokenizer = build_tiny_tokenizer()
    saved = build_tiny_causal_lm(tokenizer).to(torch.bfloat16)
    saved.save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    model, _ = _initial_policy(str(tmp_path))
    assert {p.dtype for p in model.parameters()} == {torch.float32}
    first = next(iter(saved.state_dict()))
    assert torch.equal(model.state_dict()[first], saved.state_dict()[first].float())  # values kept
