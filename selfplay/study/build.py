"""``pvg study build``: the items a study shows, chosen from runs' evaluation samples.

The protocol (Kirchner et al. 2024, appendix on the human evaluation): for each checkpoint
studied (a run's round in one role; ``init`` is the warm start) and each test problem, take up to
one correct and one incorrect sample; leave out problems whose samples were all correct or all
incorrect; then ``per_checkpoint`` items per checkpoint, half correct and half incorrect, on
problems drawn with the study's seed. Samples come from ``RUN/eval/samples_*.jsonl`` (``pvg
eval``); where a checkpoint has none they are drawn here, with ``pvg eval``'s settings, and kept
under ``STUDY/samples/``. Item ids are assigned in a shuffled order, so they say nothing of an
item's provenance.
"""

from __future__ import annotations

import json
import random
import secrets
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from envs.prompts import ROLES
from selfplay.run_folder import read_jsonl, round_name, write_jsonl
from selfplay.study.database import DATABASE, StudyError, create, transaction

INIT = -1


@dataclass(frozen=True)
class Checkpoint:
    """One run's prover at one round (``INIT`` for the warm start) in one role."""

    run: str
    round: int
    role: str

    @property
    def name(self) -> str:
        stage = "init" if self.round == INIT else round_name(self.round)
        return f"{self.run}:{stage}:{self.role}"


def parse_rounds(spec: str, finished: list[int]) -> list[int]:
    """``init``, ``last``, ``all`` or round numbers, comma separated, against a run's finished rounds."""
    rounds: list[int] = []
    for token in (t.strip() for t in spec.split(",") if t.strip()):
        if token == "init":
            chosen = [INIT]
        elif token == "last":
            chosen = finished[-1:]
        elif token == "all":
            chosen = [INIT, *finished]
        elif token.removeprefix("round_").isdigit() and int(token.removeprefix("round_")) in finished:
            chosen = [int(token.removeprefix("round_"))]
        else:
            raise StudyError(
                f"--checkpoints {spec!r}: {token!r} is not init, last, all or a finished round ({finished})"
            )
        rounds += [r for r in chosen if r not in rounds]
    if not rounds:
        raise StudyError(f"--checkpoints {spec!r}: names no checkpoint; e.g. init,last")
    return rounds


def pick(rows: list[dict], per_checkpoint: int, rng: random.Random) -> list[dict]:
    """Up to ``per_checkpoint`` rows, one correct and one incorrect per problem, on problems
    that have both (drawn with ``rng``)."""
    by_problem: dict[str, dict[bool, list[dict]]] = defaultdict(lambda: {True: [], False: []})
    for row in rows:
        by_problem[str(row["problem_id"])][bool(row["correct"])].append(row)
    mixed = sorted(p for p, kinds in by_problem.items() if kinds[True] and kinds[False])
    rng.shuffle(mixed)
    chosen = []
    for problem in mixed[: per_checkpoint // 2]:
        chosen += [rng.choice(by_problem[problem][True]), rng.choice(by_problem[problem][False])]
    return chosen


def samples_file(run_dir: Path, round_index: int) -> Path:
    name = "samples_warm_start.jsonl" if round_index == INIT else f"samples_{round_name(round_index)}.jsonl"
    return run_dir / "eval" / name


def checkpoint_samples(run_dir: Path, round_index: int, study_dir: Path) -> list[dict]:
    """The checkpoint's evaluation samples: ``pvg eval``'s, else drawn now (and kept in the study)."""
    path = samples_file(run_dir, round_index)
    kept = study_dir / "samples" / run_dir.name / path.name
    for candidate in (path, kept):
        if candidate.is_file():
            return read_jsonl(candidate)
    from selfplay.evaluation.evaluate import EvalConfig, RunEvaluator

    print(f"[pvg study] {run_dir}: no {path.name}; sampling it with pvg eval's settings", flush=True)
    evaluator = RunEvaluator(run_dir, EvalConfig(attack_steps=0))
    prover = run_dir / ("init" if round_index == INIT else round_name(round_index)) / "prover"
    rows = evaluator._sample(prover, round_index, evaluator.ecfg.samples_per_role)
    write_jsonl(kept, rows)
    return rows


def study_items(runs: list[Path], spec: str, per_checkpoint: int, seed: int, study_dir: Path) -> list[dict]:
    """Every item of the study, in a shuffled order, each with its checkpoint's provenance."""
    from selfplay.config import load_run_config
    from selfplay.evaluation.evaluate import finished_rounds

    rng, items = random.Random(seed), []
    for run_dir in runs:
        rounds = parse_rounds(spec, finished_rounds(run_dir, load_run_config(run_dir)))
        for round_index in rounds:
            rows = checkpoint_samples(run_dir, round_index, study_dir)
            for role in ROLES:
                checkpoint = Checkpoint(str(run_dir), round_index, role)
                chosen = pick([r for r in rows if r["role"] == role], per_checkpoint, rng)
                if not chosen:
                    print(
                        f"[pvg study] {checkpoint.name}: no problem with both correct and incorrect samples"
                    )
                items += [_item(checkpoint, row) for row in chosen]
    rng.shuffle(items)
    return items


def _item(checkpoint: Checkpoint, row: dict) -> dict:
    return {
        "checkpoint": checkpoint.name,
        "run": checkpoint.run,
        "round": checkpoint.round,
        "role": checkpoint.role,
        "correct": int(bool(row["correct"])),
        "problem_id": str(row["problem_id"]),
        "question": row["question"],
        "solution": row["completion"],
    }


def build(runs: list[Path], out: Path, spec: str, per_checkpoint: int, seed: int, seconds: int) -> int:
    """Write ``out/study.sqlite`` with the items; returns how many."""
    if per_checkpoint < 2:
        raise StudyError(f"--per_checkpoint {per_checkpoint}: give at least 2 (one correct, one incorrect)")
    if (out / DATABASE).exists():
        raise StudyError(f"{out / DATABASE} exists; give a new --out folder (a study is built once)")
    items = study_items(runs, spec, per_checkpoint, seed, out)
    if not items:
        raise StudyError("no checkpoint has a problem with both a correct and an incorrect sample")
    sources = json.dumps(
        {"runs": [str(r) for r in runs], "checkpoints": spec, "per_checkpoint": per_checkpoint}
    )
    meta = {"seconds_per_item": str(seconds), "seed": str(seed), "sources": sources}
    meta |= {"code_salt": secrets.token_hex(16), "created_at": datetime.now(timezone.utc).isoformat()}
    connection = create(out / DATABASE, meta)
    columns = ("checkpoint", "run", "round", "role", "correct", "problem_id", "question", "solution")
    with transaction(connection):
        connection.executemany(
            f"INSERT INTO items ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
            [tuple(item[c] for c in columns) for item in items],
        )
    connection.close()
    return len(items)
