"""What every phase body receives: the run's config, its folder, the process state and the
problems, with the few helpers the bodies share (loading a prover or a scorer, sampling with the
run's settings). Bodies read only what earlier phases wrote to the folder, never in-memory state
left by another phase, so a resumed run computes what an uninterrupted one would."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from accelerate import PartialState
from transformers import AutoModelForCausalLM, AutoTokenizer

from selfplay.config import RunConfig
from selfplay.game.plan import phase_seed
from selfplay.game.sampling import sample_and_label
from selfplay.game.tracking import GameTracker
from selfplay.models.prompting import prompter_for
from selfplay.models.scoring import VerifierScorer
from selfplay.models.trainer_utils import full_weights
from selfplay.models.verifier import load_verifier
from selfplay.run_folder import RunFolder, round_name


@dataclass(frozen=True)
class GameContext:
    """The run one phase body works on; ``splits`` maps prover / verifier / test to problems, and
    ``tracker`` is the game's one tracker run (its ``callbacks()`` go to every trainer)."""

    cfg: RunConfig
    folder: RunFolder
    state: PartialState
    splits: dict
    tracker: GameTracker

    @property
    def init_dir(self) -> Path:
        return self.folder.root / "init"

    def round_dir(self, round_index: int) -> Path:
        return self.folder.root / round_name(round_index)

    def load_prover(self, path: Path):
        """``(model, tokenizer)`` on this process's device."""
        # Whole weights on every process even under ZeRO-3: sampling is per process, not sharded.
        with full_weights():
            model = AutoModelForCausalLM.from_pretrained(path).to(self.state.device)
        return model, AutoTokenizer.from_pretrained(path)

    def scorer(self, round_dir: Path) -> VerifierScorer:
        """The round's saved verifier, loaded fresh: a resumed run scores with it as the first did."""
        model, tokenizer, _ = load_verifier(round_dir / "verifier")
        return VerifierScorer(model.to(self.state.device), tokenizer, max_length=self.cfg.verifier.max_length)

    def sample(self, prover, round_index: int, split: str, n_problems: int, n: int, score_fn=None, **kwargs):
        """``sample_and_label`` with the run's settings; ``kwargs`` (temperature, roles) override them."""
        model, tokenizer = prover
        # Seeded from (run seed, round), not from the torch state left by earlier work: a resumed
        # phase draws exactly the samples the interrupted one would have.
        s, p = self.cfg.sampling, self.cfg.prover
        settings = {"temperature": p.temperature} | kwargs
        return sample_and_label(
            model,
            tokenizer,
            self.splits[split][:n_problems],
            round_index=round_index,
            split=split,
            n=n,
            max_new_tokens=p.max_completion_length,
            batch_size=s.batch_size,
            seed=phase_seed(self.cfg.seed, round_index, "samples"),
            score_fn=score_fn,
            prompt_text=prompter_for(tokenizer, p).text,
            state=self.state,  # every process samples its share; all get every row
            **settings,
        )
