"""How a prover sees one (question, role): through its tokenizer's chat template (a system
message with the role's prompt, then the question as the user's message) when it has one, else
as the raw text prompt of ``envs.prompts`` (the embedded tiny model). ``prover.prompt_format``
chooses; ``prover.system_prompt`` replaces either role's system prompt.

Every sampler uses :meth:`Prompter.text`, the template rendered exactly as TRL renders the
conversational prompts it is given for RL (``add_generation_prompt=True``), so the pool, the
metrics and RL sample the same prompt.
"""

from __future__ import annotations

from dataclasses import dataclass

from envs.prompts import SYSTEM_PROMPTS, prover_messages, prover_prompt
from selfplay.config import ProverConfig


@dataclass(frozen=True)
class Prompter:
    """The prompt of one prover (its tokenizer) under one config."""

    tokenizer: object
    chat: bool
    system_prompts: dict[str, str]

    def for_trl(self, question: str, role: str) -> str | list[dict]:
        """A TRL dataset's ``prompt``: messages (TRL applies the template) or the raw text."""
        return (
            prover_messages(question, role, self.system_prompts)
            if self.chat
            else prover_prompt(question, role)
        )

    def text(self, question: str, role: str) -> str:
        """The prompt as text, ready to tokenize without special tokens and generate from."""
        if not self.chat:
            return prover_prompt(question, role)
        messages = prover_messages(question, role, self.system_prompts)
        return self.tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)


def prompter_for(tokenizer, prover: ProverConfig) -> Prompter:
    """``prover.prompt_format`` resolved for ``tokenizer``: ``auto`` is ``chat`` when the tokenizer
    has a chat template, else ``raw``; ``chat`` without a template is an error naming the fix."""
    has_template = bool(getattr(tokenizer, "chat_template", None))
    if prover.prompt_format == "chat" and not has_template:
        raise ValueError(
            "prover.prompt_format chat: this prover's tokenizer has no chat template; use auto or raw"
        )
    chat = prover.prompt_format == "chat" or (prover.prompt_format == "auto" and has_template)
    return Prompter(tokenizer, chat, SYSTEM_PROMPTS | dict(prover.system_prompt or {}))
