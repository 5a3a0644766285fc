"""The numbers of ``pvg eval`` summaries as markdown tables: per run, and per group of seeds.

Runs whose configs differ only by seed (and where they are written) form a group; a group's table
gives each headline number's mean ± sample standard deviation over its runs. Pure functions over
``RUN_DIR/eval/summary.json`` contents; nothing here loads a model.
"""

from __future__ import annotations

import functools
import json
from dataclasses import asdict
from pathlib import Path
from statistics import mean, stdev

from selfplay.config import RunConfig, load_run_config
from selfplay.config.sections import DERIVED_SEEDS

# Keys that do not change what a run computes beyond its seed: runs differing only there are seeds
# of one experiment.
SEED_FREE_IGNORED = ("seed", "output_dir", "report_to", "push_to_hub")
# (key, column title) of the per-round headline numbers, in table order.
HEADLINES = (
    ("helpful_accuracy", "helpful acc."),
    ("sneaky_incorrect_rate", "sneaky incorrect"),
    ("verifier_auc", "verifier AUC"),
    ("best_of_n", "balanced best-of-N"),
    ("judge_helpful", "judge acc. helpful"),
    ("judge_sneaky", "judge acc. sneaky"),
    ("stepwise_helpful", "helpful stepwise share"),
    ("correct_steps_helpful", "helpful correct steps"),
    ("subtle_sneaky", "sneaky subtle share"),
)


def fmt(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def label(summary: dict) -> str:
    return f"{Path(summary['run']).name} ({summary['reward']})"


def largest_best_of(summary: dict) -> int:
    return max(int(n) for n in summary["rounds"][0]["best_of_n"])


def _share(result: dict, table: str, role: str, name: str) -> float | None:
    """A style's or form's share of a role's samples (0 when absent; None for results from before
    styles were labelled)."""
    tables = result["metrics"].get(table)
    if tables is None:
        return None
    return tables.get(role, {}).get(name, {}).get("share", 0.0)


def headline(result: dict, best_of: int) -> dict[str, float | None]:
    """The headline numbers of one round's (or the warm start's) evaluation result."""
    m, judge, steps = result["metrics"], result.get("judge", {}), result.get("step_checkability", {})
    best = result.get("best_of_n", {}).get(str(best_of), {})
    return {
        "helpful_accuracy": m["helpful_accuracy"],
        "sneaky_incorrect_rate": m["sneaky_incorrect_rate"],
        "verifier_auc": m.get("verifier_auc"),
        "best_of_n": best.get("accuracy"),
        "judge_helpful": judge.get("helpful"),
        "judge_sneaky": judge.get("sneaky"),
        "stepwise_helpful": _share(result, "forms", "helpful", "stepwise"),
        "correct_steps_helpful": steps.get("helpful", {}).get("correct_step_fraction"),
        "subtle_sneaky": _share(result, "styles", "sneaky", "subtle"),
    }


def attack_text(attack: dict | None) -> str:
    if attack is None:
        return "not run"
    steps = attack["steps_to_success"]
    return f"{steps}" if steps is not None else f"not within {attack['budget_steps']}"


def _table_header(first: str, best_of: int, last: str) -> list[str]:
    titles = [title.replace("-N", f"-{best_of}") for _, title in HEADLINES]
    return [
        f"| {first} | round | " + " | ".join(titles) + f" | {last} |",
        "|" + "---|" * (len(HEADLINES) + 3),
    ]


def comparison_table(summaries: list[dict]) -> str:
    """One markdown row per (run, round) with the headline numbers, the warm start first."""
    best_of = largest_best_of(summaries[0])
    lines = _table_header("run", best_of, "attack steps")
    for summary in summaries:
        warm = summary.get("warm_start_eval")
        values = (
            headline(warm, best_of)
            if warm
            else {"helpful_accuracy": summary["warm_start"]["helpful_accuracy"]}
        )
        lines.append(_row([label(summary), "warm start"], values, ""))
        for result in summary["rounds"]:
            lines.append(
                _row(
                    [label(summary), str(result["round"])],
                    headline(result, best_of),
                    attack_text(result["attack"]),
                )
            )
    return "\n".join(lines)


def _row(first: list[str], values: dict, last: str) -> str:
    cells = first + [fmt(values.get(key)) for key, _ in HEADLINES] + [last]
    return "| " + " | ".join(cells) + " |"


# --- seeds ------------------------------------------------------------------------------------


@functools.cache
def _run_config(run: str) -> RunConfig:
    """A run's saved config, read once per report (the grouping asks for it repeatedly)."""
    return load_run_config(run)


def seed_free_config(summary: dict) -> str:
    """The run's resolved config and evaluation settings without the seed-like keys, as text."""
    config = asdict(_run_config(summary["run"]))
    # Section seeds left to the scheme are the run's seed itself: they follow it (or, in folders
    # made before they did, stayed at 0 whatever the seed).
    for section, name in DERIVED_SEEDS:
        if config[section][name] in (config["seed"], 0):
            config[section].pop(name)
    for key in SEED_FREE_IGNORED:
        config.pop(key, None)
    evaluation = dict(summary["eval_config"])
    return json.dumps({"config": config, "eval": evaluation}, sort_keys=True)


def seed_groups(summaries: list[dict]) -> list[list[dict]]:
    """Summaries grouped by :func:`seed_free_config` with distinct seeds (a run repeating a
    group's seed starts a group of its own), groups and members in first-seen order."""
    groups: list[tuple[str, list[dict]]] = []
    for summary in summaries:
        key, seed = seed_free_config(summary), _run_config(summary["run"]).seed
        home = next((g for k, g in groups if k == key and seed not in seeds_of(g)), None)
        if home is None:
            groups.append((key, [summary]))
        else:
            home.append(summary)
    return [group for _, group in groups]


def seeds_of(group: list[dict]) -> list[int]:
    return [_run_config(s["run"]).seed for s in group]


def group_label(group: list[dict]) -> str:
    if len(group) == 1:
        return label(group[0])
    return f"{group[0]['reward']}, seeds {', '.join(map(str, seeds_of(group)))}"


def mean_spread(values: list[float | None]) -> tuple[float | None, float | None]:
    """Mean and sample standard deviation of the values that are not ``None`` (spread ``None``
    with fewer than two)."""
    present = [v for v in values if v is not None]
    if not present:
        return None, None
    return mean(present), stdev(present) if len(present) > 1 else None


def _mean_cell(values: list[float | None]) -> str:
    centre, spread = mean_spread(values)
    return fmt(centre) if spread is None else f"{fmt(centre)} ± {fmt(spread)}"


def group_headlines(group: list[dict], best_of: int) -> list[tuple[str, list[dict]]]:
    """``(round label, [each run's headline])`` for the warm start and every round all runs have."""
    rows = []
    if all(s.get("warm_start_eval") for s in group):
        rows.append(("warm start", [headline(s["warm_start_eval"], best_of) for s in group]))
    for index in range(min(len(s["rounds"]) for s in group)):
        rows.append(
            (str(group[0]["rounds"][index]["round"]), [headline(s["rounds"][index], best_of) for s in group])
        )
    return rows


def seed_table(summaries: list[dict]) -> str:
    """One markdown row per (group of seeds, round): each headline's mean ± spread over the seeds,
    and every seed's attack result; empty when no group has two runs."""
    groups = seed_groups(summaries)
    if all(len(g) == 1 for g in groups):
        return ""
    best_of = largest_best_of(summaries[0])
    lines = _table_header("runs", best_of, "attack steps per seed")
    for group in groups:
        attacks = {str(r["round"]): [] for r in group[0]["rounds"]}
        for summary in group:
            for result in summary["rounds"]:
                attacks.setdefault(str(result["round"]), []).append(attack_text(result["attack"]))
        for round_label, headlines in group_headlines(group, best_of):
            cells = [_mean_cell([h[key] for h in headlines]) for key, _ in HEADLINES]
            attack = ", ".join(attacks.get(round_label, []))
            lines.append("| " + " | ".join([group_label(group), round_label, *cells, attack]) + " |")
    return "\n".join(lines)


def free_baselines_table(summaries: list[dict]) -> str:
    """Per group: the warm start's helpful accuracy at the run's temperature, colder and greedy
    (mean ± spread), beside the last round's; empty when no summary has the baselines."""
    groups = [g for g in seed_groups(summaries) if all("warm_start_eval" in s for s in g)]
    if not groups:
        return ""
    lines = [
        "| runs | warm start (T) | colder (T) | greedy | last round | last round − warm start |",
        "|---|---|---|---|---|---|",
    ]
    for group in groups:
        free = [s["warm_start_eval"]["free_baselines"] for s in group]
        last = [s["rounds"][-1]["metrics"]["helpful_accuracy"] for s in group]
        gain = [a - f["helpful_accuracy"] for a, f in zip(last, free, strict=True)]
        cells = [
            f"{_mean_cell([f['helpful_accuracy'] for f in free])} ({free[0]['temperature']})",
            f"{_mean_cell([f['helpful_accuracy_cold'] for f in free])} ({free[0]['cold_temperature']})",
            _mean_cell([f["helpful_accuracy_greedy"] for f in free]),
            _mean_cell(last),
            _mean_cell(gain),
        ]
        lines.append("| " + " | ".join([group_label(group), *cells]) + " |")
    return "\n".join(lines)


def style_table(summary: dict, table: str, role: str) -> str:
    """Rows warm start, round 0, 1, ... of one run: each style's (or form's) share and, in
    parentheses, its accuracy, for one role; empty for summaries from before styles."""
    results = [("warm start", summary.get("warm_start_eval"))] + [
        (str(r["round"]), r) for r in summary["rounds"]
    ]
    results = [(name, r) for name, r in results if r and r["metrics"].get(table)]
    if not results:
        return ""
    names = sorted({n for _, r in results for n in r["metrics"][table].get(role, {})})
    lines = ["| round | " + " | ".join(names) + " |", "|" + "---|" * (len(names) + 1)]
    for name, result in results:
        cells = []
        for style in names:
            entry = result["metrics"][table].get(role, {}).get(style)
            cells.append("–" if entry is None else f"{entry['share']:.2f} ({entry['accuracy']:.2f})")
        lines.append("| " + " | ".join([name, *cells]) + " |")
    return "\n".join(lines)
