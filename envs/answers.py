"""Find the final answer in a completion and tidy it for parsing.

Priority (first marker kind present wins; within a kind the *last* occurrence wins, so a model's
final statement counts and hedging with two answers does not help):

1. ``#### <answer>`` — GSM8K's format and the one our prompts ask for; the rest of that line.
2. ``\\boxed{<answer>}`` — brace-matched, so ``\\boxed{\\frac{1}{2}}`` is whole.
3. ``Answer: <answer>`` (any case, also ``Final answer:``) — the rest of that line.

All scans are linear in the text length.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ANSWER_LINE_RE = re.compile(r"answer\s*:", re.IGNORECASE)
_ASSIGNMENT_RE = re.compile(r"^[A-Za-z]\s*=\s*")
# A trailing ``\text{...}`` unit after something else (``3 \text{ apples}``); a \text that is the
# whole answer (``\text{Evelyn}``) is the answer and stays.
_TEXT_UNIT_RE = re.compile(r"(?<=\S)\s*\\(?:text|mbox|mathrm)\{[^{}]*\}\s*$")
_LATEX_THOUSANDS_RE = re.compile(r"(?<=\d)\{,\}(?=\d{3})")  # 14{,}916: LaTeX's thousands comma
_RELATION_RE = re.compile(r"\\(?:approx|neq|ne|leq|geq|le|ge|sim|simeq|equiv)(?![A-Za-z])|[=<>≈≠≤≥]")
_NUMBER_THEN_WORDS_RE = re.compile(r"^(-?\s*[\d.,]+)\s+[A-Za-z][A-Za-z ]*$")


@dataclass(frozen=True, slots=True)
class ExtractedAnswer:
    """The answer as written after its marker, and which marker it came from."""

    text: str
    marker: str


def extract_final_answer(completion: str) -> ExtractedAnswer | None:
    """The completion's final answer by the documented priority, or ``None`` if it has none."""
    for marker, finder in (("####", _after_hashes), ("boxed", _last_boxed), ("answer:", _after_answer_label)):
        text = finder(completion)
        if text is not None and text.strip():
            return ExtractedAnswer(text.strip(), marker)
    return None


def final_answer_text(completion: str) -> str | None:
    """The final answer as written (:func:`extract_final_answer`'s text), or ``None``."""
    extracted = extract_final_answer(completion)
    return extracted.text if extracted else None


def _rest_of_line(text: str, start: int) -> str:
    end = text.find("\n", start)
    return text[start : end if end != -1 else len(text)]


def _after_hashes(text: str) -> str | None:
    pos = text.rfind("####")
    return None if pos == -1 else _rest_of_line(text, pos + 4)


def _after_answer_label(text: str) -> str | None:
    last = None
    for last in _ANSWER_LINE_RE.finditer(text):  # noqa: B007 - we want the final match
        pass
    return None if last is None else _rest_of_line(text, last.end())


def _last_boxed(text: str) -> str | None:
    pos = text.rfind("\\boxed")
    if pos == -1:
        return None
    open_pos = pos + len("\\boxed")
    while open_pos < len(text) and text[open_pos] == " ":
        open_pos += 1
    if open_pos >= len(text) or text[open_pos] != "{":
        return None
    depth = 0
    for i in range(open_pos, len(text)):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return text[open_pos + 1 : i]
    return None  # unbalanced: no usable answer


def gold_answer_text(gold: str) -> str:
    """The answer part of a gold field: after the last ``####`` if present, else all of it."""
    pos = gold.rfind("####")
    return (gold[pos + 4 :] if pos != -1 else gold).strip()


def relations(text: str) -> int:
    """How many relation symbols (``=``, ``<``, ``\\approx``, ...) an answer holds: a value has none.

    >>> relations("72"), relations("73 = 72"), relations("72 \\\\approx 73"), relations("-2 < x < 5")
    (0, 1, 1, 2)
    """
    return len(_RELATION_RE.findall(text))


def normalise_gold(gold: str) -> str:
    """The gold answer read as predictions are: LaTeX thousands commas (``14{,}916``) as commas and
    a leading ``x =`` dropped, so an answer written the gold's way matches it."""
    return _ASSIGNMENT_RE.sub("", _LATEX_THOUSANDS_RE.sub(",", gold.strip()))


def tidy_answer(text: str) -> str:
    """Remove presentation around an answer: math delimiters, a trailing full stop, ``x =``,
    bold markers, currency, a trailing ``%`` or unit text (``18 dollars`` -> ``18``).

    Percentages are compared as the number written (``25%`` -> ``25``), as GSM8K's gold answers do.
    Only a *single* number followed by words loses the words, so ``3 or 5`` stays unparseable.
    """
    answer = text.strip().strip("*").strip()
    for opener, closer in (("$", "$"), ("\\(", "\\)"), ("\\[", "\\]")):
        if answer.startswith(opener) and answer.endswith(closer) and len(answer) >= 2 * len(opener):
            answer = answer[len(opener) : len(answer) - len(closer)].strip()
    answer = answer.rstrip(".").strip()
    answer = _LATEX_THOUSANDS_RE.sub(",", answer)
    answer = _ASSIGNMENT_RE.sub("", answer)
    answer = _TEXT_UNIT_RE.sub("", answer).strip()
    answer = answer.replace("\\%", "%").replace("\\$", "$").rstrip("%").strip()
    answer = answer.lstrip("$€£¥").strip()
    unit_match = _NUMBER_THEN_WORDS_RE.match(answer)
    if unit_match:
        answer = unit_match.group(1).strip()
    return answer
