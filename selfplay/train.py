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

import contextlib  # after the thread setting above
import sys
from dataclasses import asdict
from pathlib import Path

from selfplay.config import ConfigError, load_config
from selfplay.folder_lock import folder_lock
from selfplay.game.plan import seeds_of
from selfplay.manifest import RunFileError, StaleWork
from selfplay.run_folder import RunFolder, read_json, round_name

SWITCHES = ("--overwrite_config", "--dry_run", "--redo_stale")


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
    init = read_json(root / "init" / "metrics.json")
    print(f"warm start: helpful_accuracy {init['helpful_accuracy']:.3f}")
    for r in range(rounds):
        metrics = read_json(root / round_name(r) / "metrics.json")
        shown = "  ".join(f"{k} {metrics[k]:.3f}" if metrics[k] is not None else f"{k} n/a" for k in keys)
        print(f"round {r}: {shown}")


def _dry_run(cfg, folder: RunFolder) -> int:
    """Check the problem source and what the phases need of it, print the resolved config and
    the plan; build no model."""
    import yaml

    from selfplay.game.plan import ProblemSourceError, load_problems, plan_text

    try:
        splits = load_problems(cfg)
    except ProblemSourceError as err:  # e.g. a Hub dataset offline: say so, show the rest of the plan
        splits = f"not checked: {err}"
    if cfg.verifier_pretrain.steps and not isinstance(splits, str):
        from selfplay.game.verifier_pretrain import corruption_pairs

        corruption_pairs(splits["verifier"], cfg.verifier.seed)  # as the game checks before training
    print(yaml.safe_dump({"config": asdict(cfg)}, sort_keys=False).rstrip())
    print(plan_text(cfg, folder, splits))
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code (2 for a bad config or flag, with a one-line message)."""
    argv = sys.argv[1:] if argv is None else argv
    if "-h" in argv or "--help" in argv:
        from selfplay.config.docs import help_text

        print(help_text())
        return 0
    lock = contextlib.ExitStack()
    try:
        cfg, switches = load_config(argv)
        unknown = [s for s in switches if s not in SWITCHES]
        if unknown:
            raise ConfigError(
                f"unknown flag {unknown[0]}: it needs a value (--key value or --key=value); "
                f"flags without one are {', '.join(SWITCHES)} and boolean keys (see --help)"
            )
        folder = RunFolder(cfg.output_dir)
        folder.check_config(asdict(cfg), overwrite="--overwrite_config" in switches)
        if cfg.prover.trl:  # imports TRL: only when there is something to check against it
            from selfplay.game.trl_passthrough import check_trl_settings

            check_trl_settings(cfg.prover)
        if "--dry_run" in switches:
            return _dry_run(cfg, folder)
        # Before anything writes to the folder: a second trainer on it must not touch the first's work.
        lock.enter_context(folder_lock(folder.root, "pvg train"))
        from selfplay.game.game import Game  # heavy imports after the cheap checks

        if cfg.push_to_hub.enabled:
            from selfplay.publishing.hub import require_push_settings

            require_push_settings(cfg.push_to_hub)  # fail now, not after hours of training
        # Game loads the problems and checks what the phases will need of them.
        game = Game(cfg, folder, redo_stale="--redo_stale" in switches)
    except (ConfigError, ValueError) as err:  # FolderLocked too: nothing of the folder was touched
        lock.close()
        print(f"pvg train: error: {err}", file=sys.stderr)
        return 2
    with lock:
        _cpu_threads(game.state.num_processes)
        if game.state.is_main_process:
            folder.write_config(
                asdict(cfg), seeds_of(cfg), ["accelerate", "launch", "selfplay/train.py", *argv]
            )
        try:
            game.play()
        except (RunFileError, StaleWork) as err:  # every finished phase before it is kept
            print(f"pvg train: error: {err}", file=sys.stderr)
            return 2
    if game.state.is_main_process:
        _summary(folder.root, cfg.rounds)
        print(f"run folder: {folder.root}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
