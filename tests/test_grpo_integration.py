"""The reward adapter inside TRL's GRPOTrainer: columns arrive, metrics are logged, the policy moves."""

import torch
from datasets import Dataset
from trl import GRPOConfig, GRPOTrainer

from envs.generators import GeneratorConfig, generate
from rewards.trl_adapter import PVGReward
from selfplay.models.scoring import VerifierScorer
from selfplay.models.tiny import build_tiny_causal_lm, build_tiny_classifier, build_tiny_tokenizer
from selfplay.models.trainer_utils import checkpointing_kwargs


def test_src_reward_drives_a_grpo_update(tmp_path):
    torch.manual_seed(0)
    tokenizer = build_tiny_tokenizer()
    build_tiny_causal_lm(tokenizer).save_pretrained(tmp_path / "prover")
    tokenizer.save_pretrained(tmp_path / "prover")
    scorer = VerifierScorer(build_tiny_classifier(tokenizer), tokenizer)
    rows = [
        {
            "prompt": f"Role: {role}\nProblem: {p.question}\nSolution:",
            "problem_id": p.id,
            "role": role,
            "question": p.question,
            "answer": p.answer,
        }
        for p in generate("arithmetic", 8, seed=0, config=GeneratorConfig(2, 3, 20))
        for role in ("helpful", "sneaky")
    ]
    args = GRPOConfig(
        output_dir=str(tmp_path / "grpo"),
        max_steps=2,
        per_device_train_batch_size=8,
        num_generations=4,
        max_completion_length=16,
        learning_rate=1e-2,
        beta=0.04,
        logging_steps=1,
        report_to="none",
        save_strategy="no",
        use_cpu=True,
        bf16=False,
        scale_rewards="none",
        seed=0,
        **checkpointing_kwargs(False),  # as the game's prover phase (TRL's default is on)
    )
    trainer = GRPOTrainer(
        model=str(tmp_path / "prover"),
        reward_funcs=[PVGReward("src", 4, scorer.score)],
        args=args,
        train_dataset=Dataset.from_list(rows),
        processing_class=tokenizer,
    )
    before = {name: p.detach().clone() for name, p in trainer.model.named_parameters()}
    trainer.train()
    moved = [name for name, p in trainer.model.named_parameters() if not torch.equal(before[name], p)]
    assert moved, "no policy parameter changed"
    logged = {key for entry in trainer.state.log_history for key in entry}  # a batch may hold one role only
    for role in ("helpful", "sneaky"):
        for metric in ("reward", "verifier_score", "accuracy", "checker_failures"):
            assert f"{role}/{metric}" in logged
    assert "rewards/pvg_src/mean" in logged
