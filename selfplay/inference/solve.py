"""``pvg solve``: a prover's n samples per problem, one chosen by a selection rule
(``selfplay.inference.select``), optionally with a verifier's scores; one output line per problem.

The prover sees the helpful role's prompt exactly as in training: when the prover folder lies in
a run folder (``RUN/round_002/prover``) that run's prompt settings and completion length are used.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from envs.answers import final_answer_text, gold_answer_text
from envs.checker import NO_ANSWER, check_completion
from envs.datasets import jsonl_rows
from selfplay.inference.select import RULES, pass_at_n, select
from selfplay.run_folder import atomic_write_text


class SolveError(ValueError):
    """Input ``pvg solve`` cannot use; the message names it and the fix (exit status 2)."""


@dataclass(frozen=True)
class SolveProblem:
    id: str
    question: str
    answer: str | None  # gold, when the file has one


def read_problems(path: Path) -> tuple[list[SolveProblem], list[int]]:
    """Problems from a jsonl file (``question``; ``id`` or ``<file stem>-<line>``; ``answer``
    optional, a GSM8K ``#### N`` solution read as its number); returns them and the line numbers
    of rows skipped as unusable. Duplicate ids, or no usable row, are a :class:`SolveError`."""
    if not path.is_file():
        raise SolveError(f"--problems {str(path)!r} is not a file; give a jsonl file of problems")
    problems, skipped, seen = [], [], set()
    for line_no, row in jsonl_rows(path):
        question = row.get("question") if isinstance(row, dict) else None
        if not isinstance(question, str) or not question.strip():
            skipped.append(line_no)
            continue
        problem_id = str(row["id"]) if row.get("id") is not None else f"{path.stem}-{line_no}"
        if problem_id in seen:
            raise SolveError(
                f"--problems {path}: line {line_no} repeats id {problem_id!r}; ids must be unique"
            )
        seen.add(problem_id)
        gold = row.get("answer")
        gold = gold_answer_text(str(gold)).replace(",", "") if "####" in str(gold) else gold
        problems.append(SolveProblem(problem_id, question.strip(), None if gold is None else str(gold)))
    if not problems:
        raise SolveError(f"--problems {path}: no row has a non-empty string 'question'")
    return problems, skipped


def solved_row(problem: SolveProblem, completions: list[str], scores: list[float] | None, rule: str) -> dict:
    """One output line: the chosen sample, its answer and the rule, every sample with its answer
    and score, and, with a gold answer, whether the choice (and any sample) is correct."""
    answers = [final_answer_text(text) for text in completions]
    chosen = select(rule, answers, scores)
    samples = [
        {"completion": text, "answer": answer, "score": None if scores is None else scores[i]}
        for i, (text, answer) in enumerate(zip(completions, answers, strict=True))
    ]
    row = {
        "id": problem.id,
        "completion": None if chosen is None else completions[chosen],
        "answer": None if chosen is None else answers[chosen],
        "rule": rule,
        "samples": samples,
    }
    if problem.answer is not None:
        verdicts = [check_completion(t, problem.answer, with_steps=False) for t in completions]
        row["correct"] = chosen is not None and verdicts[chosen].correct
        row["reason"] = verdicts[chosen].reason if chosen is not None else NO_ANSWER
        row["pass_at_n"] = pass_at_n([v.correct for v in verdicts])
    return row


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--prover", required=True, help="prover folder (e.g. RUN/round_002/prover) or Hub name"
    )
    parser.add_argument(
        "--problems", required=True, type=Path, help="jsonl: question, optional id and answer"
    )
    parser.add_argument("--out", required=True, type=Path, help="output jsonl, one line per problem")
    parser.add_argument("--verifier", help="verifier folder (e.g. RUN/round_002/verifier) or Hub name")
    parser.add_argument("--n", type=int, default=16, help="samples per problem")
    parser.add_argument(
        "--select",
        choices=RULES,
        help="selection rule (docs/inference.md); default: weighted with --verifier, else majority",
    )
    parser.add_argument("--temperature", type=float, default=0.7, help="sampling temperature (> 0)")
    parser.add_argument("--max_new_tokens", type=int, help="tokens per sample; default: the run's, else 256")
    parser.add_argument("--batch_size", type=int, default=16, help="prompts per generate() call")
    parser.add_argument("--seed", type=int, default=0)


def _check(args: argparse.Namespace) -> str:
    """The rule to use, after the checks that need no model."""
    if args.n < 1:
        raise SolveError(f"--n must be >= 1, got {args.n}")
    if (
        args.temperature <= 0
        or args.batch_size < 1
        or (args.max_new_tokens is not None and args.max_new_tokens < 1)
    ):
        raise SolveError("--temperature must be > 0, --batch_size and --max_new_tokens >= 1")
    rule = args.select or ("weighted" if args.verifier else "majority")
    if rule in ("verifier", "weighted") and not args.verifier:
        raise SolveError(f"--select {rule} needs --verifier PATH (the verifier's scores choose)")
    if args.out.resolve() == args.problems.resolve() or args.out.is_dir():
        raise SolveError(f"--out {str(args.out)!r} must be a new file, not --problems or a folder")
    return rule


def run(args: argparse.Namespace) -> int:
    try:
        rule = _check(args)
        problems, skipped = read_problems(args.problems)
    except SolveError as err:
        print(f"pvg solve: error: {err}", file=sys.stderr)
        return 2
    if skipped:
        shown = ", ".join(map(str, skipped[:10])) + (" ..." if len(skipped) > 10 else "")
        print(
            f"pvg solve: warning: skipped {len(skipped)} row(s) without a question: lines {shown}",
            file=sys.stderr,
        )
    from selfplay.inference.models import solve_problems  # torch and transformers: only now

    rows = solve_problems(problems, args, rule)
    atomic_write_text(args.out, "".join(json.dumps(row) + "\n" for row in rows))
    print(summary(rows, rule, args.n))
    return 0


def summary(rows: list[dict], rule: str, n: int) -> str:
    """Problems solved, and with gold answers accuracy, pass@n and the chosen samples' reasons."""
    lines = [f"{len(rows)} problems, {n} samples each, rule {rule}"]
    graded = [row for row in rows if "correct" in row]
    if graded:
        accuracy = sum(row["correct"] for row in graded) / len(graded)
        ceiling = sum(row["pass_at_n"] for row in graded) / len(graded)
        lines.append(f"accuracy {accuracy:.3f} on {len(graded)} with answers (pass@{n} {ceiling:.3f})")
        reasons = Counter(row["reason"] for row in graded)
        lines.append("reasons: " + ", ".join(f"{reason} {count}" for reason, count in reasons.most_common()))
    return "\n".join(lines)
