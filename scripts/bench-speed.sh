#!/usr/bin/env bash
# Speed figures for BENCHMARKS.md ("Speed"): synthetic Llama 2 7B and TinyLlama 1.1B GGUF files
# (llama2j synth, in $MODELS, never in the repository), measured with llama2j bench, and with
# llama.cpp's llama-bench interleaved (A B A B) when $LLAMA_BENCH points to one. llama2j runs
# twice per test: with its default packed weights and with --weights mapped (no copy).
# Usage: scripts/bench-speed.sh [MODELS_DIR] [THREADS]
# Environment: VOCAB (tokenizer.model; default ../shared/testdata/llama2-tokenizer.model),
#              LLAMA_BENCH (llama-bench; default /work/peers/llama.cpp/build/bin/llama-bench if built),
#              ROUNDS (A B rounds on the 1.1B files, default 2).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
models=${1:-/work/peers/models}
threads=${2:-2}
vocab=${VOCAB:-$root/../shared/testdata/llama2-tokenizer.model}
rounds=${ROUNDS:-2}
if [ -z "${LLAMA_BENCH:-}" ] && [ -x /work/peers/llama.cpp/build/bin/llama-bench ]; then LLAMA_BENCH=/work/peers/llama.cpp/build/bin/llama-bench; fi
mkdir -p "$models"

synth() { # shape type
  local f="$models/$1-$2-pure.gguf"
  [ -f "$f" ] || "$root/llama2j" synth --shape "$1" --type "$2" --pure --vocab "$vocab" -o "$f" >&2
  echo "$f"
}

run() { # file pp tg reps: llama2j (packed weights, the default), llama-bench, llama2j (mapped weights)
  echo "### $(basename "$1") pp$2 tg$3, $threads threads, load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%T)"
  "$root/llama2j" bench -m "$1" -p "$2" -n "$3" -t "$threads" -r "$4" -o md 2>&1 | grep -v '^WARNING'
  if [ -n "${LLAMA_BENCH:-}" ]; then
    LD_LIBRARY_PATH="$(dirname "$LLAMA_BENCH")" "$LLAMA_BENCH" -m "$1" -p "$2" -n "$3" -t "$threads" -r "$4" -o md
  fi
  "$root/llama2j" bench -m "$1" -p "$2" -n "$3" -t "$threads" -r "$4" -o md --weights mapped 2>&1 | grep -v '^WARNING'
}

for r in $(seq "$rounds"); do
  for type in Q4_0 Q8_0; do
    run "$(synth tinyllama-1.1b $type)" 512 128 3
  done
done
for type in Q4_0 Q8_0; do
  run "$(synth llama2-7b $type)" 0 128 2
  run "$(synth llama2-7b $type)" 512 0 2
done
