"""Kill, corrupt and double-start short runs; print what the run folder did, as a markdown table.

    python bench/integrity_check.py [--out /tmp/integrity]

Makes one uninterrupted short run (the end-to-end tests' settings, tests/game_helpers.py), then:
kills a fresh run with SIGKILL while each phase of the first round is running and re-runs the same
command; damages copies of the finished run (truncated samples, deleted or empty weights with
their ``DONE`` kept, a garbage ``metrics.json``, a deleted or garbage ``state.json``, a garbage
``config.yaml``) and re-runs; starts a second trainer on a folder in use; and asks ``pvg push
--dry-run`` and ``pvg eval`` for a damaged folder. Each row: the exit status, the phases redone,
the warnings, and whether every ``metrics.json`` and the last samples equal the uninterrupted
run's. Several minutes on 2 cores; not part of CI (tests/test_folder_integrity.py covers each
case once).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from game_helpers import SHORT, TRAIN  # noqa: E402

RESULTS = ("init/metrics.json", "round_000/metrics.json", "round_001/metrics.json", "round_001/samples.jsonl")
KILLED_PHASES = (
    "init/prover",
    "init/verifier",
    "init/samples",
    "round_000/verifier",
    "round_000/prover",
    "round_000/samples",
    "round_000/metrics",
)
DAMAGE = {
    "samples.jsonl truncated at a line boundary": lambda run: _truncate(run / "round_000" / "samples.jsonl"),
    "prover weights deleted, DONE kept": lambda run: (
        run / "round_000" / "prover" / "model.safetensors"
    ).unlink(),
    "verifier weights emptied, DONE kept": lambda run: (
        run / "round_001" / "verifier" / "model.safetensors"
    ).write_bytes(b""),
    "metrics.json garbage": lambda run: (run / "round_000" / "metrics.json").write_text("{garbage"),
    "state.json deleted": lambda run: (run / "state.json").unlink(),
    "state.json garbage": lambda run: (run / "state.json").write_text("{garbage"),
    "config.yaml garbage": lambda run: (run / "config.yaml").write_text("config: [\n"),
}


def _truncate(path: Path) -> None:
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[: len(lines) // 10]))


def command(run: Path) -> list[str]:
    return [sys.executable, str(TRAIN), "--output_dir", str(run), *SHORT]


def train(run: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.run(command(run), capture_output=True, text=True, env=env, timeout=1200)


def same_results(run: Path, reference: Path) -> bool:
    return all(
        (run / name).is_file() and (run / name).read_bytes() == (reference / name).read_bytes()
        for name in RESULTS
    )


def row(case: str, done: subprocess.CompletedProcess, run: Path, reference: Path) -> str:
    lines = (done.stdout + done.stderr).splitlines()
    redone = [line.split()[1].rstrip(":") for line in lines if line.endswith(": running")]
    said = [line.split("] ", 1)[-1][:110] for line in lines if _said(line)]
    same = same_results(run, reference) if done.returncode == 0 else "-"
    return (
        f"| {case} | {done.returncode} | {', '.join(redone) or 'none'} | {'; '.join(said) or '-'} | {same} |"
    )


def _said(line: str) -> bool:
    """The run folder's own warnings and errors (not libraries' Python warnings)."""
    return line.startswith("[pvg] warning") or "rebuilt from the phase markers" in line or ": error: " in line


def killed_in(phase: str, out: Path, reference: Path) -> str:
    run = out / f"kill_{phase.replace('/', '_')}"
    shutil.rmtree(run, ignore_errors=True)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        command(run),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        start_new_session=True,
    )
    for line in process.stdout:
        if line.strip() == f"[pvg] {phase}: running":
            time.sleep(0.5)
            break
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    return row(f"SIGKILL in {phase}, same command again", train(run), run, reference)


def damaged(case: str, out: Path, reference: Path) -> str:
    run = out / f"damage_{len(list(out.iterdir()))}"
    shutil.copytree(reference, run)
    DAMAGE[case](run)
    return row(case, train(run), run, reference)


def second_trainer(out: Path, reference: Path) -> str:
    run = out / "locked"
    shutil.copytree(reference, run)
    (run / "round_001" / "metrics.done.json").unlink()  # so the first one has work to do
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    first = subprocess.Popen(
        command(run), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
    )
    for line in first.stdout:  # the lock is taken before the first [pvg] line
        if line.startswith("[pvg]"):
            break
    second = train(run)
    first.communicate(timeout=1200)
    said = second.stderr.strip().splitlines()[-1][:110] if second.stderr.strip() else "-"
    first_ok = first.returncode == 0 and same_results(run, reference)
    return (
        f"| a second trainer while the first runs | {second.returncode} | none | {said} | first: {first_ok} |"
    )


def refusals(out: Path, reference: Path) -> list[str]:
    run = out / "refused"
    shutil.copytree(reference, run)
    (run / "round_001" / "prover" / "model.safetensors").unlink()
    rows = []
    for name, args in (
        ("pvg push --dry-run", ["push", str(run), "--dry-run"]),
        ("pvg eval", ["eval", str(run)]),
    ):
        done = subprocess.run([sys.executable, "-m", "selfplay.cli", *args], capture_output=True, text=True)
        said = done.stderr.strip().splitlines()[-1][:110] if done.stderr.strip() else "-"
        staged = (run / "push_dry_run").exists() or (run / "eval").exists()
        case = f"{name} on a folder with a deleted weight file"
        rows.append(f"| {case} | {done.returncode} | none | {said} | wrote: {staged} |")
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("/tmp/integrity"))
    args = parser.parse_args()
    shutil.rmtree(args.out, ignore_errors=True)
    args.out.mkdir(parents=True)
    reference = args.out / "reference"
    start = time.perf_counter()
    assert train(reference).returncode == 0, "the uninterrupted run failed"
    print(f"uninterrupted run: {time.perf_counter() - start:.0f} s")
    print("| case | exit | phases redone | warnings / errors | results equal the uninterrupted run |")
    print("|---|---|---|---|---|")
    rows = [killed_in(phase, args.out, reference) for phase in KILLED_PHASES]
    rows += [damaged(case, args.out, reference) for case in DAMAGE]
    rows += [second_trainer(args.out, reference), *refusals(args.out, reference)]
    for line in rows:
        print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
