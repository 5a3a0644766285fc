"""The embedded default's models: a tokenizer and tiny Llama-style models built locally.

Nothing here downloads anything. The tokenizer is a byte-level BPE trained in-run on the texts
the models will read: the environment's problems inside the prover's prompts and the verifier's
template (so any text round-trips, and the fixed words are a token each). GPT-2's pre-tokenizer
keeps a number with its leading space (`` 17``) and BPE merges frequent numbers into single
tokens: a step ``a op b = c`` is then five tokens with its operands at fixed relative positions.
Against a separate space token before each number this measured shorter and easier for a tiny
verifier (middle-step AUC 0.81 vs 0.78 after 1,000 steps, in 13% less time); one token per digit
had measured worse than both.
Models are random-init ``transformers`` Llama models sized for CPU.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import (
    LlamaConfig,
    LlamaForCausalLM,
    LlamaForSequenceClassification,
    PreTrainedTokenizerFast,
)

from envs.generators import generate_mixture
from envs.prompts import prover_prompt
from selfplay.models.verifier_text import format_verifier_input

SPECIAL_TOKENS = {"pad_token": "<pad>", "bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>"}


@dataclass(frozen=True)
class TinyModelConfig:
    """Size of a tiny Llama. Units: widths in hidden units, lengths in tokens."""

    hidden_size: int = 64
    intermediate_size: int = 128
    num_hidden_layers: int = 2
    num_attention_heads: int = 4
    max_position_embeddings: int = 512


def default_corpus(n_problems: int = 4000, seed: int = 0) -> list[str]:
    """What the tiny tokenizer learns from: generated problems as the prover's prompts (both
    roles) and as the verifier's inputs (with their reference solutions)."""
    return [
        text
        for p in generate_mixture(n_problems, seed)
        for text in (
            prover_prompt(p.question, "helpful"),
            prover_prompt(p.question, "sneaky"),
            format_verifier_input(p.question, p.solution or ""),
        )
    ]


def build_tiny_tokenizer(
    corpus: Iterable[str] | None = None, vocab_size: int = 2048
) -> PreTrainedTokenizerFast:
    """A byte-level BPE tokenizer trained on ``corpus`` (default: :func:`default_corpus`).

    Deterministic for the same corpus; every text round-trips through encode/decode.
    """
    tokenizer = Tokenizer(models.BPE(unk_token=SPECIAL_TOKENS["unk_token"]))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=list(SPECIAL_TOKENS.values()),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(list(corpus if corpus is not None else default_corpus()), trainer=trainer)
    return PreTrainedTokenizerFast(tokenizer_object=tokenizer, model_max_length=1024, **SPECIAL_TOKENS)


def _llama_config(tokenizer: PreTrainedTokenizerFast, size: TinyModelConfig, **extra) -> LlamaConfig:
    return LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=size.hidden_size,
        intermediate_size=size.intermediate_size,
        num_hidden_layers=size.num_hidden_layers,
        num_attention_heads=size.num_attention_heads,
        num_key_value_heads=size.num_attention_heads,
        max_position_embeddings=size.max_position_embeddings,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        **extra,
    )


def build_tiny_classifier(
    tokenizer: PreTrainedTokenizerFast, size: TinyModelConfig | None = None
) -> LlamaForSequenceClassification:
    """A random-init Llama sequence classifier with one score (``num_labels=1``)."""
    return LlamaForSequenceClassification(_llama_config(tokenizer, size or TinyModelConfig(), num_labels=1))


def build_tiny_causal_lm(
    tokenizer: PreTrainedTokenizerFast, size: TinyModelConfig | None = None
) -> LlamaForCausalLM:
    """A random-init Llama causal LM with tied embeddings."""
    return LlamaForCausalLM(_llama_config(tokenizer, size or TinyModelConfig(), tie_word_embeddings=True))
