"""A clone without ../shared/data skips the data tests and says how to point at the data; CI
(``PVG_REQUIRE_SHARED_DATA=1``, set by .ci/run) fails them instead of skipping."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def _run_data_tests(tmp_path: Path, require: bool) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k != "PVG_REQUIRE_SHARED_DATA"}
    environ["PVG_SHARED_DATA"] = str(tmp_path / "absent")
    if require:
        environ["PVG_REQUIRE_SHARED_DATA"] = "1"
    command = [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider"]
    command.append(str(TESTS / "test_datasets.py"))
    return subprocess.run(command, capture_output=True, text=True, env=environ, cwd=TESTS.parent, timeout=120)


def test_without_the_data_the_data_tests_skip_naming_the_variable(tmp_path):
    result = _run_data_tests(tmp_path, require=False)
    assert result.returncode == 0, result.stdout[-2000:]
    assert "skipped" in result.stdout and "set PVG_SHARED_DATA" in result.stdout


def test_under_ci_missing_data_fails_instead_of_skipping(tmp_path):
    result = _run_data_tests(tmp_path, require=True)
    assert result.returncode != 0 and "error" in result.stdout and "skipped" not in result.stdout
