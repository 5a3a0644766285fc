"""The game, phase by phase (docs/game.md), resumable at the first unfinished phase.

Phases, in order: ``init/prover`` (tokenizer and warm start), ``init/verifier`` (initial
weights, optionally pretrained on the environment's corruptions), ``init/samples`` (the initial
prover in both roles), then per round ``r``: ``verifier`` (trained
from its initial weights on the pool), ``prover`` (RL from its initial weights against that
verifier), ``samples`` (the new prover in both roles on verifier-split problems, appended to the
pool) and ``metrics`` (fresh test-split samples). Each phase seeds torch from (seed, round, phase).
Phases that do not train run on the main process only; trainers run on every process.
"""

from __future__ import annotations

import functools
import json
import time
from dataclasses import asdict
from pathlib import Path

import torch
from accelerate import PartialState
from transformers import AutoModelForCausalLM, AutoTokenizer, set_seed

from selfplay.config import PROVER_INIT, RunConfig, warm_start_styles
from selfplay.metrics import free_baselines, round_metrics
from selfplay.plan import ROUND_PHASES, load_problems, phase_seed
from selfplay.run_folder import RunFolder, atomic_write_text, read_jsonl, round_name, write_jsonl
from selfplay.sampling import sample_and_label
from selfplay.scoring import VerifierScorer, write_metrics
from selfplay.sft import warm_start
from selfplay.tiny import build_tiny_causal_lm, build_tiny_classifier, build_tiny_tokenizer
from selfplay.trainer_utils import full_weights
from selfplay.verifier import (
    load_verifier,
    save_initial_classifier,
    save_verifier,
    train_verifier,
    verifier_info,
)
from selfplay.verifier_data import INITIAL_ROUND, Sample, build_mixture
from selfplay.verifier_pretrain import corruption_pairs, pretrain_verifier


class Game:
    """Plays ``cfg.rounds`` rounds into ``folder``; every phase is skipped if already finished.

    Each phase reads only what earlier phases wrote to the run folder (models, jsonl samples), never
    in-memory state, so that a run killed anywhere resumes to the same result as one never
    interrupted (tests/test_game_e2e.py checks this). Problems are generated or loaded once here
    and split by question text, so the prover, the verifier's pool and the metrics never share a
    problem.
    """

    def __init__(self, cfg: RunConfig, folder: RunFolder) -> None:
        # cpu=True on CPU machines: without it accelerate does not see torchrun's processes as
        # MULTI_CPU, and every rank would act as the main one outside the trainers.
        self.cfg, self.folder, self.state = cfg, folder, PartialState(cpu=not torch.cuda.is_available())
        self.splits = load_problems(cfg)
        self.init = folder.root / "init"
        if cfg.verifier_pretrain.steps:  # a split it cannot use fails now, before any training
            corruption_pairs(self.splits["verifier"], cfg.verifier.seed)

    def play(self) -> None:
        """The init phases, then each round's verifier, prover, samples and metrics, in that order
        (the order is the game's rule: a round's verifier trains on every earlier round's samples
        before that round's prover trains against it). Finished phases are skipped, so re-running
        the same command resumes."""
        self._phase("init/prover", -1, [self.init / "prover"], self._init_prover, trains=True)
        self._phase("init/verifier", -1, [self.init / "verifier"], self._init_verifier, trains=True)
        self._phase(
            "init/samples", -1, [self.init / "samples.jsonl", self.init / "metrics.json"], self._init_samples
        )
        bodies = {
            "verifier": self._verifier,
            "prover": self._prover,
            "samples": self._samples,
            "metrics": self._metrics,
        }
        for r in range(self.cfg.rounds):
            rd = self.folder.root / round_name(r)
            for key, output, trains in ROUND_PHASES:
                work = functools.partial(bodies[key], r, rd)
                self._phase(f"{round_name(r)}/{key}", r, [rd / output], work, trains=trains, seed_key=key)
            if self.cfg.push_to_hub.enabled:
                push = functools.partial(self._push, r, rd)
                self._phase(f"{round_name(r)}/push", r, [rd / "pushed.json"], push, seed_key="push")

    def _phase(self, name, round_index, outputs, work, trains=False, seed_key=None) -> None:
        """Run ``work`` unless ``name`` is done. Its outputs are cleared first, so an interrupted
        phase is redone whole rather than continued from half-written files; the seed is set per
        phase, so a resumed run draws what an uninterrupted one would. Training phases run on every
        process (the trainers shard the work); the rest on the main process only."""
        if self.folder.is_done(name, outputs):
            self._say(f"[pvg] {name}: done, skipped")
            return
        self._say(f"[pvg] {name}: running")
        start = time.perf_counter()
        if self.state.is_main_process:
            self.folder.clear(outputs)
        self.state.wait_for_everyone()
        set_seed(phase_seed(self.cfg.seed, round_index, seed_key or name))
        if trains or self.state.is_main_process:
            work()
        self.state.wait_for_everyone()
        if self.state.is_main_process:
            self.folder.mark_done(name, outputs)
        self.state.wait_for_everyone()
        self._say(f"[pvg] {name}: done in {time.perf_counter() - start:.1f} s")

    def _say(self, message: str) -> None:
        if self.state.is_main_process:
            print(message, flush=True)

    # --- init ---------------------------------------------------------------------------------
    def _init_prover(self) -> None:
        """The warm start: the policy every round's RL starts from and is KL-tied to. For the
        embedded model it is the miniature's stand-in for a few-shot-prompted base model, so it
        learns both roles' style mixtures (docs/game.md)."""
        pcfg = self.cfg.prover
        if pcfg.model is None:
            tokenizer = build_tiny_tokenizer()
            model = build_tiny_causal_lm(tokenizer)
        else:
            tokenizer = AutoTokenizer.from_pretrained(pcfg.model)
            tokenizer.pad_token = tokenizer.pad_token or tokenizer.eos_token
            model = AutoModelForCausalLM.from_pretrained(pcfg.model)
        out = self.init / "prover"
        if pcfg.sft_steps:
            problems = self.splits["prover"] + self.splits["verifier"]
            helpful_styles, sneaky_styles = warm_start_styles(pcfg)
            log = warm_start(
                model,
                tokenizer,
                problems,
                out,
                helpful_styles=helpful_styles,
                sneaky_styles=sneaky_styles,
                steps=pcfg.sft_steps,
                learning_rate=pcfg.sft_learning_rate,
                batch_size=pcfg.sft_batch_size,
                gradient_checkpointing=pcfg.gradient_checkpointing,
                seed=self.cfg.seed,
                report_to=self.cfg.report_to,
                precision=self.cfg.precision,
            )
            if self.state.is_main_process:
                atomic_write_text(out / "train_log.json", json.dumps(log, indent=1))
        elif self.state.is_main_process:
            model.save_pretrained(out)
            tokenizer.save_pretrained(out)

    def _init_verifier(self) -> None:
        """The weights every round's verifier restarts from (the game retrains the verifier from
        the same start each round, so rounds differ only in their data)."""
        out = self.init / "verifier"
        if self.state.is_main_process:
            self._save_initial_verifier(out)
        self.state.wait_for_everyone()
        if self.cfg.verifier_pretrain.steps:
            self._pretrain_verifier(out)

    def _save_initial_verifier(self, out: Path) -> None:
        """From the warm-started prover by default: the paper's verifiers start from pretrained
        LMs, and the prover's body already reads this task's text."""
        source = self.cfg.verifier_model
        if source is not None:
            # From the initial prover: its body and tokenizer, and a new score head (seeded by the phase).
            save_initial_classifier(self.init / "prover" if source == PROVER_INIT else source, out)
            return
        tokenizer = AutoTokenizer.from_pretrained(self.init / "prover")  # the prover's tokenizer
        build_tiny_classifier(tokenizer).save_pretrained(out)
        tokenizer.save_pretrained(out)

    def _pretrain_verifier(self, out: Path) -> None:
        """Overwrite the initial weights in ``out`` with their pretrained version (all processes train)."""
        model, tokenizer, log = pretrain_verifier(
            out,
            self.splits["verifier"],
            self.cfg.verifier_pretrain,
            self.cfg.verifier,
            self.init / "_verifier_pretrain_work",
            report_to=self.cfg.report_to,
            precision=self.cfg.precision,
        )
        if self.state.is_main_process:
            metrics = {"train_loss": log["train_loss"]}
            info = verifier_info(log["config"], {"pretrain": log["counts"]}, metrics)
            info["pretrain"] = asdict(self.cfg.verifier_pretrain)
            info["num_processes"] = self.state.num_processes
            save_verifier(out, model, tokenizer, info)

    def _load_prover(self, path: Path):
        # Whole weights on every process even under ZeRO-3: sampling is per process, not sharded.
        with full_weights():
            model = AutoModelForCausalLM.from_pretrained(path).to(self.state.device)
        return model, AutoTokenizer.from_pretrained(path)

    def _sample(self, prover, round_index: int, split: str, n_problems: int, n: int, score_fn=None, **kwargs):
        """``sample_and_label`` with the run's settings; ``kwargs`` (temperature, roles) override them."""
        model, tokenizer = prover
        # Seeded from (run seed, round), not from the torch state left by earlier work: a resumed
        # phase draws exactly the samples the interrupted one would have.
        s, p = self.cfg.sampling, self.cfg.prover
        settings = {"temperature": p.temperature} | kwargs
        return sample_and_label(
            model,
            tokenizer,
            self.splits[split][:n_problems],
            round_index=round_index,
            split=split,
            n=n,
            max_new_tokens=p.max_completion_length,
            batch_size=s.batch_size,
            seed=phase_seed(self.cfg.seed, round_index, "samples"),
            score_fn=score_fn,
            **settings,
        )

    def _init_samples(self) -> None:
        """The initial prover's samples: round 0's verifier trains on its mistakes, and its test
        samples are the warm start every later round is compared with."""
        s, prover = self.cfg.sampling, self._load_prover(self.init / "prover")
        pool = self._sample(prover, INITIAL_ROUND, "verifier", s.problems_per_round, s.samples_per_role)
        write_jsonl(self.init / "samples.jsonl", pool)
        fresh = self._sample(prover, INITIAL_ROUND, "test", s.eval_problems, s.eval_samples_per_role)
        write_jsonl(self.init / "eval_samples.jsonl", fresh)
        # The free baselines on the same test problems: what sharpening alone gives.
        baselines = free_baselines(
            functools.partial(self._sample, prover, INITIAL_ROUND, "test", s.eval_problems),
            s.eval_samples_per_role,
            s.cold_temperature,
        )
        write_metrics(self.init / "metrics.json", round_metrics(fresh) | baselines)

    # --- rounds -------------------------------------------------------------------------------
    def _pool(self, round_index: int) -> list[Sample]:
        """Every labelled sample of earlier rounds (and the initial prover): a round's verifier
        must not see only its own prover's samples, or it forgets earlier rounds' exploits."""
        files = [self.init / "samples.jsonl"]
        files += [self.folder.root / round_name(r) / "samples.jsonl" for r in range(round_index)]
        return [Sample.from_row(row) for path in files for row in read_jsonl(path)]

    def _verifier(self, r: int, rd: Path) -> None:
        """Round ``r``'s verifier: the same budget every round (``mixture.n_pairs``), so a later
        verifier is harder to fool because of its data, not because it trained longer."""
        pairs, counts = build_mixture(self._pool(r), r, self.cfg.mixture)
        model, tokenizer, log = train_verifier(
            self.init / "verifier",
            pairs,
            self.cfg.verifier,
            rd / "_verifier_work",
            report_to=self.cfg.report_to,
            precision=self.cfg.precision,
        )
        if self.state.is_main_process:
            info = verifier_info(self.cfg.verifier, counts, {"train_loss": log["train_loss"]})
            info["num_processes"] = self.state.num_processes
            save_verifier(rd / "verifier", model, tokenizer, info)

    def _scorer(self, rd: Path) -> VerifierScorer:
        # Loaded fresh per phase: a resumed run scores with the saved verifier, as the first did.
        model, tokenizer, _ = load_verifier(rd / "verifier")
        return VerifierScorer(model.to(self.state.device), tokenizer, max_length=self.cfg.verifier.max_length)

    def _prover(self, r: int, rd: Path) -> None:
        """Round ``r``'s RL phase, from the warm start (not from round ``r-1``'s prover: each round
        asks what a prover can learn against this verifier, with the KL tie to the same start)."""
        from selfplay.prover import train_prover  # TRL's RL trainers import slowly; only here

        log = train_prover(
            self.init / "prover",
            self.splits["prover"],
            self._scorer(rd).score,
            self.cfg.prover,
            rd / "prover",
            seed=phase_seed(self.cfg.seed, r, "prover"),
            report_to=self.cfg.report_to,
            precision=self.cfg.precision,
        )
        if self.state.is_main_process:
            atomic_write_text(rd / "prover" / "train_log.json", json.dumps(log, indent=1))

    def _samples(self, r: int, rd: Path) -> None:
        """The new prover's verifier-split samples, labelled by the checker: the next rounds'
        verifiers train on them (scores are kept for analysis, never used as labels)."""
        s = self.cfg.sampling
        scorer = self._scorer(rd)
        write_jsonl(
            rd / "samples.jsonl",
            self._sample(
                self._load_prover(rd / "prover"),
                r,
                "verifier",
                s.problems_per_round,
                s.samples_per_role,
                scorer.score,
            ),
        )

    def _metrics(self, r: int, rd: Path) -> None:
        """Fresh test-split samples scored by this round's verifier; the warm start's numbers are
        repeated beside them so a round is always read against its baselines."""
        fresh = self._sample(
            self._load_prover(rd / "prover"),
            r,
            "test",
            self.cfg.sampling.eval_problems,
            self.cfg.sampling.eval_samples_per_role,
            self._scorer(rd).score,
        )
        write_jsonl(rd / "eval_samples.jsonl", fresh)
        prover_log = json.loads((rd / "prover" / "train_log.json").read_text())
        info = json.loads((rd / "verifier" / "verifier.json").read_text())
        metrics = round_metrics(fresh) | {
            "round": r,
            "prover_steps": prover_log["steps"],
            "prover_stopped_early_at": prover_log["stopped_at"],
            "verifier_train_loss": info["metrics"]["train_loss"],
            "verifier_data_counts": info["data_counts"],
            **_warm_start_baselines(json.loads((self.init / "metrics.json").read_text())),
        }
        write_metrics(rd / "metrics.json", metrics)

    def _push(self, r: int, rd: Path) -> None:
        from huggingface_hub import get_token

        from selfplay.hub import push_round

        pushed = push_round(self.folder.root, self.cfg, r, get_token())  # checked present before training
        atomic_write_text(rd / "pushed.json", json.dumps(pushed, indent=1))


def _warm_start_baselines(init_metrics: dict) -> dict:
    """The warm start's helpful accuracies a round's metrics repeat (cold and greedy: folders from
    before the free baselines lack them)."""
    keys = ("helpful_accuracy", "helpful_accuracy_cold", "helpful_accuracy_greedy")
    return {f"warm_start_{key}": init_metrics[key] for key in keys if key in init_metrics}
