"""The verifier model: a one-score sequence classifier, loaded and saved with its ``verifier.json``.

The verifier sees the problem and the solution only, as
``selfplay.models.verifier_text.VERIFIER_TEMPLATE`` followed by the tokenizer's EOS token (where
the score is read) — never the prover's role or prompt. Training lives in
``selfplay.game.verifier_training``; this module imports no trainer.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from transformers import AutoModelForSequenceClassification, AutoTokenizer, PreTrainedModel

from selfplay.config import VerifierConfig
from selfplay.models.trainer_utils import TRAINABLE_DTYPE, full_weights
from selfplay.models.verifier_text import VERIFIER_TEMPLATE
from selfplay.run_folder import read_json

INFO_FILE = "verifier.json"


def load_classifier(name_or_path: str) -> tuple[PreTrainedModel, AutoTokenizer]:
    """A one-score classifier and its tokenizer from the Hub or a folder, weights in fp32 whatever
    the checkpoint's dtype; pad token made explicit."""
    tokenizer = AutoTokenizer.from_pretrained(name_or_path)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    with full_weights():
        model = AutoModelForSequenceClassification.from_pretrained(
            name_or_path, num_labels=1, dtype=TRAINABLE_DTYPE
        )
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
    return model.eval(), tokenizer, read_json(info_path)


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
