"""Main job: ``accelerate launch selfplay/train.py`` (or ``pvg train``).

The game itself (prover, verifier, rounds) is not implemented yet; until it is, this entry says
so plainly and exits with status 1 rather than pretending to train.
"""

from __future__ import annotations

import sys

NOT_YET = (
    "pvg-selfplay: the Prover-Verifier Game trainer is not implemented yet.\n"
    "What works now: the sympy-checked math environment (`envs`) and `pvg check`, which grades\n"
    "completions against gold answers: pvg check --gold GOLD.jsonl --pred PRED.jsonl --out VERDICTS.jsonl"
)


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code."""
    print(NOT_YET, file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
