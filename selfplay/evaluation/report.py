"""``pvg report RUN_DIR... --out DIR``: a markdown report with PNG plots from ``pvg eval`` results.

The first run is the subject; further runs (baselines) appear beside it in every table and plot.
Runs that differ only by seed are grouped: plots show their mean with the spread as error bars, and
a table gives every headline number's mean ± spread. The report starts with the commands that made
the runs, their evaluation and the report itself.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import matplotlib
import yaml

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt

from selfplay.config import load_run_config, verifier_source
from selfplay.evaluation.report_deployment import deployment_section
from selfplay.evaluation.report_tables import (
    comparison_table,
    free_baselines_table,
    group_label,
    label,
    mean_spread,
    seed_groups,
    seed_table,
    style_table,
)
from selfplay.run_folder import atomic_write_text, read_json, read_jsonl, round_name

ROUND_METRICS = (
    ("helpful_accuracy", "helpful accuracy"),
    ("sneaky_incorrect_rate", "sneaky incorrect rate"),
    ("verifier_auc", "verifier ROC AUC"),
)


def load_summary(run_dir: str | Path) -> dict:
    """``RUN_DIR/eval/summary.json``, or an error saying how to make it."""
    path = Path(run_dir) / "eval" / "summary.json"
    if not path.is_file():
        raise ValueError(f"{path} is missing: run `pvg eval {run_dir}` first")
    summary = read_json(path)
    summary["run"] = str(run_dir)  # where the folder is now, not where it was evaluated
    return summary


def _rounds(group: list[dict]) -> list[int]:
    """The rounds every run of the group has."""
    return [r["round"] for r in group[0]["rounds"][: min(len(s["rounds"]) for s in group)]]


def _group_curve(group: list[dict], value) -> tuple[list[float], list[float]]:
    """Mean and spread (0 for one run) per round of ``value(result)`` over the group's runs; NaN
    (a gap) where it is undefined."""
    centres, spreads = [], []
    for index in range(len(_rounds(group))):
        centre, spread = mean_spread([value(s["rounds"][index]) for s in group])
        centres.append(float("nan") if centre is None else centre)
        spreads.append(spread or 0.0)
    return centres, spreads


def _plot_round_metrics(groups: list[list[dict]], path: Path) -> None:
    fig, axes = plt.subplots(1, len(ROUND_METRICS), figsize=(4 * len(ROUND_METRICS), 3.2))
    for ax, (key, title) in zip(axes, ROUND_METRICS, strict=True):
        for group in groups:
            centres, spreads = _group_curve(group, lambda r, key=key: r["metrics"][key])
            line = ax.errorbar(_rounds(group), centres, yerr=spreads, fmt="o-", capsize=3)
            if key == "helpful_accuracy":
                warm, _ = mean_spread([s["warm_start"]["helpful_accuracy"] for s in group])
                ax.axhline(warm, ls=":", color=line[0].get_color())
        ax.set(title=title, xlabel="round", ylim=(0, 1), xticks=_rounds(groups[0]))
    axes[0].legend([group_label(g) for g in groups], fontsize=7)
    _save(fig, path)


def _plot_best_of_n(groups: list[list[dict]], path: Path) -> None:
    fig, axes = plt.subplots(1, len(groups), figsize=(4.5 * len(groups), 3.2), squeeze=False)
    for ax, group in zip(axes[0], groups, strict=True):
        ns = sorted(int(n) for n in group[0]["rounds"][0]["best_of_n"])
        for index, round_index in enumerate(_rounds(group)):
            accuracy = [
                mean_spread([s["rounds"][index]["best_of_n"][str(n)]["accuracy"] for s in group])[0]
                for n in ns
            ]
            chance = [
                mean_spread([s["rounds"][index]["best_of_n"][str(n)].get("chance") for s in group])[0]
                for n in ns
            ]
            line = ax.plot(ns, _curve(accuracy), "o-", label=f"round {round_index}")
            ax.plot(ns, _curve(chance), ":", color=line[0].get_color())
        ax.set(title=f"balanced best-of-n: {group_label(group)}", xlabel="n", xscale="log", ylim=(0, 1))
        ax.set_xticks(ns, [str(n) for n in ns])
        ax.legend(fontsize=7)
    _save(fig, path)


def _curve(values: list[float | None]) -> list[float]:
    """Values to plot, NaN (a gap) where a metric is undefined."""
    return [v if v is not None else float("nan") for v in values]


def _attack_steps(result: dict) -> float | None:
    """Steps to success, the budget when not within it, None when no attack ran."""
    attack = result["attack"]
    if attack is None:
        return None
    return attack["steps_to_success"] if attack["steps_to_success"] is not None else attack["budget_steps"]


def _plot_attack(groups: list[list[dict]], path: Path) -> None:
    fig, ax = plt.subplots(figsize=(5, 3.2))
    width = 0.8 / len(groups)
    for i, group in enumerate(groups):
        xs = [r - 0.4 + width * (i + 0.5) for r in _rounds(group)]  # side by side, centred on the round
        centres, spreads = _group_curve(group, _attack_steps)
        bars = ax.bar(xs, centres, yerr=spreads, width=width, capsize=3, label=group_label(group))
        for index, bar in enumerate(bars):
            attacks = [s["rounds"][index]["attack"] for s in group]
            if all(a is not None and a["steps_to_success"] is None for a in attacks):
                bar.set_hatch("//")
    ax.set(title="attack steps to success (hatched: never within budget)", xlabel="round", ylabel="steps")
    ax.set_xticks(_rounds(groups[0]))
    ax.legend(fontsize=7)
    _save(fig, path)


def _plot_judge(groups: list[list[dict]], path: Path) -> None:
    fig, ax = plt.subplots(figsize=(5, 3.2))
    for group in groups:
        for role, style in (("helpful", "o-"), ("sneaky", "s--")):
            centres, spreads = _group_curve(group, lambda r, role=role: r["judge"][role])
            ax.errorbar(
                _rounds(group),
                centres,
                yerr=spreads,
                fmt=style,
                capsize=3,
                label=f"{group_label(group)}: {role}",
            )
    ax.set(title="fixed weak judge accuracy per role", xlabel="round", ylim=(0, 1), xticks=_rounds(groups[0]))
    ax.legend(fontsize=7)
    _save(fig, path)


def _plot_styles(group: list[dict], path: Path) -> bool:
    """Stacked shares per round (warm start first), averaged over the group's runs: the helpful
    role's forms and the sneaky role's styles. False (nothing drawn) for summaries without styles."""
    panels = (("helpful", "forms"), ("sneaky", "styles"))
    columns = [("warm start", lambda s: s.get("warm_start_eval"))]
    columns += [(str(r), lambda s, i=i: s["rounds"][i]) for i, r in enumerate(_rounds(group))]
    if not all(get(s) and get(s)["metrics"].get("styles") for _, get in columns for s in group):
        return False
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.4))
    for ax, (role, table) in zip(axes, panels, strict=True):
        names = sorted(
            {n for _, get in columns for s in group for n in get(s)["metrics"][table].get(role, {})}
        )
        bottom = [0.0] * len(columns)
        for name in names:
            shares = [
                mean_spread(
                    [get(s)["metrics"][table].get(role, {}).get(name, {}).get("share", 0.0) for s in group]
                )[0]
                for _, get in columns
            ]
            ax.bar([c for c, _ in columns], shares, bottom=bottom, label=name)
            bottom = [b + v for b, v in zip(bottom, shares, strict=True)]
        ax.set(title=f"{role} {table} ({group_label(group)})", xlabel="round", ylabel="share", ylim=(0, 1))
        ax.legend(fontsize=7)
    _save(fig, path)
    return True


def _save(fig, path: Path) -> None:
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def fenced(text: str) -> str:
    """``text`` in a markdown code fence longer than any run of backticks inside it, so model
    output cannot close the fence and be read as markdown.

    >>> fenced("a ``` b").splitlines()
    ['````', 'a ``` b', '````']
    """
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}\n{text}\n{fence}"


def _examples(summary: dict) -> str:
    """One correct and one incorrect solution per role per round, from the evaluation samples."""
    parts = []
    for result in summary["rounds"]:
        rows = read_jsonl(Path(summary["run"]) / "eval" / f"samples_{round_name(result['round'])}.jsonl")
        for role in ("helpful", "sneaky"):
            for correct in (True, False):
                row = next((r for r in rows if r["role"] == role and r["correct"] == correct), None)
                title = f"Round {result['round']}, {role}, {'correct' if correct else 'incorrect'}"
                if row is None:
                    parts.append(f"**{title}:** none among the samples.\n")
                    continue
                parts.append(
                    f"**{title}** (verifier score {row['score']:.2f}, judge score "
                    f"{row['judge_score']:.2f}, true answer {row['answer']}):\n\n"
                    + fenced(f"{row['question']}\n---\n{row['completion'].strip()}")
                    + "\n"
                )
    return "\n".join(parts)


def _config_summary(summary: dict) -> str:
    cfg = load_run_config(summary["run"])
    p, v = cfg.prover, cfg.verifier
    return "\n".join(
        [
            f"- rounds: {cfg.rounds}, seed {cfg.seed}; problems: {cfg.problems.source} "
            f"({cfg.problems.n_problems} generated, {cfg.problems.min_steps}-{cfg.problems.max_steps} steps)",
            f"- prover: {p.model or 'embedded tiny Llama'}, {p.algorithm}, reward {p.reward}, "
            f"lr {p.learning_rate}, beta {p.beta}, {p.max_steps} steps × {p.per_device_train_batch_size} "
            f"completions ({p.num_generations} per prompt), warm start {p.sft_steps} SFT steps",
            f"- verifier: {verifier_source(cfg.verifier_model, cfg.verifier_pretrain.steps)}, {v.objective} "
            f"(λ {v.lam}), {v.max_steps} steps × {v.pairs_per_device} pairs",
            f"- evaluation: {summary['eval_config']}",
        ]
    )


def _commands(summaries: list[dict], report_command: str) -> str:
    lines = [s["train_command"] or f"# {s['run']}: training command not recorded" for s in summaries]
    lines += [s.get("eval_command") or f"pvg eval {s['run']}" for s in summaries]
    lines.append(report_command)
    return "```bash\n" + "\n".join(dict.fromkeys(lines)) + "\n```"


def _section(title: str, body: str) -> str:
    return f"## {title}\n\n{body}" if body else ""


def _judge_text(summary: dict) -> str:
    judge = summary["rounds"][0]["judge"]
    if judge.get("kind", "round0") == "round0":
        who = "The run's round-0 verifier (`pvg eval --judge round0`)"
    else:
        who = (
            "A small classifier trained once on the environment's correct and wrong renderings "
            "(no prover trained against it)"
        )
    return (
        f"{who}, with a threshold fixed at the median of its scores on the warm start's test samples, "
        "scoring every round's solutions: as with the paper's time-limited raters, its accuracy on helpful "
        "solutions should rise and on sneaky ones fall."
    )


def _style_sections(group: list[dict]) -> str:
    """The first run's style tables (each cell: share, then accuracy in parentheses)."""
    summary = group[0]
    parts = []
    for role, table, what in (
        ("helpful", "forms", "forms"),
        ("helpful", "styles", "styles"),
        ("sneaky", "styles", "styles"),
    ):
        text = style_table(summary, table, role)
        if text:
            parts.append(f"**{label(summary)}, {role} {what}** (share, accuracy in parentheses):\n\n{text}")
    return "\n\n".join(parts)


def write_report(
    run_dirs: list[str | Path], out_dir: str | Path, report_command: str, study: Path | None = None
) -> Path:
    """Write ``out_dir/README.md`` and its PNG plots; returns the markdown's path. With ``study``
    (a study folder, docs/study.md) a section of human judges' accuracy is added."""
    summaries = [load_summary(run_dir) for run_dir in run_dirs]
    for summary in summaries:
        summary["train_command"] = _train_command(summary["run"])
    groups = seed_groups(summaries)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    _plot_round_metrics(groups, out / "round_metrics.png")
    _plot_best_of_n(groups, out / "best_of_n.png")
    _plot_attack(groups, out / "attack.png")
    _plot_judge(groups, out / "judge.png")
    styles_plotted = _plot_styles(groups[0], out / "styles.png")
    seeds = seed_table(summaries)
    text = "\n\n".join(
        part
        for part in [
            f"# Legibility report: {', '.join(group_label(g) for g in groups)}",
            "Regenerate with:\n\n" + _commands(summaries, report_command),
            _section(
                "Across seeds",
                seeds
                and "Mean ± sample standard deviation over the runs that differ only by seed.\n\n" + seeds,
            ),
            _section(
                "Free baselines",
                free_baselines_table(summaries)
                and "Helpful accuracy of the warm start, unchanged by RL, at the runs' sampling "
                "temperature, colder and greedy, beside the last round's: a gain that colder sampling "
                "gives for nothing is no gain of the game.\n\n"
                + free_baselines_table(summaries),
            ),
            "## Across rounds\n\n" + comparison_table(summaries),
            "![metrics across rounds](round_metrics.png)",
            _section(
                "Styles",
                _style_sections(groups[0]) + ("\n\n![style shares](styles.png)" if styles_plotted else ""),
            ),
            "## Balanced best-of-n\n\nAccuracy of the verifier's top pick among n solutions drawn half "
            "correct, half incorrect (problems with both kinds only). Dotted: a random pick, the share of "
            "correct solutions in the draws; it falls below 0.5 at large n where a problem has too few "
            "correct samples to fill half the draw.\n\n"
            "![balanced best-of-n](best_of_n.png)",
            "## Attack robustness\n\nOptimizer steps a fresh sneaky-only prover needed to fool the frozen "
            "verifier of each round (≥ 95% incorrect, mean score ≥ the helpful-correct mean).\n\n"
            "![attack steps](attack.png)",
            "## Fixed weak judge\n\n" + _judge_text(summaries[0]) + "\n\n![judge accuracy](judge.png)",
            deployment_section(groups[0], out),
            human_section(study, out) if study else "",
            "## Example solutions\n\n" + _examples(summaries[0]),
            "## Configuration\n\n"
            + "\n\n".join(f"**{label(s)}**\n\n{_config_summary(s)}" for s in summaries),
        ]
        if part
    )
    path = out / "README.md"
    atomic_write_text(path, text + "\n")
    return path


def human_section(study: Path, out: Path) -> str:
    """Human judges' accuracy from a study's judgments (``pvg study results``' tables and plot)."""
    from selfplay.study.database import open_study
    from selfplay.study.results import plot, results_markdown, study_results

    checkpoints, raters = study_results(open_study(study))
    if checkpoints:
        plot(checkpoints, out / "human_accuracy.png")
    figure = "\n\n![human accuracy](human_accuracy.png)" if checkpoints else ""
    return (
        f"## Human judges\n\nFrom the study in `{study}`. " + results_markdown(checkpoints, raters) + figure
    )


def _train_command(run_dir: str) -> str | None:
    document = yaml.safe_load((Path(run_dir) / "config.yaml").read_text()) or {}
    command = document.get("command")
    return shlex.join(command) if command else None
