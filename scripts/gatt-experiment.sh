#!/usr/bin/env bash
# Ghost Attention on a small model (Llama 2 paper section 3.3): does a model fine-tuned with GAtt
# data keep a system instruction over more turns than the same model without it?
#
#   1. data: TinyStories sentence pairs as dialogs (user: a sentence, assistant: the next one);
#      three system instructions: "End every answer with the word Okay." (answers end " Okay."),
#      "End every answer with the word Yes." (" Yes.") and "Always be kind to animals." (plain
#      answers: a distractor, so that the model must read the instruction, not just see one);
#   2. base chat model: stories260K fine-tuned (llama2j sft) so that it follows an instruction
#      when it is in the current turn (concatenated to the user message, or the system message
#      of a one-turn dialog), and on plain multi-turn dialogs without an instruction;
#   3. GAtt data (llama2j gatt --instructions): that model answers dialogs of 1-5 turns with an
#      instruction drawn per dialog concatenated to every user turn; the instruction is then kept
#      only as the first turn's system message and only the last answer is trained;
#   4. GAtt model: the base chat model fine-tuned on the GAtt data (mixed with as many of its
#      base examples); control: the same fine-tuning on the same dialogs as plain multi-turn data
#      (their own answers, no instruction, every answer trained);
#   5. llama2j gatt-check: held-out 5-turn dialogs with an instruction as system message, greedy
#      answers, the instruction's word checked per turn (and for the distractor, that no answer
#      ends with Okay or Yes).
# Usage: scripts/gatt-experiment.sh [WORK_DIR] [THREADS]   (steps whose output exists in WORK_DIR are skipped)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-/tmp/gatt-experiment} threads=${2:-2}
data=$root/../shared/testdata
mkdir -p "$work"
okay="End every answer with the word Okay." yes="End every answer with the word Yes." kind="Always be kind to animals."
printf '%s\n' "$okay" "$yes" "$kind" > "$work/instructions.txt"
llama() { "$root/llama2j" "$@"; }

python3 - "$data/datasets/tinystories-valid-head.txt" "$work" "$okay" "$yes" "$kind" <<'PY'
import json, random, re, sys
text, work = sys.argv[1], sys.argv[2]
suffix = {sys.argv[3]: " Okay.", sys.argv[4]: " Yes.", sys.argv[5]: ""}
instructions = list(suffix)
random.seed(7)
pairs = []
for story in open(text, encoding="utf-8").read().split("\n\n"):
    sentences = [s.strip() for s in re.split(r'(?<=[.!?])\s+', story.replace("\n", " ")) if s.strip()]
    sentences = [s for s in sentences if 15 <= len(s) <= 90 and '"' not in s]
    pairs += [(a, b) for a, b in zip(sentences, sentences[1:])]
random.shuffle(pairs)
test, pairs = pairs[:500], pairs[500:]
def msg(role, content, train=None):
    m = {"role": role, "content": content}
    if train is not None: m["train"] = train
    return m
def dialog(source, turns):
    return [source.pop() for _ in range(turns)]
def write(name, rows):
    with open(f"{work}/{name}", "w", encoding="utf-8") as f:
        for r in rows: f.write(json.dumps({"messages": r}) + "\n")
base = []
for i in range(600):  # an instruction concatenated to the user turn: follow it
    inst = instructions[i % 3]; u, a = pairs.pop()
    base.append([msg("user", u + "\n\n" + inst), msg("assistant", a + suffix[inst])])
for i in range(300):  # an instruction as a one-turn dialog's system message: follow it
    inst = instructions[i % 3]; u, a = pairs.pop()
    base.append([msg("system", inst), msg("user", u), msg("assistant", a + suffix[inst])])
for _ in range(300):  # plain dialogs of 1-4 turns: no instruction, plain answers
    rows = []
    for u, a in dialog(pairs, random.randint(1, 4)): rows += [msg("user", u), msg("assistant", a)]
    base.append(rows)
random.shuffle(base)
write("base-sft.jsonl", base)
write("gatt-dialogs.jsonl", [[m for u, a in dialog(pairs, random.randint(1, 5)) for m in (msg("user", u), msg("assistant", a))]
                             for _ in range(300)])
write("base-sample.jsonl", random.sample(base, 300))
write("held-out-dialogs.jsonl", [[m for u, a in dialog(test, 5) for m in (msg("user", u), msg("assistant", a))] for _ in range(60)])
PY

sft() { # MODEL DATA OUT STEPS LR
  llama sft -m "$1" -z "$data/tok512.bin" --data "$2" --out "$3" --seq 256 --batch 8 --sequences-per-step 8 \
    --steps "$4" --lr "$5" --warmup 5 --val-fraction 0.05 --eval-every 20 -t "$threads" 2>&1 | grep -E "^sft:|validation" | tail -4
}
echo "== base chat model"
[ -f "$work/base/model.gguf" ] || sft "$data/stories260K.bin" "$work/base-sft.jsonl" "$work/base" 120 1e-3
echo "== GAtt data (instruction concatenated to every user turn while sampling)"
[ -f "$work/gatt.jsonl" ] || llama gatt -m "$work/base/model.gguf" --instructions "$work/instructions.txt" --dialogs "$work/gatt-dialogs.jsonl" \
  -o "$work/gatt.jsonl" --temperature 0.6 --seed 1 --max-answer-tokens 48
cat "$work/gatt.jsonl" "$work/base-sample.jsonl" > "$work/gatt-mix.jsonl"
echo "== GAtt model"
[ -f "$work/gatt-model/model.gguf" ] || sft "$work/base/model.gguf" "$work/gatt-mix.jsonl" "$work/gatt-model" 120 5e-4
echo "== control model (the same steps on the same dialogs as plain multi-turn data: no GAtt)"
cat "$work/gatt-dialogs.jsonl" "$work/base-sample.jsonl" > "$work/control-mix.jsonl"
[ -f "$work/control-model/model.gguf" ] || sft "$work/base/model.gguf" "$work/control-mix.jsonl" "$work/control-model" 120 5e-4
check() { # MODEL INSTRUCTION CHECK
  echo "== gatt-check: $1, \"$2\", $3"
  llama gatt-check -m "$work/$1/model.gguf" --instruction "$2" --check "$3" \
    --dialogs "$work/held-out-dialogs.jsonl" --turns 5 --max-answer-tokens 48 -t "$threads"
}
check base "$okay" ends-with:Okay
check control-model "$okay" ends-with:Okay
check gatt-model "$okay" ends-with:Okay
check gatt-model "$yes" ends-with:Yes
check gatt-model "$kind" ends-with:Okay
check gatt-model "$kind" ends-with:Yes
