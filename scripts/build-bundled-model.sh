#!/usr/bin/env bash
# Rebuilds the bundled default model, models/llama2j-chat.gguf, from scratch with llama2j's own
# commands (MODEL_CARD.md describes the result): data generation (scripts/make-bundled-data.py,
# data only) -> tokenizer -> prepare -> pretrain -> SFT -> reward model -> DPO -> Q8_0 GGUF, then
# the measurements of the model card (perplexity, eval, rewards before and after DPO).
#
# Usage: scripts/build-bundled-model.sh [WORK_DIR]   (default target/bundled-model)
# Every stage writes into WORK_DIR and is skipped when its result is already there, so an
# interrupted build continues where it stopped (delete WORK_DIR to start over). Seeds are fixed.
# The CLI jar is built once and copied into WORK_DIR first, so that editing the sources during
# a long build cannot change the program between stages.
set -euo pipefail
root=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
. "$root/scripts/find-java.sh"
llama2j_find_java
work=$(mkdir -p "${1:-$root/target/bundled-model}" && cd "${1:-$root/target/bundled-model}" && pwd)
threads=${LLAMA2J_THREADS:-2}
seed=1337
tinystories="$root/../shared/testdata/datasets/tinystories-valid-head.txt"
[ -f "$tinystories" ] || { echo "build-bundled-model: missing $tinystories (the shared TinyStories sample)" >&2; exit 1; }

# The model: 6 layers of dim 192 (6 heads of 32), SwiGLU hidden 512, vocabulary 1024, context 512,
# tied embeddings: about 2.9M parameters, about 3 MB as Q8_0.
vocab=1024
shape='{"dim": 192, "hidden_dim": 512, "n_layers": 6, "n_heads": 6, "n_kv_heads": 6, "context_length": 512}'

"$root/llama2j" --version >/dev/null   # builds the jar when the sources changed
cp "$root/llama2j-cli/target/llama2j.jar" "$work/llama2j.jar"
l2j() {
  "$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
    -XX:+UseParallelGC -Xss8m -jar "$work/llama2j.jar" "$@" 2> >(grep --line-buffered -v 'Using incubator modules' >&2)
}
stage() { echo "== $(date -u +%H:%M:%S) $*" >&2; }
cd "$work"

stage "data"
[ -f data/eval-instruct.jsonl ] || python3 "$root/scripts/make-bundled-data.py" "$tinystories" data

stage "tokenizer: $vocab pieces, byte fallback, on the stories and the chat-formatted SFT text"
[ -f tok.model ] || l2j train-tokenizer --vocab-size $vocab --input data/pretrain.txt --input data/tokenizer-extra.txt -o tok.model

stage "prepare"
[ -f shards/dataset.json ] || l2j prepare -z tok.model --input data/pretrain.txt -o shards --val-fraction 0.05

stage "pretrain"
echo "$shape" > shape.json
if [ ! -f pretrain/done ]; then
  if [ -f pretrain/checkpoint.bin ]; then
    l2j pretrain --data shards --out pretrain --resume -t "$threads"
  else
    l2j pretrain --config shape.json --data shards --out pretrain --steps 320 --batch 4 --seq 512 \
      --lr 1e-3 --warmup 20 --eval-every 20 --eval-batches 4 --save-every 20 --seed $seed -t "$threads"
  fi
  touch pretrain/done
fi
[ -f base.gguf ] || l2j export --checkpoint pretrain -z tok.model --format gguf --type F32 -o base.gguf

stage "SFT on the instruction conversations"
[ -f sft/model.gguf ] || l2j sft -m base.gguf --data data/sft.jsonl --out sft --seq 512 --batch 4 \
  --sequences-per-step 8 --epochs 1 --lr 5e-4 --warmup 3 --eval-every 5 --seed $seed -t "$threads"

# The reward model and DPO both start from the SFT model and do not depend on each other: they run
# side by side (DPO learns from the same pairs directly; the reward model measures the policies).
stage "reward model on the preference pairs, and DPO against the SFT model"
[ -f rm/reward-head.bin ] || l2j reward-train -m sft/model.gguf --data data/prefs.jsonl --out rm --seq 384 \
  --epochs 1 --lr 3e-4 --pairs-per-batch 8 --eval-every 10 --seed $seed -t "$threads" &
reward_pid=$!
[ -f dpo/checkpoint.bin ] || l2j dpo -m sft/model.gguf --data data/prefs.jsonl --out dpo --seq 384 \
  --epochs 1 --beta 0.1 --lr 1e-4 --pairs-per-batch 8 --eval-every 10 --seed $seed -t "$threads" &
dpo_pid=$!
wait $reward_pid || { echo "build-bundled-model: reward-train failed" >&2; exit 1; }
wait $dpo_pid || { echo "build-bundled-model: dpo failed" >&2; exit 1; }

stage "export Q8_0 GGUF with the tokenizer and Meta's chat template"
[ -f llama2j-chat.gguf ] || l2j export --checkpoint dpo -z tok.model --format gguf --type Q8_0 \
  --chat-template llama2 --name llama2j-chat -o llama2j-chat.gguf

stage "measurements for MODEL_CARD.md"
mkdir -p measure
for m in base sft/model llama2j-chat; do
  name=$(basename "$m")
  [ -f "measure/perplexity-$name.txt" ] || l2j perplexity -m "$m.gguf" -f data/heldout.txt --ctx 256 -t "$threads" \
    > "measure/perplexity-$name.txt" 2>&1
  [ -f "measure/eval-$name.json" ] || l2j eval -m "$m.gguf" --task data/eval-instruct.jsonl --format choice \
    -o "measure/eval-$name.json" > "measure/eval-$name.txt"
done
for m in sft/model llama2j-chat; do
  name=$(basename "$m")
  [ -f "measure/samples-$name.jsonl" ] || l2j rejection-sample -m "$m.gguf" --prompts data/prompts-heldout.jsonl \
    --reward rm -k 1 -n 96 --temperature 0.6 --seed $seed --out "measure/samples-$name.jsonl" > "measure/samples-$name.txt" 2>&1
done

# Instruction success on the held-out prompts: the answer names the right character (name
# questions) or mentions the requested topic (story requests); samples are matched by prompt.
for name in model llama2j-chat; do
  python3 - data/prompts-heldout.jsonl "measure/samples-$name.jsonl" > "measure/success-$name.txt" <<'PY'
import json, re, sys
prompts = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
answers = {}
for line in open(sys.argv[2], encoding="utf-8"):
    s = json.loads(line)
    answers[s["messages"][-2]["content"]] = s["messages"][-1]["content"]
hits = {"name": [0, 0], "topic": [0, 0]}
for p in prompts:
    answer = answers[p["messages"][-1]["content"]]
    if "answer" in p:
        name = p["answer"].rstrip(".").split()[-1]
        hits["name"][0] += name in answer
        hits["name"][1] += 1
    else:
        hits["topic"][0] += re.search(r"\b" + p["topic"] + r"s?\b", answer, re.IGNORECASE) is not None
        hits["topic"][1] += 1
for kind, (ok, n) in hits.items():
    print(f"{kind}: {ok}/{n} = {ok / max(n, 1):.3f}")
PY
done

mkdir -p "$root/models" "$root/docs"
cp llama2j-chat.gguf "$root/models/llama2j-chat.gguf"
cp pretrain/loss.png "$root/docs/bundled-pretrain-loss.png"
cp sft/loss.png "$root/docs/bundled-sft-loss.png"
cp rm/loss.png "$root/docs/bundled-reward-loss.png"
cp dpo/loss.png "$root/docs/bundled-dpo-loss.png"
stage "done: $root/models/llama2j-chat.gguf ($(stat -c %s llama2j-chat.gguf) bytes)"
