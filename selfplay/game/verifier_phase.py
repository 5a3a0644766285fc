"""The verifier's phases: ``init/verifier`` (the weights every round's verifier restarts from,
optionally pretrained on the environment's corruptions) and each round's ``verifier`` (trained on
every earlier round's samples)."""

from __future__ import annotations

import shutil
from dataclasses import asdict
from pathlib import Path

from transformers import AutoTokenizer

from selfplay.config import PROVER_INIT
from selfplay.game.context import GameContext
from selfplay.game.verifier_data import Sample, build_mixture
from selfplay.game.verifier_pretrain import pretrain_verifier
from selfplay.game.verifier_training import train_verifier
from selfplay.models.tiny import build_tiny_classifier
from selfplay.models.verifier import save_initial_classifier, save_verifier, verifier_info
from selfplay.run_folder import read_jsonl


def init_verifier(game: GameContext) -> None:
    """The weights every round's verifier restarts from (the game retrains the verifier from the
    same start each round, so rounds differ only in their data)."""
    out = game.init_dir / "verifier"
    if game.state.is_main_process:
        _save_initial_verifier(game, out)
    game.state.wait_for_everyone()
    if game.cfg.verifier_pretrain.steps:
        _pretrain_verifier(game, out)


def _save_initial_verifier(game: GameContext, out: Path) -> None:
    """From the warm-started prover by default: the paper's verifiers start from pretrained LMs,
    and the prover's body already reads this task's text."""
    source = game.cfg.verifier_model
    if source is not None:
        # From the initial prover: its body and tokenizer, and a new score head (seeded by the phase).
        save_initial_classifier(game.init_dir / "prover" if source == PROVER_INIT else source, out)
        return
    tokenizer = AutoTokenizer.from_pretrained(game.init_dir / "prover")  # the prover's tokenizer
    build_tiny_classifier(tokenizer).save_pretrained(out)
    tokenizer.save_pretrained(out)


def _pretrain_verifier(game: GameContext, out: Path) -> None:
    """Overwrite the initial weights in ``out`` with their pretrained version (all processes train)."""
    cfg = game.cfg
    model, tokenizer, log = pretrain_verifier(
        out,
        game.splits["verifier"],
        cfg.verifier_pretrain,
        cfg.verifier,
        game.init_dir / "_verifier_pretrain_work",
        report_to="none",  # the game's one tracker run gets the logs (selfplay/game/tracking.py)
        precision=cfg.precision,
        callbacks=game.tracker.callbacks(),
    )
    if game.state.is_main_process:
        info = verifier_info(log["config"], {"pretrain": log["counts"]}, {"train_loss": log["train_loss"]})
        info["pretrain"] = asdict(cfg.verifier_pretrain)
        info["num_processes"] = game.state.num_processes
        save_verifier(out, model, tokenizer, info)


def pool(game: GameContext, round_index: int) -> list[Sample]:
    """Every labelled sample of earlier rounds (and the initial prover): a round's verifier must
    not see only its own prover's samples, or it forgets earlier rounds' exploits."""
    files = [game.init_dir / "samples.jsonl"]
    files += [game.round_dir(r) / "samples.jsonl" for r in range(round_index)]
    return [Sample.from_row(row) for path in files for row in read_jsonl(path)]


def round_verifier(game: GameContext, round_index: int) -> None:
    """Round ``round_index``'s verifier: the same budget every round (``mixture.n_pairs``), so a
    later verifier is harder to fool because of its data, not because it trained longer."""
    cfg, rd = game.cfg, game.round_dir(round_index)
    pairs, counts = build_mixture(pool(game, round_index), round_index, cfg.mixture)
    checkpoints = rd / "_checkpoints" / "verifier"
    model, tokenizer, log = train_verifier(
        game.init_dir / "verifier",
        pairs,
        cfg.verifier,
        rd / "_verifier_work",
        report_to="none",  # the game's one tracker run gets the logs (selfplay/game/tracking.py)
        precision=cfg.precision,
        callbacks=game.tracker.callbacks(),
        checkpoint_dir=checkpoints,
    )
    if game.state.is_main_process:
        info = verifier_info(cfg.verifier, counts, {"train_loss": log["train_loss"]})
        info["num_processes"] = game.state.num_processes
        save_verifier(rd / "verifier", model, tokenizer, info)
        shutil.rmtree(checkpoints, ignore_errors=True)  # the phase is whole now
