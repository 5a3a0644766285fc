"""The prover phase of a round: RL (TRL GRPO or RLOO) from the initial policy against this round's
verifier, with a KL penalty to the initial policy and the score-parity stop rule.

TRL does the policy update; this module only decides what it optimises (the PVG reward through
``rewards.trl_adapter.PVGReward``, which needs whole (problem, role) groups, so the group layout is
checked before training) and when it stops. Each phase starts again from the warm start rather
than the previous round's prover, so that a round measures what RL can learn against that round's
verifier; the KL penalty keeps the policy near the behaviours the warm start gave it.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from datasets import Dataset
from transformers import AutoTokenizer, TrainerCallback
from trl import GRPOConfig, GRPOTrainer, RLOOConfig, RLOOTrainer

from envs.problems import Problem
from envs.prompts import rl_rows
from rewards.trl_adapter import CallStats, PVGReward, RewardStats, check_group_layout
from selfplay.config import ProverConfig
from selfplay.game.context import GameContext
from selfplay.game.plan import phase_seed
from selfplay.game.trl_passthrough import trl_settings
from selfplay.models.prompting import prompter_for
from selfplay.models.trainer_utils import (
    checkpointing_kwargs,
    device_kwargs,
    generate_without_lockstep,
    in_phase_checkpoints,
    refuse_lora_under_zero3,
    resume_point,
    trained_model,
    training_attention,
)
from selfplay.run_folder import atomic_write_text, read_json


def parity_reached(history: Sequence[tuple[float | None, float | None]], window: int) -> bool:
    """True when, over the last ``window`` reward calls, sneaky-incorrect samples scored on average
    at least as high as helpful-correct ones (calls lacking either kind are left out)."""
    recent = [(h, s) for h, s in history[-window:] if h is not None and s is not None]
    if len(history) < window or not recent:
        return False
    return sum(s for _, s in recent) / len(recent) >= sum(h for h, _ in recent) / len(recent)


# CGC also stops only once the sneaky role is nearly always wrong: with CGC a correct sneaky
# sample is penalised, and parity alone could fire while the sneaky role still writes right answers.
CGC_MAX_SNEAKY_ACCURACY = 0.05


def sneaky_accuracy_below(
    sneaky_incorrect: Sequence[float | None], window: int, bound: float = CGC_MAX_SNEAKY_ACCURACY
) -> bool:
    """True when, over the last ``window`` reward calls, the mean share of sneaky samples that are
    correct is below ``bound`` (calls without sneaky samples are left out): CGC's extra stop test."""
    recent = [rate for rate in sneaky_incorrect[-window:] if rate is not None]
    if len(sneaky_incorrect) < window or not recent:
        return False
    return 1.0 - sum(recent) / len(recent) < bound


class ScoreParityStop(TrainerCallback):
    """Ends the prover phase once :func:`parity_reached` holds (for CGC, together with
    :func:`sneaky_accuracy_below`, as the game's rules ask, docs/game.md); records the step it stopped at."""

    def __init__(self, stats: RewardStats, window: int, reward: str) -> None:
        self.stats, self.window, self.stopped_at = stats, window, None
        self.needs_low_sneaky_accuracy = reward == "cgc"

    def should_stop(self) -> bool:
        if not parity_reached(self.stats.parity(), self.window):
            return False
        return not self.needs_low_sneaky_accuracy or sneaky_accuracy_below(
            self.stats.sneaky_incorrect_rates(), self.window
        )

    def on_step_end(self, args, state, control, **kwargs):
        if self.should_stop():
            control.should_training_stop = True
            self.stopped_at = state.global_step
        return control


STATS_FILE = "pvg_reward_stats.json"  # the reward's per-call history, beside each checkpoint


class StatsCheckpoint(TrainerCallback):
    """Saves the reward's per-call history into each in-phase checkpoint, so the score-parity stop
    rule of a resumed phase reads what an uninterrupted one would."""

    def __init__(self, stats: RewardStats) -> None:
        self.stats = stats

    def on_save(self, args, state, control, **kwargs):
        if state.is_world_process_zero:
            folder = Path(args.output_dir) / f"checkpoint-{state.global_step}"
            rows = [dataclasses.asdict(call) for call in self.stats.calls]
            atomic_write_text(folder / STATS_FILE, json.dumps(rows))
        return control


def _trainer_classes(algorithm: str):
    # TRL's own trainers do the policy update: the project writes rewards and stop rules, not RL.
    return (GRPOConfig, GRPOTrainer) if algorithm == "grpo" else (RLOOConfig, RLOOTrainer)


def build_prover_trainer(
    init_dir: Path,
    problems: Sequence[Problem],
    score_fn,
    cfg: ProverConfig,
    out_dir: Path,
    *,
    seed: int,
    report_to: str | list[str] = "none",
    precision: str = "auto",
    callbacks: Sequence = (),
    checkpoint_dir: Path | None = None,
):
    """A TRL GRPO/RLOO trainer for the policy in ``init_dir`` on ``problems`` (roles drawn with
    ``cfg.sneaky_fraction``) and its :class:`PVGReward`, whose per-call ``stats`` callbacks added with
    ``trainer.add_callback`` can read. ``precision``: see ``selfplay.models.trainer_utils.device_kwargs``.
    With ``cfg.save_steps`` and a ``checkpoint_dir``, the trainer checkpoints there inside the
    phase (:func:`train_prover` resumes from the last one). Returns ``(trainer, reward)``."""
    config_cls, trainer_cls = _trainer_classes(cfg.algorithm)
    prompter = prompter_for(AutoTokenizer.from_pretrained(init_dir), cfg)  # the tokenizer TRL loads
    reward = PVGReward(cfg.reward, cfg.num_generations, score_fn if cfg.reward != "correctness" else None)
    # SRC already normalises the verifier's scores within each group; TRL's default per-group std
    # scaling on top would rescale them again and change the fixed -1's weight against them.
    extra = {"scale_rewards": "none"} if cfg.algorithm == "grpo" else {}
    if attention := training_attention(precision):
        extra["model_init_kwargs"] = {"attn_implementation": attention}
    args = config_cls(
        **in_phase_checkpoints(cfg.save_steps, checkpoint_dir, out_dir / "_trainer"),
        max_steps=cfg.max_steps,
        per_device_train_batch_size=cfg.per_device_train_batch_size,
        num_generations=cfg.num_generations,
        max_completion_length=cfg.max_completion_length,
        temperature=cfg.temperature,
        learning_rate=cfg.learning_rate,
        warmup_steps=cfg.warmup_steps,
        beta=cfg.beta,
        **checkpointing_kwargs(cfg.gradient_checkpointing),
        logging_steps=1,
        report_to=report_to,
        seed=seed,
        **device_kwargs(precision),
        **extra,
        **trl_settings(cfg),
    )
    peft_config = None
    if cfg.lora_r:
        from peft import LoraConfig, TaskType

        peft_config = LoraConfig(task_type=TaskType.CAUSAL_LM, r=cfg.lora_r, lora_alpha=2 * cfg.lora_r)
    trainer = trainer_cls(
        model=str(init_dir),
        reward_funcs=[reward],
        args=args,
        train_dataset=Dataset.from_list(rl_rows(problems, seed, cfg.sneaky_fraction, prompter.for_trl)),
        peft_config=peft_config,
        callbacks=list(callbacks),
    )
    # A layout that could deal one (problem, role) group to two processes fails here, not mid-phase.
    processes = trainer.accelerator.num_processes
    check_group_layout(processes, cfg.per_device_train_batch_size, cfg.num_generations)
    refuse_lora_under_zero3(trainer, cfg.lora_r, "prover")
    generate_without_lockstep(trainer)
    return trainer, reward


def train_prover(
    init_dir: Path, problems: Sequence[Problem], score_fn, cfg: ProverConfig, out_dir: Path, **settings: Any
) -> dict:
    """Train from the policy in ``init_dir`` on ``problems`` (roles drawn with ``cfg.sneaky_fraction``),
    stopping on the score-parity rule, and save to ``out_dir``. ``settings`` are
    :func:`build_prover_trainer`'s keywords (``seed``, ``report_to``, ``precision``, ``callbacks``).

    Returns the log: steps run, where the stop rule fired (or ``None``), and TRL's log history.
    """
    trainer, reward = build_prover_trainer(init_dir, problems, score_fn, cfg, out_dir, **settings)
    # The stop rule reads the reward's per-call history: once sneaky-incorrect samples score as
    # high as helpful-correct ones, the verifier is fooled and more steps only deepen the exploit.
    stop = ScoreParityStop(reward.stats, cfg.stop_window, cfg.reward)
    trainer.add_callback(stop)
    trainer.add_callback(StatsCheckpoint(reward.stats))
    resume = resume_point(settings.get("checkpoint_dir"), needs=(STATS_FILE,))
    if resume:  # the stop rule's history as it was at that step, then the trainer's own state
        reward.stats.calls[:] = [CallStats(**c) for c in read_json(Path(resume) / STATS_FILE)]
    trainer.train(resume_from_checkpoint=resume)
    model = trained_model(trainer)
    if cfg.lora_r:  # saved merged: later phases and users load a plain model, no peft needed
        model = model.merge_and_unload()
    if trainer.accelerator.is_main_process:
        model.save_pretrained(out_dir)
        trainer.processing_class.save_pretrained(out_dir)
    return {
        "steps": trainer.state.global_step,
        "stopped_at": stop.stopped_at,
        "num_processes": trainer.accelerator.num_processes,
        "history": trainer.state.log_history,
    }


def round_prover(game: GameContext, round_index: int) -> None:
    """Round ``round_index``'s RL phase, from the warm start (not from the previous round's
    prover: each round asks what a prover can learn against this verifier, with the KL tie to the
    same start)."""
    cfg, rd = game.cfg, game.round_dir(round_index)
    log = train_prover(
        game.init_dir / "prover",
        game.splits["prover"],
        game.scorer(rd).score,
        cfg.prover,
        rd / "prover",
        seed=phase_seed(cfg.seed, round_index, "prover"),
        report_to="none",  # the game's one tracker run gets the logs (selfplay/game/tracking.py)
        precision=cfg.precision,
        callbacks=game.tracker.callbacks(),
        checkpoint_dir=rd / "_checkpoints" / "prover",
    )
    if game.state.is_main_process:
        atomic_write_text(rd / "prover" / "train_log.json", json.dumps(log, indent=1))
        shutil.rmtree(rd / "_checkpoints" / "prover", ignore_errors=True)  # the phase is whole now
