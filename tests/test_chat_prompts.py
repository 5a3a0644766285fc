"""Prompts that fit the model: a tokenizer with a chat template gets (system, user) messages in
TRL's conversational format, with the role's system prompt; one without keeps the raw prompts."""

from __future__ import annotations

import pytest
import torch

from envs.generators import GeneratorConfig, generate
from envs.prompts import HELPFUL_SYSTEM_PROMPT, SNEAKY_SYSTEM_PROMPT, prover_prompt
from selfplay.config import ConfigError, ProverConfig, load_config
from selfplay.game.prover import build_prover_trainer
from selfplay.game.sampling import sample_and_label
from selfplay.models.prompting import prompter_for
from selfplay.models.scoring import VerifierScorer
from selfplay.models.tiny import build_tiny_causal_lm, build_tiny_classifier, build_tiny_tokenizer

TEMPLATE = (
    "{% for m in messages %}[{{ m['role'] }}]\n{{ m['content'] }}\n{% endfor %}"
    "{% if add_generation_prompt %}[assistant]\n{% endif %}"
)


@pytest.fixture(scope="module")
def chat_prover(tmp_path_factory):
    """A tiny causal LM whose tokenizer has a chat template, saved as a prover folder."""
    root = tmp_path_factory.mktemp("chat")
    torch.manual_seed(0)
    tokenizer = build_tiny_tokenizer()
    tokenizer.chat_template = TEMPLATE
    build_tiny_causal_lm(tokenizer).save_pretrained(root)
    tokenizer.save_pretrained(root)
    return root, tokenizer


def test_a_template_means_chat_prompts_rendered_as_trl_renders_them(chat_prover):
    _, tokenizer = chat_prover
    prompter = prompter_for(tokenizer, ProverConfig())
    assert prompter.chat
    text = prompter.text("What is 2 + 3?", "sneaky")
    assert text == f"[system]\n{SNEAKY_SYSTEM_PROMPT}\n[user]\nWhat is 2 + 3?\n[assistant]\n"
    messages = prompter.for_trl("What is 2 + 3?", "helpful")
    assert messages == [
        {"role": "system", "content": HELPFUL_SYSTEM_PROMPT},
        {"role": "user", "content": "What is 2 + 3?"},
    ]
    trl_ids = tokenizer.apply_chat_template(
        messages, add_generation_prompt=True, tokenize=True, return_dict=True
    )
    ours = tokenizer(prompter.text("What is 2 + 3?", "helpful"), add_special_tokens=False)
    assert list(trl_ids["input_ids"]) == ours["input_ids"]  # what RL samples from is what sampling uses


def test_no_template_keeps_the_raw_prompt_and_chat_without_one_is_an_error():
    tokenizer = build_tiny_tokenizer()
    assert prompter_for(tokenizer, ProverConfig()).text("Q?", "helpful") == prover_prompt("Q?", "helpful")
    assert prompter_for(tokenizer, ProverConfig(prompt_format="raw")).chat is False
    with pytest.raises(ValueError, match=r"prover.prompt_format chat: .* no chat template; use auto or raw"):
        prompter_for(tokenizer, ProverConfig(prompt_format="chat"))


def test_raw_format_overrides_a_template(chat_prover):
    _, tokenizer = chat_prover
    assert prompter_for(tokenizer, ProverConfig(prompt_format="raw")).text("Q?", "sneaky") == prover_prompt(
        "Q?", "sneaky"
    )


def test_a_role_system_prompt_is_configurable_and_the_other_keeps_its_default(chat_prover):
    _, tokenizer = chat_prover
    prover = load_config(["--prover.system_prompt", "{sneaky: Be wrong quietly.}"])[0].prover
    prompter = prompter_for(tokenizer, prover)
    assert prompter.for_trl("Q?", "sneaky")[0]["content"] == "Be wrong quietly."
    assert prompter.for_trl("Q?", "helpful")[0]["content"] == HELPFUL_SYSTEM_PROMPT
    with pytest.raises(ConfigError, match=r"prover.system_prompt: unknown role 'judge'"):
        load_config(["--prover.system_prompt", "{judge: x}"])


def test_grpo_trains_on_conversational_prompts_and_the_reward_reads_the_texts(chat_prover, tmp_path):
    root, tokenizer = chat_prover
    problems = generate("arithmetic", 16, seed=0, config=GeneratorConfig(1, 2, 10))
    scorer = VerifierScorer(build_tiny_classifier(tokenizer), tokenizer)
    cfg = ProverConfig(max_steps=1, per_device_train_batch_size=8, num_generations=4, max_completion_length=8)
    trainer, reward = build_prover_trainer(root, problems, scorer.score, cfg, tmp_path / "out", seed=0)
    first = trainer.train_dataset[0]["prompt"]
    assert [m["role"] for m in first] == ["system", "user"]
    assert first[0]["content"] in (HELPFUL_SYSTEM_PROMPT, SNEAKY_SYSTEM_PROMPT)
    before = {n: p.detach().clone() for n, p in trainer.model.named_parameters()}
    trainer.train()
    assert len(reward.stats.calls) == 1  # the reward scored the step's conversational completions
    assert any(not torch.equal(before[n], p) for n, p in trainer.model.named_parameters())


def test_sampling_uses_the_rendered_chat_prompt(chat_prover):
    root, tokenizer = chat_prover
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(root)
    problems = generate("arithmetic", 2, seed=0, config=GeneratorConfig(1, 2, 10))
    prompter = prompter_for(tokenizer, ProverConfig())
    rows = sample_and_label(
        model,
        tokenizer,
        problems,
        round_index=0,
        split="test",
        n=2,
        max_new_tokens=4,
        temperature=0.7,
        batch_size=4,
        seed=0,
        prompt_text=prompter.text,
    )
    assert len(rows) == 8
    assert all(r["prompt"] == prompter.text(r["question"], r["role"]) for r in rows)
    assert {r["prompt"].startswith("[system]\n") for r in rows} == {True}
