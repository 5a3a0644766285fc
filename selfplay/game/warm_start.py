"""Supervised warm start of the prover on the environment's solutions (TRL SFTTrainer).

Without style mixtures the helpful prompt learns each problem's reference solution. With them
(``envs.styles``), the warm start gives both roles a repertoire: every problem's helpful prompt
learns its solution in a style drawn from the helpful mixture, and its sneaky prompt a wrong
solution in a style drawn from the sneaky mixture. It stands in for a base model that can already
follow both role prompts, so that RL has behaviours to select among.
"""

from __future__ import annotations

import functools
import inspect
import json
import random
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import torch
from datasets import Dataset
from transformers import AutoModelForCausalLM, AutoTokenizer, Trainer
from trl import SFTConfig, SFTTrainer
from trl.data_utils import common_prefix_length

from envs.problems import Problem
from envs.prompts import prover_prompt
from envs.styles import render_mixture
from selfplay.config import warm_start_styles
from selfplay.game.context import GameContext
from selfplay.models.prompting import prompter_for
from selfplay.models.tiny import build_tiny_causal_lm, build_tiny_tokenizer
from selfplay.models.trainer_utils import (
    TRAINABLE_DTYPE,
    checkpointing_kwargs,
    device_kwargs,
    trained_model,
    use_training_attention,
)
from selfplay.run_folder import atomic_write_text

IGNORE_INDEX = -100  # the label of a token left out of the loss
MAX_LENGTH = 512  # tokens per training sequence (prompt and completion); longer ones keep their start


def tokenize_completions(
    tokenizer, prompts: Sequence[str], completions: Sequence[str], max_length: int = MAX_LENGTH
) -> Dataset:
    """TRL's prompt-completion preparation for ``SFTTrainer``, in two batched tokenizer calls.

    Rows hold ``input_ids`` (prompt + completion, cut to ``max_length`` keeping the start) and
    ``labels`` (``IGNORE_INDEX`` on the prompt); rows left without a labelled token are dropped.
    The completion starts where the tokenized prompt and prompt + completion diverge, as in TRL.
    TRL's own preparation maps over the rows one at a time: 6.3 s for the default's 14,549
    warm-start rows on this project's 2-core CPU machine, which batched takes well under a second.
    """
    prompt_ids = tokenizer(list(prompts))["input_ids"]
    full_ids = tokenizer([p + c for p, c in zip(prompts, completions, strict=True)])["input_ids"]
    rows: dict[str, list] = {"input_ids": [], "labels": []}
    for prompt, full in zip(prompt_ids, full_ids, strict=True):
        prompt_len = common_prefix_length(prompt, full)
        labels = ([IGNORE_INDEX] * prompt_len + full[prompt_len:])[:max_length]
        if any(label != IGNORE_INDEX for label in labels):
            rows["input_ids"].append(full[:max_length])
            rows["labels"].append(labels)
    return Dataset.from_dict(rows)


def completion_window(labels: torch.Tensor) -> int:
    """How many final positions of a right-padded batch hold every logit the loss needs: from the
    position before the earliest completion token (in any row) to the end; the whole length when
    no token is labelled."""
    positions_with_labels = (labels != IGNORE_INDEX).any(dim=0).nonzero()
    if positions_with_labels.numel() == 0:
        return labels.shape[1]
    return min(labels.shape[1], labels.shape[1] - int(positions_with_labels[0]) + 1)


class WarmStartTrainer(SFTTrainer):
    """``SFTTrainer`` that, on CPU, takes the model's own causal-LM loss instead of TRL's fused LM head,
    with logits only for the completion window (:func:`completion_window`).

    TRL computes the loss through a tiled LM head that never builds the (batch, length, vocab)
    logits: on a GPU that saves memory for large vocabularies, but on CPU its tiles run as plain
    torch ops, and a trainer step of the tiny default measured 2x slower with it (114 vs 57 ms).
    The prompt's logits carry no loss, and for the tiny default the LM head over its 2,048 tokens is
    most of a step, so only the window from the earliest completion token on is projected
    (``logits_to_keep``): the default's 800 steps took 36 s instead of 51 s. Both are the mean
    negative log-likelihood of the completion tokens. The CPU path does not log TRL's entropy and
    token-accuracy metrics.
    """

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        if self.args.device.type != "cpu" or return_outputs:
            return super().compute_loss(model, inputs, return_outputs, num_items_in_batch)
        if self._takes_logits_to_keep(model):
            window = completion_window(inputs["labels"])
            inputs = inputs | {"labels": inputs["labels"][:, -window:], "logits_to_keep": window}
        # transformers' Trainer.compute_loss: the model's loss, normalised by the batch's tokens
        # across processes (and scaled back for DDP's gradient averaging), like TRL's.
        return Trainer.compute_loss(self, model, inputs | {"use_cache": False}, False, num_items_in_batch)

    def _takes_logits_to_keep(self, model) -> bool:
        """Whether the causal LM (under any DDP or peft wrapper) names ``logits_to_keep``; the few
        transformers architectures that do not get every position's logits."""
        inner = self.accelerator.unwrap_model(model)
        inner = inner.get_base_model() if hasattr(inner, "get_base_model") else inner
        return _forward_names_logits_to_keep(type(inner))


def warm_start_rows(
    problems: Sequence[Problem],
    seed: int,
    helpful_styles: Mapping[str, float] | None = None,
    sneaky_styles: Mapping[str, float] | None = None,
    prompt_text: Callable[[str, str], str] = prover_prompt,
) -> list[dict]:
    """The warm start's examples: ``{"role", "style", "prompt", "completion"}`` rows.

    Per problem with a reference solution: one helpful row, in a style drawn from
    ``helpful_styles`` (the reference solution as is, style ``reference``, when the mixture is
    empty or none applies); and, when ``sneaky_styles`` is non-empty, one sneaky row in a style
    drawn from it (none when no sneaky style applies). Deterministic for (seed, problem id, role).
    ``prompt_text(question, role)`` is the prompt (``selfplay.models.prompting.Prompter.text``).
    """
    rows = []
    for problem in problems:
        if not problem.solution:
            continue
        for role, weights in (("helpful", helpful_styles), ("sneaky", sneaky_styles)):
            rng = random.Random(f"{seed}:{problem.id}:{role}")
            drawn = render_mixture(problem, weights, rng) if weights else None
            if drawn is None and role == "helpful":
                drawn = ("reference", problem.solution)
            if drawn is not None:
                style, text = drawn
                rows.append(
                    {
                        "role": role,
                        "style": style,
                        "prompt": prompt_text(problem.question, role),
                        "completion": text,
                    }
                )
    return rows


@functools.cache
def _forward_names_logits_to_keep(model_class: type) -> bool:
    # Once per class, not on every training step.
    return "logits_to_keep" in inspect.signature(model_class.forward).parameters


def warm_start(
    model,
    tokenizer,
    problems: Sequence[Problem],
    out_dir: Path,
    *,
    steps: int,
    learning_rate: float,
    batch_size: int,
    seed: int,
    helpful_styles: Mapping[str, float] | None = None,
    sneaky_styles: Mapping[str, float] | None = None,
    gradient_checkpointing: bool = False,
    report_to: str | list[str] = "none",
    precision: str = "auto",
    callbacks: Sequence = (),
    prompt_text: Callable[[str, str], str] = prover_prompt,
) -> dict:
    """Fine-tune ``model`` on :func:`warm_start_rows` of ``problems``; save it to ``out_dir``.

    Loss is on the completion only (TRL's prompt-completion format, prepared by
    :func:`tokenize_completions`). ``precision``: see ``selfplay.models.trainer_utils.device_kwargs``.
    Returns the training log, with the rows' count per (role, style) under ``styles``.
    """
    rows = warm_start_rows(problems, seed, helpful_styles, sneaky_styles, prompt_text)
    if not rows:
        raise ValueError("the warm start needs problems with reference solutions (the generators have them)")
    dataset = tokenize_completions(
        tokenizer, [r["prompt"] for r in rows], [r["completion"] + tokenizer.eos_token for r in rows]
    )
    args = SFTConfig(
        output_dir=str(out_dir / "_trainer"),
        max_steps=steps,
        per_device_train_batch_size=batch_size,
        learning_rate=learning_rate,
        lr_scheduler_type="cosine",
        warmup_steps=min(20, steps // 10),
        weight_decay=0.0,
        **checkpointing_kwargs(gradient_checkpointing),
        logging_steps=max(1, steps // 10),
        save_strategy="no",
        report_to=report_to,
        seed=seed,
        max_length=MAX_LENGTH,
        dataset_kwargs={"skip_prepare_dataset": True},  # tokenize_completions did it
        **device_kwargs(precision),
    )
    loaded_attention = use_training_attention(model, precision)
    trainer = WarmStartTrainer(
        model=model, args=args, train_dataset=dataset, processing_class=tokenizer, callbacks=list(callbacks)
    )
    result = trainer.train()
    model = trained_model(trainer)
    model.set_attn_implementation(loaded_attention)
    if trainer.accelerator.is_main_process:
        model.save_pretrained(out_dir)
        tokenizer.save_pretrained(out_dir)
    styles = Counter(f"{r['role']}/{r['style']}" for r in rows)
    return {
        "train_loss": result.training_loss,
        "steps": result.global_step,
        "styles": dict(sorted(styles.items())),
        "history": trainer.state.log_history,
    }


def init_prover(game: GameContext) -> None:
    """The ``init/prover`` phase: the tokenizer and the warm start, the policy every round's RL
    starts from and is KL-tied to. For the embedded model it is the miniature's stand-in for a
    few-shot-prompted base model, so it learns both roles' style mixtures (docs/game.md)."""
    cfg, pcfg, out = game.cfg, game.cfg.prover, game.init_dir / "prover"
    model, tokenizer = _initial_policy(pcfg.model)
    if not pcfg.sft_steps:
        if game.state.is_main_process:
            model.save_pretrained(out)
            tokenizer.save_pretrained(out)
        return
    helpful_styles, sneaky_styles = warm_start_styles(pcfg)
    log = warm_start(
        model,
        tokenizer,
        game.splits["prover"] + game.splits["verifier"],
        out,
        helpful_styles=helpful_styles,
        sneaky_styles=sneaky_styles,
        steps=pcfg.sft_steps,
        learning_rate=pcfg.sft_learning_rate,
        batch_size=pcfg.sft_batch_size,
        gradient_checkpointing=pcfg.gradient_checkpointing,
        seed=cfg.seed,
        report_to="none",  # the game's one tracker run gets the logs (selfplay/game/tracking.py)
        precision=cfg.precision,
        callbacks=game.tracker.callbacks(),
        prompt_text=prompter_for(tokenizer, pcfg).text,
    )
    if game.state.is_main_process:
        atomic_write_text(out / "train_log.json", json.dumps(log, indent=1))


def _initial_policy(model_name: str | None):
    """The embedded tiny model built locally when ``model_name`` is None, else the named one (in
    fp32 whatever its checkpoint's dtype: it is trained next)."""
    if model_name is None:
        tokenizer = build_tiny_tokenizer()
        return build_tiny_causal_lm(tokenizer), tokenizer
    tokenizer = AutoTokenizer.from_pretrained(model_name)
    tokenizer.pad_token = tokenizer.pad_token or tokenizer.eos_token
    return AutoModelForCausalLM.from_pretrained(model_name, dtype=TRAINABLE_DTYPE), tokenizer
