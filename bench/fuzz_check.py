"""Fuzz the checker with hostile completions and gold answers; print what broke and how fast.

    python bench/fuzz_check.py [--n 10000] [--seed 0] [--skip-load]

Generates ``--n`` hostile (completion, gold) cases from the families in :data:`FAMILIES` (deep
nesting, power towers, LaTeX bombs, huge and long numbers, code payloads that would create a file
in a canary folder if anything ran them, null bytes and odd unicode, relations and separators,
many steps), and grades them four ways: in-process from the main thread, in-process from 4
threads (:func:`envs.checker.check_batch`), through ``pvg check`` with ``--workers 1`` and with
``--workers 4``. Each way starts from fresh caches and a fresh sandbox. Then the LaTeX cases are
graded again while two CPU-bound processes load the machine. Prints: code executions (files in
the canary folder), hangs (a check over :data:`HANG_S`), crashes (an exception in-process, a
non-zero exit of ``pvg check``), verdicts that differ between the ways, worst and p99 latency,
throughput, the 4-thread/1-thread ratio, and verdict changes under load. A verdict that is
``timeout`` one way and finished another sits at the CPU-time budget and is counted apart. Exit
status 1 when any code ran, anything hung or crashed, or any other verdict differed. Slow
(about an hour on 2 cores); the seeded slice in ``tests/test_fuzz_slice.py`` runs in CI.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from envs.checker import REASONS, check_completion, numeric_value  # noqa: E402
from envs.latex_sandbox import LatexSandbox  # noqa: E402

HANG_S = 10.0


def _payloads(canary: Path) -> list[str]:
    """Code that creates a file in ``canary`` if anything evaluates it."""
    target = canary / "ran"
    return [
        f"__import__('os').system('touch {target}')",
        f"__import__('pathlib').Path('{target}').touch()",
        f"exec(\"open('{target}', 'w').close()\")",
        f"eval(\"__import__('os').mknod('{target}')\")",
        f"(lambda: open('{target}', 'w'))()",
        f"Symbol('x').__class__.__mro__[-1].__subclasses__() or open('{target}','w')",
        f"{{}}.__class__.__base__.__subclasses__() and open('{target}', 'w')",
        f"[c for c in ().__class__.__base__.__subclasses__()] or open('{target}','w')",
    ]


def _nesting(rng: random.Random) -> str:
    opener, closer = rng.choice([("(", ")"), ("[", "]"), ("{", "}"), ("\\frac{", "}{1}"), ("\\sqrt{", "}")])
    depth = rng.choice([30, 200, 5_000, 60_000])
    closing = closer * (depth if rng.random() < 0.5 else rng.randrange(depth))
    return f"#### {opener * depth}{rng.randint(1, 9)}{closing}"


def _power(rng: random.Random) -> str:
    base, top = rng.randint(2, 99), rng.randint(10, 10_000)
    forms = [
        f"{base}**{base}**{base}**{top}",
        f"{base}^{base}^{base}^{top}",
        f"\\boxed{{{base}^{{{base}^{{{base}^{{{top}}}}}}}}}",
        f"\\boxed{{(x+{base})^{{{top}}}}}",
        f"\\boxed{{\\sqrt{{{base}}}^{{10^{{{top}}}}}}}",
        f"#### 10^(10^{top})",
        f"\\boxed{{{top}!!}}",
    ]
    return rng.choice(forms)


def _latex_bomb(rng: random.Random) -> str:
    k = rng.randint(50, 400)
    forms = [
        "\\boxed{" + "\\sqrt{" * k + "2" + "}" * k + "}",
        "\\boxed{" + "\\frac{1}{" * k + "2" + "}" * k + "}",
        "\\def\\a{\\a\\a}\\a \\boxed{\\a}",
        "\\boxed{\\begin{pmatrix}" + " & ".join(["x"] * k) + "\\end{pmatrix}}",
        "\\boxed{" + "+".join(f"x^{{{i}}}" for i in range(k)) + "}",
        f"\\boxed{{\\int_0^{{{k}}} x^{{{k}}} dx}}",
        "$" * k + "\\boxed{1}",
        "\\boxed{" * k + "1" + "}" * (k // 2),
    ]
    return rng.choice(forms)


def _long_text(rng: random.Random) -> str:
    unit = rng.choice(["1", "9", "1+", "=", "é€𝔘", "\u202e", "#### ", "\\frac{", "a" * 7])
    size = rng.choice([5_000, 60_000, 100_000])
    tail = rng.choice(["", "\n#### 5", "\n#### " + "7" * 5_000])
    return (unit * size)[:size] + tail


def _odd_unicode(rng: random.Random) -> str:
    pieces = ["\x00", "\ud800", "\u202e", "\u0301" * 50, "１２３", "٣", "⁵", "½", "∞", "\ufeff", "\x1b[2J"]
    prose = "".join(rng.choices([*pieces, "🙂"], k=rng.randint(1, 12)))
    return f"{prose}\n#### {rng.choice(pieces)}{rng.randint(0, 99)}"


def _semantics(rng: random.Random) -> str:
    n = rng.randint(0, 999)
    forms = [
        f"#### {n} = {n + 1}",
        f"\\boxed{{{n} \\approx {n + 1}}}",
        f"#### {n:,}",
        f"\\boxed{{{n}{{,}}000}}",
        f"#### 0,{n:03d}",
        f"\\boxed{{[0,{n})}}",
        f"\\boxed{{({n},{n + 1})}}",
        f"\\boxed{{x = {n}}}",
        f"\\boxed{{\\text{{{n} apples}}}}",
        f"3 * {n} = {3 * n}\n{3 * n} + 1 = {3 * n + 1}\n#### {3 * n + 1}",
        f"#### {n}/{rng.randint(0, 3)}",
    ]
    return rng.choice(forms)


def _many_steps(rng: random.Random) -> str:
    line = rng.choice(["9^999 = 9^999", "1+1 = 2", "(((1))) = 1", "x = y = z"])
    return "\n".join([line] * rng.choice([100, 2_000, 8_000])) + "\n#### 2"


FAMILIES: dict[str, Callable[[random.Random], str]] = {
    "nesting": _nesting,
    "power": _power,
    "latex_bomb": _latex_bomb,
    "long_text": _long_text,
    "odd_unicode": _odd_unicode,
    "semantics": _semantics,
    "many_steps": _many_steps,
}
GOLDS = ["5", "#### 72", "\\sqrt{2}", "1000", "(1, 2)", "\\frac{1}{2}", "x = 3", "\\text{Evelyn}"]


def hostile_cases(n: int, seed: int, canary: Path) -> list[dict]:
    """``n`` cases ``{id, family, completion, gold}``, the same for the same seed; one in ten
    carries a code payload (in the completion or, hostile too, in the gold answer)."""
    rng, payloads, cases = random.Random(seed), _payloads(canary), []
    families = sorted(FAMILIES)
    for index in range(n):
        family = families[index % len(families)]
        completion, gold = FAMILIES[family](rng), rng.choice(GOLDS)
        if index % 10 == 0:
            payload = rng.choice(payloads)
            family += "+payload"
            if rng.random() < 0.5:
                completion = rng.choice([f"\\boxed{{{payload}}}", f"#### {payload}", f"Answer: {payload}"])
            else:
                gold = rng.choice([payload, f"\\boxed{{{payload}}}"])
        cases.append({"id": index, "family": family, "completion": completion, "gold": gold})
    return cases


def fresh_sandbox() -> LatexSandbox:
    numeric_value.cache_clear()
    return LatexSandbox()


def grade_in_process(cases: list[dict], workers: int) -> tuple[list[str], list[float], int]:
    """(reason per case, seconds per case, crashes), from ``workers`` threads and a fresh sandbox."""
    sandbox, crashes = fresh_sandbox(), 0

    def one(case: dict) -> tuple[str, float]:
        nonlocal crashes
        start = time.perf_counter()
        try:
            reason = check_completion(case["completion"], case["gold"], sandbox=sandbox).reason
        except Exception as err:  # the checker must never raise: count it
            crashes += 1
            reason = f"crash:{type(err).__name__}"
        return reason, time.perf_counter() - start

    try:
        if workers == 1:
            results = [one(case) for case in cases]
        else:
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(max_workers=workers) as pool:
                results = list(pool.map(one, cases))
    finally:
        sandbox.close()
    return [r for r, _ in results], [s for _, s in results], crashes


def grade_with_pvg_check(cases: list[dict], workers: int, folder: Path) -> tuple[list[str], int]:
    """(reason per case, exit status) of ``pvg check --workers N`` on the cases as jsonl."""
    gold, pred, out = folder / "gold.jsonl", folder / "pred.jsonl", folder / f"verdicts_{workers}.jsonl"
    gold.write_text("".join(json.dumps({"id": c["id"], "answer": c["gold"]}) + "\n" for c in cases))
    pred.write_text("".join(json.dumps({"id": c["id"], "completion": c["completion"]}) + "\n" for c in cases))
    command = [sys.executable, "-m", "selfplay.cli", "check", "--gold", str(gold), "--pred", str(pred)]
    done = subprocess.run(
        [*command, "--out", str(out), "--workers", str(workers)], capture_output=True, text=True, cwd=ROOT
    )
    if done.returncode != 0:
        return [], done.returncode
    verdicts = [json.loads(line) for line in out.read_text().splitlines()]
    return [v["reason"] for v in sorted(verdicts, key=lambda v: v["line"])], 0


def _burn(stop_at: float) -> None:
    while time.time() < stop_at:
        pass


def under_load(cases: list[dict], seconds: float) -> list[str]:
    """The cases graded (one thread) while two CPU-bound processes run for up to ``seconds``."""
    burners = [multiprocessing.Process(target=_burn, args=(time.time() + seconds,)) for _ in range(2)]
    for burner in burners:
        burner.start()
    try:
        return grade_in_process(cases, 1)[0]
    finally:
        for burner in burners:
            burner.terminate()
            burner.join()


def latency_line(name: str, seconds: list[float], wall: float) -> str:
    ordered = sorted(seconds)
    p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
    rate = len(seconds) / wall
    return f"{name}: worst {ordered[-1]:.3f} s, p99 {p99:.3f} s, wall {wall:.1f} s, {rate:.0f} checks/s"


def run_in_process(cases: list[dict], ways: dict) -> tuple[int, list[float]]:
    """Grade from 1 and from 4 threads; returns (problems, the 1-thread latencies)."""
    problems, walls, latencies = 0, {}, {}
    for workers in (1, 4):
        start = time.perf_counter()
        reasons, latencies[workers], crashes = grade_in_process(cases, workers)
        walls[workers] = time.perf_counter() - start
        name = f"in-process, {workers} thread(s)"
        ways[name] = reasons
        hangs = sum(s > HANG_S for s in latencies[workers])
        print(latency_line(name, latencies[workers], walls[workers]) + f"; crashes {crashes}, hangs {hangs}")
        problems += crashes + hangs
    print(f"  4 threads vs 1: {walls[1] / walls[4]:.2f}x faster ({os.cpu_count()} cores here)")
    return problems, latencies[1]


def run_pvg_check(cases: list[dict], ways: dict, folder: Path) -> int:
    problems = 0
    for workers in (1, 4):
        start = time.perf_counter()
        reasons, status = grade_with_pvg_check(cases, workers, folder)
        wall = time.perf_counter() - start
        rate = len(cases) / wall
        print(f"pvg check --workers {workers}: exit {status}, wall {wall:.1f} s, {rate:.0f} checks/s")
        problems += status != 0
        ways[f"pvg check --workers {workers}"] = reasons
    return problems


def compare_ways(cases: list[dict], ways: dict) -> int:
    """Print how many verdicts of each way differ from the main thread's (and a few of them)."""
    reference, problems = ways["in-process, 1 thread(s)"], 0
    for name, reasons in ways.items():
        differing = [(c, a, b) for c, a, b in zip(cases, reference, reasons, strict=False) if a != b]
        boundary = [d for d in differing if "timeout" in d[1:]]  # at the CPU budget: timed, not wrong
        other = len(differing) - len(boundary) + abs(len(reference) - len(reasons))
        print(
            f"verdicts differing from the main thread's: {name}: {other}; at the CPU budget: {len(boundary)}"
        )
        for case, a, b in differing[:3]:
            print(f"  case {case['id']} ({case['family']}): {a} vs {b}: {case['completion'][:60]!r}")
        problems += other
    unknown = dict(Counter(r for r in reference if r not in REASONS))
    print(f"reasons: {dict(Counter(reference).most_common())}; outside the checker's reasons: {unknown}")
    return problems


def run_under_load(cases: list[dict], reference: list[str]) -> None:
    latex = [
        (c, r) for c, r in zip(cases, reference, strict=True) if "\\" in c["completion"] or r == "timeout"
    ]
    loaded = under_load([c for c, _ in latex], seconds=900)
    changed = [(r, after) for (_, r), after in zip(latex, loaded, strict=True) if r != after]
    print(f"under CPU load (2 busy processes): {len(latex)} LaTeX cases, verdicts changed: {len(changed)}")
    if changed:
        print(f"  changes (quiet -> loaded): {dict(Counter(changed))}")


def reward_batch_timings() -> None:
    """Two reward-batch numbers: 64 identical LaTeX bombs (one budget, then the cache), and a
    LaTeX-heavy batch of 64 distinct comparisons from 4 threads vs 1 (the pool's parallelism)."""
    bomb, golds = ["\\boxed{(x+1)^{10000}}"] * 64, ["2"] * 64
    heavy = [f"\\boxed{{\\frac{{\\sqrt{{{k}}}}}{{{k + 1}}} + \\pi^{{{k % 5}}}}}" for k in range(64)]
    heavy_golds = [f"\\frac{{\\sqrt{{{k}}}}}{{{k + 1}}} + \\pi^{{{k % 5}}}" for k in range(64)]
    sandbox = fresh_sandbox()
    try:
        children = [sandbox._borrow() for _ in range(sandbox.size)]  # start them all first:
        for child in children:  # their start-up is not a check's cost
            child.compare("1", "\\sqrt{1}")
            sandbox._idle.put(child)
        start = time.perf_counter()
        _grade_with(sandbox, bomb, golds, workers=4)
        print(f"64 identical LaTeX bombs (one reward batch, 4 threads): {time.perf_counter() - start:.2f} s")
        walls = {}
        for workers in (1, 4):
            sandbox.cache.clear()
            start = time.perf_counter()
            _grade_with(sandbox, heavy, heavy_golds, workers=workers)
            walls[workers] = time.perf_counter() - start
        print(
            f"LaTeX-heavy batch of 64: 1 thread {walls[1]:.2f} s, 4 threads {walls[4]:.2f} s, "
            f"{walls[1] / walls[4]:.2f}x ({os.cpu_count()} cores here)"
        )
    finally:
        sandbox.close()


def _grade_with(sandbox: LatexSandbox, completions: list[str], golds: list[str], workers: int) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(
            pool.map(
                lambda pair: check_completion(*pair, sandbox=sandbox), zip(completions, golds, strict=True)
            )
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-load", action="store_true", help="skip the run under CPU load")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        canary = folder / "canary"
        canary.mkdir()
        cases = hostile_cases(args.n, args.seed, canary)
        reward_batch_timings()
        print(f"{len(cases)} hostile cases, seed {args.seed}: {dict(Counter(c['family'] for c in cases))}")
        ways: dict[str, list[str]] = {}
        problems, latencies = run_in_process(cases, ways)
        problems += run_pvg_check(cases, ways, folder)
        problems += compare_ways(cases, ways)
        reference = ways["in-process, 1 thread(s)"]
        slowest = sorted(zip(latencies, cases, reference, strict=True), key=lambda t: -t[0])[:5]
        for seconds, case, reason in slowest:
            print(f"  {seconds:6.3f} s  {reason:<12} {case['family']:<22} {case['completion'][:50]!r}")
        if not args.skip_load:
            run_under_load(cases, reference)
        ran = sorted(p.name for p in canary.iterdir())
        print(f"code executions (files in the canary folder): {len(ran)}")
        problems += len(ran)
    print("result:", "FAIL" if problems else "ok")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
