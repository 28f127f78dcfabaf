#!/usr/bin/env bash
# Training throughput of llama2j pretrain for one model shape: runs a short pretrain on prepared
# shards and reports the median tokens/s of the steps after JIT warm-up, and the MFU
# (6 · parameters · tokens/s against the machine's fp32 peak, PEERS.md: 227 GFLOP/s on 2 threads).
# Usage: scripts/bench-train.sh SHAPE DATA_DIR [STEPS] [BATCH] [SEQ] [THREADS]
#   e.g. scripts/bench-train.sh stories15M /tmp/data15M 12 4 256 2
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
shape=$1 data=$2 steps=${3:-12} batch=${4:-8} seq=${5:-256} threads=${6:-2}
peak=${PEAK_GFLOPS:-227}
out=$(mktemp -d)
"$root/llama2j" pretrain --shape "$shape" --data "$data" --out "$out" --steps "$steps" --batch "$batch" --seq "$seq" \
  --eval-every 0 --eval-batches 1 -t "$threads" --peak-gflops "$peak" 2>&1 | grep -E "^pretrain:" || true
python3 - "$out/log.jsonl" "$out/checkpoint.bin" "$peak" "$shape" "$batch" "$seq" "$threads" <<'PY'
import json, struct, sys, statistics
log, ckpt, peak, shape, batch, seq, threads = sys.argv[1], sys.argv[2], float(sys.argv[3]), *sys.argv[4:]
rows = [json.loads(l) for l in open(log) if '"train"' in l]
warm = [r["tokens_per_s"] for r in rows[3:]] or [r["tokens_per_s"] for r in rows]
with open(ckpt, "rb") as f:
    f.read(8); n = struct.unpack("<i", f.read(4))[0]; params = json.loads(f.read(n))["parameters"]
tps = statistics.median(warm)
print(f"{shape}: {params:,} parameters, batch {batch} x seq {seq}, {threads} threads: median {tps:,.0f} tokens/s "
      f"over steps 4..{len(rows)}; MFU {100 * 6 * params * tps / (peak * 1e9):.1f}% of {peak:.0f} GFLOP/s")
PY
rm -rf "$out"
