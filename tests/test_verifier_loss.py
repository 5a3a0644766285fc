import math

import pytest
import torch

from selfplay.config import VerifierConfig
from selfplay.game.verifier_training import verifier_loss


def _nll_sigmoid(x):
    return math.log(1 + math.exp(-x))


@pytest.mark.parametrize(
    ("v_correct", "v_incorrect", "lam", "expected"),
    [
        ([1.0], [0.0], 0.0, 0.313262),  # -log σ(1)
        ([1.0], [0.0], 0.1, 0.413262),  # + 0.1 * (1 + 0)
        ([0.5], [-0.5], 0.2, 0.313262 + 0.2 * 0.5),
        ([2.0, 0.0], [0.0, 2.0], 0.05, (0.126928 + 2.126928) / 2 + 0.05 * 4),
    ],
)
def test_pairwise_loss_pinned(v_correct, v_incorrect, lam, expected):
    loss = verifier_loss(torch.tensor(v_correct), torch.tensor(v_incorrect), lam, "pairwise")
    assert float(loss) == pytest.approx(expected, abs=1e-6)


def test_penalty_is_per_score_not_trls_sum_of_pair():
    # TRL's centring term (V_c + V_i)^2 is 0 here; the paper's λ(V_c² + V_i²) is 0.1 * 8 = 0.8.
    loss = verifier_loss(torch.tensor([2.0]), torch.tensor([-2.0]), 0.1, "pairwise")
    assert float(loss) == pytest.approx(_nll_sigmoid(4.0) + 0.8, abs=1e-6)


def test_cross_entropy_pinned():
    loss = verifier_loss(torch.tensor([1.0]), torch.tensor([0.0]), 0.1, "cross_entropy")
    assert float(loss) == pytest.approx(_nll_sigmoid(1.0) + math.log(2) + 0.1, abs=1e-6)


def test_loss_gradient_pushes_scores_apart():
    v_correct, v_incorrect = torch.tensor([0.0], requires_grad=True), torch.tensor([0.0], requires_grad=True)
    verifier_loss(v_correct, v_incorrect, 0.1, "pairwise").backward()
    assert v_correct.grad.item() == pytest.approx(-0.5) and v_incorrect.grad.item() == pytest.approx(0.5)


@pytest.mark.parametrize(("field", "value"), [("objective", "hinge"), ("max_steps", 0), ("lam", -1.0)])
def test_bad_config_names_the_field(field, value):
    with pytest.raises(ValueError, match=field):
        VerifierConfig(**{field: value})
