"""The game: the order of its phases (docs/game.md), resumable at the first unfinished phase.

Phases, in order: ``init/prover`` (tokenizer and warm start), ``init/verifier`` (initial
weights, optionally pretrained on the environment's corruptions), ``init/samples`` (the initial
prover in both roles), then per round ``r``: ``verifier`` (trained from its initial weights on the
pool), ``prover`` (RL from its initial weights against that verifier), ``samples`` (the new prover
in both roles on verifier-split problems, appended to the pool) and ``metrics`` (fresh test-split
samples). Each phase's body lives in its own module; this one only orders them and makes each
resumable. Each phase seeds torch from (seed, round, phase). Every phase but ``push`` runs on
every process (trainers shard their batches, samplers split theirs); the main process writes.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

import torch
from accelerate import PartialState
from transformers import set_seed

from selfplay.config import RunConfig
from selfplay.game.context import GameContext
from selfplay.game.plan import ROUND_PHASES, load_problems, phase_names, phase_seed
from selfplay.game.prover import round_prover
from selfplay.game.resources import measured, record_phase, release_memory
from selfplay.game.resume import PhaseChain
from selfplay.game.sample_phases import init_samples, round_samples, round_test_metrics
from selfplay.game.tracking import GameTracker
from selfplay.game.verifier_phase import init_verifier, round_verifier
from selfplay.game.verifier_pretrain import corruption_pairs
from selfplay.game.warm_start import init_prover
from selfplay.publishing.hub import push_phase
from selfplay.run_folder import RunFolder, round_name

# Each round phase's outputs under round_XXX/ and whether every process runs it (plan.py's table).
_ROUND_OUTPUTS = {key: (output, every_process) for key, output, every_process in ROUND_PHASES}


class Game:
    """Plays ``cfg.rounds`` rounds into ``folder``; every phase is skipped if already finished.

    Each phase reads only what earlier phases wrote to the run folder (models, jsonl samples), never
    in-memory state, so that a run killed anywhere resumes to the same result as one never
    interrupted (tests/test_game_e2e.py checks this). Problems are generated or loaded once here
    and split by question text, so the prover, the verifier's pool and the metrics never share a
    problem.
    """

    def __init__(self, cfg: RunConfig, folder: RunFolder, redo_stale: bool = False) -> None:
        # cpu=True on CPU machines: without it accelerate does not see torchrun's processes as
        # MULTI_CPU, and every rank would act as the main one outside the trainers.
        state = PartialState(cpu=not torch.cuda.is_available())
        self.state = state  # train.py reads the process layout from here
        tracker = GameTracker(cfg.report_to, folder.root, state.is_main_process)
        self.context = GameContext(cfg, folder, state, load_problems(cfg), tracker)
        if cfg.verifier_pretrain.steps:  # a split it cannot use fails now, before any training
            corruption_pairs(self.context.splits["verifier"], cfg.verifier.seed)
        order = phase_names(cfg)
        self.chain = PhaseChain(folder, state, order, self._say, redo_stale)

    def play(self) -> None:
        """The init phases, then each round's verifier, prover, samples and metrics, in that order
        (the order is the game's rule: a round's verifier trains on every earlier round's samples
        before that round's prover trains against it). Finished phases are skipped, so re-running
        the same command resumes."""
        game, init = self.context, self.context.init_dir
        self._init_phase("init/prover", [init / "prover"], init_prover)
        self._init_phase("init/verifier", [init / "verifier"], init_verifier)
        samples = [init / "samples.jsonl", init / "eval_samples.jsonl", init / "metrics.json"]
        self._init_phase("init/samples", samples, init_samples)
        for r in range(game.cfg.rounds):
            self._round_phase(r, "verifier", round_verifier)
            self._round_phase(r, "prover", round_prover)
            self._round_phase(r, "samples", round_samples)
            self._round_phase(r, "metrics", round_test_metrics)
            if game.cfg.push_to_hub.enabled:
                push = functools.partial(push_phase, game.folder.root, game.cfg, r)
                rd = game.round_dir(r)
                self._phase(f"{round_name(r)}/push", r, [rd / "pushed.json"], push, seed_key="push")
        game.tracker.finish()

    def _init_phase(self, name: str, outputs: list[Path], body: Callable[[GameContext], None]) -> None:
        self._phase(name, -1, outputs, functools.partial(body, self.context), every_process=True)

    def _round_phase(self, r: int, key: str, body: Callable[[GameContext, int], None]) -> None:
        names, every_process = _ROUND_OUTPUTS[key]
        outputs = [self.context.round_dir(r) / name for name in names]
        work = functools.partial(body, self.context, r)
        self._phase(f"{round_name(r)}/{key}", r, outputs, work, every_process=every_process, seed_key=key)

    def _phase(
        self,
        name: str,
        round_index: int,
        outputs: list[Path],
        work: Callable[[], None],
        every_process: bool = False,
        seed_key: str | None = None,
    ) -> None:
        """Run ``work`` unless ``name`` is finished (``selfplay/game/resume.py``). Its outputs are cleared
        first, so an interrupted phase is redone whole rather than continued from half-written
        files; the seed is set per phase, so a resumed run draws what an uninterrupted one would.
        ``every_process`` phases run on every process; the others (``push``) on the main only."""
        folder, state = self.context.folder, self.context.state
        chained = seed_key != "push"  # nothing later reads what a push writes
        if self.chain.finished(name, outputs, chained):
            return
        self._say(f"[pvg] {name}: running")
        if state.is_main_process:
            folder.clear(outputs)
        state.wait_for_everyone()
        set_seed(phase_seed(self.context.cfg.seed, round_index, seed_key or name))
        self.context.tracker.begin(name)
        with measured({}) as cost:
            if every_process or state.is_main_process:
                work()
            release_memory()  # nothing of this phase's models and trainers outlives it
        self.context.tracker.end()
        state.wait_for_everyone()
        if state.is_main_process:
            record_phase(folder.root, name, cost)
        self.chain.record(name, outputs, chained)
        self._say(f"[pvg] {name}: done in {cost['seconds']:.1f} s, peak memory {cost['peak_rss_mb']:.0f} MiB")

    def _say(self, message: str) -> None:
        if self.context.state.is_main_process:
            print(message, flush=True)
