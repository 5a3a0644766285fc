"""Prover rewards for the Prover-Verifier Game: pure functions over lists (see ``rewards.pvg``).

No model or trainer imports here; a thin TRL adapter (with the game) will turn completions into the
lists these functions take.
"""

from rewards.pvg import CGC_PENALTY, REWARDS, cgc_rewards, correctness_rewards, goodhart_rewards, src_rewards

__all__ = ["CGC_PENALTY", "REWARDS", "cgc_rewards", "correctness_rewards", "goodhart_rewards", "src_rewards"]
