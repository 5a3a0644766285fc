"""The sympy-checked math environment: problems with known answers and a hostile-input-safe checker.

Environments never import trainers; everything here runs and is tested without a model.
"""

from envs.checker import CheckResult, check_completion
from envs.generators import GeneratorConfig, generate, generate_mixture
from envs.problems import SPLITS, Problem, split_of, split_problems
from envs.steps import StepSummary, StepVerdict, check_steps

__all__ = [
    "SPLITS",
    "CheckResult",
    "GeneratorConfig",
    "Problem",
    "StepSummary",
    "StepVerdict",
    "check_completion",
    "check_steps",
    "generate",
    "generate_mixture",
    "split_of",
    "split_problems",
]
