"""The child side of :mod:`envs.latex_sandbox`: ``python -m envs._latex_child MEMORY_BYTES``.

Reads ``[gold, pred]`` JSON lines on stdin, writes one outcome line each on stdout.
"""

from __future__ import annotations

import json
import logging
import resource
import sys


def _as_latex(answer: str) -> str:
    """math-verify's LaTeX extraction wants delimiters; bare answers get ``$...$``."""
    stripped = answer.strip()
    if stripped.startswith(("$", "\\(", "\\[")) or "\\boxed" in stripped:
        return stripped
    return f"${stripped}$"


def compare(gold: str, pred: str) -> str:
    """``equal``, ``different`` or ``unparsed``; math-verify's own timeouts off (the parent kills)."""
    from math_verify import LatexExtractionConfig, parse, verify

    latex_only = [LatexExtractionConfig()]
    gold_parsed = parse(_as_latex(gold), extraction_config=latex_only, parsing_timeout=None)
    pred_parsed = parse(_as_latex(pred), extraction_config=latex_only, parsing_timeout=None)
    if not gold_parsed or not pred_parsed:
        return "unparsed"
    return "equal" if verify(gold_parsed, pred_parsed, timeout_seconds=None) else "different"


def serve(memory_bytes: int) -> None:
    """Answer requests until stdin closes, under an address-space limit."""
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    # math-verify warns on every call that its own timeouts are off; the parent enforces them.
    logging.getLogger("math_verify").setLevel(logging.ERROR)
    import math_verify  # noqa: F401 - import before "ready" so a request's time is only its own

    print("ready", flush=True)
    for line in sys.stdin:
        try:
            gold, pred = json.loads(line)
            outcome = compare(str(gold), str(pred))
        except Exception:  # any failure on hostile input is "no answer", not a crash
            outcome = "unparsed"
        print(outcome, flush=True)


if __name__ == "__main__":
    serve(int(sys.argv[1]) if len(sys.argv) > 1 else 2 << 30)
