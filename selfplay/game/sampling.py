"""Sample the prover in both roles and label each completion with the environment and verifier.

Every sample the game keeps comes from here: the verifier's pool (after each prover phase), each
round's metrics and ``pvg eval``'s samples. One function for all of them means the metrics
describe exactly the distribution the verifier trains on. Each process samples with the whole
model (loaded outside ZeRO-3's sharding, and without its lockstep), in batches of
``sampling.batch_size`` prompts, every completion of a prompt in one ``generate`` call.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
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
) -> list[list[str]]:
    """``n`` sampled completions per prompt (left-padded batches, deterministic for the seed);
    ``temperature`` 0 is greedy decoding, one completion per prompt."""
    if temperature == 0 and n != 1:
        raise ValueError(f"greedy decoding (temperature 0) gives one completion per prompt, not {n}")
    # Pure temperature sampling (no top-k/top-p truncation): the distribution the RL trainer samples
    # from, so pool and metric samples describe the policy that was trained.
    sampling = {"do_sample": True, "temperature": temperature, "top_k": 0, "top_p": 1.0}
    torch.manual_seed(seed)  # one seed for the whole call: the same prompts give the same samples
    tokenizer.padding_side = "left"  # decoder-only generation continues from the last real token
    device = next(model.parameters()).device
    model.eval()
    out: list[list[str]] = []
    for start in tqdm(range(0, len(prompts), batch_size), desc=desc, unit=" batches"):
        batch = list(prompts[start : start + batch_size])
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
        out.extend(texts[i * n : (i + 1) * n] for i in range(len(batch)))
    return out


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
) -> list[dict]:
    """Rows for ``samples.jsonl``: every problem in both roles, ``n`` completions each, checked by
    the environment (``correct``, ``reason``, step summary, ``style`` and ``form`` by
    ``envs.styles``) and scored by ``score_fn`` if given. ``roles`` narrows the roles sampled."""
    jobs = [(problem, role) for problem in problems for role in roles]
    prompts = [prover_prompt(p.question, role) for p, role in jobs]
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
    )
    # Every completion is labelled by the environment, never by the verifier: the checker knows
    # the answer, the verifier is what the game trains. Model output is hostile input, and
    # check_completion bounds its time and size.
    rows = []
    for (problem, role), prompt, texts in zip(jobs, prompts, completions, strict=True):
        for text in texts:
            result = check_completion(text, problem.answer)
            style, form = style_and_form(text, problem.answer)
            rows.append(
                {
                    "problem_id": problem.id,
                    "round": round_index,
                    "split": split,
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
            )
    if score_fn is not None and rows:  # one batched call: scoring row by row is far slower
        scores = score_fn([r["question"] for r in rows], [r["completion"] for r in rows])
        for row, score in zip(rows, scores, strict=True):
            row["score"] = score
    return rows
