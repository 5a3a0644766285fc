"""``pvg study results``: human accuracy per checkpoint, with 95% intervals, from the judgments.

A judgment is *right* when ``valid`` meets a correct item or ``invalid`` an incorrect one; a
``timeout`` is no answer. Per checkpoint (run, round, role): items judged, answered, timeouts,
accuracy over the answered with a Wilson 95% interval, accuracy on correct and on incorrect items,
and the median milliseconds of the right answers. Raters are excluded by one rule
(:func:`excluded_because`): fewer than :data:`MIN_ANSWERED` answers, or accuracy at most
:data:`CHANCE_ACCURACY` (chance level plus a margin); their judgments count nowhere else.
"""

from __future__ import annotations

import csv
import math
import sqlite3
from collections import defaultdict
from pathlib import Path
from statistics import median

from selfplay.run_folder import atomic_write_text

MIN_ANSWERED = 10
CHANCE_ACCURACY = 0.55
Z_95 = 1.959963984540054


def wilson(right: int, n: int) -> tuple[float, float]:
    """The Wilson score 95% interval of ``right`` out of ``n`` (``(nan, nan)`` when ``n`` is 0).

    >>> [round(x, 4) for x in wilson(8, 10)]
    [0.4902, 0.9433]
    """
    if n == 0:
        return math.nan, math.nan
    p, z2 = right / n, Z_95**2
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = Z_95 * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return centre - half, centre + half


def judgments(connection: sqlite3.Connection) -> list[dict]:
    """Every judgment with its item's provenance and whether it was right (``None``: timeout)."""
    rows = connection.execute(
        "SELECT j.rater_id, j.answer, j.ms_taken, i.checkpoint, i.run, i.round, i.role, i.correct "
        "FROM judgments j JOIN items i ON i.item_id = j.item_id ORDER BY j.rater_id, j.answered_at_ms"
    )
    out = []
    for row in rows:
        row = dict(row)
        row["right"] = (
            None if row["answer"] == "timeout" else (row["answer"] == "valid") == bool(row["correct"])
        )
        out.append(row)
    return out


def excluded_because(answered: int, accuracy: float) -> str:
    """Why a rater is left out, or ``""``: the documented exclusion rule."""
    if answered < MIN_ANSWERED:
        return f"fewer than {MIN_ANSWERED} answers"
    if accuracy <= CHANCE_ACCURACY:
        return f"accuracy {accuracy:.2f} <= {CHANCE_ACCURACY} (chance level)"
    return ""


def rater_table(rows: list[dict]) -> list[dict]:
    by_rater: dict[int, list[dict]] = defaultdict(list)
    for row in rows:
        by_rater[row["rater_id"]].append(row)
    table = []
    for rater_id, own in sorted(by_rater.items()):
        answered = [r for r in own if r["right"] is not None]
        accuracy = sum(r["right"] for r in answered) / len(answered) if answered else math.nan
        reason = excluded_because(len(answered), accuracy)
        table.append(
            {
                "rater_id": rater_id,
                "judged": len(own),
                "answered": len(answered),
                "timeouts": len(own) - len(answered),
                "accuracy": accuracy,
                "excluded": bool(reason),
                "reason": reason,
            }
        )
    return table


def checkpoint_table(rows: list[dict]) -> list[dict]:
    by_checkpoint: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        by_checkpoint[row["checkpoint"]].append(row)
    table = []
    for checkpoint, own in sorted(
        by_checkpoint.items(), key=lambda kv: (kv[1][0]["run"], kv[1][0]["round"], kv[0])
    ):
        answered = [r for r in own if r["right"] is not None]
        right = sum(r["right"] for r in answered)
        low, high = wilson(right, len(answered))
        table.append(
            {
                "checkpoint": checkpoint,
                "run": own[0]["run"],
                "round": own[0]["round"],
                "role": own[0]["role"],
                "judged": len(own),
                "answered": len(answered),
                "timeouts": len(own) - len(answered),
                "accuracy": right / len(answered) if answered else math.nan,
                "ci_low": low,
                "ci_high": high,
                "accuracy_on_correct": _share([r for r in answered if r["correct"]]),
                "accuracy_on_incorrect": _share([r for r in answered if not r["correct"]]),
                "median_ms_right": median([r["ms_taken"] for r in answered if r["right"]] or [math.nan]),
            }
        )
    return table


def _share(rows: list[dict]) -> float:
    return sum(r["right"] for r in rows) / len(rows) if rows else math.nan


def study_results(connection: sqlite3.Connection) -> tuple[list[dict], list[dict]]:
    """(checkpoint rows over the raters kept, rater rows)."""
    rows = judgments(connection)
    raters = rater_table(rows)
    kept = {r["rater_id"] for r in raters if not r["excluded"]}
    return checkpoint_table([r for r in rows if r["rater_id"] in kept]), raters


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return "n/a" if math.isnan(value) else f"{value:.3f}"
    return str(value)


def markdown_table(rows: list[dict], columns: list[str]) -> str:
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(_fmt(row[c]) for c in columns) + " |" for row in rows]
    return "\n".join(lines)


CHECKPOINT_COLUMNS = [
    "checkpoint",
    "judged",
    "answered",
    "timeouts",
    "accuracy",
    "ci_low",
    "ci_high",
    "accuracy_on_correct",
    "accuracy_on_incorrect",
    "median_ms_right",
]
RATER_COLUMNS = ["rater_id", "judged", "answered", "timeouts", "accuracy", "excluded", "reason"]


def results_markdown(checkpoints: list[dict], raters: list[dict]) -> str:
    kept = sum(not r["excluded"] for r in raters)
    return "\n\n".join(
        [
            "Human judges: accuracy over answered items (a timeout is no answer), Wilson 95% interval, "
            f"over {kept} of {len(raters)} raters (excluded: fewer than {MIN_ANSWERED} answers or "
            f"accuracy <= {CHANCE_ACCURACY}).",
            markdown_table(checkpoints, CHECKPOINT_COLUMNS),
            "Raters:",
            markdown_table(raters, RATER_COLUMNS),
        ]
    )


def write_csv(path: Path, rows: list[dict], columns: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


def plot(checkpoints: list[dict], path: Path) -> None:
    """Accuracy per round with its interval, one line per (run, role)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(7, 4))
    lines: dict[tuple, list[dict]] = defaultdict(list)
    for row in checkpoints:
        lines[(row["run"], row["role"])].append(row)
    for (run, role), rows in sorted(lines.items()):
        rows.sort(key=lambda r: r["round"])
        x = [r["round"] for r in rows]
        y = [r["accuracy"] for r in rows]
        err = [
            [a - r["ci_low"] for a, r in zip(y, rows, strict=True)],
            [r["ci_high"] - a for a, r in zip(y, rows, strict=True)],
        ]
        axes.errorbar(x, y, yerr=err, marker="o", capsize=3, label=f"{Path(run).name} {role}")
    axes.set_xlabel("round (-1: warm start)")
    axes.set_ylabel("human accuracy (95% interval)")
    axes.set_ylim(0, 1)
    axes.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


def write_results(connection: sqlite3.Connection, out: Path) -> tuple[list[dict], list[dict]]:
    """``out/``: ``checkpoints.csv``, ``raters.csv``, ``README.md`` and ``accuracy.png``."""
    checkpoints, raters = study_results(connection)
    out.mkdir(parents=True, exist_ok=True)
    write_csv(out / "checkpoints.csv", checkpoints, ["run", "round", "role", *CHECKPOINT_COLUMNS])
    write_csv(out / "raters.csv", raters, RATER_COLUMNS)
    atomic_write_text(
        out / "README.md", "# Human legibility study\n\n" + results_markdown(checkpoints, raters) + "\n"
    )
    if checkpoints:
        plot(checkpoints, out / "accuracy.png")
    return checkpoints, raters
