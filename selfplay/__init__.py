"""pvg-selfplay: the Prover-Verifier Game trainer (CLI and, as it lands, prover/verifier/rounds)."""

__version__ = "0.1.0"
