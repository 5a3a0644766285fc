"""Load problems from GSM8K (Hub id or local jsonl) or any jsonl with question/answer fields.

A row whose ``answer`` contains ``#### N`` is GSM8K-style: ``solution`` is the text with the
``<<...>>`` calculator annotations removed, and ``answer`` the number after ``####`` with thousands
separators dropped (``1,080`` -> ``1080``). Any other answer is kept as written (``51``,
``\\frac{14}{3}``). A malformed row is skipped, and the skipped line numbers are reported in one
:class:`MalformedRowWarning`; a source with no usable row raises :class:`DatasetError`.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterable, Iterator
from pathlib import Path

from envs import arith
from envs.answers import gold_answer_text
from envs.checker import numeric_value
from envs.problems import Problem
from envs.steps import ANNOTATION_RE

GSM8K_HUB_ID = "openai/gsm8k"


class DatasetError(ValueError):
    """A dataset source that cannot be used at all (missing, or no usable row)."""


class MalformedRowWarning(UserWarning):
    """Some rows of a source were skipped; the message names their line numbers."""


def strip_annotations(solution: str) -> str:
    """GSM8K solution text without ``<<expr=value>>`` calculator annotations."""
    return ANNOTATION_RE.sub("", solution)


def row_to_problem(
    row: object, problem_id: str, source: str, question_field: str, answer_field: str
) -> Problem:
    """One problem from a decoded row, or ``ValueError`` saying what is wrong with it."""
    if not isinstance(row, dict):
        raise ValueError(f"expected a JSON object, got {type(row).__name__}")
    question, answer = row.get(question_field), row.get(answer_field)
    if not isinstance(question, str) or not question.strip():
        raise ValueError(f"field {question_field!r} is missing or not a non-empty string")
    if isinstance(answer, bool) or not isinstance(answer, (str, int, float)) or not str(answer).strip():
        raise ValueError(f"field {answer_field!r} is missing or empty")
    answer = str(answer)
    solution = None
    if "####" in answer:
        solution = strip_annotations(answer)
        answer = gold_answer_text(answer).replace(",", "")
        if not answer:
            raise ValueError("nothing after '####'")
    value = numeric_value(answer.strip())
    if solution is not None and isinstance(value, str):
        raise ValueError(f"'#### {answer}' is not a number ({value})")
    if value == arith.OVERSIZE:
        raise ValueError("answer is over the size bound")
    row_id = row.get("id")
    return Problem(
        id=str(row_id) if row_id is not None else problem_id,
        question=question.strip(),
        answer=answer.strip(),
        source=source,
        value=None if isinstance(value, str) else value,
        solution=solution,
    )


def load_jsonl(
    path: str | Path,
    question_field: str = "question",
    answer_field: str = "answer",
    source: str | None = None,
) -> list[Problem]:
    """Problems from a jsonl file; ids are the row's ``id`` field or ``<file stem>-<line>``."""
    path = Path(path)
    if not path.is_file():
        raise DatasetError(f"dataset file {str(path)!r} does not exist (give a jsonl path or a Hub id)")
    source = source or path.stem
    problems, bad_lines = [], []
    for line_no, row in jsonl_rows(path):
        try:
            if isinstance(row, ValueError):
                raise row
            problems.append(
                row_to_problem(row, f"{path.stem}-{line_no}", source, question_field, answer_field)
            )
        except ValueError as err:  # json.JSONDecodeError is a ValueError
            bad_lines.append((line_no, str(err)))
    return _finish(problems, bad_lines, f"{path}", question_field, answer_field)


def jsonl_rows(path: Path) -> Iterator[tuple[int, object]]:
    """``(line number, decoded row)`` for each non-blank line of a jsonl file; a line that is not
    JSON comes with its ``ValueError`` in place of the row (undecodable bytes are replaced)."""
    with Path(path).open(encoding="utf-8", errors="replace") as handle:
        for line_no, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                yield line_no, json.loads(line)
            except ValueError as err:
                yield line_no, err


def _finish(
    problems: list[Problem], bad: list[tuple[int, str]], where: str, qf: str, af: str
) -> list[Problem]:
    if bad:
        shown = "; ".join(f"line {n}: {why}" for n, why in bad[:10])
        more = f" (and {len(bad) - 10} more)" if len(bad) > 10 else ""
        warnings.warn(
            f"{where}: skipped {len(bad)} malformed row(s): {shown}{more}", MalformedRowWarning, stacklevel=3
        )
    if not problems:
        raise DatasetError(
            f"{where} has no usable row: each line must be a JSON object with string fields {qf!r} and {af!r}"
        )
    return problems


def load_gsm8k(source: str = GSM8K_HUB_ID, split: str = "train") -> list[Problem]:
    """GSM8K from a local jsonl path, or from the Hub by id (``openai/gsm8k``, config ``main``).

    The Hub path needs network access and the ``datasets`` package's cache; tests use local files.
    """
    if source.endswith(".jsonl") or Path(source).exists():
        return load_jsonl(source, source=f"gsm8k/{Path(source).stem}")
    return load_hub(source, "main", split)


def load_hub(
    dataset_id: str,
    config: str | None,
    split: str,
    question_field: str = "question",
    answer_field: str = "answer",
) -> list[Problem]:
    """Problems from one split of a Hub dataset (``datasets.load_dataset(dataset_id, config,
    split=split)``), rows read as :func:`row_to_problem` reads them. Needs the network or the
    ``datasets`` cache."""
    from datasets import load_dataset  # deferred: heavy import, only for Hub users

    rows: Iterable[dict] = load_dataset(dataset_id, config, split=split)
    name = dataset_id.rsplit("/", 1)[-1]
    problems, bad = [], []
    for index, row in enumerate(rows, start=1):
        try:
            problems.append(
                row_to_problem(
                    row, f"{name}-{split}-{index}", f"{name}/{split}", question_field, answer_field
                )
            )
        except ValueError as err:
            bad.append((index, str(err)))
    return _finish(problems, bad, f"{dataset_id} ({split})", question_field, answer_field)
