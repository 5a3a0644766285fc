"""Publishing each round's prover and verifier to the Hugging Face Hub, one branch per round.

``stage_round`` writes exactly what would be uploaded (the model folder and a model card) and is
what ``pvg push RUN_DIR --dry-run`` shows; ``push_round`` uploads the same folders with
``huggingface_hub``. The token comes from the usual sources (``HF_TOKEN``, the cached login), is
passed to the client only, and is never printed nor written anywhere.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import asdict
from pathlib import Path

import yaml

from selfplay.config import PROVER_INIT, PushConfig, RunConfig, verifier_source
from selfplay.run_folder import DONE, atomic_write_text, round_name

KINDS = ("prover", "verifier")
SKIPPED = {DONE, "_trainer", "train_log.json"}  # run-folder bookkeeping, not part of the model


class PushError(ValueError):
    """A push that cannot start (no token, no repo); raised before any work is done."""


def revision_of(round_index: int) -> str:
    """The Hub branch holding one round's checkpoint."""
    return round_name(round_index)  # the branch is named like the round's folder


def require_push_settings(push: PushConfig) -> str:
    """The token, after checking that both repos are set; raises :class:`PushError` naming the fix."""
    from huggingface_hub import get_token
    from huggingface_hub.utils import HFValidationError, validate_repo_id

    for kind in KINDS:
        repo = getattr(push, f"{kind}_repo")
        if not repo:
            raise PushError(f"push_to_hub.{kind}_repo is not set; give a Hub repo id such as me/pvg-{kind}")
        try:
            validate_repo_id(repo)
        except HFValidationError as err:
            raise PushError(f"push_to_hub.{kind}_repo {repo!r} is not a valid repo id: {err}") from None
    token = get_token()
    if not token:
        raise PushError("no Hugging Face token: set HF_TOKEN or run `hf auth login` before pushing")
    return token


def _metrics(run_dir: Path, round_index: int) -> dict:
    rd = run_dir / round_name(round_index)
    metrics = json.loads((rd / "metrics.json").read_text())
    evaluation = run_dir / "eval" / f"{round_name(round_index)}.json"
    keys = ("helpful_accuracy", "sneaky_incorrect_rate", "verifier_auc", "score_helpful_correct")
    found = {key: metrics.get(key) for key in keys}
    if evaluation.is_file():
        result = json.loads(evaluation.read_text())
        attack = result.get("attack") or {}
        found["eval_helpful_accuracy"] = result["metrics"]["helpful_accuracy"]
        found["attack_steps_to_success"] = attack.get("steps_to_success", "not run")
    return found


def _base(kind: str, cfg: dict) -> tuple[str | None, str]:
    """The checkpoint's Hub base model (None for the embedded tiny Llama) and, in words, where its
    initial weights came from."""
    prover = cfg["prover"]["model"]
    prover_text = prover or "the embedded tiny Llama (random init, built locally, warm-started by SFT)"
    if kind == "prover":
        return prover, prover_text
    base = prover if cfg["verifier_model"] == PROVER_INIT else cfg["verifier_model"]
    return base, verifier_source(cfg["verifier_model"], cfg["verifier_pretrain"]["steps"], prover_text)


def model_card(kind: str, round_index: int, cfg: dict, metrics: dict, repo: str | None) -> str:
    """The README.md of one checkpoint: what it is, how it was trained, its numbers, how to load it."""
    base, base_text = _base(kind, cfg)
    section = cfg["prover"] if kind == "prover" else cfg["verifier"] | {"mixture": cfg["mixture"]}
    objective = (
        f"RL ({section['algorithm']}) with the `{section['reward']}` reward against the round's verifier"
        if kind == "prover"
        else f"`{section['objective']}` loss (λ = {section['lam']}) on the sample pool of earlier rounds"
    )
    loader = "AutoModelForCausalLM" if kind == "prover" else "AutoModelForSequenceClassification"
    where = f'"{repo or "REPO"}", revision="{revision_of(round_index)}"'
    front = {"library_name": "transformers", "tags": ["pvg-selfplay", "prover-verifier-game", kind]}
    if base:
        front["base_model"] = base
    return "\n".join(
        [
            "---",
            yaml.safe_dump(front, sort_keys=False).strip(),
            "---",
            f"# pvg-selfplay {kind}, round {round_index}",
            "",
            f"- Base model: {base_text}",
            f"- Round: {round_index} (branch `{revision_of(round_index)}`)",
            f"- Objective: {objective}",
            "",
            "## Key metrics (test split)",
            "",
            *[f"- {key}: {value}" for key, value in metrics.items()],
            "",
            "## Training config",
            "",
            "```yaml",
            yaml.safe_dump(
                {kind: section, "rounds": cfg["rounds"], "seed": cfg["seed"]}, sort_keys=False
            ).strip(),
            "```",
            "",
            "## How to load",
            "",
            "```python",
            f"from transformers import {loader}, AutoTokenizer",
            f"model = {loader}.from_pretrained({where})",
            f"tokenizer = AutoTokenizer.from_pretrained({where})",
            "```",
            "",
            "## Limitations",
            "",
            "Trained by Prover-Verifier Game self-play on the run's math word problems only (see the "
            "config above); the verifier scores "
            "(problem, solution) pairs and is not a general judge; "
            + (
                "the prover was also trained to write convincing wrong solutions when prompted as sneaky."
                if kind == "prover"
                else "its scores are only comparable within one checkpoint."
            ),
            "",
        ]
    )


def stage_round(run_dir: Path, cfg: RunConfig, round_index: int, kind: str, dest: Path) -> Path:
    """Copy one checkpoint's model files to ``dest`` and write its model card there."""
    source = run_dir / round_name(round_index) / kind
    if not (source / DONE).is_file():
        raise ValueError(f"{source} is not a finished checkpoint (no {DONE} marker)")
    shutil.copytree(source, dest, ignore=lambda _, names: [n for n in names if n in SKIPPED])
    repo = getattr(cfg.push_to_hub, f"{kind}_repo")
    card = model_card(kind, round_index, asdict(cfg), _metrics(run_dir, round_index), repo)
    (dest / "README.md").write_text(card)
    return dest


def dry_run(run_dir: Path, cfg: RunConfig, rounds: list[int], out_dir: Path) -> list[dict]:
    """Stage every finished round's prover and verifier under ``out_dir/<kind>/<revision>/``."""
    plan = []
    for round_index in rounds:
        for kind in KINDS:
            folder = out_dir / kind / revision_of(round_index)
            if folder.exists():
                shutil.rmtree(folder)
            stage_round(run_dir, cfg, round_index, kind, folder)
            plan.append(
                {
                    "kind": kind,
                    "repo": getattr(cfg.push_to_hub, f"{kind}_repo"),
                    "revision": revision_of(round_index),
                    "folder": str(folder),
                }
            )
    (out_dir / "plan.json").write_text(json.dumps(plan, indent=2) + "\n")
    return plan


def push_round(run_dir: Path, cfg: RunConfig, round_index: int, token: str) -> list[dict]:
    """Upload one round's prover and verifier to their repos, on branch :func:`revision_of`."""
    from huggingface_hub import HfApi

    push = cfg.push_to_hub
    api = HfApi(token=token)
    revision, pushed = revision_of(round_index), []
    for kind in KINDS:
        repo = getattr(push, f"{kind}_repo")
        api.create_repo(repo, private=push.private, exist_ok=True)
        api.create_branch(repo, branch=revision, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="pvg-push-") as work:
            folder = stage_round(run_dir, cfg, round_index, kind, Path(work) / kind)
            commit = api.upload_folder(
                repo_id=repo,
                folder_path=folder,
                revision=revision,
                commit_message=f"pvg-selfplay {kind}, round {round_index}",
            )
        pushed.append({"kind": kind, "repo": repo, "revision": revision, "commit": str(commit)})
    return pushed


def push_phase(run_dir: Path, cfg: RunConfig, round_index: int) -> None:
    """The game's ``push`` phase: push the round and record what was pushed in ``pushed.json``."""
    from huggingface_hub import get_token

    pushed = push_round(run_dir, cfg, round_index, get_token())  # checked present before training
    atomic_write_text(run_dir / round_name(round_index) / "pushed.json", json.dumps(pushed, indent=1))
