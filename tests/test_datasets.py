import json

import pytest

from envs.datasets import DatasetError, MalformedRowWarning, load_gsm8k, load_jsonl, strip_annotations


def test_gsm8k_local(shared_data):
    problems = load_gsm8k(str(shared_data / "gsm8k" / "train.jsonl"))
    assert len(problems) == 7473
    first = problems[0]
    assert (first.answer, first.value) == ("72", 72)
    assert "<<" not in first.solution and first.solution.endswith("#### 72")
    thousands = [p for p in problems if p.answer == "1080"]
    assert thousands and thousands[0].value == 1080
    assert any(p.value < 0 for p in problems)


def test_other_jsonl_sources(shared_data):
    svamp = load_jsonl(shared_data / "svamp" / "test.jsonl")
    math500 = load_jsonl(shared_data / "math500" / "test.jsonl")
    assert len(svamp) == 1000 and all(p.value is not None for p in svamp)
    assert len(math500) == 500
    assert math500[0].answer == "\\left( 3, \\frac{\\pi}{2} \\right)" and math500[0].value is None


def test_strip_annotations():
    assert strip_annotations("48/2 = <<48/2=24>>24 clips") == "48/2 = 24 clips"


def test_malformed_rows_are_skipped_with_their_line_numbers(tmp_path):
    path = tmp_path / "mixed.jsonl"
    rows = [
        json.dumps({"question": "q1", "answer": "1 + 1 = 2\n#### 2"}),
        "{not json",
        json.dumps({"question": "q3"}),
        "",
        json.dumps({"question": "q5", "answer": "#### many"}),
        json.dumps({"question": "q6", "answer": 7, "id": "custom"}),
        json.dumps(["a", "list"]),
    ]
    path.write_text("\n".join(rows) + "\n")
    with pytest.warns(
        MalformedRowWarning, match=r"skipped 4 malformed row\(s\): line 2: .*line 3: .*line 5: .*line 7"
    ):
        problems = load_jsonl(path)
    assert [(p.id, p.answer) for p in problems] == [("mixed-1", "2"), ("custom", "7")]


def test_no_usable_row_is_an_error_naming_the_file(tmp_path):
    path = tmp_path / "empty.jsonl"
    path.write_text('{"q": 1}\n')
    with (
        pytest.warns(MalformedRowWarning),
        pytest.raises(DatasetError, match=r"empty\.jsonl has no usable row"),
    ):
        load_jsonl(path)
    with pytest.raises(DatasetError, match="does not exist"):
        load_jsonl(tmp_path / "missing.jsonl")


def test_custom_field_names(tmp_path):
    path = tmp_path / "custom.jsonl"
    path.write_text(json.dumps({"problem": "What is 2+2?", "solution": "4"}) + "\n")
    problems = load_jsonl(path, question_field="problem", answer_field="solution")
    assert problems[0].value == 4
