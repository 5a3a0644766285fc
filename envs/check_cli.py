"""``pvg check``: grade completions in a jsonl file against gold answers by id.

Gold lines are ``{"id": ..., "answer": ...}`` (a bare answer or a solution ending ``#### N``);
pred lines are ``{"id": ..., "completion": ...}``. One verdict line per non-blank pred line is
written to ``--out``: ``line``, ``id``, ``correct``, ``extracted``, ``reason``, ``steps`` (the step
summary). A pred whose id has no gold gets reason ``missing_gold``; a pred line that cannot be
read (not JSON, nested too deep, a number too long to decode, fields missing) gets reason
``malformed_line`` with its ``error``, so one bad line never costs the others their verdicts.
Malformed gold lines are skipped and counted. The output is written to a temporary file and
renamed, so a half-written file never exists.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tqdm import tqdm

from envs.checker import check_completion
from envs.latex_sandbox import DEFAULT_POOL_SIZE

MISSING_GOLD = "missing_gold"
MALFORMED_LINE = "malformed_line"
CHUNK_LINES = 256  # lines read ahead and graded together: bounds memory, keeps the workers busy


class CheckInputError(ValueError):
    """An input that makes the whole command unusable; the message names the flag and the fix."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--gold", required=True, type=Path, help="jsonl of {id, answer}")
    parser.add_argument("--pred", required=True, type=Path, help="jsonl of {id, completion}")
    parser.add_argument("--out", required=True, type=Path, help="where to write one verdict per pred line")
    parser.add_argument("--no-steps", action="store_true", help="skip step checking (answers only)")
    parser.add_argument(
        "--workers",
        type=int,
        default=DEFAULT_POOL_SIZE,
        help="threads grading at once; each LaTeX comparison runs in its own sandbox child "
        f"(default {DEFAULT_POOL_SIZE})",
    )


def _json_lines(path: Path, flag: str) -> Iterator[tuple[int, object | None, str]]:
    """(line number, decoded object or None, error text) for each non-blank line."""
    if not path.is_file():
        raise CheckInputError(f"{flag} {path}: no such file; pass the path of a jsonl file")
    with path.open(encoding="utf-8", errors="replace") as handle:
        for line_no, line in enumerate(handle, start=1):
            if line.strip():
                yield (line_no, *_decoded(line))


def _decoded(line: str) -> tuple[object | None, str]:
    """The line's object and no error, or ``None`` and why it cannot be read. Python's decoder
    raises more than ``JSONDecodeError`` on hostile lines: ``RecursionError`` for deep nesting,
    ``ValueError`` for integers over its digit limit."""
    try:
        return json.loads(line), ""
    except json.JSONDecodeError as err:
        return None, f"not JSON ({err.msg})"
    except RecursionError:
        return None, "nested too deep to decode"
    except ValueError as err:
        return None, f"cannot be decoded ({str(err)[:80]})"


def load_gold(path: Path, warnings: Counter) -> dict[str, str]:
    """Gold answers by id (ids compared as text). Duplicate ids are an error: which would count?"""
    gold: dict[str, str] = {}
    first_line: dict[str, int] = {}
    for line_no, row, error in _json_lines(path, "--gold"):
        if not error and not (
            isinstance(row, dict) and "id" in row and isinstance(row.get("answer"), (str, int, float))
        ):
            error = 'needs "id" and a string or number "answer"'
        if error:
            _warn(warnings, "malformed_gold_line", f"--gold {path} line {line_no}: {error}; skipped")
            continue
        key = str(row["id"])
        if key in gold:
            raise CheckInputError(
                f"--gold {path} line {line_no}: id {key!r} already on line {first_line[key]};"
                " ids must be unique"
            )
        gold[key], first_line[key] = str(row["answer"]), line_no
    if not gold:
        raise CheckInputError(
            f'--gold {path} has no usable line; each line must be {{"id": ..., "answer": ...}}'
        )
    return gold


def _check_out(out_path: Path, *inputs: Path) -> None:
    """``--out`` must be a new or replaceable file: never an input (it would be overwritten as it
    is read), never a folder."""
    if out_path.is_dir():
        raise CheckInputError(
            f"--out {out_path}: is a folder; give a file path such as {out_path / 'verdicts.jsonl'}"
        )
    for flag, path in zip(("--gold", "--pred"), inputs, strict=True):
        if out_path.resolve() == path.resolve():
            raise CheckInputError(f"--out {out_path} is the {flag} file; write the verdicts to another file")


def _warn(warnings: Counter, kind: str, message: str) -> None:
    warnings[kind] += 1
    if warnings[kind] <= 5:
        print(f"warning: {message}", file=sys.stderr)


def grade(
    gold_path: Path,
    pred_path: Path,
    out_path: Path,
    with_steps: bool = True,
    workers: int = DEFAULT_POOL_SIZE,
) -> dict:
    """Grade, write verdicts atomically, and return the summary printed by ``pvg check``."""
    _check_out(out_path, gold_path, pred_path)
    warnings: Counter = Counter()
    gold = load_gold(gold_path, warnings)
    reasons: Counter = Counter()
    fractions: list[float] = []
    out_path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=out_path.parent, prefix=f".{out_path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            for verdict in _verdicts(pred_path, gold, warnings, with_steps, workers):
                reasons[verdict["reason"]] += 1
                fractions.append(verdict["steps"]["checkable_fraction"] if verdict["steps"] else 0.0)
                out.write(json.dumps(verdict) + "\n")
        os.replace(tmp_name, out_path)
    finally:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)
    graded = sum(reasons.values())
    return {
        "graded": graded,
        "correct": reasons["correct"],
        "accuracy": reasons["correct"] / graded if graded else 0.0,
        "reasons": dict(reasons.most_common()),
        "mean_checkable_fraction": sum(fractions) / len(fractions) if fractions else 0.0,
        "warnings": dict(warnings),
    }


def _verdicts(
    pred_path: Path, gold: dict[str, str], warnings: Counter, with_steps: bool, workers: int
) -> Iterator[dict]:
    """One verdict per pred line, in line order; ``workers`` threads grade each chunk of lines."""
    lines = tqdm(_json_lines(pred_path, "--pred"), desc="checking", unit=" preds", file=sys.stderr)
    jobs = (_job(line, pred_path, gold, warnings) for line in lines)

    def verdict(job: dict | tuple) -> dict:
        if isinstance(job, dict):
            return job
        line_no, pred_id, completion, answer = job
        return {
            "line": line_no,
            "id": pred_id,
            **check_completion(completion, answer, with_steps=with_steps).to_dict(),
        }

    with ThreadPoolExecutor(max_workers=max(workers, 1)) as pool:
        while chunk := list(itertools.islice(jobs, CHUNK_LINES)):
            yield from pool.map(verdict, chunk)


def _job(line: tuple, pred_path: Path, gold: dict[str, str], warnings: Counter) -> dict | tuple:
    """The verdict of a line that cannot be graded, or ``(line, id, completion, gold)`` to grade."""
    line_no, row, error = line
    if not error and not (isinstance(row, dict) and "id" in row and isinstance(row.get("completion"), str)):
        error = 'needs "id" and a string "completion"'
    if error:
        _warn(warnings, "malformed_pred_line", f"--pred {pred_path} line {line_no}: {error}")
        return _failed(line_no, row.get("id") if isinstance(row, dict) else None, MALFORMED_LINE) | {
            "error": error
        }
    key = str(row["id"])
    if key not in gold:
        _warn(warnings, "missing_gold", f"--pred {pred_path} line {line_no}: id {key!r} is not in --gold")
        return _failed(line_no, row["id"], MISSING_GOLD)
    return line_no, row["id"], row["completion"], gold[key]


def _failed(line_no: int, pred_id: object, reason: str) -> dict:
    return {
        "line": line_no,
        "id": pred_id,
        "correct": False,
        "extracted": None,
        "reason": reason,
        "steps": None,
    }


def run(args: argparse.Namespace) -> int:
    """Entry for ``pvg check``; returns the process exit code."""
    try:
        if args.workers < 1:
            raise CheckInputError(f"--workers {args.workers}: give 1 or more")
        summary = grade(args.gold, args.pred, args.out, with_steps=not args.no_steps, workers=args.workers)
    except CheckInputError as err:
        print(f"pvg check: error: {err}", file=sys.stderr)
        return 2
    print(f"accuracy {summary['accuracy']:.4f} ({summary['correct']}/{summary['graded']})")
    for reason, count in summary["reasons"].items():
        print(f"  {reason:<14} {count}")
    print(f"mean checkable fraction {summary['mean_checkable_fraction']:.3f}")
    for kind, count in summary["warnings"].items():
        print(f"warnings: {kind} x{count}")
    print(f"verdicts written to {args.out}")
    return 0
