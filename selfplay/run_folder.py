"""The run folder: resolved config, atomic ``state.json``, DONE markers, jsonl files.

A phase counts as finished only when ``state.json`` lists it *and* its outputs are there; a phase
that was interrupted is cleaned and redone, never trusted.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import yaml

DONE = "DONE"
PACKAGES = ("pvg-selfplay", "torch", "transformers", "trl", "accelerate", "peft", "sympy", "math-verify")


def round_name(round_index: int) -> str:
    """A round's folder (and phase prefix) in the run folder: ``round_000``, ``round_001``, ..."""
    return f"round_{round_index:03d}"


# Keys a saved config can lack because its folder was written before they existed, and what such
# a run did: no verifier pretraining, `auto` precision, one pretraining pair per problem, problems
# without a bound on their quantities, a warm start on reference solutions for the helpful prompt
# alone, no learning-rate warmup. (A missing section takes its whole entry; a section that is
# there gets the keys it lacks.)
KEYS_OLDER_FOLDERS_LACK = {
    "verifier_pretrain": {"steps": 0, "pairs_per_problem": 1},
    "precision": "auto",
    "problems": {
        "max_total": None,
        "hub_config": "main",
        "train_split": "train",
        "test_source": "hash",
        "question_column": "question",
        "answer_column": "answer",
    },
    "prover": {"helpful_styles": {}, "sneaky_styles": {}, "warmup_steps": 0},
    "sampling": {"cold_temperature": 0.35},
}


def with_keys_older_folders_lack(
    saved: dict, within: dict | None = None, older: dict = KEYS_OLDER_FOLDERS_LACK
) -> dict:
    """``saved`` with every key of :data:`KEYS_OLDER_FOLDERS_LACK` that it lacks (and, if given,
    ``within`` has) set to what folders from before that key ran as."""
    merged = dict(saved)
    for key, value in older.items():
        if within is not None and key not in within:
            continue
        if key not in merged:
            merged[key] = value
        elif isinstance(value, dict) and isinstance(merged[key], dict):
            inner = within[key] if within is not None and isinstance(within[key], dict) else None
            merged[key] = with_keys_older_folders_lack(merged[key], inner, value)
    return merged


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to a temporary file beside ``path``, then rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    tmp.replace(path)


def write_jsonl(path: Path, rows: list[dict]) -> None:
    atomic_write_text(path, "".join(json.dumps(row, sort_keys=True) + "\n" for row in rows))


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def package_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = "not installed"
    return versions


class RunFolder:
    """One run's folder and its progress record."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.state_path = self.root / "state.json"

    def completed(self) -> list[str]:
        if not self.state_path.is_file():
            return []
        return json.loads(self.state_path.read_text())["completed"]

    def is_done(self, phase: str, outputs: list[Path]) -> bool:
        """True when ``phase`` is recorded and every output exists (directories need a DONE marker)."""
        if phase not in self.completed():
            return False
        return all((p / DONE).is_file() if p.suffix == "" else p.is_file() for p in outputs)

    def mark_done(self, phase: str, outputs: list[Path]) -> None:
        """Write DONE markers into output directories, then record the phase atomically."""
        for path in outputs:
            if path.suffix == "":
                (path / DONE).write_text("ok\n")
        completed = [p for p in self.completed() if p != phase] + [phase]
        atomic_write_text(self.state_path, json.dumps({"completed": completed}, indent=2) + "\n")

    @staticmethod
    def clear(outputs: list[Path]) -> None:
        """Remove half-written outputs of an unfinished phase."""
        for path in outputs:
            if path.is_dir():
                shutil.rmtree(path)
            elif path.exists():
                path.unlink()

    def check_config(self, resolved: dict, overwrite: bool) -> None:
        """Refuse to resume a run folder made with another config, unless ``overwrite``."""
        path = self.root / "config.yaml"
        if not path.is_file() or overwrite:
            return
        saved = (yaml.safe_load(path.read_text()) or {}).get("config", {})
        saved = with_keys_older_folders_lack(saved, within=resolved)
        # Where the folder is, where logs go and where checkpoints are pushed do not change what
        # the run computes.
        changed = sorted(
            key
            for key in _diff(saved, resolved) - {"output_dir", "report_to"}
            if not key.startswith("push_to_hub.")
        )
        if changed:
            raise ValueError(
                f"{self.root} was made with a different config (changed: {', '.join(changed)}). Use another "
                "--output_dir, or pass --overwrite_config to continue this run with the new config."
            )

    def write_config(self, resolved: dict, seeds: dict, command: list[str] | None = None) -> None:
        """``config.yaml``: the resolved config, every seed, package versions and the command."""
        document = {"config": resolved, "seeds": seeds, "versions": package_versions(), "command": command}
        atomic_write_text(self.root / "config.yaml", yaml.safe_dump(document, sort_keys=False))


def _diff(old: dict, new: dict, prefix: str = "") -> set[str]:
    keys = set(old) | set(new)
    changed = set()
    for key in keys:
        a, b = old.get(key), new.get(key)
        if isinstance(a, dict) and isinstance(b, dict):
            changed |= _diff(a, b, f"{prefix}{key}.")
        elif a != b:
            changed.add(f"{prefix}{key}")
    return changed
