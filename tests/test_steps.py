import pytest

from envs.steps import CORRECT, UNCHECKABLE, WRONG, check_steps


@pytest.mark.parametrize(
    ("line", "verdicts"),
    [
        ("Natalia sold 48/2 = 24 clips in May.", [CORRECT]),
        ("Working 50 minutes, she earned 0.2 x 50 = $10.", [CORRECT]),
        ("She pays 12 * 4 = 46 dollars.", [WRONG]),
        ("5 * 3 = 15 = 15", [CORRECT, CORRECT]),
        ("5 * 3 = 15 + 2 = 17", [WRONG, CORRECT]),  # sides compare pairwise: 15 != 15 + 2
        ("x = 5", [UNCHECKABLE]),
        ("Total = $72", [UNCHECKABLE]),
        ("20% of 80 = 16", [CORRECT]),
        ("He has 80 = 16 left", [UNCHECKABLE]),  # a bare number after a word is ambiguous
        ("(5 * 3 = 15)", [CORRECT]),
        ("- 5 * 3 = 15", [CORRECT]),  # list marker, not a minus sign
        ("2. 10 / 4 = 2.5", [CORRECT]),
        ("10/3 = 3.33", [CORRECT]),  # rounded to the places written
        ("10/3 = 3.3", [WRONG]),  # one place is not enough to claim rounding
        ("1/3 = 0", [WRONG]),
        ("Sold 48/2 = <<48/2=24>>24 clips and 3+3 = <<3+3=7>>7", [CORRECT, WRONG]),
        ("no equals sign here 3 + 4", []),
    ],
)
def test_line_verdicts(line, verdicts):
    steps, _ = check_steps(line)
    assert [s.verdict for s in steps] == verdicts


def test_summary_numbers():
    solution = "Intro line.\n3 + 4 = 7\n7 * 2 = 15\nx = 14\n\n#### 14"
    steps, summary = check_steps(solution)
    assert [(s.line, s.expression, s.claimed, s.verdict) for s in steps] == [
        (2, "3 + 4", "7", CORRECT),
        (3, "7 * 2", "15", WRONG),
        (4, "", "14", UNCHECKABLE),
    ]
    assert (summary.n_lines, summary.n_steps, summary.n_checkable, summary.n_correct) == (5, 3, 2, 1)
    assert summary.checkable_fraction == pytest.approx(2 / 5)
    assert summary.correct_fraction == pytest.approx(1 / 2)


def test_no_checkable_step_has_no_correct_fraction():
    _, summary = check_steps("just prose\n#### 3")
    assert summary.correct_fraction is None and summary.checkable_fraction == 0.0


def test_deadline_marks_remaining_steps_uncheckable():
    steps, summary = check_steps("1 + 1 = 2\n2 + 2 = 4", deadline=0.0)
    assert [s.reason for s in steps] == ["timeout", "timeout"] and summary.n_checkable == 0
