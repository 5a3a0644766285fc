"""Solution styles: every rendering grades as it should and round-trips through ``style_of``."""

import random

import pytest

from envs.checker import check_completion
from envs.generators import GeneratorConfig, generate
from envs.styles import (
    CORRECT_STYLES,
    STYLES,
    WRONG_STYLES,
    contrast_pair,
    form_of,
    render,
    render_mixture,
    solution_program,
    style_of,
)

PROBLEMS = generate("arithmetic", 300, seed=0, config=GeneratorConfig(min_steps=2, max_steps=3, max_value=10))
PACKS = "5 + 3 * 10 = 35\n35 * 2 = 70\n#### 70"
FORMS = {"stepwise": "stepwise", "compressed": "compressed", "answer_only": "answer_only"}
FORMS |= {"subtle": "stepwise", "blatant": "stepwise", "wrong_answer_only": "answer_only"}


def test_the_renderings_of_one_solution():
    rng = random.Random(0)
    assert render(PACKS, "stepwise", rng) == "3 * 10 = 30\n5 + 30 = 35\n35 * 2 = 70\n#### 70"
    assert render(PACKS, "compressed", rng) == "(5 + 3 * 10) * 2 = 70\n#### 70"
    assert render(PACKS, "answer_only", rng) == "#### 70"
    *steps, final = render(PACKS, "blatant", rng).splitlines()
    assert steps == ["3 * 10 = 30", "5 + 30 = 35", "35 * 2 = 70"] and final != "#### 70"
    assert render(PACKS, "wrong_answer_only", rng) not in ("#### 70", None)


def test_a_subtle_flaw_is_one_wrong_line_that_every_later_line_follows():
    subtle = render("10 - 5 = 5\n5 * 2 = 10\n10 + 2 = 12\n#### 12", "subtle", random.Random(3))
    (a, b), (c, d), (e, f) = (line.split(" = ") for line in subtle.splitlines()[:3])
    wrong = [lhs for lhs, value in ((a, b), (c, d), (e, f)) if eval(lhs) != int(value)]  # test data only
    assert len(wrong) == 1
    assert c.split(" * ")[0] == b and e.split(" + ")[0] == d  # later lines use the written values
    assert subtle.splitlines()[-1] == f"#### {f}"


@pytest.mark.parametrize("style", STYLES)
def test_every_style_renders_grades_and_round_trips(style):
    rng = random.Random(1)
    rendered = 0
    for problem in PROBLEMS:
        text = render(problem, style, rng)
        if text is None:
            continue
        rendered += 1
        result = check_completion(text, problem.answer)
        assert result.correct == (style in CORRECT_STYLES), (style, text)
        assert style_of(text, problem.answer) == style, text
        assert form_of(text) == FORMS[style], text
        if style in ("stepwise", "compressed", "blatant"):
            assert result.summary.n_correct == result.summary.n_steps > 0  # every step verifies
        if style == "subtle":
            assert result.summary.n_steps - result.summary.n_correct == 1
    assert rendered >= 250, f"{style}: only {rendered} of {len(PROBLEMS)} problems render"


def test_compressed_needs_one_expression_of_two_operations():
    assert render("5 + 3 = 8\n#### 8", "compressed", random.Random(0)) is None
    assert render("5 + 3 = 8\n#### 8", "stepwise", random.Random(0)) == "5 + 3 = 8\n#### 8"
    # The percent family's second line reuses the price: not one expression tree.
    assert render("80 * 15 / 100 = 12\n80 - 12 = 68\n#### 68", "compressed", random.Random(0)) == (
        "80 - 80 * 15 / 100 = 68\n#### 68"
    )


def test_solutions_that_are_not_programs_have_no_styles():
    assert solution_program("Half of 48 is 24.\n#### 24") is None
    assert solution_program("1/2 + 1/3 = 5/6\n#### 5/6") is None  # a fraction would read as an operation
    assert render("Natalia sold 48/2 = 24 clips.\n#### 24", "stepwise", random.Random(0)) is None


def test_renderings_are_deterministic_for_the_generator():
    first = [render(p, "subtle", random.Random(p.id)) for p in PROBLEMS[:50]]
    assert first == [render(p, "subtle", random.Random(p.id)) for p in PROBLEMS[:50]]


@pytest.mark.parametrize(
    ("text", "style", "form"),
    [
        ("", "other", "other"),
        ("hello world", "other", "other"),
        ("#### ", "other", "other"),
        ("3 + 4 = 7", "other", "other"),  # no final answer
        ("3 + 4 = 7\nso the answer\n#### 7", "other", "other"),  # a line that is not a step
        ("3 + 4 = 7 = 7\n#### 7", "other", "other"),  # two = signs
        ("x = 7\n#### 7", "other", "other"),
        ("3 + 4 = 8\n8 * 2 = 17\n#### 17", "other", "stepwise"),  # two wrong steps
        ("3 + 4 = 8\n8 * 2 = 16\n#### 15", "other", "stepwise"),  # wrong step and a non-following answer
        ("3 + 4 * 2 = 11\n11 - 1 = 10\n#### 10", "other", "other"),  # several lines, one with two operations
        ("#### 7", "answer_only", "answer_only"),
        ("#### seven", "other", "other"),
        ("((((((((((1))))))))))+" * 400 + " = 2\n#### 2", "other", "other"),
        ("1 + 1 = 2\n" * 100 + "#### 2", "other", "other"),  # more than MAX_LINES
        ("9" * 5000 + " = 1\n#### 1", "other", "other"),  # longer than MAX_CHARS
        ("__import__('os').system('x') = 1\n#### 1", "other", "other"),
        ("3 + 4 = 7\n#### 7\u0000", "other", "other"),
        ("３ + ４ = ７\n#### ７", "stepwise", "stepwise"),  # the checker reads any Unicode digit
    ],
)
def test_malformed_text_is_classified_without_raising(text, style, form):
    assert style_of(text, "7") == style
    assert form_of(text) == form


def test_the_true_answer_separates_answer_only_from_wrong_answer_only():
    assert style_of("#### 9", "9") == "answer_only"
    assert style_of("#### 9", "8") == "wrong_answer_only"
    assert style_of("#### 9") == "answer_only"  # without it: the form


def test_a_mixture_redraws_a_style_that_does_not_apply():
    rng = random.Random(0)
    drawn = {render_mixture("5 + 3 = 8\n#### 8", {"compressed": 5, "answer_only": 1}, rng) for _ in range(20)}
    assert drawn == {("answer_only", "#### 8")}
    assert render_mixture("no program\n#### 8", {"stepwise": 1}, rng) is None


def test_contrast_pairs_share_a_form_and_differ_in_correctness():
    rng = random.Random(0)
    for problem in PROBLEMS[:100]:
        correct, wrong = contrast_pair(problem, rng)
        assert form_of(correct) == form_of(wrong)
        assert check_completion(correct, problem.answer).correct
        assert not check_completion(wrong, problem.answer).correct
        assert style_of(wrong, problem.answer) in WRONG_STYLES
