"""The child side of :mod:`envs.latex_sandbox`; imported by the forkserver, never by callers."""

from __future__ import annotations

import logging
import resource
from multiprocessing.connection import Connection

from math_verify import LatexExtractionConfig, parse, verify

_LATEX_ONLY = [LatexExtractionConfig()]


def _as_latex(answer: str) -> str:
    """math-verify's LaTeX extraction wants delimiters; bare answers get ``$...$``."""
    stripped = answer.strip()
    if stripped.startswith(("$", "\\(", "\\[")) or "\\boxed" in stripped:
        return stripped
    return f"${stripped}$"


def compare(gold: str, pred: str) -> str:
    """``equal``, ``different`` or ``unparsed``; math-verify's own timeouts off (the parent kills)."""
    gold_parsed = parse(_as_latex(gold), extraction_config=_LATEX_ONLY, parsing_timeout=None)
    pred_parsed = parse(_as_latex(pred), extraction_config=_LATEX_ONLY, parsing_timeout=None)
    if not gold_parsed or not pred_parsed:
        return "unparsed"
    return "equal" if verify(gold_parsed, pred_parsed, timeout_seconds=None) else "different"


def serve(conn: Connection, memory_bytes: int) -> None:
    """Answer ``(gold, pred)`` requests until the pipe closes, under an address-space limit."""
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    # math-verify warns on every call that its own timeouts are off; the parent enforces them.
    logging.getLogger("math_verify").setLevel(logging.ERROR)
    conn.send("ready")
    while True:
        try:
            gold, pred = conn.recv()
        except EOFError:
            return
        try:
            outcome = compare(gold, pred)
        except Exception:
            outcome = "unparsed"
        conn.send(outcome)
