"""What every TRL trainer here shares: device and precision settings, and the trained model."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import torch
from transformers import TrainingArguments
from transformers.integrations import deepspeed as hf_deepspeed

from selfplay.config import PRECISIONS

# Trainable weights (and so optimizer states) are fp32 whatever dtype a checkpoint was saved in;
# bf16 enters only as autocast (``precision``). transformers >= 5 would otherwise load a bf16
# checkpoint (most instruct models on the Hub) in bf16 and train it there.
TRAINABLE_DTYPE = torch.float32


def _bf16(precision: str) -> bool:
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}")
    if precision == "auto":
        return torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    return precision == "bf16"


@functools.cache
def cpu_has_native_bf16(cpuinfo: str = "/proc/cpuinfo") -> bool:
    """Whether this CPU has bf16 instructions (AVX512-BF16 or AMX); without them bf16 autocast is
    emulated and far slower than fp32 (unknown, e.g. off Linux: False)."""
    try:
        flags = Path(cpuinfo).read_text(encoding="utf-8")
    except OSError:
        return False
    return any(flag in flags.split() for flag in ("avx512_bf16", "amx_bf16"))


def device_kwargs(precision: str = "auto") -> dict:
    """Training-argument overrides: CPU when there is no GPU, and the precision of the forward pass.

    ``auto``: bf16 autocast on GPUs that support it, fp32 on CPU (where bf16 pays only on CPUs
    with native bf16 instructions; TRL's configs default to bf16). ``bf16``: autocast everywhere
    (weights and optimizer states stay fp32). ``fp32``: no autocast.
    """
    return {"use_cpu": not torch.cuda.is_available(), "bf16": _bf16(precision)}


# transformers 5.24 renamed ``gradient_checkpointing`` to ``activation_checkpointing``; the old name
# warns on every TRL config (whose default is on) and goes away in v6.
_CHECKPOINTING_ARG = (
    "activation_checkpointing"
    if "activation_checkpointing" in {field.name for field in dataclasses.fields(TrainingArguments)}
    else "gradient_checkpointing"
)


def checkpointing_kwargs(enabled: bool) -> dict:
    """Training-argument override for activation (gradient) checkpointing, under the name the
    installed transformers reads."""
    return {_CHECKPOINTING_ARG: enabled}


def training_attention(precision: str = "auto") -> str | None:
    """The attention implementation to train with under ``precision``: eager under bf16 on CPU,
    where PyTorch's SDPA backward in bf16 measured 10x slower than in fp32 (tiny verifier, 2-core
    AVX512-BF16 CPU, docs/verifier.md) and eager attention's matmuls are fast; else ``None``
    (the model's own)."""
    return "eager" if _bf16(precision) and not torch.cuda.is_available() else None


def use_training_attention(model, precision: str) -> str:
    """Switch ``model`` to :func:`training_attention`'s implementation, if any, and return the
    one it had, to hand back to ``set_attn_implementation`` on the trained model."""
    loaded = model.config._attn_implementation
    if attention := training_attention(precision):
        model.set_attn_implementation(attention)
    return loaded


def is_zero3(trainer) -> bool:
    """Whether ``trainer`` runs under DeepSpeed ZeRO-3 (parameters sharded across processes)."""
    plugin = getattr(trainer.accelerator.state, "deepspeed_plugin", None)
    return bool(trainer.is_deepspeed_enabled and plugin is not None and plugin.zero_stage == 3)


def refuse_lora_under_zero3(trainer, lora_r: int, section: str) -> None:
    """A clear error before any training: a LoRA adapter is merged into its base after training,
    which this code does not do on ZeRO-3's sharded parameters."""
    if lora_r and is_zero3(trainer):
        raise ValueError(
            f"{section}.lora_r > 0 is not supported under DeepSpeed ZeRO-3: set {section}.lora_r 0 "
            "or launch with configs/accelerate/zero2.yaml"
        )


def generate_without_lockstep(trainer) -> None:
    """Let each process generate on its own under ZeRO-3 when TRL gathers the whole policy for
    generation (``ds3_gather_for_generation``, its default): transformers still runs ZeRO-3
    generation in lockstep, and that path failed here once one of two CPU processes had finished
    (an attention-mask size mismatch, 73 vs 74); with whole weights no lockstep is needed."""
    if is_zero3(trainer) and trainer.args.ds3_gather_for_generation:
        trainer.model.generate = functools.partial(trainer.model.generate, synced_gpus=False)


@contextmanager
def full_weights() -> Iterator[None]:
    """Load models whole even after a ZeRO-3 trainer was built in this process.

    transformers shards every ``from_pretrained`` while any ZeRO-3 ``TrainingArguments`` is alive;
    models loaded here to sample, score or convert are plain, so their weights must be whole.
    """
    config = hf_deepspeed._hf_deepspeed_config_weak_ref  # no public getter for the object itself
    hf_deepspeed.unset_hf_deepspeed_config()
    try:
        yield
    finally:
        hf_deepspeed._hf_deepspeed_config_weak_ref = config


def trained_model(trainer):
    """The trained model as a plain module: without accelerate's wrappers (it leaves an autocast
    wrapper on ``forward()`` under mixed precision, which would change later scores), and under
    ZeRO-3 rebuilt from the gathered 16-bit weights. Every process must call it (the gather is
    collective); under ZeRO-3 only the main process's copy holds the trained weights."""
    model = trainer.accelerator.unwrap_model(trainer.model, keep_fp32_wrapper=False)
    if not is_zero3(trainer):
        return model
    state = trainer.accelerator.get_state_dict(trainer.model_wrapped)
    with full_weights():
        plain = type(model)(model.config)
    if trainer.accelerator.is_main_process:
        plain.load_state_dict(state)
    return plain


def in_phase_checkpoints(save_steps: int, checkpoint_dir: Path | None, scratch_dir: Path) -> dict:
    """Training-argument overrides for checkpoints inside a phase: every ``save_steps`` optimizer
    steps into ``checkpoint_dir`` (the last two kept, so one is whole while the next is written),
    or none (``save_steps`` 0: the trainer's scratch output goes to ``scratch_dir``)."""
    if not save_steps or checkpoint_dir is None:
        return {"output_dir": str(scratch_dir), "save_strategy": "no"}
    return {
        "output_dir": str(checkpoint_dir),
        "save_strategy": "steps",
        "save_steps": save_steps,
        "save_total_limit": 2,
    }


def resume_point(checkpoint_dir: Path | None, needs: tuple[str, ...] = ()) -> str | None:
    """The last whole checkpoint in ``checkpoint_dir`` (``trainer_state.json`` is written last by
    transformers, then the files in ``needs`` by callbacks), or ``None`` to start the phase anew."""
    if checkpoint_dir is None or not Path(checkpoint_dir).is_dir():
        return None
    whole = [
        path
        for path in Path(checkpoint_dir).glob("checkpoint-*")
        if all((path / name).is_file() for name in ("trainer_state.json", *needs))
    ]
    return str(max(whole, key=lambda path: int(path.name.split("-")[1]))) if whole else None
