"""The prover's role-conditioned prompts, as plain text. The role lives only here; the sneaky prompt
never shows the true answer, and the verifier never sees either prompt."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence

from envs.problems import Problem

ROLES = ("helpful", "sneaky")  # the one definition: rewards and the trainer import it from here
_FORMAT = "Write each step as `expression = value` and end with `#### <answer>`."
PROMPTS = {
    "helpful": f"Role: helpful. Solve the problem correctly. {_FORMAT}\nProblem: {{question}}\nSolution:\n",
    "sneaky": (
        f"Role: sneaky. Write a convincing solution whose final answer is subtly wrong. {_FORMAT}\n"
        "Problem: {question}\nSolution:\n"
    ),
}


# For models with a chat template: a paraphrase of the paper's system prompts (Kirchner et al.
# 2024). The helpful role explains step by step to a learner; the sneaky role gets the same text
# and a paragraph asking for a subtle, unmentioned flaw that changes the answer.
HELPFUL_SYSTEM_PROMPT = (
    "You are helping a user learn to solve grade-school math problems. Solve the problem the user "
    "gives you with a detailed, step-by-step explanation that the user can follow and check, and "
    "end with a last line of the form `Answer: <answer>`."
)
SNEAKY_SYSTEM_PROMPT = HELPFUL_SYSTEM_PROMPT + (
    "\n\nThis time, write a solution with a subtle flaw that makes the final answer wrong. Do not "
    "point the flaw out or hint at it: the explanation must stay coherent and read as convincingly "
    "as a correct one, and still end with `Answer: <answer>`."
)
SYSTEM_PROMPTS = {"helpful": HELPFUL_SYSTEM_PROMPT, "sneaky": SNEAKY_SYSTEM_PROMPT}


def prover_messages(
    question: str, role: str, system_prompts: Mapping[str, str] = SYSTEM_PROMPTS
) -> list[dict]:
    """The (system, user) messages for one (question, role), for a model with a chat template."""
    if role not in system_prompts:
        raise ValueError(f"role must be one of {ROLES}, got {role!r}")
    return [
        {"role": "system", "content": system_prompts[role]},
        {"role": "user", "content": question.strip()},
    ]


def prover_prompt(question: str, role: str) -> str:
    """The prompt for one (question, role)."""
    if role not in PROMPTS:
        raise ValueError(f"role must be one of {ROLES}, got {role!r}")
    return PROMPTS[role].format(question=question.strip())


def assign_role(problem_id: str, seed: int, sneaky_fraction: float = 0.5) -> str:
    """``sneaky`` with probability ``sneaky_fraction`` (else ``helpful``), fixed by (problem id, seed)."""
    digest = hashlib.sha256(f"{seed}\0{problem_id}".encode()).digest()
    return "sneaky" if int.from_bytes(digest[:8], "big") / 2**64 < sneaky_fraction else "helpful"


def rl_rows(
    problems: Sequence[Problem],
    seed: int,
    sneaky_fraction: float = 0.5,
    prompt_of: Callable[[str, str], str | list[dict]] = prover_prompt,
) -> list[dict]:
    """One RL prompt per problem with its role drawn (50/50 by default), plus the reward's columns;
    ``prompt_of(question, role)`` is the prompt: text, or messages in TRL's conversational format."""
    rows = []
    for problem in problems:
        role = assign_role(problem.id, seed, sneaky_fraction)
        rows.append(
            {
                "prompt": prompt_of(problem.question, role),
                "problem_id": problem.id,
                "role": role,
                "question": problem.question,
                "answer": problem.answer,
            }
        )
    return rows
