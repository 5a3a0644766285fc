"""Checker throughput vs math-verify, and worst-case latency on adversarial inputs.

    python bench/check_bench.py [--gsm8k ../shared/data/gsm8k/train.jsonl]

Prints, from one run: checks/s of ``envs.check_completion`` (with and without step checking) and
of math-verify's ``verify(parse(gold), parse(solution))`` in-process on the same GSM8K reference
solutions, their ratio (target >= 1.0x), and the worst latency over a fixed adversarial set
(target <= 1.5 s).
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path

from envs.checker import check_completion, numeric_value

DEFAULT_GSM8K = Path(__file__).resolve().parents[2] / "shared" / "data" / "gsm8k" / "train.jsonl"


def adversarial_inputs() -> list[tuple[str, str, str]]:
    """(name, completion, gold) cases: nesting, power towers, 100k strings, injections, unicode."""
    cases = []
    for depth in (10, 30, 1_000, 100_000):
        for opener, closer in (("(", ")"), ("{", "}"), ("\\frac{", "}{1}"), ("\\sqrt{", "}")):
            cases.append((f"nest{opener}{depth}", f"#### {opener * depth}1{closer * depth}", "1"))
    for tower in (
        "9**9**9**9",
        "9^9^9^9",
        "10^(10^100)",
        "2^{2^{2^{2^{2^{2^{2}}}}}}",
        "\\sqrt{9^{9^{9^{9}}}}",
        "\\sqrt{2}^{10^{10}}",
        "\\frac{1}{0}",
        "10^{10^{10}} - 10^{10^{10}}",
    ):
        cases.append((f"power {tower}", f"\\boxed{{{tower}}}", "\\sqrt{2}"))
        cases.append((f"power-gold {tower}", "#### 5", tower))
    for unit in ("1+", "(", "=", "9", "\\frac{", "é€𝔘\u202e", "#### "):
        cases.append((f"100k {unit!r}", (unit * 100_000)[:100_000], "5"))
        cases.append((f"60k {unit!r}", (unit * 60_000)[:60_000] + "\n#### 5", "5"))
    for payload in ("__import__('os').system('true')", "exec('import os')", "(lambda: 1)()"):
        cases.append((f"inject {payload}", f"\\boxed{{{payload}}}", "5"))
        cases.append((f"inject-answer {payload}", f"Answer: {payload}", "\\sqrt{2}"))
    cases.append(("many steps", "9^999 = 9^999 = " * 2_000 + "\n#### 2", "2"))
    return cases


def throughput(rows: list[dict], check) -> float:
    start = time.perf_counter()
    for row in rows:
        check(row)
    return len(rows) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gsm8k", type=Path, default=DEFAULT_GSM8K)
    args = parser.parse_args()
    rows = [json.loads(line) for line in args.gsm8k.read_text(encoding="utf-8").splitlines() if line.strip()]
    for row in rows:
        row["gold"] = "#### " + row["answer"].rpartition("####")[2].strip()

    from math_verify import parse, verify

    logging.getLogger("math_verify").setLevel(logging.ERROR)
    check_completion("#### 1", "1")  # import and warm both sides before timing
    verify(parse("1"), parse("1"))
    numeric_value.cache_clear()
    ours_full = throughput(rows, lambda r: check_completion(r["answer"], r["gold"]))
    numeric_value.cache_clear()
    ours_answer = throughput(rows, lambda r: check_completion(r["answer"], r["gold"], with_steps=False))
    theirs = throughput(rows, lambda r: verify(parse(r["gold"]), parse(r["answer"])))
    print(f"GSM8K train reference solutions: {len(rows)}")
    print(f"  pvg check_completion (answer + steps): {ours_full:8.0f} checks/s")
    print(f"  pvg check_completion (answer only):    {ours_answer:8.0f} checks/s")
    print(f"  math-verify parse+verify:              {theirs:8.0f} checks/s")
    print(
        f"  ratio pvg/math-verify: {ours_full / theirs:.2f}x with steps,"
        f" {ours_answer / theirs:.2f}x answer only (target >= 1.0x)"
    )

    latencies = []
    for name, completion, gold in adversarial_inputs():
        start = time.perf_counter()
        result = check_completion(completion, gold)
        latencies.append((time.perf_counter() - start, name, result.reason))
    latencies.sort(reverse=True)
    print(f"adversarial set: {len(latencies)} cases, worst {latencies[0][0]:.3f} s (target <= 1.5 s)")
    for seconds, name, reason in latencies[:5]:
        print(f"  {seconds:6.3f} s  {reason:<12} {name[:60]}")


if __name__ == "__main__":
    main()
