"""Evidence on real data: GSM8K's own reference solutions grade correct and their steps verify."""

import json
import re

import pytest

from envs.checker import check_completion
from envs.steps import CORRECT, check_steps


def _rows(shared_data, split):
    with open(shared_data / "gsm8k" / f"{split}.jsonl", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


@pytest.mark.parametrize("split", ["train", "test"])
def test_every_reference_solution_grades_correct(shared_data, split):
    rows = _rows(shared_data, split)
    failures = [
        row["answer"][-60:] for row in rows if not check_completion(row["answer"], row["answer"]).correct
    ]
    assert len(rows) in (7473, 1019)
    assert failures == []


def test_annotations_verify_as_correct_steps(shared_data):
    annotations = [
        a
        for split in ("train", "test")
        for row in _rows(shared_data, split)
        for a in re.findall(r"<<([^<>]*)>>", row["answer"])
    ]
    verified = 0
    for annotation in annotations:
        steps, _ = check_steps(annotation)
        verified += bool(steps) and all(step.verdict == CORRECT for step in steps)
    assert len(annotations) > 25_000
    assert verified / len(annotations) >= 0.99


def test_corrupting_the_final_number_makes_it_incorrect(shared_data):
    rows = _rows(shared_data, "test")
    for row in rows:
        body, _, final = row["answer"].rpartition("#### ")
        corrupted = f"{body}#### {int(final.replace(',', '')) + 1}"
        result = check_completion(corrupted, row["answer"])
        assert (result.correct, result.reason) == (False, "wrong_answer"), row["answer"][-40:]
