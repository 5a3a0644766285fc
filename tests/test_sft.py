"""The warm start: on CPU it takes the model's own loss, which equals TRL's fused-head loss."""

import pytest
import torch
from datasets import Dataset
from transformers import LlamaForCausalLM
from trl import SFTConfig, SFTTrainer

from envs.generators import GeneratorConfig, generate
from envs.prompts import prover_prompt
from selfplay.game.warm_start import WarmStartTrainer, completion_window, tokenize_completions, warm_start
from selfplay.models.tiny import build_tiny_causal_lm, build_tiny_tokenizer
from selfplay.models.trainer_utils import checkpointing_kwargs, device_kwargs


@pytest.fixture(scope="module")
def tiny():
    torch.manual_seed(0)
    tokenizer = build_tiny_tokenizer()
    return tokenizer, generate("arithmetic", 64, seed=0, config=GeneratorConfig(1, 2, 10))


class LlamaWithoutLogitsToKeep(LlamaForCausalLM):
    """An architecture whose forward does not name ``logits_to_keep``."""

    def forward(self, input_ids=None, attention_mask=None, labels=None, **kwargs):
        assert "logits_to_keep" not in kwargs
        return super().forward(input_ids=input_ids, attention_mask=attention_mask, labels=labels, **kwargs)


@pytest.mark.parametrize("model_class", [LlamaForCausalLM, LlamaWithoutLogitsToKeep])
def test_cpu_loss_equals_trls_fused_lm_head_loss(tiny, tmp_path, model_class):
    tokenizer, problems = tiny
    rows = [
        {"prompt": prover_prompt(p.question, "helpful"), "completion": p.solution + tokenizer.eos_token}
        for p in problems
    ]
    args = SFTConfig(
        output_dir=str(tmp_path),
        per_device_train_batch_size=16,
        report_to="none",
        **device_kwargs(),
        **checkpointing_kwargs(False),
    )
    trainer = WarmStartTrainer(
        model=model_class(build_tiny_causal_lm(tokenizer).config),
        args=args,
        train_dataset=Dataset.from_list(rows),
        processing_class=tokenizer,
    )
    batch = trainer._prepare_inputs(next(iter(trainer.get_train_dataloader())))
    assert (batch["labels"] == -100).any(), "prompt tokens must be left out of the loss"
    assert completion_window(batch["labels"]) < batch["labels"].shape[1] // 2, "the window must cut"
    assert trainer._takes_logits_to_keep(trainer.model) == (model_class is LlamaForCausalLM)
    with torch.no_grad():
        ours = trainer.compute_loss(trainer.model, dict(batch))
        fused = SFTTrainer.compute_loss(trainer, trainer.model, dict(batch))
    assert torch.allclose(ours, fused, atol=1e-5), (ours, fused)


def test_batched_preparation_equals_trls_own(tiny, tmp_path):
    tokenizer, problems = tiny
    prompts = [prover_prompt(p.question, "helpful") for p in problems]
    completions = [p.solution + tokenizer.eos_token for p in problems]
    trl_prepared = SFTTrainer(
        model=build_tiny_causal_lm(tokenizer),
        args=SFTConfig(
            output_dir=str(tmp_path),
            max_length=66,
            report_to="none",
            **device_kwargs(),
            **checkpointing_kwargs(False),
        ),
        train_dataset=Dataset.from_dict({"prompt": prompts, "completion": completions}),
        processing_class=tokenizer,
    ).train_dataset
    ours = tokenize_completions(tokenizer, prompts, completions, max_length=66)
    assert ours["input_ids"] == trl_prepared["input_ids"] and ours["labels"] == trl_prepared["labels"]
    assert any(len(ids) == 66 for ids in ours["input_ids"]), "some rows must be cut at max_length"
    everything_cut = tokenize_completions(tokenizer, prompts[:2], completions[:2], max_length=5)
    assert len(everything_cut) == 0, "rows whose completion is cut away carry no loss and are dropped"


def test_completion_window_starts_one_before_the_earliest_completion_token():
    labels = torch.tensor([[-100, -100, -100, 7, 8, -100], [-100, -100, 5, 6, -100, -100]])
    assert completion_window(labels) == 5  # positions 1-5: position 1 predicts the token at 2
    assert completion_window(torch.full((2, 4), -100)) == 4
    assert completion_window(torch.tensor([[3, 4, -100]])) == 3


def test_warm_start_lowers_the_loss_and_moves_every_parameter(tiny, tmp_path):
    tokenizer, problems = tiny
    model = build_tiny_causal_lm(tokenizer)
    before = {name: p.detach().clone() for name, p in model.named_parameters()}
    log = warm_start(
        model, tokenizer, problems, tmp_path, steps=30, learning_rate=3e-3, batch_size=16, seed=0
    )
    losses = [entry["loss"] for entry in log["history"] if "loss" in entry]
    assert log["steps"] == 30 and losses[-1] < losses[0] - 1.0, losses
    reloaded = type(model).from_pretrained(tmp_path)
    assert all(not torch.equal(before[name], p) for name, p in reloaded.named_parameters())
