"""``pvg report RUN_DIR... --out DIR``: a markdown report with PNG plots from ``pvg eval`` results.

The first run is the subject; further runs (baselines) appear beside it in every table and plot.
The report starts with the commands that made the runs, their evaluation and the report itself.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import matplotlib
import yaml

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt

from selfplay.config import load_run_config, verifier_source
from selfplay.run_folder import atomic_write_text, read_jsonl, round_name

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
    summary = json.loads(path.read_text())
    summary["run"] = str(run_dir)  # where the folder is now, not where it was evaluated
    return summary


def _fmt(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def _label(summary: dict) -> str:
    return f"{Path(summary['run']).name} ({summary['reward']})"


def _attack_text(attack: dict | None) -> str:
    if attack is None:
        return "not run"
    steps = attack["steps_to_success"]
    return f"{steps}" if steps is not None else f"not within {attack['budget_steps']}"


def comparison_table(summaries: list[dict]) -> str:
    """One markdown row per (run, round) with the headline numbers."""
    largest_n = max(int(n) for n in summaries[0]["rounds"][0]["best_of_n"])
    header = (
        "| run | round | helpful acc. | sneaky incorrect | verifier AUC | "
        f"balanced best-of-{largest_n} (chance) | attack steps | judge acc. helpful | judge acc. sneaky | "
        "checkable steps helpful / sneaky | correct steps helpful / sneaky |"
    )
    lines = [header, "|" + "---|" * 11]
    for summary in summaries:
        lines.append(
            f"| {_label(summary)} | warm start | {_fmt(summary['warm_start']['helpful_accuracy'])} "
            "| | | | | | | | |"
        )
        for result in summary["rounds"]:
            m, judge, steps = result["metrics"], result["judge"], result["step_checkability"]
            best = result["best_of_n"][str(largest_n)]
            lines.append(
                f"| {_label(summary)} | {result['round']} | {_fmt(m['helpful_accuracy'])} "
                f"| {_fmt(m['sneaky_incorrect_rate'])} | {_fmt(m['verifier_auc'])} "
                f"| {_fmt(best['accuracy'])} ({_fmt(best.get('chance'), 2)}) "
                f"| {_attack_text(result['attack'])} | {_fmt(judge['helpful'])} | {_fmt(judge['sneaky'])} "
                f"| {_fmt(steps['helpful']['checkable_fraction'], 2)} / "
                f"{_fmt(steps['sneaky']['checkable_fraction'], 2)} "
                f"| {_fmt(steps['helpful']['correct_step_fraction'], 2)} / "
                f"{_fmt(steps['sneaky']['correct_step_fraction'], 2)} |"
            )
    return "\n".join(lines)


def _rounds(summary: dict) -> list[int]:
    return [r["round"] for r in summary["rounds"]]


def _plot_round_metrics(summaries: list[dict], path: Path) -> None:
    fig, axes = plt.subplots(1, len(ROUND_METRICS), figsize=(4 * len(ROUND_METRICS), 3.2))
    for ax, (key, title) in zip(axes, ROUND_METRICS, strict=True):
        for summary in summaries:
            values = [r["metrics"][key] for r in summary["rounds"]]
            ax.plot(_rounds(summary), _curve(values), "o-")
        if key == "helpful_accuracy":
            for summary in summaries:
                ax.axhline(summary["warm_start"]["helpful_accuracy"], ls=":", color="grey")
        ax.set(title=title, xlabel="round", ylim=(0, 1), xticks=_rounds(summaries[0]))
    axes[0].legend([_label(s) for s in summaries], fontsize=7)
    _save(fig, path)


def _plot_best_of_n(summaries: list[dict], path: Path) -> None:
    fig, axes = plt.subplots(1, len(summaries), figsize=(4.5 * len(summaries), 3.2), squeeze=False)
    for ax, summary in zip(axes[0], summaries, strict=True):
        for result in summary["rounds"]:
            ns = sorted(int(n) for n in result["best_of_n"])
            line = ax.plot(
                ns, _values(result["best_of_n"], ns, "accuracy"), "o-", label=f"round {result['round']}"
            )
            ax.plot(ns, _values(result["best_of_n"], ns, "chance"), ":", color=line[0].get_color())
        ax.set(title=f"balanced best-of-n: {_label(summary)}", xlabel="n", xscale="log", ylim=(0, 1))
        ax.set_xticks(ns, [str(n) for n in ns])
        ax.legend(fontsize=7)
    _save(fig, path)


def _curve(values: list[float | None]) -> list[float]:
    """Values to plot, NaN (a gap) where a metric is undefined."""
    return [v if v is not None else float("nan") for v in values]


def _values(best_of_n: dict, ns: list[int], key: str) -> list[float]:
    """One curve of a round's best-of-n results (older results lack ``chance``)."""
    return _curve([best_of_n[str(n)].get(key) for n in ns])


def _plot_attack(summaries: list[dict], path: Path) -> None:
    fig, ax = plt.subplots(figsize=(5, 3.2))
    width = 0.8 / len(summaries)
    for i, summary in enumerate(summaries):
        xs, heights, hatches = [], [], []
        for result in summary["rounds"]:
            attack = result["attack"]
            if attack is None:
                continue
            xs.append(result["round"] - 0.4 + width * (i + 0.5))  # side by side, centred on the round
            steps = attack["steps_to_success"]
            heights.append(steps if steps is not None else attack["budget_steps"])
            hatches.append("" if steps is not None else "//")
        bars = ax.bar(xs, heights, width=width, label=_label(summary))
        for bar, hatch in zip(bars, hatches, strict=True):
            bar.set_hatch(hatch)
    ax.set(title="attack steps to success (hatched: not within budget)", xlabel="round", ylabel="steps")
    ax.set_xticks(_rounds(summaries[0]))
    ax.legend(fontsize=7)
    _save(fig, path)


def _plot_judge(summaries: list[dict], path: Path) -> None:
    fig, ax = plt.subplots(figsize=(5, 3.2))
    for summary in summaries:
        for role, style in (("helpful", "o-"), ("sneaky", "s--")):
            values = [r["judge"][role] for r in summary["rounds"]]
            ax.plot(
                _rounds(summary),
                _curve(values),
                style,
                label=f"{_label(summary)}: {role}",
            )
    ax.set(
        title="fixed weak judge accuracy per role", xlabel="round", ylim=(0, 1), xticks=_rounds(summaries[0])
    )
    ax.legend(fontsize=7)
    _save(fig, path)


def _save(fig, path: Path) -> None:
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


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
                    f"```\n{row['question']}\n---\n{row['completion'].strip()}\n```\n"
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


def write_report(run_dirs: list[str | Path], out_dir: str | Path, report_command: str) -> Path:
    """Write ``out_dir/README.md`` and its PNG plots; returns the markdown's path."""
    summaries = [load_summary(run_dir) for run_dir in run_dirs]
    for summary in summaries:
        summary["train_command"] = _train_command(summary["run"])
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    _plot_round_metrics(summaries, out / "round_metrics.png")
    _plot_best_of_n(summaries, out / "best_of_n.png")
    _plot_attack(summaries, out / "attack.png")
    _plot_judge(summaries, out / "judge.png")
    text = "\n\n".join(
        [
            f"# Legibility report: {', '.join(_label(s) for s in summaries)}",
            "Regenerate with:\n\n" + _commands(summaries, report_command),
            "## Across rounds\n\n" + comparison_table(summaries),
            "![metrics across rounds](round_metrics.png)",
            "## Balanced best-of-n\n\nAccuracy of the verifier's top pick among n solutions drawn half "
            "correct, half incorrect (problems with both kinds only). Dotted: a random pick, the share of "
            "correct solutions in the draws; it falls below 0.5 at large n where a problem has too few "
            "correct samples to fill half the draw.\n\n"
            "![balanced best-of-n](best_of_n.png)",
            "## Attack robustness\n\nOptimizer steps a fresh sneaky-only prover needed to fool the frozen "
            "verifier of each round (≥ 95% incorrect, mean score ≥ the helpful-correct mean).\n\n"
            "![attack steps](attack.png)",
            "## Fixed weak judge\n\nThe round-0 verifier with a fixed threshold, scoring every round's "
            "solutions: accuracy on helpful solutions should rise and on sneaky ones fall.\n\n"
            "![judge accuracy](judge.png)",
            "## Example solutions\n\n" + _examples(summaries[0]),
            "## Configuration\n\n"
            + "\n\n".join(f"**{_label(s)}**\n\n{_config_summary(s)}" for s in summaries),
        ]
    )
    path = out / "README.md"
    atomic_write_text(path, text + "\n")
    return path


def _train_command(run_dir: str) -> str | None:
    document = yaml.safe_load((Path(run_dir) / "config.yaml").read_text()) or {}
    command = document.get("command")
    return shlex.join(command) if command else None
