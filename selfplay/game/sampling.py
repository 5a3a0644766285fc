"""Sample the prover in both roles and label each completion with the environment and verifier.

Every sample the game keeps comes from here: the verifier's pool (after each prover phase), each
round's metrics and ``pvg eval``'s samples. One function for all of them means the metrics
describe exactly the distribution the verifier trains on. Each process samples with the whole
model (loaded outside ZeRO-3's sharding, and without its lockstep), in batches of
``sampling.batch_size`` prompts, every completion of a prompt in one ``generate`` call.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from accelerate import PartialState
from accelerate.utils import gather_object
from tqdm import tqdm

from envs.checker import check_completion
from envs.problems import Problem
from envs.prompts import ROLES, prover_prompt
from envs.styles import style_and_form


def generate(
    model,
    tokenizer,
    prompts: Sequence[str],
    *,
    n: int,
    max_new_tokens: int,
    temperature: float,
    batch_size: int,
    seed: int,
    desc: str = "sampling",
    shard: tuple[int, int] = (0, 1),
) -> list[list[str] | None]:
    """``n`` sampled completions per prompt (left-padded batches of ``batch_size`` prompts);
    ``temperature`` 0 is greedy decoding, one completion per prompt.

    ``shard = (rank, world)``: this process draws batches ``rank, rank + world, ...`` and gets
    ``None`` for the other batches' prompts. Each batch is seeded by :func:`batch_seed`, so a batch
    samples the same completions whichever process draws it, and the shards of ``world``
    processes together equal one process's result."""
    if temperature == 0 and n != 1:
        raise ValueError(f"greedy decoding (temperature 0) gives one completion per prompt, not {n}")
    # Pure temperature sampling (no top-k/top-p truncation): the distribution the RL trainer samples
    # from, so pool and metric samples describe the policy that was trained.
    sampling = {"do_sample": True, "temperature": temperature, "top_k": 0, "top_p": 1.0}
    tokenizer.padding_side = "left"  # decoder-only generation continues from the last real token
    device = next(model.parameters()).device
    model.eval()
    rank, world = shard
    out: list[list[str] | None] = [None] * len(prompts)
    starts = list(range(0, len(prompts), batch_size))[rank::world]
    for start in tqdm(starts, desc=desc if world == 1 else f"{desc} [rank {rank}]", unit=" batches"):
        batch = list(prompts[start : start + batch_size])
        torch.manual_seed(batch_seed(seed, start // batch_size))
        encoded = tokenizer(batch, return_tensors="pt", padding=True, add_special_tokens=False).to(device)
        with torch.inference_mode():
            generated = model.generate(
                **encoded,
                **(sampling if temperature else {"do_sample": False}),
                max_new_tokens=max_new_tokens,
                num_return_sequences=n,
                pad_token_id=tokenizer.pad_token_id,
                eos_token_id=tokenizer.eos_token_id,
                synced_gpus=False,  # a whole model on each process: no ZeRO-3 lockstep, even under it
            )
        texts = tokenizer.batch_decode(
            generated[:, encoded["input_ids"].shape[1] :], skip_special_tokens=True
        )
        out[start : start + len(batch)] = [texts[i * n : (i + 1) * n] for i in range(len(batch))]
    return out


def batch_seed(seed: int, batch_index: int) -> int:
    """The seed of one generation batch: fixed by (call seed, batch index), not by the batches
    drawn before it, so the batches can be split across processes."""
    return (seed * 1_000_003 + batch_index) % 2**63


def sample_and_label(
    model,
    tokenizer,
    problems: Sequence[Problem],
    *,
    round_index: int,
    split: str,
    n: int,
    max_new_tokens: int,
    temperature: float,
    batch_size: int,
    seed: int,
    score_fn=None,
    roles: Sequence[str] = ROLES,
    prompt_text: Callable[[str, str], str] = prover_prompt,
    state: PartialState | None = None,
) -> list[dict]:
    """Rows for ``samples.jsonl``: every problem in both roles, ``n`` completions each, checked by
    the environment (``correct``, ``reason``, step summary, ``style`` and ``form`` by
    ``envs.styles``) and scored by ``score_fn`` if given. ``roles`` narrows the roles sampled;
    ``prompt_text(question, role)`` is the prompt (``selfplay.models.prompting.Prompter.text``).

    With ``state`` (accelerate's) and several processes, every process generates, labels and
    scores its share of the batches (whole (problem, role) groups each) and every process gets
    all rows, in the order one process would have produced them."""
    shard = (state.process_index, state.num_processes) if state is not None else (0, 1)
    jobs = [(problem, role) for problem in problems for role in roles]
    prompts = [prompt_text(p.question, role) for p, role in jobs]
    completions = generate(
        model,
        tokenizer,
        prompts,
        n=n,
        max_new_tokens=max_new_tokens,
        temperature=temperature,
        batch_size=batch_size,
        seed=seed,
        desc=f"sampling {split} (round {round_index})",
        shard=shard,
    )
    rows = []  # (job index, sample index, row): the key that restores one process's order
    for job, ((problem, role), prompt, texts) in enumerate(zip(jobs, prompts, completions, strict=True)):
        for sample, text in enumerate(texts or []):  # None: another process's batch
            rows.append(
                (job, sample, _labelled(problem, role, prompt, text) | {"round": round_index, "split": split})
            )
    if score_fn is not None and rows:  # one batched call: scoring row by row is far slower
        scores = score_fn([r["question"] for *_, r in rows], [r["completion"] for *_, r in rows])
        for (*_, row), score in zip(rows, scores, strict=True):
            row["score"] = score
    if shard[1] > 1:
        rows = gather_object(rows)  # every process's rows, on every process
    return [row for *_, row in sorted(rows, key=lambda keyed: keyed[:2])]


def _labelled(problem: Problem, role: str, prompt: str, text: str) -> dict:
    """One completion's row, labelled by the environment, never by the verifier: the checker knows
    the answer, the verifier is what the game trains. Model output is hostile input, and
    ``check_completion`` bounds its time and size."""
    result = check_completion(text, problem.answer)
    style, form = style_and_form(text, problem.answer)
    return {
        "problem_id": problem.id,
        "role": role,
        "question": problem.question,
        "prompt": prompt,
        "completion": text,
        "answer": problem.answer,
        "correct": result.correct,
        "reason": result.reason,
        "steps": result.summary.to_dict(),
        "style": style,
        "form": form,
    }
