"""Training a verifier: TRL's ``RewardTrainer`` (data handling, logging, accelerate) with the
paper's loss in place of TRL's. Every round restarts from the initial weights saved once in
``init_dir``, so rounds differ only in their data.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import torch
from datasets import Dataset
from transformers import AutoTokenizer, PreTrainedModel
from trl import RewardConfig, RewardTrainer

from selfplay.config import VerifierConfig
from selfplay.game.verifier_data import Pair
from selfplay.models.trainer_utils import (
    checkpointing_kwargs,
    device_kwargs,
    in_phase_checkpoints,
    refuse_lora_under_zero3,
    resume_point,
    trained_model,
    use_training_attention,
)
from selfplay.models.verifier import load_classifier
from selfplay.models.verifier_text import encode_verifier_inputs


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
    report_to: str | list[str] = "none",
    precision: str = "auto",
    callbacks: Sequence = (),
    checkpoint_dir: Path | None = None,
) -> tuple[PreTrainedModel, AutoTokenizer, dict]:
    """Train a verifier from the initial weights in ``init_dir`` on ``pairs``; returns model, tokenizer, log.

    ``work_dir`` holds the trainer's scratch output. With ``config.save_steps`` and a
    ``checkpoint_dir``, the trainer checkpoints there and a rerun resumes from the last checkpoint.
    ``precision``: see ``selfplay.models.trainer_utils.device_kwargs``; the returned model has the
    folder's own attention implementation whatever training used.
    """
    model, tokenizer = load_classifier(str(init_dir))
    loaded_attention = use_training_attention(model, precision)
    peft_config = None
    if config.lora_r:
        from peft import LoraConfig, TaskType

        peft_config = LoraConfig(task_type=TaskType.SEQ_CLS, r=config.lora_r, lora_alpha=config.lora_alpha)
    args = RewardConfig(
        **in_phase_checkpoints(config.save_steps, checkpoint_dir, Path(work_dir)),
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
        report_to=report_to,
        seed=config.seed,
        data_seed=config.seed,
        **device_kwargs(precision),
    )
    trainer = VerifierTrainer(
        callbacks=list(callbacks),
        model=model,
        args=args,
        train_dataset=pairs_dataset(pairs, tokenizer),
        processing_class=tokenizer,
        peft_config=peft_config,
        objective=config.objective,
        lam=config.lam,
    )
    refuse_lora_under_zero3(trainer, config.lora_r, "verifier")
    result = trainer.train(resume_from_checkpoint=resume_point(checkpoint_dir))
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
