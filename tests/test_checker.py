import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from envs.checker import (
    CORRECT,
    GOLD_INVALID,
    NO_ANSWER,
    OVERSIZE,
    PARSE_ERROR,
    TIMEOUT,
    WRONG_ANSWER,
    check_completion,
)
from envs.latex_sandbox import LatexSandbox


@pytest.mark.parametrize(
    ("completion", "gold", "reason"),
    [
        ("#### 1,080", "1080", CORRECT),
        ("#### 1080", "#### 1,080", CORRECT),
        ("#### 0.5", "1/2", CORRECT),
        ("\\boxed{\\frac{1}{2}}", "0.5", CORRECT),
        ("Answer: 1/2", "\\frac{1}{2}", CORRECT),
        ("#### -3", "3", WRONG_ANSWER),
        ("#### 3", "-3", WRONG_ANSWER),
        ("#### $18.", "18", CORRECT),
        ("#### 18 dollars", "18", CORRECT),
        ("#### 3 or 5", "3", WRONG_ANSWER),  # a hedge is never equal to either value
        ("#### 3 or 5", "5", WRONG_ANSWER),
        ("#### 3 +", "3", PARSE_ERROR),
        ("I believe it is 7", "7", NO_ANSWER),
        ("#### 9**9**9**9", "7", OVERSIZE),
        ("#### 7", "", GOLD_INVALID),
        ("#### 7", "#### 9^9^9^9", GOLD_INVALID),
    ],
)
def test_numeric_verdicts(completion, gold, reason):
    result = check_completion(completion, gold)
    assert result.reason == reason
    assert result.correct is (reason == CORRECT)


@pytest.mark.parametrize(
    ("completion", "gold", "reason"),
    [
        ("\\boxed{\\sqrt{2}}", "\\sqrt{2}", CORRECT),
        ("\\boxed{\\sqrt{3}}", "\\sqrt{2}", WRONG_ANSWER),
        ("\\boxed{(3, \\frac{\\pi}{2})}", "\\left( 3, \\frac{\\pi}{2} \\right)", CORRECT),
        ("\\boxed{\\sqrt{4}}", "2", CORRECT),
    ],
)
def test_latex_answers_go_through_math_verify(completion, gold, reason):
    assert check_completion(completion, gold).reason == reason


def test_result_carries_answer_and_steps():
    result = check_completion("48/2 = 24\n24 + 48 = 72\n#### 72", "72")
    assert result.extracted == "72"
    assert [s.verdict for s in result.steps] == ["correct", "correct"]
    payload = result.to_dict()
    assert payload["steps"]["n_correct"] == 2 and payload["reason"] == "correct"


def test_oversize_completion_is_refused_fast():
    result = check_completion("1" * 70_000 + "\n#### 1", "1")
    assert (result.correct, result.reason, result.summary.n_steps) == (False, OVERSIZE, 0)


def test_sandbox_kills_a_hung_comparison_and_recovers():
    sandbox = LatexSandbox(timeout_s=0.3)
    try:
        assert sandbox.compare("3", "9^{9^{9^{9}}}") == "timeout"
        assert sandbox.compare("\\sqrt{2}", "\\sqrt{2}") == "equal"
    finally:
        sandbox.close()


def test_checks_work_off_the_main_thread():
    cases = [("\\boxed{\\sqrt{2}}", "\\sqrt{2}", True), ("#### 5", "5", True), ("#### 4", "5", False)] * 4
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda case: check_completion(case[0], case[1]), cases))
    assert [r.correct for r in results] == [c[2] for c in cases]
    assert threading.current_thread() is threading.main_thread()


def test_timeout_is_a_verdict_not_an_exception():
    sandbox = LatexSandbox(timeout_s=0.2)
    try:
        result = check_completion("\\boxed{\\sqrt{9^{9^{9^{9}}}}}", "\\sqrt{2}", sandbox=sandbox)
    finally:
        sandbox.close()
    assert (result.correct, result.reason) == (False, TIMEOUT)


def test_a_script_without_a_main_guard_can_check_latex(tmp_path):
    # The sandbox must not re-import the caller's __main__ (multiprocessing's spawn/forkserver do).
    script = tmp_path / "unguarded.py"
    script.write_text(
        "from envs.checker import check_completion\n"
        "print('RUN')\n"
        "print(check_completion('\\\\boxed{\\\\sqrt{2}}', '\\\\sqrt{2}').reason)\n"
    )
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["RUN", "correct"]


# Grading fixes found against Math-Verify's own cases; none makes anything correct that was wrong
# for a good reason, each makes a wrong verdict right.
@pytest.mark.parametrize(
    ("completion", "gold", "reason"),
    [
        ("#### 73 = 72", "72", "wrong_answer"),  # a final answer is one value, not a relation
        ("\\boxed{72 \\approx 73}", "72", "wrong_answer"),
        ("#### -2 < x < 5", "-2 < x < 5", "correct"),  # a relation the gold has too is compared
        ("\\boxed{14{,}916}", "14916", "correct"),  # LaTeX's thousands comma
        ("#### 14916", "14{,}916", "correct"),  # ... in a gold answer too
        ("#### 0,500", "500", "wrong_answer"),  # a thousands group cannot start with 0
        ("#### (2,500)", "2500", "wrong_answer"),  # a pair in brackets, not 2,500
        ("#### [0,111)", "111", "wrong_answer"),  # an interval: brackets must match
        ("#### [1,000)", "1000", "wrong_answer"),
        ("#### (3)", "3", "correct"),  # a number in matching brackets is still the number
        ("\\boxed{\\text{Evelyn}}", "\\text{Evelyn}", "correct"),  # \text that is the whole answer stays
        ("#### 3 \\text{ apples}", "3", "correct"),  # a trailing \text unit still goes
        ("#### 5", "x = 5", "correct"),  # a leading `x =` is dropped on both sides alike
        ("#### x = 5", "x = 5", "correct"),
        ("#### 1,080", "1080", "correct"),
    ],
)
def test_grading_fixes(completion, gold, reason):
    assert check_completion(completion, gold, with_steps=False).reason == reason
