"""One writer per run folder: a second trainer is refused, naming the first, and touches nothing;
a lock left by a killed process is not in the way."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from selfplay.folder_lock import FolderLocked, folder_lock
from selfplay.train import main

HOLD = (
    "import sys, time; from selfplay.folder_lock import folder_lock\n"
    "with folder_lock(sys.argv[1], 'pvg train'):\n    print('locked', flush=True); time.sleep(120)\n"
)


@pytest.fixture
def holder(tmp_path):
    """A process holding ``tmp_path/run``'s lock, as a running trainer does."""
    run = tmp_path / "run"
    process = subprocess.Popen([sys.executable, "-c", HOLD, str(run)], stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "locked"
    yield run, process
    process.kill()
    process.wait()


def test_a_second_trainer_on_a_busy_folder_is_refused_and_touches_nothing(holder, capsys):
    run, process = holder
    before = sorted(p.name for p in run.iterdir())
    assert main(["--output_dir", str(run), "--rounds", "1"]) == 2
    err = capsys.readouterr().err
    assert f"is in use by pvg train (pid {process.pid} on " in err and "Traceback" not in err
    assert sorted(p.name for p in run.iterdir()) == before == [".lock"]  # no config.yaml, no init/
    assert process.poll() is None  # the first one is unharmed


def test_an_evaluator_is_refused_too_and_a_killed_holders_lock_is_free(holder):
    run, process = holder
    with pytest.raises(FolderLocked, match="in use by pvg train"), folder_lock(run, "pvg eval"):
        pass
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    with folder_lock(run, "pvg eval"):  # the kernel released it with the process: not stale
        assert "pvg eval" in (run / ".lock").read_text()


def test_only_the_main_process_takes_the_lock(holder, monkeypatch):
    run, _ = holder
    monkeypatch.setenv("RANK", "1")
    with folder_lock(run, "pvg train"):  # rank 1 of a torchrun job: the main rank holds it
        pass
