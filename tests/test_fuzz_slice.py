"""A seeded slice (84 cases) of ``bench/fuzz_check.py`` (the whole fuzz run is a benchmark: minutes): hostile
completions and gold answers graded from the main thread, from 4 threads and through
``pvg check --workers 4`` never run code, never hang or crash, and agree. A verdict at the
CPU-time boundary (``timeout`` one way, finished the other) is the one allowed difference: the
benchmark counts those."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from envs.checker import REASONS

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
import fuzz_check

pytestmark = pytest.mark.timeout(600)


def test_a_seeded_slice_of_hostile_cases_runs_nothing_and_agrees(tmp_path):
    canary = tmp_path / "canary"
    canary.mkdir()
    cases = fuzz_check.hostile_cases(84, seed=1, canary=canary)
    assert {c["family"].split("+")[0] for c in cases} == set(fuzz_check.FAMILIES)
    assert sum("+payload" in c["family"] for c in cases) == 9
    serial, latencies, crashes = fuzz_check.grade_in_process(cases, workers=1)
    threaded, _, threaded_crashes = fuzz_check.grade_in_process(cases, workers=4)
    via_cli, status = fuzz_check.grade_with_pvg_check(cases, workers=4, folder=tmp_path)
    assert (crashes, threaded_crashes, status) == (0, 0, 0)
    assert set(serial) <= set(REASONS) and max(latencies) < fuzz_check.HANG_S
    for other in (threaded, via_cli):
        assert len(other) == len(serial)
        assert all(a == b or "timeout" in (a, b) for a, b in zip(serial, other, strict=True))
    assert {"oversize", "timeout", "wrong_answer", "no_answer"} <= set(serial)
    assert list(canary.iterdir()) == []
