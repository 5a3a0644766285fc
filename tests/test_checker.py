import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from envs.checker import (
    CORRECT,
    GOLD_INVALID,
    NO_ANSWER,
    NUMERIC_CACHE_BYTES,
    OVERSIZE,
    PARSE_ERROR,
    TIMEOUT,
    WRONG_ANSWER,
    check_completion,
    numeric_value,
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


def test_a_comparison_past_its_cpu_budget_is_a_timeout_and_the_child_carries_on():
    sandbox = LatexSandbox(cpu_s=0.3, size=1)
    try:
        assert sandbox.compare("\\sqrt{2}", "\\sqrt{2}") == "equal"
        [pid] = sandbox.child_pids()
        assert sandbox.compare("3", "9^{9^{9^{9}}}") == "timeout"
        # The child's own CPU timer stopped it (a wall-clock kill would have replaced the child).
        assert sandbox.child_pids() == [pid]
        assert sandbox.compare("\\sqrt{2}", "\\sqrt{3}") == "different"
    finally:
        sandbox.close()


def test_identical_latex_bombs_cost_one_comparison_timeouts_included():
    sandbox, calls = LatexSandbox(cpu_s=0.3), []
    compare_in_child = sandbox._compare_in_child
    sandbox._compare_in_child = lambda gold, pred: calls.append(pred) or compare_in_child(gold, pred)
    bomb = "\\boxed{(x+1)^{10000}}"
    try:
        with ThreadPoolExecutor(max_workers=4) as pool:  # a reward batch, four threads at once
            results = list(pool.map(lambda _: check_completion(bomb, "2", sandbox=sandbox), range(64)))
    finally:
        sandbox.close()
    assert {r.reason for r in results} == {TIMEOUT} and calls == ["(x+1)^{10000}"]
    assert len(sandbox.cache) == 1 and sandbox.cache.hits >= 63


def test_threads_compare_at_once_in_their_own_children():
    sandbox, spans, lock = LatexSandbox(cpu_s=0.4, size=4), [], threading.Lock()
    compare_in_child = sandbox._compare_in_child

    def timed(gold, pred):
        start = time.monotonic()
        outcome = compare_in_child(gold, pred)
        with lock:
            spans.append((start, time.monotonic()))
        return outcome

    sandbox._compare_in_child = timed
    bombs = [f"9^{{9^{{9^{{{k}}}}}}}" for k in range(5, 9)]
    try:
        with ThreadPoolExecutor(max_workers=4) as pool:
            assert set(pool.map(lambda bomb: sandbox.compare("3", bomb), bombs)) == {"timeout"}
        assert len(set(sandbox.child_pids())) == 4
    finally:
        sandbox.close()
    overlapping = max(sum(s < end and start < e for s, e in spans) for start, end in spans)
    assert overlapping >= 2  # with one shared child (as before) no two comparisons overlapped


def test_the_child_gets_no_token_or_other_secret(monkeypatch):
    monkeypatch.setenv("HF_TOKEN", "hf_secret")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "aws_secret")
    sandbox = LatexSandbox(size=1)
    try:
        assert sandbox.compare("\\pi", "\\pi") == "equal"
        [pid] = sandbox.child_pids()
        environ = Path(f"/proc/{pid}/environ").read_bytes()
    finally:
        sandbox.close()
    names = {entry.split(b"=", 1)[0].decode() for entry in environ.split(b"\0") if entry}
    assert "HF_TOKEN" not in names and "AWS_SECRET_ACCESS_KEY" not in names and "PYTHONPATH" in names
    assert b"secret" not in environ


def test_the_answer_cache_is_bounded_by_bytes():
    numeric_value.cache_clear()
    for k in range(400):  # 24 MB of long answers: a count bound (65,536 entries) would keep them all
        numeric_value(f"{k}" + "0" * 60_000)
    assert numeric_value.cache.bytes <= NUMERIC_CACHE_BYTES and len(numeric_value.cache) < 400
    numeric_value.cache_clear()


def test_checks_work_off_the_main_thread():
    cases = [("\\boxed{\\sqrt{2}}", "\\sqrt{2}", True), ("#### 5", "5", True), ("#### 4", "5", False)] * 4
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda case: check_completion(case[0], case[1]), cases))
    assert [r.correct for r in results] == [c[2] for c in cases]
    assert threading.current_thread() is threading.main_thread()


def test_timeout_is_a_verdict_not_an_exception():
    sandbox = LatexSandbox(cpu_s=0.2, size=1)
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
