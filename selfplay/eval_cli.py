"""``pvg eval``, ``pvg report`` and ``pvg push``: evaluate finished runs, write reports, publish."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from selfplay.config import ConfigError


def add_eval_arguments(parser: argparse.ArgumentParser) -> None:
    from selfplay.evaluation.legibility import BEST_OF_N

    parser.add_argument("runs", nargs="+", type=Path, help="run folders; the first is compared with the rest")
    parser.add_argument("--problems", type=int, default=100, help="test-split problems per round")
    parser.add_argument("--samples_per_role", type=int, default=8, help="completions per (problem, role)")
    parser.add_argument(
        "--best_of", default=",".join(map(str, BEST_OF_N)), help="comma-separated n for balanced best-of-n"
    )
    parser.add_argument(
        "--attack_steps", type=int, default=30, help="attacker budget, optimizer steps (0 = none)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--judge",
        choices=("independent", "round0"),
        default="independent",
        help="the fixed weak judge: a small classifier (independent) or the run's round-0 verifier",
    )
    parser.add_argument(
        "--judge_steps", type=int, default=300, help="the independent judge's optimizer steps (32 pairs each)"
    )
    parser.add_argument(
        "--deploy_problems",
        type=int,
        default=100,
        help="test problems for deployment best-of-n (first/majority/verifier/weighted; 0 = none)",
    )
    parser.add_argument(
        "--deploy_n", default="1,2,4,8,16,32,64", help="comma-separated n for deployment best-of-n"
    )


def run_eval(args: argparse.Namespace) -> int:
    from selfplay.evaluation.deployment import DeployConfig
    from selfplay.evaluation.evaluate import EvalConfig, evaluate_runs
    from selfplay.evaluation.report_tables import comparison_table, seed_table

    try:
        best_of = [int(n) for n in args.best_of.split(",")]
    except ValueError:
        return _fail("eval", f"--best_of {args.best_of!r}: expected comma-separated integers such as 1,2,4")
    for flag in ("problems", "samples_per_role"):
        if getattr(args, flag) < 1:
            return _fail("eval", f"--{flag} must be >= 1, got {getattr(args, flag)}")
    if args.attack_steps < 0 or min(best_of) < 1:
        return _fail("eval", "--attack_steps must be >= 0 and every --best_of n >= 1")
    if args.judge_steps < 1:
        return _fail("eval", f"--judge_steps must be >= 1, got {args.judge_steps}")
    ecfg = EvalConfig(
        args.problems,
        args.samples_per_role,
        best_of,
        args.attack_steps,
        args.seed,
        args.judge,
        args.judge_steps,
    )
    try:
        deploy_n = sorted({int(n) for n in args.deploy_n.split(",")})
    except ValueError:
        return _fail(
            "eval", f"--deploy_n {args.deploy_n!r}: expected comma-separated integers such as 1,4,16"
        )
    if min(deploy_n) < 1 or args.deploy_problems < 0:
        return _fail("eval", "every --deploy_n n must be >= 1 and --deploy_problems >= 0")
    dcfg = DeployConfig(args.deploy_problems, deploy_n)
    try:
        command = shlex.join(["pvg", "eval", *sys.argv[2:]])
        summaries = evaluate_runs(args.runs, ecfg, command=command, dcfg=dcfg)
    except (ConfigError, ValueError, FileNotFoundError) as err:
        return _fail("eval", str(err))
    print(comparison_table(summaries))
    if seeds := seed_table(summaries):
        print("\nAcross seeds (mean ± sample standard deviation):\n" + seeds)
    return 0


def add_report_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("runs", nargs="+", type=Path, help="evaluated run folders; the first is the subject")
    parser.add_argument("--out", required=True, type=Path, help="report folder, e.g. docs/legibility/NAME")
    parser.add_argument(
        "--study", type=Path, help="a study folder: add its human judges' results (docs/study.md)"
    )


def run_report(args: argparse.Namespace) -> int:
    from selfplay.evaluation.report import write_report

    study = ["--study", str(args.study)] if args.study else []
    command = shlex.join(["pvg", "report", *map(str, args.runs), "--out", str(args.out), *study])
    try:
        path = write_report(args.runs, args.out, command, study=args.study)
    except (ConfigError, ValueError, FileNotFoundError) as err:  # StudyError too
        return _fail("report", str(err))
    print(f"report: {path}")
    return 0


def add_push_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run", type=Path, help="a run folder")
    parser.add_argument("--dry-run", action="store_true", help="write what would be uploaded; no network")
    parser.add_argument("--out", type=Path, help="dry-run folder (default RUN/push_dry_run)")


def run_push(args: argparse.Namespace) -> int:
    from selfplay.config import load_run_config
    from selfplay.evaluation.evaluate import finished_rounds
    from selfplay.publishing.hub import PushError, dry_run, push_round, require_push_settings

    try:
        cfg = load_run_config(args.run)
        rounds = finished_rounds(args.run, cfg)
        if not rounds:
            raise ValueError(f"{args.run}: no finished round to push")
        if args.dry_run:
            plan = dry_run(args.run, cfg, rounds, args.out or args.run / "push_dry_run")
            for item in plan:
                print(f"would push {item['folder']} -> {item['repo'] or '(repo not set)'}@{item['revision']}")
            return 0
        token = require_push_settings(cfg.push_to_hub)
        for round_index in rounds:
            for item in push_round(args.run, cfg, round_index, token):
                print(f"pushed {item['kind']} round {round_index} -> {item['repo']}@{item['revision']}")
    except (ConfigError, PushError, ValueError) as err:
        return _fail("push", str(err))
    return 0


def _fail(command: str, message: str) -> int:
    print(f"pvg {command}: error: {message}", file=sys.stderr)
    return 2
