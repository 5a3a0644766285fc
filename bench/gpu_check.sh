#!/usr/bin/env bash
# The GPU checks, in one script sized for a short loan of one GPU:
#   bash bench/gpu_check.sh GSM8K_TRAIN_JSONL OUT_DIR
# 1. the embedded default (3 rounds) on the GPU: wall time, peak GPU memory, metrics per round;
# 2. the GSM8K recipe's code path (configs/gsm8k_qwen.yaml: real GSM8K rows, gradient
#    checkpointing, bf16) for one round, with locally built stand-in models (bench/gsm8k_standin.py)
#    where the Hub models cannot be downloaded, on 200 problems so the warm-started stand-in can
#    memorise some answers (the verifier needs correct and incorrect samples);
# 3. the embedded default's short test settings under DeepSpeed ZeRO-2 and ZeRO-3 (one process);
# 4. bench/step_bench.py on the GPU.
# Each step has its own time limit; a summary line per step goes to OUT_DIR/summary.txt.
# GPU_CHECK_SMOKE=1 shrinks every step, to try the script on a CPU.
set -uo pipefail
GSM8K=$1
OUT=$2
WORK=${GPU_CHECK_WORK:-/tmp/gpu_check_work}
rm -rf "$WORK"  # a run folder left from an earlier try would resume and skip its phases
mkdir -p "$OUT" "$WORK"
export PYTHONUNBUFFERED=1 TOKENIZERS_PARALLELISM=false HF_HUB_OFFLINE=1
TRAIN=selfplay/train.py
LAUNCH="python3 -m accelerate.commands.launch"  # = accelerate launch, without relying on PATH
SHORT=(--rounds 1 --problems.n_problems 600 --problems.min_steps 1 --problems.max_steps 1
  --prover.sft_steps 300 --prover.max_steps 4 --prover.per_device_train_batch_size 16
  --prover.num_generations 4 --prover.max_completion_length 32 --verifier_pretrain.steps 10
  --verifier.max_steps 20 --mixture.n_pairs 640 --sampling.problems_per_round 40
  --sampling.eval_problems 30)
GSM=(--config configs/gsm8k_qwen.yaml --report_to none --rounds 1
  --prover.model "$WORK/standin/prover" --verifier_model "$WORK/standin/verifier"
  --prover.sft_steps 500 --prover.sft_learning_rate 0.001 --prover.max_steps 6
  --verifier.max_steps 40 --mixture.n_pairs 640 --sampling.problems_per_round 48
  --sampling.eval_problems 20 --sampling.samples_per_role 4)
DEFAULT=()
ZERO=()
BENCH_STEPS=4
if [[ ${GPU_CHECK_SMOKE:-0} == 1 ]]; then
  DEFAULT=("${SHORT[@]}")
  GSM+=(--prover.sft_steps 2 --prover.max_steps 1 --prover.max_completion_length 16 --verifier.max_steps 2
    --sampling.problems_per_round 8 --sampling.eval_problems 4 --mixture.n_pairs 16 --verifier.max_length 256)
  ZERO=(--mixed_precision no)  # the configs' bf16 needs a GPU
  BENCH_STEPS=1
fi

step() {  # step NAME LIMIT_S COMMAND...: run with a time limit, log to OUT, one summary line
  local name=$1 limit=$2 start rc
  shift 2
  start=$(date +%s%N)
  timeout "$limit" "$@" >"$OUT/$name.log" 2>&1
  rc=$?
  printf '%-10s rc=%-3s %5d s wall\n' "$name" "$rc" $((($(date +%s%N) - start) / 1000000000)) | tee -a "$OUT/summary.txt"
}

metrics() {  # metrics RUN_DIR: the per-round metrics of a run folder, one line each
  python3 - "$1" <<'EOF' | tee -a "$OUT/summary.txt"
import json, sys
from pathlib import Path
for path in sorted(Path(sys.argv[1]).glob("*/metrics.json")):
    m = json.loads(path.read_text())
    keys = ("helpful_accuracy", "sneaky_incorrect_rate", "verifier_auc", "prover_steps")
    print("  ", path.parent.name, {k: round(m[k], 3) if isinstance(m.get(k), float) else m.get(k) for k in keys})
EOF
}

gpu_peak() {  # the largest memory.used nvidia-smi reported while the previous step ran
  [[ -f "$WORK/smi.csv" ]] && sort -n "$WORK/smi.csv" | tail -1 | sed 's/^/  peak GPU memory (MiB): /' | tee -a "$OUT/summary.txt"
  : >"$WORK/smi.csv"
}

{ nvidia-smi || true; python3 -c "import torch, transformers, trl, accelerate, peft, datasets
print('torch', torch.__version__, 'cuda', torch.cuda.is_available(), 'transformers', transformers.__version__,
      'trl', trl.__version__, 'accelerate', accelerate.__version__, 'peft', peft.__version__)"; } >"$OUT/env.log" 2>&1
tail -1 "$OUT/env.log" | tee -a "$OUT/summary.txt"
if command -v nvidia-smi >/dev/null; then
  # appending, so that gpu_peak's truncation restarts the file instead of leaving a hole before the offset
  nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -lms 200 >>"$WORK/smi.csv" 2>/dev/null &
  SAMPLER=$!
  trap 'kill "$SAMPLER" 2>/dev/null' EXIT
fi

step default 200 $LAUNCH --config_file configs/accelerate/single.yaml $TRAIN \
  --output_dir "$WORK/default" "${DEFAULT[@]}"
gpu_peak
metrics "$WORK/default"

head -n 200 "$GSM8K" >"$WORK/gsm8k_200.jsonl"
step standin 60 python3 bench/gsm8k_standin.py --gsm8k "$GSM8K" --out "$WORK/standin"
step gsm8k 170 $LAUNCH --config_file configs/accelerate/single.yaml $TRAIN \
  --output_dir "$WORK/gsm8k" --problems.source "$WORK/gsm8k_200.jsonl" "${GSM[@]}"
gpu_peak
metrics "$WORK/gsm8k"

for stage in zero2 zero3; do
  step "$stage" 100 $LAUNCH --config_file "configs/accelerate/$stage.yaml" --num_processes 1 "${ZERO[@]}" \
    $TRAIN --output_dir "$WORK/$stage" "${SHORT[@]}"
  metrics "$WORK/$stage"
done

step step_bench 100 python3 bench/step_bench.py --steps "$BENCH_STEPS"
grep -E "^GRPO step|^  (plain|PVG|ratio)" "$OUT/step_bench.log" | tee -a "$OUT/summary.txt"
