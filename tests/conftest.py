"""Shared fixtures: paths to the real data in ../shared/data (never copied into the project)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED_DATA = Path(os.environ.get("PVG_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not (SHARED_DATA / "gsm8k" / "train.jsonl").is_file():
        pytest.fail(
            f"real data not found at {SHARED_DATA}; the tests expect ../shared/data beside the checkout"
        )
    return SHARED_DATA


@pytest.fixture(scope="session")
def game_run(tmp_path_factory) -> Path:
    """One finished short run of the embedded default (tests/game_helpers.py), shared by the session."""
    from game_helpers import finish, train

    root = tmp_path_factory.mktemp("game") / "run"
    finish(train(root))
    return root
