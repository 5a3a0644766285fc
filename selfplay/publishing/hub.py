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

from transformers import AutoTokenizer

from envs.prompts import ROLES
from selfplay.config import PushConfig, RunConfig
from selfplay.models.prompting import prompter_for
from selfplay.publishing.card import model_card
from selfplay.run_folder import DONE, atomic_write_text, read_json, round_name

KINDS = ("prover", "verifier")
MAIN = "main"  # the branch from_pretrained(repo) reads: the latest finished round
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
    """The card's numbers, rounded to 3 decimals: the round's metrics and, after ``pvg eval``, its
    evaluation."""
    rd = run_dir / round_name(round_index)
    metrics = read_json(rd / "metrics.json")
    evaluation = run_dir / "eval" / f"{round_name(round_index)}.json"
    keys = ("helpful_accuracy", "sneaky_incorrect_rate", "verifier_auc", "score_helpful_correct")
    found = {key: metrics.get(key) for key in keys}
    if evaluation.is_file():
        result = read_json(evaluation)
        attack = result.get("attack") or {}
        found["eval_helpful_accuracy"] = result["metrics"]["helpful_accuracy"]
        found["attack_steps_to_success"] = attack.get("steps_to_success", "not run")
    return {key: round(value, 3) if isinstance(value, float) else value for key, value in found.items()}


def _prompts(source: Path, cfg: RunConfig) -> dict[str, str]:
    """The prover's prompt per role, as its own tokenizer renders it (placeholder question)."""
    prompter = prompter_for(AutoTokenizer.from_pretrained(source), cfg.prover)
    return {role: prompter.text("<question>", role) for role in ROLES}


def stage_round(
    run_dir: Path, cfg: RunConfig, round_index: int, kind: str, dest: Path, latest: bool = False
) -> Path:
    """Copy one checkpoint's model files to ``dest`` and write its model card there (``latest``:
    the copy for ``main``)."""
    source = run_dir / round_name(round_index) / kind
    if not (source / DONE).is_file():
        raise ValueError(f"{source} is not a finished checkpoint (no {DONE} marker)")
    shutil.copytree(source, dest, ignore=lambda _, names: [n for n in names if n in SKIPPED])
    repo = getattr(cfg.push_to_hub, f"{kind}_repo")
    prompts = _prompts(run_dir / round_name(round_index) / "prover", cfg)
    card = model_card(kind, round_index, asdict(cfg), _metrics(run_dir, round_index), repo, prompts, latest)
    card.save(dest / "README.md")
    return dest


def dry_run(run_dir: Path, cfg: RunConfig, rounds: list[int], out_dir: Path) -> list[dict]:
    """Stage every finished round's prover and verifier under ``out_dir/<kind>/<revision>/``, and
    the last of them under ``out_dir/<kind>/main/`` (what ``main`` would hold)."""
    plan = []
    targets = [(r, revision_of(r)) for r in rounds] + ([(rounds[-1], MAIN)] if rounds else [])
    for round_index, revision in targets:
        for kind in KINDS:
            folder = out_dir / kind / revision
            if folder.exists():
                shutil.rmtree(folder)
            stage_round(run_dir, cfg, round_index, kind, folder, latest=revision == MAIN)
            plan.append(
                {
                    "kind": kind,
                    "repo": getattr(cfg.push_to_hub, f"{kind}_repo"),
                    "revision": revision,
                    "round": round_index,
                    "folder": str(folder),
                }
            )
    (out_dir / "plan.json").write_text(json.dumps(plan, indent=2) + "\n")
    return plan


def push_round(run_dir: Path, cfg: RunConfig, round_index: int, token: str) -> list[dict]:
    """Upload one round's prover and verifier to their repos, on branch :func:`revision_of`, and
    to ``main`` (rounds are pushed in order, so ``main`` holds the latest finished one and
    ``from_pretrained(repo)`` works without a revision)."""
    from huggingface_hub import HfApi

    push = cfg.push_to_hub
    api = HfApi(token=token)
    pushed = []
    for kind in KINDS:
        repo = getattr(push, f"{kind}_repo")
        api.create_repo(repo, private=push.private, exist_ok=True)
        api.create_branch(repo, branch=revision_of(round_index), exist_ok=True)
        for revision in (revision_of(round_index), MAIN):
            with tempfile.TemporaryDirectory(prefix="pvg-push-") as work:
                folder = stage_round(run_dir, cfg, round_index, kind, Path(work) / kind, revision == MAIN)
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
