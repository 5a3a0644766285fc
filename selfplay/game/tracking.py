"""One tracker run per game (``report_to``): every phase's trainer logs into it under the phase's
name (``round_001/prover/loss``), on a step that keeps counting across phases, and each round's
metrics are logged under ``round/`` when its metrics phase ends.

Each phase builds its own TRL trainer, and a trainer's own ``report_to`` would open a tracker
run per phase with its step starting again at 0; so the trainers report to no tracker and a
:class:`PhaseLogger` callback forwards their logs here. The trackers are accelerate's
(``accelerate.tracking``). ``tracking.json`` in the run folder keeps the run's id and where each
finished phase's steps start, so a resumed run logs into the same run at the steps it would
have used.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from transformers import TrainerCallback

from selfplay.run_folder import atomic_write_text, read_json

PROJECT = "pvg-selfplay"  # the wandb / trackio project; the run is named after the run folder
STATE_FILE = "tracking.json"


def _start(name: str, run_name: str, root: Path, run_id: str):
    from accelerate import PartialState
    from accelerate.tracking import TensorBoardTracker, TrackioTracker, WandBTracker

    PartialState()  # accelerate's trackers log through accelerate's logger, which needs its state

    if name == "tensorboard":
        tracker = TensorBoardTracker(run_name, root / "tracking")
    elif name == "wandb":
        tracker = WandBTracker(PROJECT, name=run_name, id=run_id, resume="allow")
    else:
        tracker = TrackioTracker(PROJECT, name=run_name, resume="allow")
    tracker.start()
    return tracker


def scalars(values: dict, prefix: str = "") -> dict[str, float]:
    """The numbers in ``values`` (nested mappings flattened with ``/``; booleans, text and lists
    left out), keys prefixed.

    >>> scalars({"loss": 0.5, "epoch": 1, "styles": {"stepwise": 0.7}, "note": "x"}, "p/")
    {'p/loss': 0.5, 'p/epoch': 1, 'p/styles/stepwise': 0.7}
    """
    out = {}
    for key, value in values.items():
        if isinstance(value, dict):
            out |= scalars(value, f"{prefix}{key}/")
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            out[f"{prefix}{key}"] = value
    return out


class GameTracker:
    """The trackers named in ``report_to`` (none: every method is a no-op), on the main process."""

    def __init__(self, report_to: list[str], root: Path, is_main_process: bool) -> None:
        self.root, self.phase, self.phase_steps = Path(root), None, 0
        path = self.root / STATE_FILE
        self.state = read_json(path) if path.is_file() else {"run_id": uuid.uuid4().hex, "phases": {}}
        names = [name for name in report_to if name != "none"] if is_main_process else []
        self.trackers = [_start(name, self.root.name, self.root, self.state["run_id"]) for name in names]

    @property
    def step(self) -> int:
        """The first step of the phase now running: the steps of every phase finished before it."""
        done = self.state["phases"]
        return sum(record["steps"] for name, record in done.items() if name != self.phase)

    def begin(self, phase: str) -> None:
        self.phase, self.phase_steps = phase, 0

    def end(self) -> None:
        """Record the phase's steps so later phases (and a resumed run) count on from them."""
        if self.trackers:
            self.state["phases"][self.phase] = {"start": self.step, "steps": self.phase_steps}
            atomic_write_text(self.root / STATE_FILE, json.dumps(self.state, indent=1))
        self.phase = None

    def log(self, values: dict, phase_step: int = 0) -> None:
        if not self.trackers:
            return
        self.phase_steps = max(self.phase_steps, phase_step)
        numbers, step = scalars(values, f"{self.phase}/"), self.step + phase_step
        for tracker in self.trackers:
            tracker.log(numbers, step=step)

    def log_round(self, metrics: dict) -> None:
        """A round's metrics under ``round/``, at the step where its metrics phase starts."""
        numbers = scalars(metrics, "round/")
        for tracker in self.trackers:
            tracker.log(numbers, step=self.step)

    def callbacks(self) -> list[TrainerCallback]:
        """For a phase's trainer: forwards its logs here (empty without trackers)."""
        return [PhaseLogger(self)] if self.trackers else []

    def finish(self) -> None:
        for tracker in self.trackers:
            tracker.finish()


class PhaseLogger(TrainerCallback):
    """Forwards a trainer's logs to the :class:`GameTracker` at the trainer's global step."""

    def __init__(self, tracker: GameTracker) -> None:
        self.tracker = tracker

    def on_log(self, args, state, control, logs=None, **kwargs):
        self.tracker.log(logs or {}, state.global_step)
