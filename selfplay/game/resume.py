"""Which phases a run may skip: each phase's marker checked in the game's order (see
:mod:`selfplay.manifest`), with the chain of digests that ties each phase to the ones before it.

A phase is skipped only when its marker verifies; a damaged one is redone with a warning naming
the file; stale work (files that verify, computed from inputs that have changed) is refused
unless ``--redo_stale``, since redoing it deletes finished work. A folder written before markers
is adopted as it is, and a lost or garbage ``state.json`` never deletes anything: the markers
say what is finished and ``state.json`` is rewritten from them.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from accelerate import PartialState

from selfplay.manifest import RunFileError, StaleWork, digest_of, marker_path, read_marker, verify
from selfplay.run_folder import DONE, RunFolder


class PhaseChain:
    """Walks the phases in order: :meth:`finished` before each, :meth:`record` after each one run."""

    def __init__(
        self,
        folder: RunFolder,
        state: PartialState,
        order: list[str],
        say: Callable[[str], None],
        redo_stale: bool,
    ) -> None:
        self.folder, self.state, self.say, self.redo_stale = folder, state, say, redo_stale
        self._upstream: str | None = None  # the digest of the last chained phase, verified or made
        self._legacy_record = self._read_state(order)

    def finished(self, name: str, outputs: list[Path], chained: bool) -> bool:
        """Whether ``name``'s marker verifies (then it is skipped); says why it is redone when a
        marker is there but does not verify; raises :class:`StaleWork` for stale work unless
        ``redo_stale``. ``chained`` is false for phases nothing later reads (``push``)."""
        verdict = verify(self.folder.root, name, self._upstream, check_upstream=chained)
        if verdict.problem is None:
            self._upstream = verdict.digest if chained else self._upstream
            self.say(f"[pvg] {name}: done, skipped")
            return True
        if self._adoptable(name, outputs):
            if self.state.is_main_process:
                self.folder.mark_done(name, outputs, self._upstream if chained else None)
            self.state.wait_for_everyone()
            self.say(f"[pvg] {name}: finished before phase markers existed; its files are kept and marked")
            return self.finished(name, outputs, chained)
        if verdict.stale and not self.redo_stale:
            raise StaleWork(
                f"{self.folder.root}: {name} {verdict.problem}. Pass --redo_stale to recompute it and "
                "the phases after it (their outputs are deleted), or use another --output_dir."
            )
        if marker_path(self.folder.root, name).exists():
            self.say(f"[pvg] warning: {name}: {verdict.problem}; redoing the phase")
        return False

    def record(self, name: str, outputs: list[Path], chained: bool) -> None:
        """Write ``name``'s marker (main process) after its outputs; every process moves the chain on."""
        upstream = self._upstream if chained else None
        if self.state.is_main_process:
            self.folder.mark_done(name, outputs, upstream)
        self.state.wait_for_everyone()
        if chained:  # from the marker just written: its files were hashed once, by mark_done
            self._upstream = digest_of(read_marker(self.folder.root, name)["files"], upstream)

    def _read_state(self, order: list[str]) -> list[str] | bool | None:
        """What ``state.json`` lists when the folder predates phase markers (``None`` when it is
        missing or unreadable there: every phase whose outputs are whole is then adopted), else
        ``False``."""
        try:
            record = self.folder.state_record()
        except RunFileError as err:
            self.say(f"[pvg] warning: {err}")
            record = None
        if self.folder.marked_phases():
            if record is None:
                self.say(f"[pvg] {self.folder.state_path} rebuilt from the phase markers")
                if self.state.is_main_process:
                    self.folder.write_state(order=order)
            return False
        has_outputs = (self.folder.root / "init" / "prover" / DONE).is_file()
        return record if record is not None or has_outputs else False

    def _adoptable(self, name: str, outputs: list[Path]) -> bool:
        """A phase of a pre-marker folder that its ``state.json`` lists (or, when that is lost,
        whose outputs are whole)."""
        record = self._legacy_record
        if record is False or not self.folder.legacy_outputs_exist(outputs):
            return False
        return record is None or name in record
