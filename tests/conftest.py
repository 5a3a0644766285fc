"""Shared fixtures: paths to the real data in ../shared/data (never copied into the project)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED_DATA = Path(os.environ.get("PVG_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real data; a checkout without it skips the tests that read it, except under CI
    (``.ci/run`` sets ``PVG_REQUIRE_SHARED_DATA=1``, where the data is always present)."""
    if not (SHARED_DATA / "gsm8k" / "train.jsonl").is_file():
        message = (
            f"real data not found at {SHARED_DATA}: set PVG_SHARED_DATA to a folder holding "
            "gsm8k/train.jsonl, svamp/ and math500/ (the team's checkout has it at ../shared/data)"
        )
        if os.environ.get("PVG_REQUIRE_SHARED_DATA") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return SHARED_DATA


@pytest.fixture(scope="session")
def game_run(tmp_path_factory) -> Path:
    """One finished short run of the embedded default (tests/game_helpers.py), shared by the session."""
    from game_helpers import finish, train

    root = tmp_path_factory.mktemp("game") / "run"
    finish(train(root))
    return root
