"""The package layout's import rules (README, Layout): each layer imports only the layers below it,
so the environment and the rewards stay usable without the trainer, and the config loads without
torch. Read from the source with ``ast``: nothing is imported to check it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TRAINING_LIBRARIES = {"torch", "transformers", "trl", "accelerate", "peft", "deepspeed", "datasets"}


def imports_of(package: str) -> dict[str, set[str]]:
    """Every absolute module each file under ``package`` imports, at any depth (lazy imports too)."""
    found = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        names = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module)
        found[str(path.relative_to(ROOT))] = names
    return found


def violations(package: str, forbidden) -> list[str]:
    found = imports_of(package).items()
    return [f"{file} imports {name}" for file, names in found for name in names if forbidden(name)]


def top(name: str) -> str:
    return name.split(".")[0]


def under(*prefixes: str):
    return lambda name: any(name == p or name.startswith(p + ".") for p in prefixes)


TRAINERS = TRAINING_LIBRARIES - {"datasets"}  # the environment may load a Hub dataset, never train
RULES = {
    "envs": lambda m: top(m) in {"selfplay", "rewards"} | TRAINERS,
    "rewards": lambda m: top(m) == "selfplay" or top(m) in TRAINERS,
    "selfplay/config": lambda m: top(m) in TRAINING_LIBRARIES or under("selfplay.game", "selfplay.models")(m),
    "selfplay/models": under("selfplay.game", "selfplay.evaluation", "selfplay.publishing"),
    # the game uses evaluation's pure measures (style tables) and nothing else of it
    "selfplay/game": lambda m: under("selfplay.evaluation")(m) and m != "selfplay.evaluation.legibility",
    "selfplay/publishing": under("selfplay.game", "selfplay.evaluation"),
    "selfplay/inference": under("selfplay.evaluation", "selfplay.publishing"),
}


@pytest.mark.parametrize("package", sorted(RULES))
def test_each_layer_imports_only_the_layers_below(package):
    assert imports_of(package), f"no sources found under {package}"
    assert violations(package, RULES[package]) == []


def test_the_game_module_holds_only_the_order_of_the_phases():
    source = (ROOT / "selfplay/game/game.py").read_text()
    assert len(source.splitlines()) <= 150
    assert "getattr(" not in source  # every phase body is called by name, so call sites are greppable


def test_the_selection_rules_are_pure():
    names = imports_of("selfplay/inference")["selfplay/inference/select.py"]
    assert {top(n) for n in names} <= {"__future__", "math", "collections", "envs"}, names
