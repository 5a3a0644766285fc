"""The ``pvg`` command: ``pvg check`` grades completions; ``pvg train`` is the main job."""

from __future__ import annotations

import argparse
import sys

from selfplay import check_cli


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pvg", description="Prover-Verifier Game self-play trainer.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    check = commands.add_parser("check", help="grade completions against gold answers (sympy-checked)")
    check_cli.add_arguments(check)
    check.set_defaults(handler=check_cli.run)
    # Listed for --help; main() hands `pvg train ...` to selfplay.train before argparse sees it.
    commands.add_parser("train", help="play the game (same as `accelerate launch selfplay/train.py`)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run ``pvg``; returns the exit code."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["train"]:
        from selfplay.train import main as train_main

        return train_main(argv[1:])
    args = build_parser().parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
