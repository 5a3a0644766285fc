"""Stand-ins for the GSM8K recipe's Hub models, built locally, for machines that cannot download.

    python bench/gsm8k_standin.py --gsm8k ../shared/data/gsm8k/train.jsonl --out /tmp/standin

writes ``OUT/prover`` (a random-init Llama causal LM, ~30M parameters) and ``OUT/verifier`` (a
smaller one, ~5M), each with a byte-level BPE tokenizer trained on the GSM8K rows. Pass them as
``--prover.model OUT/prover --verifier_model OUT/verifier`` with ``configs/gsm8k_qwen.yaml`` to
run the recipe's code path (real data, gradient checkpointing, bf16, the accelerate and DeepSpeed
configs) where Qwen2.5-0.5B-Instruct is not at hand. Random weights: its accuracies mean nothing.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from selfplay.models.tiny import TinyModelConfig, build_tiny_causal_lm, build_tiny_tokenizer

PROVER_SIZE = TinyModelConfig(512, 1376, 8, 8, 1024)
VERIFIER_SIZE = TinyModelConfig(256, 688, 4, 4, 1024)


def gsm8k_texts(path: Path) -> list[str]:
    """Every question and reference answer in a GSM8K jsonl file."""
    with path.open(encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle if line.strip()]
    return [row[field] for row in rows for field in ("question", "answer")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gsm8k", type=Path, required=True, help="GSM8K jsonl (question/answer rows)")
    parser.add_argument("--out", type=Path, required=True, help="folder for prover/ and verifier/")
    args = parser.parse_args()
    tokenizer = build_tiny_tokenizer(gsm8k_texts(args.gsm8k), vocab_size=8192)
    for role, size in (("prover", PROVER_SIZE), ("verifier", VERIFIER_SIZE)):
        model = build_tiny_causal_lm(tokenizer, size)
        model.save_pretrained(args.out / role)
        tokenizer.save_pretrained(args.out / role)
        millions = sum(p.numel() for p in model.parameters()) / 1e6
        print(f"{role}: {millions:.1f}M parameters -> {args.out / role}")


if __name__ == "__main__":
    main()
