"""The report's deployment best-of-n section (``eval/deployment.json``): accuracy against n per
selection rule for the warm start and the last round, and the verifier-round x prover-round
matrix, each as a table and a plot. Runs evaluated before deployment best-of-n have no section."""

from __future__ import annotations

from pathlib import Path
from statistics import mean

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt

RULE_STYLE = {"first": "s:", "majority": "o-", "verifier": "^-", "weighted": "D-", "pass@n": "k--"}


def _mean_curves(runs: list[dict], prover: str) -> dict[str, dict[str, float]]:
    """Each rule's accuracy at each n, averaged over the runs (seeds) that have ``prover``."""
    found = [run["curves"][prover] for run in runs if prover in run["curves"]]
    rules = [r for r in RULE_STYLE if all(r in c for c in found)]
    ns = sorted(found[0]["first"], key=int)  # json files keep the keys sorted as text
    return {rule: {n: mean(c[rule][n] for c in found) for n in ns} for rule in rules}


def _mean_matrix(runs: list[dict]) -> dict:
    """The verifier x prover matrix, each cell averaged over the runs (seeds)."""
    first = runs[0]["matrix"]
    rows, columns = range(len(first["verifier_rounds"])), range(len(first["provers"]))
    cells = [[mean(run["matrix"]["accuracy"][i][j] for run in runs) for j in columns] for i in rows]
    return first | {"accuracy": cells}


def _table(curves: dict[str, dict[str, float]]) -> str:
    ns = list(next(iter(curves.values())))
    lines = ["| rule | " + " | ".join(f"n={n}" for n in ns) + " |", "|---|" + "---|" * len(ns)]
    lines += [
        f"| {rule} | " + " | ".join(f"{curve[n]:.3f}" for n in ns) + " |" for rule, curve in curves.items()
    ]
    return "\n".join(lines)


def _plot(panels: dict[str, dict[str, dict[str, float]]], path: Path) -> None:
    fig, axes = plt.subplots(1, len(panels), figsize=(4.5 * len(panels), 3.2), squeeze=False)
    for ax, (title, curves) in zip(axes[0], panels.items(), strict=True):
        for rule, curve in curves.items():
            ns = [int(n) for n in curve]
            ax.plot(ns, list(curve.values()), RULE_STYLE[rule], label=rule, markersize=4)
        ax.set(title=title, xlabel="n samples", ylabel="accuracy", xscale="log", ylim=(0, 1))
        ax.set_xticks(ns, [str(n) for n in ns])
        ax.legend(fontsize=7)
    _save(fig, path)


def _plot_matrix(matrix: dict, path: Path) -> None:
    fig, ax = plt.subplots(
        figsize=(1.2 + 1.1 * len(matrix["provers"]), 1 + 0.6 * len(matrix["verifier_rounds"]))
    )
    image = ax.imshow(matrix["accuracy"], vmin=0, vmax=1, cmap="viridis")
    ax.set_xticks(range(len(matrix["provers"])), matrix["provers"], fontsize=7)
    ax.set_yticks(range(len(matrix["verifier_rounds"])), [f"verifier {r}" for r in matrix["verifier_rounds"]])
    for (i, j), value in _cells(matrix["accuracy"]):
        ax.text(j, i, f"{value:.2f}", ha="center", va="center", color="w", fontsize=7)
    ax.set_title(f"{matrix['rule']} vote, n = {matrix['n']}", fontsize=9)
    fig.colorbar(image, ax=ax, fraction=0.05)
    _save(fig, path)


def _save(fig, path: Path) -> None:
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _cells(rows: list[list[float]]):
    return (((i, j), value) for i, row in enumerate(rows) for j, value in enumerate(row))


def deployment_section(group: list[dict], out: Path) -> str:
    """The section for the report's subject (its runs over seeds); empty without deployment results."""
    runs = [s["deployment"] for s in group if s.get("deployment")]
    if not runs:
        return ""
    last = [name for name in runs[0]["curves"] if name != "warm_start"][-1]
    panels = {
        f"warm start (verifier {runs[0]['curves']['warm_start']['verifier_round']})": _mean_curves(
            runs, "warm_start"
        ),
        f"{last} (its own verifier)": _mean_curves(runs, last),
    }
    _plot(panels, out / "deployment.png")
    matrix = _mean_matrix(runs)
    _plot_matrix(matrix, out / "deployment_matrix.png")
    header = "| verifier \\ prover | " + " | ".join(matrix["provers"]) + " |"
    rows = [header, "|---|" + "---|" * len(matrix["provers"])]
    rows += [
        f"| round {v} | " + " | ".join(f"{a:.3f}" for a in accuracy) + " |"
        for v, accuracy in zip(matrix["verifier_rounds"], matrix["accuracy"], strict=True)
    ]
    seeds = f" (mean of {len(runs)} runs)" if len(runs) > 1 else ""
    return "\n\n".join(
        [
            "## Deployment best-of-n",
            "How the verifier is used at test time: n helpful samples per test problem, one chosen by "
            "each rule (`first`; `majority` vote; the `verifier`'s top score; the `weighted` vote by "
            "softmax of the scores), graded by the checker; `pass@n` is the ceiling. Samples are drawn "
            f"once per prover and shared by every n and rule{seeds}.",
            *[f"**{title}**\n\n{_table(curves)}" for title, curves in panels.items()],
            "![deployment best-of-n](deployment.png)",
            f"Verifier round x prover, {matrix['rule']} vote at n = {matrix['n']}{seeds}:\n\n"
            + "\n".join(rows),
            "![verifier x prover](deployment_matrix.png)",
        ]
    )
