"""Hostile completions: nothing executes, nothing hangs, every check ends within the bound.

A canary file proves the "nothing executes" part: every injection payload would create it if it
ran, and a control test shows that running a payload really does create it.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from envs.checker import REASONS, check_completion

BOUND_S = 1.5  # the contract is "about 1 s"; the slack absorbs a loaded CI machine
CANARY = Path(tempfile.mkdtemp(prefix="pvg-canary-")) / "injected"
PAYLOADS = [
    f"__import__('os').system('touch {CANARY}')",
    f"__import__('pathlib').Path('{CANARY}').write_text('x')",
    f"exec(\"open('{CANARY}','w').write('x')\")",
    f"(lambda: __import__('os').system('touch {CANARY}'))()",
    f"Lambda(x, __import__('os').system('touch {CANARY}'))",
    f"eval(\"__import__('os').system('touch {CANARY}')\")",
]
WRAPPERS = ["#### {}", "\\boxed{{{}}}", "Answer: {}", "{} = 5\n#### 5", "$\\boxed{{\\sqrt{{{}}}}}$"]
GOLDS = ["5", "\\sqrt{2}", "#### 1,080"]
SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)


def _timed_check(completion: str, gold: str = "5") -> float:
    start = time.monotonic()
    result = check_completion(completion, gold)
    elapsed = time.monotonic() - start
    assert result.reason in REASONS
    assert elapsed < BOUND_S, f"{elapsed:.2f}s on {completion[:80]!r}"
    return elapsed


def test_canary_control_a_successful_injection_would_be_seen():
    probe = CANARY.with_name("control")
    eval(PAYLOADS[0].replace(str(CANARY), str(probe)))  # the payload itself, run on purpose
    assert probe.exists()
    probe.unlink()


@pytest.mark.parametrize("payload", PAYLOADS)
@pytest.mark.parametrize("wrapper", WRAPPERS)
@pytest.mark.parametrize("gold", GOLDS)
def test_injection_payloads_never_execute(payload, wrapper, gold):
    _timed_check(wrapper.format(payload), gold)
    _timed_check("#### 5", payload)  # hostile gold too
    assert not CANARY.exists()


@st.composite
def nested(draw):
    depth = draw(st.integers(1, 200_000))
    opener, closer = draw(
        st.sampled_from([("(", ")"), ("{", "}"), ("\\frac{", "}{1}"), ("\\sqrt{", "}"), ("[", "]")])
    )
    return opener * depth + "1" + closer * depth


@st.composite
def huge_powers(draw):
    base = draw(st.integers(2, 10**6))
    tower = draw(st.lists(st.integers(2, 10**9), min_size=1, max_size=6))
    style = draw(st.sampled_from(["**", "^", "^{}"]))
    if style == "^{}":
        return f"{base}" + "".join(f"^{{{n}" for n in tower) + "}" * len(tower)
    return style.join(str(n) for n in [base, *tower])


@st.composite
def long_strings(draw):
    unit = draw(st.text(min_size=1, max_size=12))
    length = draw(st.integers(50_000, 100_000))
    return (unit * (length // len(unit) + 1))[:length]


@SETTINGS
@given(
    expr=st.one_of(nested(), huge_powers()), wrapper=st.sampled_from(WRAPPERS), gold=st.sampled_from(GOLDS)
)
def test_nesting_and_huge_powers_stay_bounded(expr, wrapper, gold):
    _timed_check(wrapper.format(expr), gold)


@SETTINGS
@given(text=long_strings(), answer=st.sampled_from(["", "\n#### 5", "\n\\boxed{5}", "=1\n" * 3]))
def test_100k_character_strings_stay_bounded(text, answer):
    _timed_check(text + answer)


@SETTINGS
@given(text=st.text(max_size=2_000), gold=st.one_of(st.sampled_from(GOLDS), st.text(max_size=50)))
def test_arbitrary_unicode_never_crashes(text, gold):
    _timed_check(text, gold)
    _timed_check(f"#### {text}", gold)


def test_many_equations_stay_bounded():
    _timed_check("1 + 1 = 2\n" * 6_000 + "#### 2", "2")
    _timed_check("9^999 = 9^999 = " * 2_000 + "\n#### 2", "2")


def test_after_all_that_nothing_executed():
    assert not CANARY.exists()
