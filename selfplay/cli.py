"""The ``pvg`` command: ``check`` grades completions, ``train`` is the main job, ``eval`` / ``report`` /
``push`` evaluate, report on and publish finished runs, ``solve`` uses a prover (and verifier),
``study`` runs a human legibility study."""

from __future__ import annotations

import argparse
import sys

from envs import check_cli
from selfplay import eval_cli
from selfplay.inference import solve as solve_cli
from selfplay.study import cli as study_cli


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pvg", description="Prover-Verifier Game self-play trainer.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    check = commands.add_parser("check", help="grade completions against gold answers (sympy-checked)")
    check_cli.add_arguments(check)
    check.set_defaults(handler=check_cli.run)
    solve = commands.add_parser(
        "solve", help="sample a prover n times per problem and choose one (best-of-n)"
    )
    solve_cli.add_arguments(solve)
    solve.set_defaults(handler=solve_cli.run)
    study = commands.add_parser("study", help="a human legibility study: build, raters, serve, results")
    study_cli.add_arguments(study)
    study.set_defaults(handler=study_cli.run)
    # Listed for --help; main() hands `pvg train ...` to selfplay.train before argparse sees it.
    commands.add_parser("train", help="play the game (same as `accelerate launch selfplay/train.py`)")
    for name, help_text in (
        ("eval", "evaluate every finished round of one or more runs (legibility, robustness)"),
        ("report", "write a markdown report with plots from evaluated runs"),
        ("push", "publish each round's prover and verifier to the Hub (--dry-run: no network)"),
    ):
        sub = commands.add_parser(name, help=help_text)
        getattr(eval_cli, f"add_{name}_arguments")(sub)
        sub.set_defaults(handler=getattr(eval_cli, f"run_{name}"))
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
