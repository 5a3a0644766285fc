"""Main job: ``accelerate launch selfplay/train.py [--config FILE] [--key value ...]`` (or ``pvg train``).

Plays the Prover-Verifier Game into ``--output_dir`` (default ``runs/tiny_cpu``). With no model
configured it builds the embedded tiny default locally: no network. Re-running the same command
resumes at the first unfinished phase. ``--overwrite_config`` continues a run folder whose saved
config differs from this one.
"""

from __future__ import annotations

import os

# `accelerate launch` sets OMP_NUM_THREADS=1 for a one-process run, and raising torch's thread
# count after torch has loaded recovers only part of the loss: a tiny-model training step took
# 45-67 ms that way against 37-49 ms with the variable set before (2-core CPU, alternating
# runs). So it is set here, before anything imports torch; PVG_CPU_THREADS chooses the number.
if "ACCELERATE_MIXED_PRECISION" in os.environ and os.environ.get("WORLD_SIZE", "1") == "1":
    os.environ["OMP_NUM_THREADS"] = os.environ.get("PVG_CPU_THREADS") or str(len(os.sched_getaffinity(0)))

import json  # after the thread setting above
import sys
from pathlib import Path

from selfplay.config import ConfigError, load_config
from selfplay.run_folder import RunFolder, round_name

SWITCHES = ("--overwrite_config",)


def _cpu_threads(num_processes: int) -> None:
    """Use every available core on a one-process CPU run however it was started (``pvg train``,
    ``python``; under ``accelerate launch`` the module's first lines did it before torch loaded).
    ``PVG_CPU_THREADS`` chooses the number instead.
    """
    import torch

    if torch.cuda.is_available() or num_processes > 1:
        return
    threads = int(os.environ.get("PVG_CPU_THREADS", len(os.sched_getaffinity(0))))
    if threads != torch.get_num_threads():
        torch.set_num_threads(threads)
        print(f"[pvg] CPU run: using {threads} threads (set PVG_CPU_THREADS to change)", flush=True)


def _summary(root: Path, rounds: int) -> None:
    keys = (
        "helpful_accuracy",
        "sneaky_incorrect_rate",
        "score_helpful_correct",
        "score_sneaky_incorrect",
        "verifier_auc",
    )
    init = json.loads((root / "init" / "metrics.json").read_text())
    print(f"warm start: helpful_accuracy {init['helpful_accuracy']:.3f}")
    for r in range(rounds):
        metrics = json.loads((root / round_name(r) / "metrics.json").read_text())
        shown = "  ".join(f"{k} {metrics[k]:.3f}" if metrics[k] is not None else f"{k} n/a" for k in keys)
        print(f"round {r}: {shown}")


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code."""
    argv = sys.argv[1:] if argv is None else argv
    try:
        cfg, switches = load_config(argv)
        unknown = [s for s in switches if s not in SWITCHES]
        if unknown:
            raise ConfigError(
                f"unknown flag {unknown[0]}; flags take a value (--key value) except {SWITCHES}"
            )
        folder = RunFolder(cfg.output_dir)
        from selfplay.rounds import Game, resolved, seeds_of  # heavy imports after the cheap checks

        folder.check_config(resolved(cfg), overwrite="--overwrite_config" in switches)
        if cfg.push_to_hub.enabled:
            from selfplay.hub import require_push_settings

            require_push_settings(cfg.push_to_hub)  # fail now, not after hours of training
        game = Game(cfg, folder)  # loads the problems and checks what the phases will need of them
    except (ConfigError, ValueError) as err:
        print(f"pvg train: error: {err}", file=sys.stderr)
        return 2
    _cpu_threads(game.state.num_processes)
    if game.state.is_main_process:
        folder.write_config(
            resolved(cfg), seeds_of(cfg), ["accelerate", "launch", "selfplay/train.py", *argv]
        )
    game.play()
    if game.state.is_main_process:
        _summary(folder.root, cfg.rounds)
        print(f"run folder: {folder.root}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
