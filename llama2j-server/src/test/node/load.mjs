// Bounded load test of a running `llama2j serve` (loopback only; stops by itself): for each
// concurrency level, that many clients send streaming completion requests back to back for a fixed
// number of requests; reports requests/s, p50/p99 latency and aggregate generated tokens/s.
// Usage: node load.mjs BASE_URL [MAX_TOKENS=64] [REQUESTS_PER_CLIENT=4] [LEVELS=1,4,16]
const [baseURL, maxTokensArg, perClientArg, levelsArg] = process.argv.slice(2);
if (!/^http:\/\/(127\.0\.0\.1|localhost)(:\d+)?$/.test(baseURL || "")) {
  console.error("load.mjs: BASE_URL must be a loopback http URL such as http://127.0.0.1:8080");
  process.exit(2);
}
const maxTokens = Number(maxTokensArg || 64);
const perClient = Number(perClientArg || 4);
const levels = (levelsArg || "1,4,16").split(",").map(Number);
const prompts = ["Once upon a time", "Lily and Ben went to the park", "The little dog", "One day, the sun"];

async function oneRequest(i) {
  const started = performance.now();
  const res = await fetch(baseURL + "/v1/completions", {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ prompt: prompts[i % prompts.length], max_tokens: maxTokens,
      temperature: 0.8, seed: i, stream: true, stream_options: { include_usage: true } }),
  });
  if (!res.ok) throw new Error("HTTP " + res.status + ": " + (await res.text()));
  const text = await res.text();
  const usage = text.split("\n").filter((l) => l.startsWith("data: {")).map((l) => JSON.parse(l.slice(6))).find((c) => c.usage);
  return { ms: performance.now() - started, tokens: usage ? usage.usage.completion_tokens : 0 };
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
// Warm-up, so the JIT has compiled the forward pass before the first level is timed.
const WARM_UP_REQUESTS = 8;
for (let i = 0; i < WARM_UP_REQUESTS; i++) await oneRequest(i);
console.log("| clients | requests | requests/s | p50 latency ms | p99 latency ms | tokens/s (all clients) |");
console.log("|---|---|---|---|---|---|");
for (const clients of levels) {
  const results = [];
  const started = performance.now();
  await Promise.all(Array.from({ length: clients }, async (_, c) => {
    for (let r = 0; r < perClient; r++) results.push(await oneRequest(c * perClient + r));
  }));
  const seconds = (performance.now() - started) / 1000;
  const latencies = results.map((r) => r.ms).sort((a, b) => a - b);
  const tokens = results.reduce((s, r) => s + r.tokens, 0);
  console.log(`| ${clients} | ${results.length} | ${(results.length / seconds).toFixed(2)} | ${percentile(latencies, 50).toFixed(0)} | ${percentile(latencies, 99).toFixed(0)} | ${(tokens / seconds).toFixed(1)} |`);
}
