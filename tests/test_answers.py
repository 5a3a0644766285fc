import pytest

from envs.answers import extract_final_answer, gold_answer_text, tidy_answer


@pytest.mark.parametrize(
    ("completion", "text", "marker"),
    [
        ("so 3 + 4 = 7\n#### 7", "7", "####"),
        ("#### 5\nwait, no\n#### 6", "6", "####"),
        ("The answer is \\boxed{\\frac{1}{2}}.", "\\frac{1}{2}", "boxed"),
        ("\\boxed{1} then \\boxed{2}", "2", "boxed"),
        ("Answer: 42 apples", "42 apples", "answer:"),
        ("Final answer: -3", "-3", "answer:"),
        ("answer: 1\nANSWER: 9", "9", "answer:"),
        # priority: #### beats \boxed beats Answer:, wherever they stand
        ("#### 1\n\\boxed{2}\nAnswer: 3", "1", "####"),
        ("\\boxed{2}\nAnswer: 3", "2", "boxed"),
        ("\\boxed{2 \nAnswer: 3", "3", "answer:"),  # unbalanced box is not an answer
    ],
)
def test_extracts_by_priority(completion, text, marker):
    found = extract_final_answer(completion)
    assert (found.text, found.marker) == (text, marker)


@pytest.mark.parametrize("completion", ["", "I think it is 7.", "####   \n", "\\boxed{", "answer"])
def test_no_answer(completion):
    assert extract_final_answer(completion) is None


@pytest.mark.parametrize(
    ("raw", "tidy"),
    [
        ("$1,080$", "1,080"),
        ("\\(0.5\\)", "0.5"),
        ("72.", "72"),
        ("x = 5", "5"),
        ("**18**", "18"),
        ("18 dollars", "18"),
        ("$18", "18"),
        ("25%", "25"),
        ("25\\%", "25"),
        ("10\\text{ cm}", "10"),
        ("3 or 5", "3 or 5"),
        ("\\frac{14}{3}", "\\frac{14}{3}"),
    ],
)
def test_tidy(raw, tidy):
    assert tidy_answer(raw) == tidy


def test_gold_answer_text():
    assert gold_answer_text("48/2 = 24\n#### 1,080") == "1,080"
    assert gold_answer_text("  \\frac{1}{2} ") == "\\frac{1}{2}"
