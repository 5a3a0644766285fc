"""The run's configuration: sections with one documented default per field (``sections``), their
checks (``fields``), loading from YAML and the command line (``parse``), and the generated help
and reference (``docs``). Imports nothing heavy: no torch, transformers or TRL."""

from selfplay.config.fields import ConfigError
from selfplay.config.parse import load_config, load_run_config
from selfplay.config.sections import (
    ALGORITHMS,
    DEFAULT_HELPFUL_STYLES,
    DEFAULT_SNEAKY_STYLES,
    OBJECTIVES,
    PRECISIONS,
    PROVER_INIT,
    WEIGHTINGS,
    MixtureConfig,
    ProblemsConfig,
    ProverConfig,
    PushConfig,
    RunConfig,
    SamplingConfig,
    VerifierConfig,
    VerifierPretrainConfig,
    verifier_source,
    warm_start_styles,
)

__all__ = [
    "ALGORITHMS",
    "DEFAULT_HELPFUL_STYLES",
    "DEFAULT_SNEAKY_STYLES",
    "OBJECTIVES",
    "PRECISIONS",
    "PROVER_INIT",
    "WEIGHTINGS",
    "ConfigError",
    "MixtureConfig",
    "ProblemsConfig",
    "ProverConfig",
    "PushConfig",
    "RunConfig",
    "SamplingConfig",
    "VerifierConfig",
    "VerifierPretrainConfig",
    "load_config",
    "load_run_config",
    "verifier_source",
    "warm_start_styles",
]
