from collections import Counter

import pytest

from envs.generators import generate
from envs.prompts import assign_role, prover_prompt, rl_rows


def test_roles_are_drawn_per_problem_at_the_configured_rate():
    counts = Counter(assign_role(str(i), seed=0) for i in range(4000))
    assert abs(counts["sneaky"] / 4000 - 0.5) < 0.03
    assert {assign_role(str(i), 0, sneaky_fraction=0.0) for i in range(200)} == {"helpful"}
    assert {assign_role(str(i), 0, sneaky_fraction=1.0) for i in range(200)} == {"sneaky"}
    assert [assign_role(str(i), 3) for i in range(50)] == [assign_role(str(i), 3) for i in range(50)]


def test_sneaky_prompt_never_shows_the_answer():
    for row in rl_rows(generate("arithmetic", 200, seed=1), seed=0):
        assert row["prompt"] == prover_prompt(row["question"], row["role"])
        if row["role"] == "sneaky":
            assert "Role: sneaky" in row["prompt"] and f"#### {row['answer']}" not in row["prompt"]
    with pytest.raises(ValueError, match="role must be one of"):
        prover_prompt("q", "evil")
