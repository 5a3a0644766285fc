"""The child side of :mod:`envs.latex_sandbox`: ``python -m envs._latex_child MEMORY_BYTES CPU_S``.

Reads ``[gold, pred]`` JSON lines on stdin, writes one outcome line each on stdout. Each
comparison may use ``CPU_S`` seconds of this process's CPU time (``ITIMER_PROF``: user and system
time, not wall-clock), so the same input gets the same verdict however loaded the machine is; a
comparison stuck where Python cannot interrupt it meets the kernel's ``RLIMIT_CPU``, a few
seconds later, which ends the child (the parent then answers ``timeout`` and starts another).
"""

from __future__ import annotations

import json
import logging
import math
import resource
import signal
import sys

from sympy.core.cache import clear_cache


class _OverBudget(BaseException):
    """Raised by the CPU timer; a BaseException, so math-verify's ``except Exception`` lets it by."""


def _as_latex(answer: str) -> str:
    """math-verify's LaTeX extraction wants delimiters; bare answers get ``$...$``."""
    stripped = answer.strip()
    if stripped.startswith(("$", "\\(", "\\[")) or "\\boxed" in stripped:
        return stripped
    return f"${stripped}$"


def compare(gold: str, pred: str) -> str:
    """``equal``, ``different`` or ``unparsed``; math-verify's own timeouts off (the CPU timer bounds it)."""
    from math_verify import LatexExtractionConfig, parse, verify

    latex_only = [LatexExtractionConfig()]
    gold_parsed = parse(_as_latex(gold), extraction_config=latex_only, parsing_timeout=None)
    pred_parsed = parse(_as_latex(pred), extraction_config=latex_only, parsing_timeout=None)
    if not gold_parsed or not pred_parsed:
        return "unparsed"
    return "equal" if verify(gold_parsed, pred_parsed, timeout_seconds=None) else "different"


def _over_budget(signum, frame) -> None:
    raise _OverBudget


def bounded_compare(gold: str, pred: str, cpu_s: float) -> str:
    """:func:`compare` within ``cpu_s`` seconds of CPU time: ``timeout`` past it."""
    used = resource.getrusage(resource.RUSAGE_SELF)
    spent = used.ru_utime + used.ru_stime
    hard = resource.getrlimit(resource.RLIMIT_CPU)[1]
    backstop = math.ceil(spent + 2 * cpu_s + 2)
    resource.setrlimit(resource.RLIMIT_CPU, (backstop if hard < 0 else min(backstop, hard), hard))
    # Each comparison starts from sympy's empty cache, so its cost (and so its verdict near the
    # budget) does not depend on which comparisons this child happened to serve before.
    clear_cache()
    signal.setitimer(signal.ITIMER_PROF, cpu_s)
    try:
        return compare(gold, pred)
    except _OverBudget:
        return "timeout"
    except Exception:  # any failure on hostile input is "no answer", not a crash
        return "unparsed"
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)


def serve(memory_bytes: int, cpu_s: float) -> None:
    """Answer requests until stdin closes, under an address-space limit."""
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    signal.signal(signal.SIGPROF, _over_budget)
    # math-verify warns on every call that its own timeouts are off; the CPU timer bounds them.
    logging.getLogger("math_verify").setLevel(logging.ERROR)
    import math_verify  # noqa: F401 - import before "ready" so a request's time is only its own

    print("ready", flush=True)
    for line in sys.stdin:
        try:
            gold, pred = json.loads(line)
            outcome = bounded_compare(str(gold), str(pred), cpu_s)
        except _OverBudget:  # the timer fired between comparisons: nothing to answer but this
            outcome = "timeout"
        except Exception:
            outcome = "unparsed"
        print(outcome, flush=True)


if __name__ == "__main__":
    serve(int(sys.argv[1]), float(sys.argv[2]))
