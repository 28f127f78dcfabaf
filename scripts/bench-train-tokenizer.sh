#!/usr/bin/env bash
# Tokenizer training figures for BENCHMARKS.md: trains a vocabulary with SentencePiece's spm_train
# and with `llama2j train-tokenizer` (same options: llama2.c tok512's) on the first 3/4 of the
# lines of a text, runs them alternately (A B A B) to time them, and compares the vocabularies
# and the tokens per character of the held-out 1/4.
# Usage: scripts/bench-train-tokenizer.sh [TEXT] [VOCAB_SIZE] [RUNS]
set -euo pipefail
root=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
text=${1:-$root/../shared/testdata/datasets/tinystories-valid-head.txt}
vocab=${2:-512}
runs=${3:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
n=$(wc -l < "$text")
head -n $((n * 3 / 4)) "$text" > "$work/train.txt"
tail -n +$((n * 3 / 4 + 1)) "$text" > "$work/heldout.txt"
"$root/llama2j" train-tokenizer --help > /dev/null # build once, outside the timings
for i in $(seq "$runs"); do
  /usr/bin/time -f "spm_train wall %e s, cpu %U+%S s, rss %M KB" spm_train --input="$work/train.txt" \
    --model_prefix="$work/spm" --model_type=bpe --vocab_size="$vocab" --self_test_sample_size=0 \
    --character_coverage=1.0 --num_threads=1 --split_digits=true --allow_whitespace_only_pieces=true \
    --byte_fallback=true --normalization_rule_name=identity 2>&1 | grep '^spm_train wall'
  /usr/bin/time -f "llama2j   wall %e s, cpu %U+%S s, rss %M KB" "$root/llama2j" train-tokenizer \
    --vocab-size "$vocab" --input "$work/train.txt" -o "$work/ours.model" 2>&1 | grep -E '^llama2j|learned'
done
spm_export_vocab --model="$work/spm.model" | cut -f1 > "$work/spm.vocab"
spm_export_vocab --model="$work/ours.model" | cut -f1 > "$work/ours.vocab"
echo "same pieces in the same order with the same scores: $(cmp -s <(spm_export_vocab --model="$work/spm.model") \
  <(spm_export_vocab --model="$work/ours.model") && echo yes || echo no)"
echo "pieces in both: $(sort "$work/spm.vocab" "$work/ours.vocab" | uniq -d | wc -l) of $vocab"
for model in "$work/spm.model" "$work/ours.model" ${EXTRA_MODEL:-}; do
  spm_encode --model="$model" --output_format=id < "$work/heldout.txt" > "$work/ids.txt"
  python3 - "$work/heldout.txt" "$work/ids.txt" "$model" <<'PY'
import sys
chars = sum(len(line.rstrip("\n")) for line in open(sys.argv[1], encoding="utf-8"))
tokens = sum(len(line.split()) for line in open(sys.argv[2]))
print(f"{sys.argv[3].rsplit('/', 1)[-1]}: held-out {chars} characters -> {tokens} tokens, "
      f"{tokens / chars:.4f} tokens/char ({chars / tokens:.3f} chars/token)")
PY
done
