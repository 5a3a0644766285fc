"""The verifier: a one-score sequence classifier, its objective, training and persistence.

The verifier sees the problem and the solution only, as ``selfplay.verifier_text.VERIFIER_TEMPLATE``
followed by the tokenizer's EOS token (where the score is read) — never the prover's role or
prompt. Training uses TRL's ``RewardTrainer`` (data handling, logging, accelerate) with the
paper's loss in place of TRL's: every round restarts from the initial weights saved once in
``init_dir``.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import torch
from datasets import Dataset
from transformers import AutoModelForSequenceClassification, AutoTokenizer, PreTrainedModel
from trl import RewardConfig, RewardTrainer

from selfplay.config import VerifierConfig
from selfplay.trainer_utils import (
    checkpointing_kwargs,
    device_kwargs,
    full_weights,
    refuse_lora_under_zero3,
    trained_model,
    use_training_attention,
)
from selfplay.verifier_data import Pair
from selfplay.verifier_text import VERIFIER_TEMPLATE, encode_verifier_inputs

INFO_FILE = "verifier.json"


def verifier_loss(
    v_correct: torch.Tensor, v_incorrect: torch.Tensor, lam: float, objective: str
) -> torch.Tensor:
    """Mean loss over pairs of scores for (correct, incorrect) solutions of the same problem.

    ``pairwise`` is the paper's ``-log σ(V_c − V_i) + λ(V_c² + V_i²)``. This differs from TRL's
    ``center_rewards_coefficient`` term ``(V_c + V_i)²``: the paper pulls each score to 0, TRL only
    their sum. ``cross_entropy`` is ``-log σ(V_c) − log(1 − σ(V_i)) + λ(V_c² + V_i²)``.

    >>> round(float(verifier_loss(torch.tensor([1.0]), torch.tensor([0.0]), 0.1, "pairwise")), 4)
    0.4133
    """
    penalty = lam * (v_correct**2 + v_incorrect**2)
    if objective == "pairwise":
        fit = -torch.nn.functional.logsigmoid(v_correct - v_incorrect)
    else:
        fit = -torch.nn.functional.logsigmoid(v_correct) - torch.nn.functional.logsigmoid(-v_incorrect)
    return (fit + penalty).mean()


class VerifierTrainer(RewardTrainer):
    """``RewardTrainer`` with :func:`verifier_loss`; TRL's own metrics (accuracy, margin) are kept."""

    def __init__(self, *args, objective: str, lam: float, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.objective, self.lam = objective, lam

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        _, outputs = super().compute_loss(model, inputs, return_outputs=True)
        v_correct, v_incorrect = torch.chunk(
            outputs.logits.squeeze(-1), chunks=2
        )  # chosen first, then rejected
        loss = verifier_loss(v_correct, v_incorrect, self.lam, self.objective)
        return (loss, outputs) if return_outputs else loss


def load_classifier(name_or_path: str) -> tuple[PreTrainedModel, AutoTokenizer]:
    """A one-score classifier and its tokenizer from the Hub or a folder; pad token made explicit."""
    tokenizer = AutoTokenizer.from_pretrained(name_or_path)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    with full_weights():
        model = AutoModelForSequenceClassification.from_pretrained(name_or_path, num_labels=1)
    model.config.pad_token_id = tokenizer.pad_token_id
    return model, tokenizer


def save_initial_classifier(name_or_path: str, out_dir: str | Path) -> PreTrainedModel:
    """Save :func:`load_classifier`'s model and tokenizer to ``out_dir`` as a verifier's initial
    weights (``train_verifier``'s ``init_dir``); from a causal LM that is its body with a new score
    head. Returns the model."""
    model, tokenizer = load_classifier(str(name_or_path))
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    return model


def save_verifier(out_dir: str | Path, model: PreTrainedModel, tokenizer, info: dict) -> Path:
    """Write model, tokenizer and ``verifier.json`` (objective, λ, counts, seed, metrics) to ``out_dir``."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    (out_dir / INFO_FILE).write_text(json.dumps(info, indent=2, sort_keys=True) + "\n")
    return out_dir


def load_verifier(path: str | Path) -> tuple[PreTrainedModel, AutoTokenizer, dict]:
    """Inverse of :func:`save_verifier`; the model comes back in eval mode."""
    path = Path(path)
    info_path = path / INFO_FILE
    if not info_path.is_file():
        raise FileNotFoundError(
            f"{path} is not a saved verifier (no {INFO_FILE}); train one or give another folder"
        )
    model, tokenizer = load_classifier(str(path))
    return model.eval(), tokenizer, json.loads(info_path.read_text())


def pairs_dataset(pairs: list[Pair], tokenizer) -> Dataset:
    """TRL's tokenized preference format: ``chosen_ids`` is the correct solution, ``rejected_ids``
    the incorrect one, encoded as :func:`encode_verifier_inputs` (so TRL does not re-tokenize)."""
    questions = [p.question for p in pairs]
    correct = encode_verifier_inputs(tokenizer, questions, [p.correct_solution for p in pairs])
    incorrect = encode_verifier_inputs(tokenizer, questions, [p.incorrect_solution for p in pairs])
    return Dataset.from_dict({"chosen_ids": correct, "rejected_ids": incorrect})


def train_verifier(
    init_dir: str | Path,
    pairs: list[Pair],
    config: VerifierConfig,
    work_dir: str | Path,
    report_to: str = "none",
    precision: str = "auto",
) -> tuple[PreTrainedModel, AutoTokenizer, dict]:
    """Train a verifier from the initial weights in ``init_dir`` on ``pairs``; returns model, tokenizer, log.

    ``work_dir`` holds the trainer's scratch output (no checkpoints are written there).
    ``precision``: see ``selfplay.trainer_utils.device_kwargs``; the returned model has the
    folder's own attention implementation whatever training used.
    """
    model, tokenizer = load_classifier(str(init_dir))
    loaded_attention = use_training_attention(model, precision)
    peft_config = None
    if config.lora_r:
        from peft import LoraConfig, TaskType

        peft_config = LoraConfig(task_type=TaskType.SEQ_CLS, r=config.lora_r, lora_alpha=config.lora_alpha)
    args = RewardConfig(
        output_dir=str(work_dir),
        max_steps=config.max_steps,
        per_device_train_batch_size=config.pairs_per_device,
        learning_rate=config.learning_rate,
        lr_scheduler_type="cosine",
        warmup_steps=config.warmup_steps,
        weight_decay=0.0,
        max_length=config.max_length,
        center_rewards_coefficient=None,
        **checkpointing_kwargs(config.gradient_checkpointing),
        logging_steps=max(1, config.max_steps // 10),
        save_strategy="no",
        report_to=report_to,
        seed=config.seed,
        data_seed=config.seed,
        **device_kwargs(precision),
    )
    trainer = VerifierTrainer(
        model=model,
        args=args,
        train_dataset=pairs_dataset(pairs, tokenizer),
        processing_class=tokenizer,
        peft_config=peft_config,
        objective=config.objective,
        lam=config.lam,
    )
    refuse_lora_under_zero3(trainer, config.lora_r, "verifier")
    result = trainer.train()
    model = trained_model(trainer)
    if config.lora_r:
        model = model.merge_and_unload()  # a plain model folder, loadable without peft
    model.set_attn_implementation(loaded_attention)
    log = {
        "train_loss": result.training_loss,
        "steps": result.global_step,
        "history": trainer.state.log_history,
    }
    return model.eval(), tokenizer, log


def verifier_info(config: VerifierConfig, counts: dict[str, dict], metrics: dict | None = None) -> dict:
    """The small JSON saved beside a verifier: objective, λ, data counts per source, seed, metrics."""
    return {
        "objective": config.objective,
        "lam": config.lam,
        "seed": config.seed,
        "config": asdict(config),
        "data_counts": counts,
        "metrics": metrics or {},
        "template": VERIFIER_TEMPLATE,
    }
