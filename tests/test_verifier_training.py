"""The tiny verifier learns, on CPU, to tell reference solutions from subtly wrong ones.

As in the embedded default, the verifier starts from a tiny Llama warm-started on reference
solutions (``verifier_model: prover``): its body, and a new score head. Wrong solutions have one
step's result off by 1-9 and every later step, the final answer included, following from it
(``corrupt_step``) - the issue's learning test. Each training problem gets eight corruptions,
each paired with its reference solution, λ is 0.3 and, on a CPU with bf16 instructions, both
trainers run under bf16 autocast (``precision="bf16"``): warm start and verifier together then take
about 53 s on a 2-core AVX512-BF16 machine (docs/verifier.md has the measurements and the other
seeds); elsewhere they run in fp32.
From random init the same budget reached 0.81
(``bench/verifier_bench.py --learning``, docs/verifier.md).
"""

import json
import random

import pytest
import torch

from envs.corrupt import corrupt_step
from envs.generators import GeneratorConfig, generate
from envs.problems import split_problems
from selfplay.config import VerifierConfig
from selfplay.game.verifier_data import INITIAL_ROUND, MixtureConfig, Sample, build_mixture
from selfplay.game.verifier_training import train_verifier
from selfplay.game.warm_start import warm_start
from selfplay.models.scoring import VerifierScorer, verifier_metrics
from selfplay.models.tiny import build_tiny_causal_lm, build_tiny_tokenizer
from selfplay.models.trainer_utils import cpu_has_native_bf16
from selfplay.models.verifier import (
    load_classifier,
    load_verifier,
    save_initial_classifier,
    save_verifier,
    verifier_info,
)

STEPS = 1200
WARM_START_STEPS = 400  # half the default's 800, to fit in 60 s (docs/verifier.md)
CORRUPTIONS_PER_PROBLEM = 8  # training pool: like a prover's several wrong samples of one problem
LAM = 0.3  # 0.1 (the game's) measured 0.924 here, 0.3 0.943
# bf16: 18% faster verifier steps on an AVX512-BF16 CPU, same AUC; emulated, many times slower, on a
# CPU without bf16 instructions.
PRECISION = "bf16" if cpu_has_native_bf16() else "fp32"


def _labelled(problems, rng, corruptions_per_problem=1):
    """Per problem, ``corruptions_per_problem`` pairs: the reference solution (correct) and a
    ``corrupt_step`` version of it (incorrect), each drawn anew."""
    out = []
    for problem in problems:
        for _ in range(corruptions_per_problem):
            wrong = corrupt_step(problem.solution, rng)
            if wrong is not None:
                out += [(problem, problem.solution, True), (problem, wrong, False)]
    return out


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("verifier")
    torch.manual_seed(0)
    splits = split_problems(generate("arithmetic", 20_000, seed=0, config=GeneratorConfig(1, 2, 10)))
    tokenizer = build_tiny_tokenizer()
    warm_start(
        build_tiny_causal_lm(tokenizer),
        tokenizer,
        splits["prover"] + splits["verifier"],
        root / "lm",
        steps=WARM_START_STEPS,
        learning_rate=3e-3,
        batch_size=32,
        seed=0,
        precision=PRECISION,
    )
    classifier = save_initial_classifier(root / "lm", root / "init")  # the LM's body, a new score head
    init_state = {name: t.clone() for name, t in classifier.state_dict().items()}
    pool = [
        Sample(p.id, INITIAL_ROUND, "helpful" if ok else "sneaky", p.question, solution, ok)
        for p, solution, ok in _labelled(splits["verifier"], random.Random(0), CORRUPTIONS_PER_PROBLEM)
    ]
    config = VerifierConfig(max_steps=STEPS, lam=LAM, learning_rate=1e-3)
    mixture = MixtureConfig(
        n_pairs=STEPS * config.pairs_per_device, solutions_per_problem=2 * CORRUPTIONS_PER_PROBLEM
    )
    pairs, counts = build_mixture(pool, 0, mixture)
    model, tokenizer, log = train_verifier(root / "init", pairs, config, root / "work", precision=PRECISION)
    held_out = _labelled(splits["test"][:400], random.Random(1))
    return {
        "root": root,
        "init_state": init_state,
        "model": model,
        "tokenizer": tokenizer,
        "log": log,
        "config": config,
        "counts": counts,
        "held_out": (
            [p.question for p, _, _ in held_out],
            [s for _, s, _ in held_out],
            [ok for _, _, ok in held_out],
        ),
    }


def test_learns_to_rank_correct_above_corrupted_on_held_out_problems(trained):
    questions, solutions, labels = trained["held_out"]
    metrics = verifier_metrics(
        VerifierScorer(trained["model"], trained["tokenizer"]).score(questions, solutions), labels
    )
    assert metrics["roc_auc"] >= 0.9, metrics
    assert metrics["mean_score_correct"] > metrics["mean_score_incorrect"]


def test_parameters_moved_and_loss_fell(trained):
    initial, _ = load_classifier(str(trained["root"] / "init"))
    before, after = initial.state_dict(), trained["model"].state_dict()
    unchanged = [name for name in before if torch.equal(before[name], after[name])]
    assert unchanged == []
    losses = [entry["loss"] for entry in trained["log"]["history"] if "loss" in entry]
    assert trained["log"]["steps"] == STEPS and losses[-1] < losses[0] - 0.1


def test_training_never_touches_the_initial_weights(trained):
    reloaded, _ = load_classifier(str(trained["root"] / "init"))
    assert all(torch.equal(trained["init_state"][name], t) for name, t in reloaded.state_dict().items())


def test_saved_verifier_loads_back_to_the_same_scores(trained):
    questions, solutions, _ = trained["held_out"]
    info = verifier_info(trained["config"], trained["counts"], {"roc_auc": 0.9})
    out = save_verifier(trained["root"] / "saved", trained["model"], trained["tokenizer"], info)
    model, tokenizer, loaded_info = load_verifier(out)
    before = VerifierScorer(trained["model"], trained["tokenizer"]).score(questions[:64], solutions[:64])
    assert VerifierScorer(model, tokenizer).score(questions[:64], solutions[:64]) == before
    saved = json.loads((out / "verifier.json").read_text())
    assert saved == loaded_info
    assert (saved["objective"], saved["lam"], saved["seed"]) == ("pairwise", LAM, 0)
    assert saved["data_counts"]["initial"]["pairs"] == STEPS * 32


def test_lora_training_saves_a_plain_model(trained, tmp_path):
    pairs, _ = build_mixture(
        [
            Sample("p", INITIAL_ROUND, "helpful", "q", "1 + 1 = 2\n#### 2", True),
            Sample("p", INITIAL_ROUND, "sneaky", "q", "1 + 1 = 3\n#### 3", False),
        ],
        0,
        MixtureConfig(n_pairs=8),
    )
    model, tokenizer, _ = train_verifier(
        trained["root"] / "init", pairs, VerifierConfig(max_steps=3, lora_r=4), tmp_path
    )
    save_verifier(tmp_path / "lora", model, tokenizer, {})
    reloaded, _ = load_classifier(str(tmp_path / "lora"))
    initial, _ = load_classifier(str(trained["root"] / "init"))
    assert not any(name.startswith("base_model") or "lora" in name for name in reloaded.state_dict())
    assert not torch.equal(
        reloaded.model.layers[0].self_attn.q_proj.weight, initial.model.layers[0].self_attn.q_proj.weight
    )


def test_missing_verifier_folder_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="not a saved verifier"):
        load_verifier(tmp_path)
