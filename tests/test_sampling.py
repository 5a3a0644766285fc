"""Sampling is reproducible for a seed and varies across seeds and within a prompt's samples."""

from __future__ import annotations

import pytest
import torch

from selfplay.game.sampling import generate
from selfplay.models.tiny import build_tiny_causal_lm, build_tiny_tokenizer

PROMPTS = ["Tom has 3 apples and buys 4 more. How many?\n", "A box holds 6 pens; 2 are red. How many?\n"]


@pytest.fixture(scope="module")
def model_and_tokenizer():
    tokenizer = build_tiny_tokenizer()
    torch.manual_seed(0)
    return build_tiny_causal_lm(tokenizer), tokenizer  # random init: diverse samples at temperature 1


def _sample(model_and_tokenizer, seed: int, temperature: float = 1.0, n: int = 4) -> list[list[str]]:
    model, tokenizer = model_and_tokenizer
    settings = {"n": n, "max_new_tokens": 12, "temperature": temperature, "batch_size": 2, "seed": seed}
    return generate(model, tokenizer, PROMPTS, **settings)


def test_the_same_seed_gives_the_same_completions(model_and_tokenizer):
    assert _sample(model_and_tokenizer, 7) == _sample(model_and_tokenizer, 7)


def test_other_seeds_and_other_samples_of_one_prompt_differ(model_and_tokenizer):
    first, second = _sample(model_and_tokenizer, 7), _sample(model_and_tokenizer, 8)
    assert first != second
    assert all(len(set(samples)) > 1 for samples in first), first


def test_greedy_is_one_completion_and_ignores_the_seed(model_and_tokenizer):
    greedy = _sample(model_and_tokenizer, 1, temperature=0.0, n=1)
    assert greedy == _sample(model_and_tokenizer, 2, temperature=0.0, n=1)
    with pytest.raises(ValueError, match="greedy decoding"):
        _sample(model_and_tokenizer, 1, temperature=0.0, n=2)


def test_shards_of_two_processes_together_equal_one_process(model_and_tokenizer):
    model, tokenizer = model_and_tokenizer
    prompts = PROMPTS * 3  # three batches of two
    settings = {"n": 3, "max_new_tokens": 10, "temperature": 1.0, "batch_size": 2, "seed": 5}
    whole = generate(model, tokenizer, prompts, **settings)
    first = generate(model, tokenizer, prompts, **settings, shard=(0, 2))
    second = generate(model, tokenizer, prompts, **settings, shard=(1, 2))
    assert [a is None for a in first] == [False, False, True, True, False, False]  # batches 0 and 2
    assert [a or b for a, b in zip(first, second, strict=True)] == whole
