"""The verifier's input text and its token ids: the one encoding training and scoring share.

Kept apart from ``selfplay.verifier`` (which imports TRL) so that the tiny tokenizer can learn the
template's words without importing a trainer.
"""

from __future__ import annotations

from collections.abc import Sequence

VERIFIER_TEMPLATE = "Problem: {question}\nSolution:\n{solution}"


def format_verifier_input(question: str, solution: str) -> str:
    """The verifier's text for one solution (the EOS token is added by :func:`encode_verifier_inputs`)."""
    return VERIFIER_TEMPLATE.format(question=question.strip(), solution=solution.strip())


def encode_verifier_inputs(tokenizer, questions: Sequence[str], solutions: Sequence[str]) -> list[list[int]]:
    """Token ids of each (question, solution): template + EOS, no other special tokens.

    The one encoding that training and scoring share. Each distinct text is tokenized once: a
    round's pairs repeat solutions many times over.
    """
    texts = [
        format_verifier_input(q, s) + tokenizer.eos_token for q, s in zip(questions, solutions, strict=True)
    ]
    unique = list(dict.fromkeys(texts))
    ids = dict(zip(unique, tokenizer(unique, add_special_tokens=False)["input_ids"], strict=True))
    return [ids[text] for text in texts]
