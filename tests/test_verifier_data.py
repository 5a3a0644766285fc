import pytest

from selfplay.game.verifier_data import INITIAL_ROUND, MixtureConfig, PoolError, Sample, build_mixture


def _samples(round_index, problem, n_correct, n_incorrect, split="verifier"):
    return [
        Sample(
            problem,
            round_index,
            "helpful" if ok else "sneaky",
            f"q {problem}",
            f"{problem} r{round_index} {k} {ok}",
            ok,
            split,
        )
        for ok, n in ((True, n_correct), (False, n_incorrect))
        for k in range(n)
    ]


@pytest.fixture
def pool():
    return (
        _samples(INITIAL_ROUND, "p1", 3, 3)  # capped at solutions_per_problem // 2 = 2 pairs
        + _samples(INITIAL_ROUND, "p2", 1, 5)  # 1 pair
        + _samples(INITIAL_ROUND, "p3", 4, 0)  # no pair: nothing incorrect
        + _samples(INITIAL_ROUND, "p4", 2, 2, split="prover")  # wrong split: ignored
        + _samples(0, "p1", 2, 1)  # 1 pair
        + _samples(0, "p5", 2, 2)  # 2 pairs
        + _samples(1, "p1", 5, 5)  # round 1 is not a source for round 1's verifier
    )


def test_exact_balanced_counts_per_source(pool):
    pairs, counts = build_mixture(
        pool, round_index=1, config=MixtureConfig(n_pairs=10, solutions_per_problem=4)
    )
    assert counts == {
        "initial": {"problems": 2, "available_pairs": 3, "pairs": 5, "weight": 1.0},
        "round_000": {"problems": 2, "available_pairs": 3, "pairs": 5, "weight": 1.0},
    }
    assert len(pairs) == 10
    for pair in pairs:
        assert pair.source_round in (INITIAL_ROUND, 0)
        assert pair.correct_solution.endswith("True") and pair.incorrect_solution.endswith("False")
        assert (
            f"r{pair.source_round} " in pair.correct_solution
            and f"r{pair.source_round} " in pair.incorrect_solution
        )


def test_exponential_weights(pool):
    _, counts = build_mixture(pool, 1, MixtureConfig(n_pairs=9, round_weighting="exponential"))
    assert (counts["initial"]["pairs"], counts["round_000"]["pairs"]) == (3, 6)
    assert (counts["initial"]["weight"], counts["round_000"]["weight"]) == (1.0, 2.0)


def test_round_zero_uses_only_the_initial_prover(pool):
    pairs, counts = build_mixture(pool, 0, MixtureConfig(n_pairs=6))
    assert set(counts) == {"initial"} and {p.source_round for p in pairs} == {INITIAL_ROUND}


def test_deterministic_for_a_seed(pool):
    first = build_mixture(pool, 1, MixtureConfig(n_pairs=10, seed=3))
    assert first == build_mixture(list(reversed(pool)), 1, MixtureConfig(n_pairs=10, seed=3))
    assert first[0] != build_mixture(pool, 1, MixtureConfig(n_pairs=10, seed=4))[0]


def test_no_pair_is_a_clear_error():
    pool = _samples(INITIAL_ROUND, "p1", 4, 0) + _samples(INITIAL_ROUND, "p2", 3, 0)
    with pytest.raises(PoolError, match=r"round 0: .*initial: 7 correct / 0 incorrect"):
        build_mixture(pool, 0, MixtureConfig())
    with pytest.raises(PoolError, match="sample the initial prover first"):
        build_mixture([], 0, MixtureConfig())


def test_bad_mixture_config_names_the_field():
    with pytest.raises(ValueError, match="round_weighting"):
        MixtureConfig(round_weighting="linear")
