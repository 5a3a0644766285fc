"""What every TRL trainer here shares: device and precision settings, and the trained model."""

from __future__ import annotations

import torch


def device_kwargs() -> dict:
    """Training-argument overrides: CPU when there is no GPU, fp32 on CPU (bf16 is slow there and
    TRL's configs default to it), bf16 on GPUs that support it."""
    on_gpu = torch.cuda.is_available()
    return {"use_cpu": not on_gpu, "bf16": on_gpu and torch.cuda.is_bf16_supported()}


def trained_model(trainer):
    """The trained model without accelerate's wrappers: it leaves an autocast wrapper on
    ``forward()`` under mixed precision, which would change later scores."""
    return trainer.accelerator.unwrap_model(trainer.model, keep_fp32_wrapper=False)
