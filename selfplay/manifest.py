"""Phase markers: what a finished phase wrote, so that damaged or stale work is never trusted.

A phase ``P`` (``init/prover``, ``round_000/samples``, ...) is finished when ``RUN/P.done.json``
exists and verifies. The marker is written after every output. It records each output file's
size and sha256 (files and folders whose name starts with ``_`` are a trainer's working files and
are left out) and ``upstream``: the digest of the phase before it in the game's order, which
covers that phase's own upstream and so the whole chain back to the first phase. A marker
verifies when every recorded file has its recorded size and hash and its upstream is the digest
the earlier phase has now: a damaged file makes its phase redo, and a phase computed from inputs
that were since replaced by different bytes is *stale* rather than silently kept.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

MARKER_SUFFIX = ".done.json"
FORMAT = 1
TIMING_LOGS = {"train_log.json"}
_CHUNK = 1 << 20


class RunFileError(ValueError):
    """A file of the run folder cannot be read back; the message names it and what to do."""


class StaleWork(ValueError):
    """A finished phase was computed from inputs that have since changed."""


@dataclass(frozen=True)
class Verdict:
    """One phase's marker checked against the folder: ``problem`` is ``None`` when it verifies,
    else a sentence naming the file; ``stale`` when the files verify but the upstream changed."""

    phase: str
    digest: str | None
    problem: str | None = None
    stale: bool = False


def marker_path(root: Path, phase: str) -> Path:
    return root / f"{phase}{MARKER_SUFFIX}"


def file_entry(path: Path) -> dict:
    """``{"bytes": size, "sha256": hex}`` of one file, read in chunks (model weights can be GBs)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return {"bytes": path.stat().st_size, "sha256": digest.hexdigest()}


def output_files(root: Path, outputs: list[Path]) -> dict[str, dict]:
    """Every file of ``outputs`` (folders walked, ``_``-prefixed names left out), by path
    relative to ``root``."""
    files = {}
    for output in outputs:
        paths = sorted(output.rglob("*")) if output.is_dir() else [output]
        for path in paths:
            relative = path.relative_to(root)
            if path.is_file() and not any(part.startswith("_") for part in path.relative_to(output).parts):
                files[relative.as_posix()] = file_entry(path)
    return files


def digest_of(files: dict[str, dict], upstream: str | None) -> str:
    """The digest the next phase records as its ``upstream``: of this phase's results and its own
    upstream, so a change anywhere reaches every later phase. Trainer logs are left out: their
    times differ on every run, and a phase redone on the same machine otherwise writes the same
    bytes (weights included), so the phases after it stay valid."""
    results = {name: entry for name, entry in files.items() if Path(name).name not in TIMING_LOGS}
    return hashlib.sha256(json.dumps([results, upstream], sort_keys=True).encode()).hexdigest()


def marker_document(phase: str, files: dict[str, dict], upstream: str | None) -> dict:
    return {"format": FORMAT, "phase": phase, "upstream": upstream, "files": files}


def read_marker(root: Path, phase: str) -> dict | None:
    """The phase's marker, ``None`` when there is none; raises :class:`RunFileError` when it is
    unreadable (the caller treats that as not finished)."""
    path = marker_path(root, phase)
    if not path.is_file():
        return None
    try:
        marker = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(marker.get("files"), dict):
            raise ValueError("no files table")
    except (ValueError, UnicodeDecodeError, AttributeError) as err:
        raise RunFileError(f"{path}: not a phase marker ({type(err).__name__})") from None
    return marker


def verify(root: Path, phase: str, upstream: str | None, check_upstream: bool = True) -> Verdict:
    """Check ``phase``'s marker: its files as recorded and (unless ``check_upstream`` is off)
    its upstream equal to ``upstream``."""
    try:
        marker = read_marker(root, phase)
    except RunFileError as err:
        return Verdict(phase, None, str(err))
    if marker is None:
        return Verdict(phase, None, f"{marker_path(root, phase)} is missing")
    for name, recorded in sorted(marker["files"].items()):
        problem = _file_problem(root / name, recorded)
        if problem:
            return Verdict(phase, None, f"{root / name} {problem}")
    digest = digest_of(marker["files"], marker.get("upstream"))
    if check_upstream and marker.get("upstream") != upstream:
        return Verdict(phase, digest, "was computed from earlier outputs that have since changed", True)
    return Verdict(phase, digest)


def _file_problem(path: Path, recorded: dict) -> str | None:
    if not path.is_file():
        return "is missing"
    size = path.stat().st_size
    if size != recorded.get("bytes"):
        return f"has {size} bytes, {recorded.get('bytes')} were recorded"
    if file_entry(path)["sha256"] != recorded.get("sha256"):
        return "differs from what was recorded (sha256)"
    return None
