"""The game: the order of its phases (docs/game.md), resumable at the first unfinished phase.

Phases, in order: ``init/prover`` (tokenizer and warm start), ``init/verifier`` (initial
weights, optionally pretrained on the environment's corruptions), ``init/samples`` (the initial
prover in both roles), then per round ``r``: ``verifier`` (trained from its initial weights on the
pool), ``prover`` (RL from its initial weights against that verifier), ``samples`` (the new prover
in both roles on verifier-split problems, appended to the pool) and ``metrics`` (fresh test-split
samples). Each phase's body lives in its own module; this one only orders them and makes each
resumable. Each phase seeds torch from (seed, round, phase). Phases that do not train run on the
main process only; trainers run on every process.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from pathlib import Path

import torch
from accelerate import PartialState
from transformers import set_seed

from selfplay.config import RunConfig
from selfplay.game.context import GameContext
from selfplay.game.plan import ROUND_PHASES, load_problems, phase_seed
from selfplay.game.prover import round_prover
from selfplay.game.sample_phases import init_samples, round_samples, round_test_metrics
from selfplay.game.verifier_phase import init_verifier, round_verifier
from selfplay.game.verifier_pretrain import corruption_pairs
from selfplay.game.warm_start import init_prover
from selfplay.publishing.hub import push_phase
from selfplay.run_folder import RunFolder, round_name

# Each round phase's output under round_XXX/ and whether every process runs it (plan.py's table).
_ROUND_OUTPUTS = {key: (output, trains) for key, output, trains in ROUND_PHASES}


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
        state = PartialState(cpu=not torch.cuda.is_available())
        self.state = state  # train.py reads the process layout from here
        self.context = GameContext(cfg, folder, state, load_problems(cfg))
        if cfg.verifier_pretrain.steps:  # a split it cannot use fails now, before any training
            corruption_pairs(self.context.splits["verifier"], cfg.verifier.seed)

    def play(self) -> None:
        """The init phases, then each round's verifier, prover, samples and metrics, in that order
        (the order is the game's rule: a round's verifier trains on every earlier round's samples
        before that round's prover trains against it). Finished phases are skipped, so re-running
        the same command resumes."""
        game, init = self.context, self.context.init_dir
        self._phase("init/prover", -1, [init / "prover"], functools.partial(init_prover, game), trains=True)
        self._phase("init/verifier", -1, [init / "verifier"], functools.partial(init_verifier, game), True)
        init_outputs = [init / "samples.jsonl", init / "metrics.json"]
        self._phase("init/samples", -1, init_outputs, functools.partial(init_samples, game))
        for r in range(game.cfg.rounds):
            self._round_phase(r, "verifier", round_verifier)
            self._round_phase(r, "prover", round_prover)
            self._round_phase(r, "samples", round_samples)
            self._round_phase(r, "metrics", round_test_metrics)
            if game.cfg.push_to_hub.enabled:
                push = functools.partial(push_phase, game.folder.root, game.cfg, r)
                rd = game.round_dir(r)
                self._phase(f"{round_name(r)}/push", r, [rd / "pushed.json"], push, seed_key="push")

    def _round_phase(self, r: int, key: str, body: Callable[[GameContext, int], None]) -> None:
        output, trains = _ROUND_OUTPUTS[key]
        outputs = [self.context.round_dir(r) / output]
        work = functools.partial(body, self.context, r)
        self._phase(f"{round_name(r)}/{key}", r, outputs, work, trains=trains, seed_key=key)

    def _phase(
        self,
        name: str,
        round_index: int,
        outputs: list[Path],
        work: Callable[[], None],
        trains: bool = False,
        seed_key: str | None = None,
    ) -> None:
        """Run ``work`` unless ``name`` is done. Its outputs are cleared first, so an interrupted
        phase is redone whole rather than continued from half-written files; the seed is set per
        phase, so a resumed run draws what an uninterrupted one would. Training phases run on every
        process (the trainers shard the work); the rest on the main process only."""
        folder, state = self.context.folder, self.context.state
        if folder.is_done(name, outputs):
            self._say(f"[pvg] {name}: done, skipped")
            return
        self._say(f"[pvg] {name}: running")
        start = time.perf_counter()
        if state.is_main_process:
            folder.clear(outputs)
        state.wait_for_everyone()
        set_seed(phase_seed(self.context.cfg.seed, round_index, seed_key or name))
        if trains or state.is_main_process:
            work()
        state.wait_for_everyone()
        if state.is_main_process:
            folder.mark_done(name, outputs)
        state.wait_for_everyone()
        self._say(f"[pvg] {name}: done in {time.perf_counter() - start:.1f} s")

    def _say(self, message: str) -> None:
        if self.context.state.is_main_process:
            print(message, flush=True)
