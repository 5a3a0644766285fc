"""The shipped recipes as their users will run them: every tracker a recipe names is installed by
an extra the README names, and the GSM8K recipe validates offline with a dry run."""

from __future__ import annotations

from pathlib import Path

import pytest

from selfplay.config import load_config
from selfplay.train import main

tomllib = pytest.importorskip("tomllib", reason="Python >= 3.11 reads pyproject.toml")

ROOT = Path(__file__).resolve().parents[1]
RECIPES = sorted((ROOT / "configs").glob("*.yaml"))


@pytest.mark.parametrize("recipe", RECIPES, ids=lambda p: p.name)
def test_every_tracker_a_recipe_names_has_an_extra_the_readme_names(recipe):
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    readme = (ROOT / "README.md").read_text()
    for tracker in load_config(["--config", str(recipe)])[0].report_to:
        if tracker == "none":
            continue
        assert any(req.startswith(tracker) for req in extras.get(tracker, [])), f"no [{tracker}] extra"
        assert f'.[{tracker}]"' in readme or f"`[{tracker}]`" in readme, f"README does not name [{tracker}]"


def test_the_gsm8k_recipe_validates_offline_with_a_dry_run(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # as a user without network; fails fast instead of waiting
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    argv = [
        "--config",
        str(ROOT / "configs" / "gsm8k_qwen.yaml"),
        "--output_dir",
        str(tmp_path / "g"),
        "--dry_run",
    ]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "test_source: test" in out and "report_to:\n  - tensorboard" in out
    assert "problems (openai/gsm8k): not checked: problems.source 'openai/gsm8k' (split 'train')" in out
    assert "models loaded by name when the run starts" in out and "Qwen/Qwen2.5-0.5B-Instruct" in out
    assert not (tmp_path / "g").exists()  # a dry run builds and writes nothing
