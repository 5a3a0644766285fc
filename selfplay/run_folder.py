"""The run folder: resolved config, phase markers, ``state.json``, jsonl and json files.

A phase counts as finished only when its marker verifies (:mod:`selfplay.manifest`); a phase
that was interrupted or whose files were damaged is cleaned and redone, never trusted. Every
file read back goes through :func:`read_json` / :func:`read_jsonl`, whose errors name the file.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import yaml

from selfplay.manifest import (
    MARKER_SUFFIX,
    RunFileError,
    Verdict,
    digest_of,
    marker_document,
    marker_path,
    output_files,
    verify,
)

DONE = "DONE"
PACKAGES = ("pvg-selfplay", "torch", "transformers", "trl", "accelerate", "peft", "sympy", "math-verify")


def round_name(round_index: int) -> str:
    """A round's folder (and phase prefix) in the run folder: ``round_000``, ``round_001``, ..."""
    return f"round_{round_index:03d}"


# Keys a saved config can lack because its folder was written before they existed, and what such
# a run did: no verifier pretraining, `auto` precision, one pretraining pair per problem, problems
# without a bound on their quantities, a warm start on reference solutions for the helpful prompt
# alone, no learning-rate warmup, raw text prompts, no checkpoints inside a phase, no TRL
# passthrough settings. (A missing section takes its whole entry; a section that is
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
    "prover": {
        "helpful_styles": {},
        "sneaky_styles": {},
        "warmup_steps": 0,
        "prompt_format": "raw",
        "save_steps": 0,
        "trl": {},
    },
    "verifier": {"save_steps": 0},
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
    """The rows of a jsonl file of the run; :class:`RunFileError` names the file and line."""
    rows = []
    for number, line in enumerate(_text_of(path).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except (ValueError, RecursionError) as err:
            raise RunFileError(f"{path}: line {number} is not JSON ({type(err).__name__}); {_FIX}") from None
    return rows


def read_json(path: Path):
    """One json file of the run; :class:`RunFileError` names the file when it is missing or unreadable."""
    text = _text_of(path)
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as err:
        raise RunFileError(f"{path}: not readable JSON ({type(err).__name__}); {_FIX}") from None


def read_saved_config(path: Path) -> dict | None:
    """The ``config`` section of a run's ``config.yaml`` (``None`` when it has none); an
    unreadable file is a :class:`RunFileError` that names it."""
    text = _text_of(path)
    try:
        document = yaml.safe_load(text) or {}
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise RunFileError(f"{path}: not valid YAML{where}; restore it from the run's command") from None
    if not isinstance(document, dict):
        raise RunFileError(f"{path}: expected a mapping with a 'config' section")
    saved = document.get("config")
    return saved if isinstance(saved, dict) else None


_FIX = "restore it, or delete the phase's marker so that pvg train redoes the phase"


def _text_of(path: Path) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RunFileError(f"{path}: missing; {_FIX}") from None
    except (OSError, UnicodeDecodeError) as err:
        raise RunFileError(f"{path}: cannot be read ({type(err).__name__}); {_FIX}") from None


def package_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = "not installed"
    return versions


class RunFolder:
    """One run's folder: its phase markers (:mod:`selfplay.manifest`), ``state.json`` (the list
    of finished phases, rewritten from the markers after each phase, for people and older tools)
    and its config."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.state_path = self.root / "state.json"

    def state_record(self) -> list[str] | None:
        """The phases ``state.json`` lists, ``None`` when there is no ``state.json``; raises
        :class:`RunFileError` naming it when it cannot be read."""
        if not self.state_path.is_file():
            return None
        try:
            completed = json.loads(self.state_path.read_text(encoding="utf-8"))["completed"]
            if not all(isinstance(name, str) for name in completed):
                raise ValueError("not a list of phase names")
        except (ValueError, KeyError, TypeError, UnicodeDecodeError) as err:
            raise RunFileError(
                f"{self.state_path}: unreadable ({type(err).__name__}); the phase markers "
                f"(*{MARKER_SUFFIX}) say what is finished, and pvg train rewrites it from them"
            ) from None
        return completed

    def marked_phases(self) -> list[str]:
        """Phases with a marker file (verified or not), in path order."""
        markers = self.root.glob(f"**/*{MARKER_SUFFIX}")
        return sorted(path.relative_to(self.root).as_posix()[: -len(MARKER_SUFFIX)] for path in markers)

    def is_legacy(self) -> bool:
        """A folder written before phase markers existed: a ``state.json`` but no marker."""
        return self.state_path.is_file() and not self.marked_phases()

    def verify_chain(self, phases: list[str]) -> list[Verdict]:
        """Each of ``phases`` (in the game's order) checked against its marker, each chained
        phase's upstream against the verified phase before it. ``push`` phases are not chained:
        nothing later reads what they write."""
        upstream, broken, verdicts = None, None, []
        for phase in phases:
            chained = not phase.endswith("/push")
            verdict = verify(self.root, phase, upstream, check_upstream=chained and broken is None)
            if broken and chained and verdict.problem is None:
                verdict = Verdict(phase, verdict.digest, f"comes after {broken}, which does not verify")
            verdicts.append(verdict)
            if chained and verdict.problem is None:
                upstream = verdict.digest
            elif chained:
                broken = broken or phase
        return verdicts

    def unverified(self, verdicts: list[Verdict]) -> list[str]:
        """Why the folder cannot be trusted as it is (empty when every marker verifies): each
        marked phase among ``verdicts`` (:meth:`verify_chain`'s) that does not verify, or that the
        folder predates markers."""
        if self.is_legacy():
            return [
                f"{self.root} was written before phase markers (*{MARKER_SUFFIX}); run its `pvg train` "
                "command once (every finished phase is kept and gets a marker)"
            ]
        marked = set(self.marked_phases())
        return [f"{v.phase}: {v.problem}" for v in verdicts if v.problem and v.phase in marked]

    def mark_done(self, phase: str, outputs: list[Path], upstream: str | None) -> str:
        """Write DONE into output folders, then the phase's marker (after every output, so a
        marker means the phase finished), then ``state.json``; returns the phase's digest."""
        for path in outputs:
            if path.suffix == "":
                (path / DONE).write_text("ok\n")
        files = output_files(self.root, outputs)
        document = json.dumps(marker_document(phase, files, upstream), indent=1, sort_keys=True)
        atomic_write_text(marker_path(self.root, phase), document + "\n")
        self.write_state(phase)
        return digest_of(files, upstream)

    def write_state(self, last: str | None = None, order: list[str] | None = None) -> None:
        """``state.json`` from the markers: in ``order`` when given, else the order it had; then
        anything else marked, and ``last`` last."""
        try:
            earlier = order or self.state_record() or []
        except RunFileError:
            earlier = []
        marked = self.marked_phases()
        order = [p for p in earlier if p in marked and p != last]
        order += [p for p in marked if p not in order and p != last] + ([last] if last else [])
        atomic_write_text(self.state_path, json.dumps({"completed": order}, indent=2) + "\n")

    @staticmethod
    def legacy_outputs_exist(outputs: list[Path]) -> bool:
        """Whether a pre-marker phase's outputs are all there (folders with their DONE)."""
        return all((p / DONE).is_file() if p.suffix == "" else p.is_file() for p in outputs)

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
        saved = read_saved_config(path) or {}
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
