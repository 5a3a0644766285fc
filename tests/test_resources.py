"""Each phase's cost in the run folder: wall time and the peak resident memory polled while it
runs (a peak that is gone by the phase's end must still be seen)."""

from __future__ import annotations

import json
import time

import torch

from selfplay.game.resources import FILE, measured, record_phase, resident_mb


def test_a_transient_peak_is_recorded_after_it_is_freed():
    before = resident_mb()
    with measured({}) as cost:
        block = torch.ones(64 * 2**20 // 4 * 4)  # 256 MiB of float32, touched
        time.sleep(0.5)  # at least two polls while it is alive
        del block
    assert cost["peak_rss_mb"] >= before + 200
    assert resident_mb() < cost["peak_rss_mb"] - 150  # freed: only the poll saw it
    assert cost["seconds"] >= 0.5


def test_phases_are_recorded_and_a_redone_phase_replaces_its_record(tmp_path):
    record_phase(tmp_path, "init/prover", {"seconds": 1.0, "peak_rss_mb": 10.0})
    record_phase(tmp_path, "round_000/verifier", {"seconds": 2.0, "peak_rss_mb": 20.0})
    record_phase(tmp_path, "init/prover", {"seconds": 3.0, "peak_rss_mb": 30.0})
    records = json.loads((tmp_path / FILE).read_text())
    assert records == {
        "init/prover": {"seconds": 3.0, "peak_rss_mb": 30.0},
        "round_000/verifier": {"seconds": 2.0, "peak_rss_mb": 20.0},
    }
