"""``pvg study build | raters | serve | results`` (docs/study.md)."""

from __future__ import annotations

import argparse
import secrets
import sys
from pathlib import Path

from selfplay.study.database import StudyError, open_study


def add_arguments(parser: argparse.ArgumentParser) -> None:
    steps = parser.add_subparsers(dest="study_command", required=True, metavar="STEP")
    build = steps.add_parser("build", help="choose the items from runs' evaluation samples")
    build.add_argument("runs", nargs="+", type=Path, help="run folders (pvg eval's samples are used)")
    build.add_argument("--out", required=True, type=Path, help="the study folder (new)")
    build.add_argument(
        "--checkpoints", default="init,last", help="init, last, all or round numbers (default init,last)"
    )
    build.add_argument(
        "--per_checkpoint", type=int, default=20, help="items per (run, round, role), half correct"
    )
    build.add_argument("--seed", type=int, default=0)
    build.add_argument("--seconds", type=int, default=45, help="time per item, in seconds (default 45)")
    build.set_defaults(step=run_build)
    raters = steps.add_parser("raters", help="make access codes (printed once, stored hashed)")
    raters.add_argument("study", type=Path)
    raters.add_argument("--add", type=int, required=True, help="how many raters to add")
    raters.set_defaults(step=run_raters)
    serve = steps.add_parser("serve", help="run the judging web app")
    serve.add_argument("study", type=Path)
    serve.add_argument(
        "--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)"
    )
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--seconds", type=int, help="time per item, in seconds (default: the study's)")
    serve.set_defaults(step=run_serve)
    results = steps.add_parser("results", help="human accuracy per checkpoint: CSV, markdown, PNG")
    results.add_argument("study", type=Path)
    results.add_argument("--out", required=True, type=Path)
    results.set_defaults(step=run_results)


def run(args: argparse.Namespace) -> int:
    try:
        return args.step(args)
    except StudyError as err:
        print(f"pvg study {args.study_command}: error: {err}", file=sys.stderr)
        return 2


def run_build(args: argparse.Namespace) -> int:
    from selfplay.study.build import build

    if args.seconds < 1:
        raise StudyError(f"--seconds {args.seconds}: give 1 or more")
    try:
        count = build(args.runs, args.out, args.checkpoints, args.per_checkpoint, args.seed, args.seconds)
    except (ValueError, FileNotFoundError) as err:  # a run that is not one, or does not verify
        raise StudyError(str(err)) from None
    print(f"study: {args.out} with {count} items; next: pvg study raters {args.out} --add N")
    return 0


def run_raters(args: argparse.Namespace) -> int:
    from selfplay.study.raters import add_raters

    if args.add < 1:
        raise StudyError(f"--add {args.add}: give 1 or more")
    codes = add_raters(open_study(args.study), args.add)
    print("access codes (shown once; give one to each rater):")
    for code in codes:
        print(f"  {code}")
    return 0


def run_serve(args: argparse.Namespace) -> int:
    try:
        import uvicorn

        from selfplay.study.app import create_app
    except ImportError as err:
        missing = f"{err.name} is missing"
        raise StudyError(
            f"the judging app needs the study extra ({missing}): pip install -e '.[study]'"
        ) from None

    open_study(args.study).close()
    if args.seconds is not None and args.seconds < 1:
        raise StudyError(f"--seconds {args.seconds}: give 1 or more")
    token = secrets.token_urlsafe(24)
    app = create_app(args.study, token, args.seconds)
    print(f"judging at http://{args.host}:{args.port}/ ; admin token (shown once): {token}", flush=True)
    print(
        f"export: curl -H 'Authorization: Bearer {token}' http://{args.host}:{args.port}/admin/export",
        flush=True,
    )
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0


def run_results(args: argparse.Namespace) -> int:
    from selfplay.study.results import write_results

    checkpoints, raters = write_results(open_study(args.study), args.out)
    kept = sum(not r["excluded"] for r in raters)
    print(
        f"results: {args.out}/README.md ({len(checkpoints)} checkpoints, {kept} of {len(raters)} raters kept)"
    )
    return 0
