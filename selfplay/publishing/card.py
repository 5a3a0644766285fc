"""A checkpoint's model card, built with huggingface_hub's card classes: metadata (base model,
license, datasets, model-index), the prompts or the verifier's input format, rounded metrics, how
to load it, links to every round's branch, and the paper to cite."""

from __future__ import annotations

import yaml
from huggingface_hub import EvalResult, ModelCard, ModelCardData

from selfplay.config import PROVER_INIT, verifier_source
from selfplay.config.sections import is_local_source
from selfplay.models.verifier_text import VERIFIER_TEMPLATE
from selfplay.run_folder import round_name


def _base(kind: str, cfg: dict) -> tuple[str | None, str]:
    """The checkpoint's Hub base model (None for the embedded tiny Llama) and, in words, where its
    initial weights came from."""
    prover = cfg["prover"]["model"]
    prover_text = prover or "the embedded tiny Llama (random init, built locally, warm-started by SFT)"
    if kind == "prover":
        return prover, prover_text
    base = prover if cfg["verifier_model"] == PROVER_INIT else cfg["verifier_model"]
    return base, verifier_source(cfg["verifier_model"], cfg["verifier_pretrain"]["steps"], prover_text)


def _datasets(cfg: dict) -> list[str] | None:
    """Hub datasets the run trained on, for the card's metadata (generated problems and local
    files are not Hub datasets)."""
    source = cfg["problems"]["source"]
    return None if source == "generated" or is_local_source(source) else [source]


def _eval_results(kind: str, cfg: dict, metrics: dict) -> list[EvalResult]:
    """model-index entries: the prover's helpful accuracy, the verifier's AUC, on the test split."""
    p = cfg["problems"]
    name = "helpful_accuracy" if kind == "prover" else "verifier_auc"
    if not isinstance(metrics.get(name), (int, float)):
        return []
    dataset = p["source"] if _datasets(cfg) else f"pvg-selfplay {p['source']} problems"
    return [
        EvalResult(
            task_type="text-generation" if kind == "prover" else "text-classification",
            dataset_type=dataset,
            dataset_name=dataset,
            dataset_split=p["test_source"],
            metric_type="accuracy" if kind == "prover" else "roc_auc",
            metric_name=name,
            metric_value=metrics[name],
        )
    ]


def _prompts_section(kind: str, prompts: dict[str, str]) -> list[str]:
    if kind == "verifier":
        return [
            "## Input format",
            "",
            "The verifier scores one (problem, solution) pair, never the prover's role or prompt: the text",
            "below followed by the tokenizer's EOS token, where the score (one logit; higher = more",
            "likely correct) is read.",
            "",
            "```",
            VERIFIER_TEMPLATE,
            "```",
        ]
    lines = ["## Prompts", "", "The prover plays two roles; each prompt it was trained with:", ""]
    for role, text in prompts.items():
        lines += [f"**{role}**", "", "```", text, "```", ""]
    return lines[:-1]


CITATION = """```bibtex
@article{kirchner2024prover,
  title   = {Prover-Verifier Games improve legibility of LLM outputs},
  author  = {Kirchner, Jan Hendrik and Chen, Yining and Edwards, Harri and Leike, Jan and
             McAleese, Nat and Burda, Yuri},
  journal = {arXiv preprint arXiv:2407.13692},
  year    = {2024}
}
```"""


def model_card(
    kind: str,
    round_index: int,
    cfg: dict,
    metrics: dict,
    repo: str | None,
    prompts: dict[str, str],
    latest: bool = False,
) -> ModelCard:
    """One checkpoint's card (huggingface_hub's ``ModelCard``): metadata (base model, license,
    datasets, model-index), what it is, the prompts or input format, its numbers, how to load it,
    the other rounds' branches and the paper to cite. ``latest``: the card of ``main``."""
    base, base_text = _base(kind, cfg)
    section = cfg["prover"] if kind == "prover" else cfg["verifier"] | {"mixture": cfg["mixture"]}
    objective = (
        f"RL ({section['algorithm']}) with the `{section['reward']}` reward against the round's verifier"
        if kind == "prover"
        else f"`{section['objective']}` loss (λ = {section['lam']}) on the sample pool of earlier rounds"
    )
    loader = "AutoModelForCausalLM" if kind == "prover" else "AutoModelForSequenceClassification"
    revision = "" if latest else f', revision="{round_name(round_index)}"'
    where = f'"{repo or "REPO"}"{revision}'
    data = ModelCardData(
        base_model=base,
        library_name="transformers",
        license=cfg["push_to_hub"]["license"],
        datasets=_datasets(cfg),
        tags=["pvg-selfplay", "prover-verifier-game", kind],
        model_name=f"{repo or 'pvg-selfplay ' + kind}",
        eval_results=_eval_results(kind, cfg, metrics) or None,
    )
    branches = ", ".join(
        f"[`{round_name(r)}`](https://huggingface.co/{repo or 'REPO'}/tree/{round_name(r)})"
        for r in range(round_index + 1)
    )
    where_from = f"the latest finished round, {round_index}" if latest else f"round {round_index}"
    body = [
        f"# pvg-selfplay {kind}, round {round_index}",
        "",
        f"This is {where_from} of a Prover-Verifier Game (Kirchner et al. 2024) trained with pvg-selfplay.",
        f"Every round has its own branch: {branches}.",
        "",
        f"- Base model: {base_text}",
        f"- Objective: {objective}",
        "",
        *_prompts_section(kind, prompts),
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
        "Trained by Prover-Verifier Game self-play on the run's math word problems only (see the config "
        "above); the verifier scores (problem, solution) pairs and is not a general judge; "
        + (
            "the prover was also trained to write convincing wrong solutions when prompted as sneaky."
            if kind == "prover"
            else "its scores are only comparable within one checkpoint."
        ),
        "",
        "## Citation",
        "",
        CITATION,
        "",
    ]
    return ModelCard(f"---\n{data.to_yaml()}\n---\n" + "\n".join(body))
