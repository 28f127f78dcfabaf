#!/usr/bin/env bash
# Bounded load test of `llama2j serve` on loopback: starts the server on a free port with 16
# slots, runs llama2j-server/src/test/node/load.mjs at 1, 4 and 16 concurrent clients (a fixed
# number of requests each, so it stops by itself), prints a Markdown table, stops the server.
# Usage: scripts/server-load.sh MODEL [TOKENIZER] [MAX_TOKENS=64] [REQUESTS_PER_CLIENT=4]
set -euo pipefail
root=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
model=${1:?usage: scripts/server-load.sh MODEL [TOKENIZER] [MAX_TOKENS] [REQUESTS_PER_CLIENT]}
tokenizer=${2:-}
max_tokens=${3:-64}
per_client=${4:-4}
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
args=(serve -m "$model" --host 127.0.0.1 --port "$port" --parallel 16 --queue 64)
[ -n "$tokenizer" ] && args+=(-z "$tokenizer")
log=$(mktemp)
"$root/llama2j" "${args[@]}" >"$log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 1 600); do
  if curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$server" 2>/dev/null; then cat "$log" >&2; exit 1; fi
  sleep 0.2
done
cd "$root/llama2j-server/src/test/node"
timeout 900 node load.mjs "http://127.0.0.1:$port" "$max_tokens" "$per_client" 1,4,16
