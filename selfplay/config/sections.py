"""The run's configuration sections: one default per field, its help text (meaning and unit) and
its allowed values, all in the field (``opt``). Nothing heavy is imported here: loading and
checking a config needs no torch, transformers or TRL.

docs/configuration.md is generated from these fields (``python -m selfplay.config.docs --write``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from envs.generators import FAMILIES
from envs.styles import CORRECT_STYLES, WRONG_STYLES
from rewards.pvg import REWARDS
from selfplay.config.fields import ConfigError, check_fields, opt

ALGORITHMS = ("grpo", "rloo")
PRECISIONS = ("auto", "bf16", "fp32")
PROMPT_FORMATS = ("auto", "chat", "raw")
OBJECTIVES = ("pairwise", "cross_entropy")
WEIGHTINGS = ("equal", "exponential")
REPORT_TO = ("none", "tensorboard", "wandb", "trackio")
# The embedded default's warm-start mixtures (prover.helpful_styles / sneaky_styles = None).
DEFAULT_HELPFUL_STYLES = {"stepwise": 1.0, "compressed": 1.0, "answer_only": 1.0}
# `blatant` is left out: with it the warm-started sneaky role wrote correct solutions 0.168 of the
# time instead of 0.092 (docs/game.md), and SRC needs a sneaky role that is reliably wrong.
DEFAULT_SNEAKY_STYLES = {"subtle": 1.0, "wrong_answer_only": 1.0}
PROVER_INIT = "prover"  # verifier_model value: start the verifier from the initial prover


def is_local_source(source: str) -> bool:
    """A jsonl path (or any existing file) rather than a Hub dataset id."""
    return source.endswith(".jsonl") or Path(source).exists()


class Section:
    """Checks its fields' choices and bounds whenever it is built; ``KEY`` names it in errors."""

    KEY: ClassVar[str] = ""

    def __post_init__(self) -> None:
        check_fields(self, f"{self.KEY}." if self.KEY else "")


@dataclass
class ProblemsConfig(Section):
    KEY: ClassVar[str] = "problems"
    source: str = opt(
        "generated",
        "`generated`, a jsonl path, or a Hub dataset id (`openai/gsm8k`); rows need a question and an "
        "answer column (GSM8K `#### N` answers recognised)",
    )
    hub_config: str | None = opt("main", "the Hub dataset's config name (GSM8K: `main` or `socratic`)")
    train_split: str = opt(
        "train", "the Hub dataset's split the prover and verifier problems come from (Hub ids only)"
    )
    test_source: str = opt(
        "auto",
        "where the test problems (metrics, pvg eval) come from: `auto` = the Hub dataset's `test` "
        "split for a Hub id, else `hash`; `hash` = a share of `source` by question-text hash "
        "(`split_fractions`' third); a split name of the Hub dataset; or a jsonl path. With a test "
        "source of its own, `source` is shared between prover and verifier in the ratio of the first "
        "two `split_fractions`, and training questions that are also test questions are left out",
    )
    question_column: str = opt("question", "the rows' question field (jsonl and Hub sources)")
    answer_column: str = opt("answer", "the rows' answer field (jsonl and Hub sources)")

    def resolved_test_source(self) -> str:
        """``test_source`` with ``auto`` replaced by what it means for this source (loading a config
        stores the result, so config.yaml records it)."""
        if self.test_source != "auto":
            return self.test_source
        return "hash" if self.source == "generated" or is_local_source(self.source) else "test"

    n_problems: int = opt(
        16000,
        "problems generated before splitting (generated source only); the warm start trains on the "
        "prover and verifier splits, so fewer problems mean more epochs over the same ones "
        "(1,600: 18 epochs, memorised)",
        ge=1,
    )
    families: list[str] = opt(["arithmetic"], "generator families", choices=tuple(sorted(FAMILIES)))
    min_steps: int = opt(1, "fewest operations per `arithmetic` problem", ge=1, le=12)
    max_steps: int = opt(2, "most operations per `arithmetic` problem", ge=1, le=12)
    max_value: int = opt(10, "largest starting quantity", ge=10)
    max_total: int | None = opt(
        30,
        "largest quantity a problem reaches at any step (`null`: no bound beyond `max_value`'s); "
        "it keeps the arithmetic facts a tiny model must learn few: at the default's budget, sums "
        "of two-digit operands were right 0.13 of the time without it; at least `max_value` + 4",
        ge=14,
    )
    split_fractions: list[float] = opt(
        [0.45, 0.45, 0.10], "prover / verifier / test shares, by question-text hash", ge=0
    )


@dataclass
class ProverConfig(Section):
    KEY: ClassVar[str] = "prover"
    model: str | None = opt(
        None, "Hub name or folder of a causal LM; `null` = the embedded tiny Llama, built locally"
    )
    algorithm: str = opt(
        "grpo",
        "TRL trainer: `grpo` (GRPOTrainer) or `rloo` (RLOOTrainer); TRL >= 1.13 has no PPOTrainer",
        choices=ALGORITHMS,
    )
    reward: str = opt("src", "prover reward (docs/rewards.md)", choices=tuple(REWARDS))
    sneaky_fraction: float = opt(
        0.5,
        "share of RL prompts in the sneaky role, drawn per problem (0 = helpful-only: the paper's "
        "correctness-only baseline); pool and eval sampling always use both roles",
        ge=0,
        le=1,
    )
    beta: float = opt(0.04, "KL penalty toward the initial policy (> 0 keeps the KL term)", ge=0)
    learning_rate: float = opt(
        2e-4, "AdamW peak rate, linear decay over `max_steps` (1e-4 to 3e-4 measured, docs/game.md)", gt=0
    )
    max_steps: int = opt(50, "optimizer steps per round (the budget; the stop rule may end it sooner)", ge=1)
    warmup_steps: int = opt(0, "optimizer steps of linear learning-rate warmup, then linear decay", ge=0)
    per_device_train_batch_size: int = opt(
        128,
        "completions per device per step; a multiple of `num_generations` (128 = 16 prompts, about "
        "8 of them helpful)",
        ge=1,
    )
    num_generations: int = opt(8, "completions per prompt: one SRC group", ge=2)
    max_completion_length: int = opt(
        40, "tokens per completion (the default's longest solutions are about 25)", ge=1
    )
    temperature: float = opt(0.7, "sampling temperature for RL and for pool and eval sampling", gt=0)
    lora_r: int = opt(0, "LoRA rank (alpha = 2r); 0 = full fine-tuning", ge=0)
    save_steps: int = opt(
        0,
        "optimizer steps between checkpoints inside a prover phase (under `round_XXX/_checkpoints/`, "
        "deleted when the phase ends); an interrupted phase resumes from the last one. 0 = none: an "
        "interrupted phase is redone whole (fine for the default's seconds-long phases)",
        ge=0,
    )
    stop_window: int = opt(
        5, "reward calls (about optimizer steps) averaged by the score-parity stop rule", ge=1
    )
    sft_steps: int = opt(
        2000,
        "warm-start optimizer steps (TRL `SFTTrainer`, loss on the completion only); each problem of "
        "the prover and verifier splits gives a helpful row and, with a sneaky mixture, a sneaky row "
        "(0 = no warm start). On CPU the model's own loss replaces TRL's fused LM head, which made "
        "a step 2x slower there (114 vs 57 ms)",
        ge=0,
    )
    sft_learning_rate: float = opt(3e-3, "warm-start AdamW peak rate", gt=0)
    sft_batch_size: int = opt(32, "warm-start sequences per device per step", ge=1)
    helpful_styles: dict[str, float] | None = opt(
        None,
        "the helpful prompt's warm-start mixture, style -> relative weight (`stepwise`, "
        "`compressed`, `answer_only`; docs/environment.md); a style that does not apply to a "
        "problem is redrawn. `null`: `{stepwise: 1, compressed: 1, answer_only: 1}` for the "
        "embedded model, `{}` for a model of your own; `{}`: the reference solution as generated",
    )
    sneaky_styles: dict[str, float] | None = opt(
        None,
        "the sneaky prompt's warm-start mixture (`subtle`, `blatant`, `wrong_answer_only`). `null`: "
        "`{subtle: 1, wrong_answer_only: 1}` for the embedded model (with `blatant` the sneaky "
        "role wrote correct solutions 0.168 of the time instead of 0.092), `{}` for your own "
        "model; `{}`: no sneaky rows",
    )
    prompt_format: str = opt(
        "auto",
        "`chat`: prompts go through the tokenizer's chat template (a system message with the role's "
        "`system_prompt`, the question as the user's); `raw`: the text prompts the embedded model "
        "learns (docs/game.md); `auto`: `chat` when the tokenizer has a template",
        choices=PROMPT_FORMATS,
    )
    system_prompt: dict[str, str] | None = opt(
        None,
        "per role (`helpful`, `sneaky`), the system prompt of `chat` prompts; `null` or a role left "
        "out: a paraphrase of the paper's (docs/game.md)",
    )
    trl: dict[str, object] = opt(
        {},
        "more GRPOConfig / RLOOConfig settings, passed to TRL as given (e.g. `--prover.trl.use_vllm "
        "true --prover.trl.vllm_mode colocate`, `loss_type`, `epsilon`, `top_p`, "
        "`mask_truncated_completions`); checked against the installed TRL's config fields before "
        "any model is built. Settings this config owns (learning rate, batch, generations, seed, "
        "precision, ...) are refused with the key to use instead",
    )
    gradient_checkpointing: bool = opt(
        False,
        "warm start and RL recompute activations in the backward pass: less memory, more time "
        "(TRL's own default is on; off measured 1.4x faster steps for the tiny verifier)",
    )


@dataclass
class VerifierPretrainConfig(Section):
    KEY: ClassVar[str] = "verifier_pretrain"
    steps: int = opt(
        1200,
        "optimizer steps (`verifier.pairs_per_device` pairs per device each); 0 = no pretraining. "
        "About 75-100 s on a 2-core AVX2 CPU for the embedded default. Needs reference solutions "
        "made of `expression = value` lines (generated problems); others are skipped, none at all "
        "is an error (the GSM8K recipe sets 0)",
        ge=0,
    )
    learning_rate: float = opt(1e-3, "AdamW peak rate (cosine schedule)", gt=0)
    # Eight fresh pairs per problem instead of one, at the same 1,200 steps: held-out AUC on the
    # warm start's own samples 0.907 instead of 0.759 (docs/verifier.md).
    pairs_per_problem: int = opt(
        8,
        "fresh (correct, wrong) pairs drawn per verifier-split problem (one: AUC 0.79 on the warm "
        "start's samples; eight: 0.91)",
        ge=1,
    )


@dataclass
class VerifierConfig(Section):
    KEY: ClassVar[str] = "verifier"
    objective: str = opt(
        "pairwise",
        "`pairwise`: the paper's -log sigmoid(V_c - V_i) + lam (V_c^2 + V_i^2); "
        "`cross_entropy`: on correctness",
        choices=OBJECTIVES,
    )
    lam: float = opt(
        0.3,
        "lambda of the score penalty, unitless (also pretraining's); 0.3 with the pretraining: "
        "AUC 0.79 on the warm start's samples against 0.76 at 0.1",
        ge=0,
    )
    max_steps: int = opt(200, "optimizer steps per round (10-13 s on 2 CPU cores for the default)", ge=1)
    pairs_per_device: int = opt(32, "pairs (two solutions each) per device per step", ge=1)
    # Rounds fine-tune the pretrained initial weights gently: at 1e-3 a round's pool pulled the
    # verifier's AUC down (0.76 -> 0.62), at 1e-4 it held (docs/verifier.md).
    learning_rate: float = opt(1e-4, "AdamW peak rate of every round's training", gt=0)
    warmup_steps: int = opt(10, "optimizer steps of learning-rate warmup", ge=0)
    max_length: int = opt(
        512,
        "tokens per solution; longer training pairs are dropped, longer scored texts keep their end",
        ge=1,
    )
    lora_r: int = opt(0, "LoRA rank; 0 = full fine-tuning", ge=0)
    lora_alpha: int = opt(16, "LoRA alpha", ge=1)
    save_steps: int = opt(
        0,
        "optimizer steps between checkpoints inside a round's verifier phase (as `prover.save_steps`); "
        "0 = none",
        ge=0,
    )
    seed: int = opt(
        0, "the verifier trainer's and its pretraining pairs' seed; unless given, the top-level `seed`", ge=0
    )
    gradient_checkpointing: bool = opt(
        False, "recompute activations in the backward pass (on: 1.4x slower steps for the tiny verifier)"
    )


@dataclass
class MixtureConfig(Section):
    KEY: ClassVar[str] = "mixture"
    n_pairs: int = opt(
        6400, "pairs in every round's verifier training set (the same budget each round)", ge=1
    )
    solutions_per_problem: int = opt(4, "most solutions of one problem used per source, half correct", ge=2)
    round_weighting: str = opt(
        "equal",
        "how sources (earlier rounds) weigh: `exponential` weighs source i by 2^i",
        choices=WEIGHTINGS,
    )
    seed: int = opt(0, "the pairs' draw seed; unless given, the top-level `seed`", ge=0)


@dataclass
class SamplingConfig(Section):
    KEY: ClassVar[str] = "sampling"
    problems_per_round: int = opt(
        800,
        "verifier-split problems sampled (both roles) after each prover phase and from the initial "
        "prover; the pool grows by `problems_per_round` x 2 x `samples_per_role` completions a round",
        ge=1,
    )
    samples_per_role: int = opt(2, "completions per (problem, role) added to the pool", ge=1)
    eval_problems: int = opt(
        200,
        "test-split problems sampled (both roles) for a round's metrics (200 x 4 samples: helpful "
        "accuracy +- about 0.017)",
        ge=1,
    )
    eval_samples_per_role: int = opt(4, "completions per (test problem, role) behind the metrics", ge=1)
    cold_temperature: float = opt(
        0.35,
        "the warm start's colder free baseline: its helpful accuracy at this temperature (and "
        "greedy) on the same test problems, in `init/metrics.json`",
        gt=0,
    )
    batch_size: int = opt(64, "prompts per `generate()` call", ge=1)


@dataclass
class PushConfig(Section):
    KEY: ClassVar[str] = "push_to_hub"
    enabled: bool = opt(
        False, "push every round as it finishes (checked before training: repos set, token present)"
    )
    prover_repo: str | None = opt(None, 'Hub repo id for the prover, e.g. "me/pvg-prover"')
    verifier_repo: str | None = opt(None, "Hub repo id for the verifier")
    private: bool = opt(True, "create missing repos as private")
    license: str = opt(
        "apache-2.0",
        "the model cards' license id; a checkpoint derived from a Hub model carries that model's "
        "terms, so give the base model's license when it is not Apache-2.0",
    )


@dataclass
class RunConfig(Section):
    output_dir: str = opt("runs/tiny_cpu", "the run folder")
    seed: int = opt(0, "base seed; every phase derives its own (listed in `config.yaml`)", ge=0)
    rounds: int = opt(3, "rounds of the game", ge=1)
    report_to: list[str] = opt(
        ["none"],
        "trackers, comma separated: `tensorboard` (under the run folder's `tracking/`), `wandb`, "
        "`trackio`, or `none`. One tracker run per game, named after the run folder; each install "
        "comes with an extra (`pip install -e .[tensorboard]`, `[wandb]`, `[trackio]`, `[trackers]`)",
        choices=REPORT_TO,
    )
    precision: str = opt(
        "auto",
        "every trainer's forward pass: `auto` = bf16 autocast on GPUs that support it, fp32 on CPU; "
        "`bf16` everywhere (eager attention on CPU; pays only with native bf16 instructions); "
        "`fp32` = none. Trainable weights and optimizer states are fp32 whatever dtype a checkpoint "
        "was saved in",
        choices=PRECISIONS,
    )
    verifier_model: str | None = opt(
        PROVER_INIT,
        "the verifier's initial weights: `prover` = the run's warm-started initial prover with a new "
        "one-score head; `null` = the embedded tiny classifier, random init; else a Hub name or "
        "folder of a one-score classifier (`./prover` for a folder named prover)",
    )
    problems: ProblemsConfig = field(default_factory=ProblemsConfig)
    prover: ProverConfig = field(default_factory=ProverConfig)
    verifier_pretrain: VerifierPretrainConfig = field(default_factory=VerifierPretrainConfig)
    verifier: VerifierConfig = field(default_factory=VerifierConfig)
    mixture: MixtureConfig = field(default_factory=MixtureConfig)
    sampling: SamplingConfig = field(default_factory=SamplingConfig)
    push_to_hub: PushConfig = field(default_factory=PushConfig)

    def validate(self) -> None:
        """Every field's choices and bounds, then the rules across fields; raises
        :class:`ConfigError` naming the key, the value and the fix."""
        for section in (self, *sections_of(self)):
            check_fields(section, f"{section.KEY}." if section.KEY else "")
        _check_styles("prover.helpful_styles", self.prover.helpful_styles, CORRECT_STYLES)
        _check_styles("prover.sneaky_styles", self.prover.sneaky_styles, WRONG_STYLES)
        unknown_roles = sorted(set(self.prover.system_prompt or {}) - {"helpful", "sneaky"})
        if unknown_roles:
            raise ConfigError(
                f"prover.system_prompt: unknown role {unknown_roles[0]!r}; roles are helpful, sneaky"
            )
        prover, problems = self.prover, self.problems
        if prover.per_device_train_batch_size % prover.num_generations:
            raise ConfigError(
                f"prover.per_device_train_batch_size ({prover.per_device_train_batch_size}) must be a "
                f"multiple of prover.num_generations ({prover.num_generations}) so SRC groups stay whole"
            )
        if problems.min_steps > problems.max_steps:
            raise ConfigError(
                f"problems.min_steps ({problems.min_steps}) must be <= problems.max_steps "
                f"({problems.max_steps})"
            )
        if problems.max_total is not None and problems.max_total < problems.max_value + 4:
            raise ConfigError(
                f"problems.max_total ({problems.max_total}) must be >= problems.max_value + 4 "
                f"({problems.max_value + 4}), or null for no bound"
            )
        if "none" in self.report_to and len(self.report_to) > 1:
            raise ConfigError(f"report_to {self.report_to}: `none` cannot be given with a tracker; drop it")
        if problems.test_source in (problems.source, problems.train_split):
            raise ConfigError(
                f"problems.test_source ({problems.test_source!r}) is also where the training problems come "
                "from; name a held-out split or file, or `hash` to split the source by question"
            )
        if len(problems.split_fractions) != 3 or abs(sum(problems.split_fractions) - 1) > 1e-6:
            raise ConfigError(
                f"problems.split_fractions must be three shares (prover, verifier, test) summing to 1; "
                f"got {problems.split_fractions}"
            )


# Section seeds that follow the top-level seed unless a config sets them (parse.derive_seeds).
DERIVED_SEEDS = (("verifier", "seed"), ("mixture", "seed"))


def sections_of(config: RunConfig) -> tuple[Section, ...]:
    """The config's sections in documentation order."""
    return (
        config.problems,
        config.prover,
        config.verifier_pretrain,
        config.verifier,
        config.mixture,
        config.sampling,
        config.push_to_hub,
    )


def _check_styles(key: str, weights: dict[str, float] | None, allowed: tuple[str, ...]) -> None:
    if weights is None:
        return
    unknown = sorted(set(weights) - set(allowed))
    if unknown:
        raise ConfigError(f"{key}: unknown style {unknown[0]!r}; choose from {', '.join(allowed)}")
    if any(w < 0 for w in weights.values()) or (weights and not any(w > 0 for w in weights.values())):
        raise ConfigError(
            f"{key}: weights must be >= 0 with at least one > 0 (or {{}} for none); got {weights}"
        )


def warm_start_styles(prover: ProverConfig) -> tuple[dict[str, float], dict[str, float]]:
    """The (helpful, sneaky) style mixtures the warm start uses: a mixture left at None is the
    embedded default's for the embedded model and none (``{}``) for a model of the user's."""
    embedded = prover.model is None

    def resolve(weights: dict[str, float] | None, default: dict[str, float]) -> dict[str, float]:
        return dict(weights) if weights is not None else dict(default) if embedded else {}

    return resolve(prover.helpful_styles, DEFAULT_HELPFUL_STYLES), resolve(
        prover.sneaky_styles, DEFAULT_SNEAKY_STYLES
    )


def verifier_source(verifier_model: str | None, pretrain_steps: int = 0, prover_text: str = "") -> str:
    """Where the verifier's initial weights come from, in words (for reports and model cards);
    ``prover_text`` names the prover when the verifier starts from it."""
    if verifier_model == PROVER_INIT:
        source = "the run's initial (warm-started) prover with a new score head"
        source += f": {prover_text}" if prover_text else ""
    else:
        source = verifier_model or "the embedded tiny classifier (random init)"
    if pretrain_steps:
        source += (
            f"; then pretrained for {pretrain_steps} steps on correct vs wrong renderings of the same form"
        )
    return source
