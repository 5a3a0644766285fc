"""``pvg eval RUN_DIR...``: the legibility and robustness evaluation of every finished round.

For each finished round of a run, on test-split problems (never trained on): fresh samples of the
round's prover in both roles, labelled by the environment and scored by the round's verifier and by
the fixed weak judge; from them the per-round metrics, balanced best-of-n, judge accuracy per role
and step checkability; and an attack against the round's frozen verifier. Results go to
``RUN_DIR/eval/round_XXX.json`` (with the samples beside them) and ``RUN_DIR/eval/summary.json``.
A round already evaluated with the same settings is read back, not recomputed.

The fixed weak judge (``selfplay.evaluation.judge``) is by default a small classifier trained once on the
environment's matched correct and wrong renderings (``RUN_DIR/eval/judge``), or the run's round-0
verifier; its decision threshold is fixed at the median of its scores on the warm start's test
samples (``init/eval_samples.jsonl``).
"""

from __future__ import annotations

import functools
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer, set_seed

from selfplay.config import RunConfig, load_run_config
from selfplay.evaluation.attack import run_attack
from selfplay.evaluation.deployment import (
    MATRIX_N,
    MATRIX_RULE,
    DeployConfig,
    curves,
    grouped,
    verifier_beats_majority,
)
from selfplay.evaluation.judge import JudgeSettings, independent_judge
from selfplay.evaluation.legibility import (
    BEST_OF_N,
    balanced_best_of_n,
    judge_accuracy,
    judge_threshold,
    step_checkability,
)
from selfplay.folder_lock import folder_lock
from selfplay.game.metrics import free_baselines, round_metrics
from selfplay.game.plan import load_problems, phase_names
from selfplay.game.sampling import sample_and_label
from selfplay.game.verifier_data import INITIAL_ROUND
from selfplay.manifest import RunFileError
from selfplay.models.prompting import prompter_for
from selfplay.models.scoring import VerifierScorer, write_metrics
from selfplay.models.verifier import load_verifier
from selfplay.run_folder import RunFolder, read_json, read_jsonl, round_name, write_jsonl

JUDGE_ROUND = 0
DEPLOY_SEED = 500_000  # deployment samples are drawn apart from the eval samples
DEVICE = "cuda" if torch.cuda.is_available() else "cpu"


@dataclass
class EvalConfig:
    """Evaluation settings. Units: problems, completions per (problem, role), optimizer steps."""

    problems: int = 100  # test-split problems per round
    samples_per_role: int = 8  # completions per (problem, role); best-of-16 needs 8 + 8
    best_of: list[int] = field(default_factory=lambda: list(BEST_OF_N))
    attack_steps: int = 30  # the attacker's budget per round (0 = no attack)
    seed: int = 0
    judge: str = "independent"  # independent | round0 (selfplay/evaluation/judge.py)
    judge_steps: int = 300  # the independent judge's optimizer steps (32 pairs each)


def finished_rounds(run_dir: Path, cfg: RunConfig) -> list[int]:
    """Rounds whose metrics phase is finished, in order. Refuses (``RunFileError``) a folder
    whose phase markers do not all verify: nothing is evaluated or pushed from damaged work."""
    folder = RunFolder(run_dir)
    verdicts = folder.verify_chain(phase_names(cfg))
    if problems := folder.unverified(verdicts):
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise RunFileError(
            f"{run_dir} does not verify: {problems[0]}{more}. Re-run its `pvg train` command, which "
            "redoes damaged phases (add --redo_stale for stale ones), then try again."
        )
    done = {v.phase for v in verdicts if v.problem is None}
    return [r for r in range(cfg.rounds) if f"{round_name(r)}/metrics" in done]


class RunEvaluator:
    """Evaluates one run folder round by round (see the module docstring)."""

    def __init__(self, run_dir: str | Path, ecfg: EvalConfig, dcfg: DeployConfig | None = None) -> None:
        self.run_dir, self.ecfg, self.dcfg = Path(run_dir), ecfg, dcfg or DeployConfig()
        self.cfg = load_run_config(self.run_dir)
        self.rounds = finished_rounds(self.run_dir, self.cfg)
        if not self.rounds:
            raise ValueError(f"{self.run_dir}: no finished round to evaluate (round_000/metrics not done)")
        self.splits = load_problems(self.cfg)
        self.out = self.run_dir / "eval"
        self._judge: tuple[VerifierScorer, float] | None = None

    def _scorer(self, round_index: int) -> VerifierScorer:
        model, tokenizer, _ = load_verifier(self.run_dir / round_name(round_index) / "verifier")
        return VerifierScorer(model.to(DEVICE), tokenizer, max_length=self.cfg.verifier.max_length)

    def judge(self) -> tuple[VerifierScorer, float]:
        """The fixed weak judge and its threshold (computed once per run)."""
        if self._judge is None:
            scorer = self._scorer(JUDGE_ROUND) if self.ecfg.judge == "round0" else self._independent_judge()
            reference = read_jsonl(self.run_dir / "init" / "eval_samples.jsonl")
            scores = scorer.score([r["question"] for r in reference], [r["completion"] for r in reference])
            self._judge = (scorer, judge_threshold(scores))
        return self._judge

    def _independent_judge(self) -> VerifierScorer:
        settings = JudgeSettings(steps=self.ecfg.judge_steps, seed=self.ecfg.seed)
        print(f"[pvg eval] {self.run_dir}: the independent judge", flush=True)
        model, tokenizer = independent_judge(
            self.run_dir / "init" / "prover", self.splits["verifier"], self.out / "judge", settings
        )
        return VerifierScorer(model.to(DEVICE), tokenizer, max_length=self.cfg.verifier.max_length)

    def _seed(self, round_index: int) -> int:
        return self.ecfg.seed * 1000 + round_index % 1000  # the warm start (round -1): 999

    def _sample(
        self,
        prover_dir: Path,
        round_index: int,
        n: int,
        problems: int | None = None,
        seed: int | None = None,
        **settings,
    ) -> list[dict]:
        """Test-split samples of the prover in ``prover_dir`` with the eval settings (``problems``
        and ``seed`` default to them), ``settings`` (``temperature``, ``roles``, ``score_fn``)
        overriding the run's."""
        model = AutoModelForCausalLM.from_pretrained(prover_dir).to(DEVICE)
        tokenizer = AutoTokenizer.from_pretrained(prover_dir)
        return sample_and_label(
            model,
            tokenizer,
            self.splits["test"][: problems or self.ecfg.problems],
            round_index=round_index,
            split="test",
            n=n,
            max_new_tokens=self.cfg.prover.max_completion_length,
            batch_size=self.cfg.sampling.batch_size,
            seed=self._seed(round_index) if seed is None else seed,
            prompt_text=prompter_for(tokenizer, self.cfg.prover).text,
            **{"temperature": self.cfg.prover.temperature} | settings,
        )

    def samples(self, round_index: int, verifier: VerifierScorer) -> list[dict]:
        """Fresh test-split samples of the round's prover, scored by its verifier and the judge."""
        prover_dir = self.run_dir / round_name(round_index) / "prover"
        return self._judged(
            self._sample(prover_dir, round_index, self.ecfg.samples_per_role, score_fn=verifier.score)
        )

    def _judged(self, rows: list[dict]) -> list[dict]:
        judge, _ = self.judge()
        scores = judge.score([r["question"] for r in rows], [r["completion"] for r in rows])
        for row, score in zip(rows, scores, strict=True):
            row["judge_score"] = score
        return rows

    def evaluate_warm_start(self) -> dict:
        """The warm start with the eval settings: both roles at the run's temperature (with the
        judge's accuracy and the style tables), and the free baselines, helpful accuracy at
        ``sampling.cold_temperature`` and greedy. Read back if written with the same settings."""
        path = self.out / "warm_start.json"
        earlier = read_json(path) if path.is_file() else {}
        if earlier.get("eval_config") == asdict(self.ecfg):
            return earlier
        print(f"[pvg eval] {self.run_dir} warm start: sampling", flush=True)
        set_seed(self._seed(INITIAL_ROUND))
        init = self.run_dir / "init" / "prover"
        rows = self._judged(self._sample(init, INITIAL_ROUND, self.ecfg.samples_per_role))
        write_jsonl(self.out / "samples_warm_start.jsonl", rows)
        metrics = round_metrics(rows)
        baselines = free_baselines(
            functools.partial(self._sample, init, INITIAL_ROUND),
            self.ecfg.samples_per_role,
            self.cfg.sampling.cold_temperature,
        )
        _, threshold = self.judge()
        result = {
            "eval_config": asdict(self.ecfg),
            "metrics": metrics,
            "judge": self._judge_info(threshold) | judge_accuracy(rows, threshold),
            "step_checkability": step_checkability(rows),
            "free_baselines": {
                "temperature": self.cfg.prover.temperature,
                "helpful_accuracy": metrics["helpful_accuracy"],
                **baselines,
            },
        }
        write_metrics(path, result)
        return result

    def evaluate_round(self, round_index: int) -> dict:
        """The round's evaluation, read back if already written with the same settings."""
        path = self.out / f"{round_name(round_index)}.json"
        earlier = read_json(path) if path.is_file() else {}
        if earlier.get("eval_config") == asdict(self.ecfg):
            print(f"[pvg eval] {self.run_dir} round {round_index}: done, read back", flush=True)
            return earlier
        print(f"[pvg eval] {self.run_dir} round {round_index}: sampling and scoring", flush=True)
        set_seed(self._seed(round_index))
        verifier = self._scorer(round_index)
        rows = self.samples(round_index, verifier)
        metrics = round_metrics(rows)
        write_jsonl(self.out / f"samples_{round_name(round_index)}.jsonl", rows)
        _, threshold = self.judge()
        result = {
            "round": round_index,
            "eval_config": asdict(self.ecfg),
            "metrics": metrics,
            "best_of_n": {str(n): v for n, v in balanced_best_of_n(rows, self.ecfg.best_of).items()},
            "judge": self._judge_info(threshold) | judge_accuracy(rows, threshold),
            "step_checkability": step_checkability(rows),
            "attack": self._attack(round_index, verifier, metrics["score_helpful_correct"]),
        }
        write_metrics(path, result)
        return result

    def _judge_info(self, threshold: float) -> dict:
        """Which judge: ``round`` is the verifier's round for ``round0``, ``None`` for ``independent``."""
        judge_round = JUDGE_ROUND if self.ecfg.judge == "round0" else None
        return {"kind": self.ecfg.judge, "round": judge_round, "threshold": threshold}

    def _attack(
        self, round_index: int, verifier: VerifierScorer, helpful_correct: float | None
    ) -> dict | None:
        if not self.ecfg.attack_steps:
            return None
        print(f"[pvg eval] {self.run_dir} round {round_index}: attack", flush=True)
        return run_attack(
            self.run_dir / "init" / "prover",
            self.splits["prover"],
            verifier.score,
            self.cfg.prover,
            helpful_correct,
            budget_steps=self.ecfg.attack_steps,
            seed=self._seed(round_index),
        )

    def evaluate_deployment(self, dcfg: DeployConfig) -> dict | None:
        """Deployment best-of-n (``selfplay.evaluation.deployment``): curves for the warm start (with
        round 0's verifier) and each round's prover with its own verifier, and the matrix of
        verifier round x prover round. Read back if written with the same settings."""
        if not dcfg.problems:
            return None
        path, settings = self.out / "deployment.json", asdict(dcfg) | {"seed": self.ecfg.seed}
        earlier = read_json(path) if path.is_file() else {}
        if earlier.get("deploy_config") == settings:
            return earlier
        print(f"[pvg eval] {self.run_dir}: deployment best-of-n", flush=True)
        provers = {"warm_start": (INITIAL_ROUND, self.run_dir / "init" / "prover")}
        provers |= {round_name(r): (r, self.run_dir / round_name(r) / "prover") for r in self.rounds}
        samples = {
            name: self._sample(
                folder, r, max(dcfg.ns), dcfg.problems, self._seed(r) + DEPLOY_SEED, roles=("helpful",)
            )
            for name, (r, folder) in provers.items()
        }
        verifiers = {r: self._scorer(r) for r in self.rounds}
        scores = {
            (v, name): verifiers[v].score([s["question"] for s in rows], [s["completion"] for s in rows])
            for v in self.rounds
            for name, rows in samples.items()
        }
        own = {name: max(r, self.rounds[0]) for name, (r, _) in provers.items()}  # warm start: round 0's
        result = {
            "deploy_config": settings,
            "curves": {
                name: {"verifier_round": own[name], **curves(grouped(rows, scores[own[name], name]), dcfg.ns)}
                for name, rows in samples.items()
            },
            "matrix": _matrix(samples, scores, self.rounds, min(MATRIX_N, max(dcfg.ns))),
        }
        result["verifier_beats_majority"] = {
            name: verifier_beats_majority(curve) for name, curve in result["curves"].items()
        }
        write_metrics(path, result)
        return result

    def evaluate(self, command: str | None = None) -> dict:
        """Every finished round; writes and returns ``eval/summary.json``'s content (``command``,
        the command line that asked for it, is recorded for reports)."""
        summary = {
            "run": str(self.run_dir),
            "eval_command": command,
            "reward": self.cfg.prover.reward,
            "eval_config": asdict(self.ecfg),
            "warm_start": read_json(self.run_dir / "init" / "metrics.json"),
            "warm_start_eval": self.evaluate_warm_start(),
            "rounds": [self.evaluate_round(r) for r in self.rounds],
            "deployment": self.evaluate_deployment(self.dcfg),
        }
        write_metrics(self.out / "summary.json", summary)
        return summary


def _matrix(samples: dict, scores: dict, rounds: list[int], n: int) -> dict:
    """Accuracy of the weighted vote at ``n`` for every (verifier round, prover) pair."""
    accuracy = [
        [
            curves(grouped(rows, scores[v, name]), [n], [MATRIX_RULE])[MATRIX_RULE][str(n)]
            for name, rows in samples.items()
        ]
        for v in rounds
    ]
    return {
        "n": n,
        "rule": MATRIX_RULE,
        "verifier_rounds": rounds,
        "provers": list(samples),
        "accuracy": accuracy,
    }


def evaluate_runs(
    run_dirs: list[str | Path],
    ecfg: EvalConfig | None = None,
    command: str | None = None,
    dcfg: DeployConfig | None = None,
) -> list[dict]:
    """Evaluate several runs (e.g. the game and its baselines) with the same settings."""
    evaluators = [
        RunEvaluator(run_dir, ecfg or EvalConfig(), dcfg) for run_dir in run_dirs
    ]  # check all first
    summaries = []
    for evaluator in evaluators:
        with folder_lock(evaluator.run_dir, "pvg eval"):  # a trainer or evaluator on it is refused
            summaries.append(evaluator.evaluate(command))
    return summaries
