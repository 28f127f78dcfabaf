// Drives a running `llama2j serve` with the official openai npm client: every endpoint and
// every error case. Usage: node client-test.mjs BASE_URL API_KEY MODEL_ID
// Prints "ok - name" / "not ok - name: reason" per check, a JSON line of observed outputs
// ("observed: {...}") for the JUnit side, and exits 1 when any check failed.
import OpenAI from "openai";
import assert from "node:assert/strict";

const [baseURL, apiKey, modelId] = process.argv.slice(2);
const client = new OpenAI({ baseURL: baseURL + "/v1", apiKey, maxRetries: 0, timeout: 60_000 });
const observed = {};
const checks = [];
const check = (name, fn) => checks.push([name, fn]);

async function expectApiError(promise, status, param) {
  try {
    await promise;
  } catch (e) {
    assert.ok(e instanceof OpenAI.APIError, "expected an APIError, got " + e);
    assert.equal(e.status, status, `status (message: ${e.message})`);
    assert.equal(typeof e.error?.message, "string", "error.message");
    assert.equal(typeof e.error?.type, "string", "error.type");
    assert.ok("param" in e.error && "code" in e.error, "error has param and code");
    if (param !== undefined) assert.equal(e.error.param, param, "error.param");
    return e;
  }
  assert.fail("expected HTTP " + status + " but the request succeeded");
}

async function streamText(params) {
  const stream = await client.chat.completions.create({ ...params, stream: true });
  let text = "", finish = null, chunks = 0;
  for await (const chunk of stream) {
    assert.equal(chunk.object, "chat.completion.chunk");
    chunks++;
    const choice = chunk.choices[0];
    if (choice?.delta?.content) text += choice.delta.content;
    if (choice?.finish_reason) finish = choice.finish_reason;
  }
  return { text, finish, chunks };
}

const hello = [{ role: "user", content: "Tell me a story about a cat." }];

check("GET /v1/models lists the served model", async () => {
  const models = await client.models.list();
  const ids = models.data.map((m) => m.id);
  assert.deepEqual(ids, [modelId]);
  assert.equal(models.data[0].object, "model");
});

check("chat completion returns an assistant message, finish_reason and usage", async () => {
  const r = await client.chat.completions.create({ model: modelId, messages: hello, temperature: 0, max_tokens: 24 });
  assert.equal(r.object, "chat.completion");
  assert.equal(r.choices.length, 1);
  assert.equal(r.choices[0].message.role, "assistant");
  assert.equal(typeof r.choices[0].message.content, "string");
  assert.ok(["stop", "length"].includes(r.choices[0].finish_reason));
  assert.ok(r.usage.prompt_tokens > 0 && r.usage.completion_tokens > 0 && r.usage.completion_tokens <= 24);
  assert.equal(r.usage.total_tokens, r.usage.prompt_tokens + r.usage.completion_tokens);
  observed.chatGreedy = r.choices[0].message.content;
});

check("streamed chat equals the non-streamed answer (greedy) and ends with a finish_reason", async () => {
  const whole = await client.chat.completions.create({ model: modelId, messages: hello, temperature: 0, max_tokens: 24 });
  const s = await streamText({ model: modelId, messages: hello, temperature: 0, max_tokens: 24 });
  assert.ok(s.chunks >= 3, "several chunks");
  assert.equal(s.text, whole.choices[0].message.content);
  assert.equal(s.finish, whole.choices[0].finish_reason);
});

check("stream_options.include_usage adds a final usage chunk", async () => {
  const stream = await client.chat.completions.create({
    model: modelId, messages: hello, max_tokens: 5, temperature: 0, stream: true, stream_options: { include_usage: true },
  });
  let last;
  for await (const chunk of stream) last = chunk;
  assert.deepEqual(last.choices, []);
  assert.equal(last.usage.completion_tokens, 5);
});

check("max_tokens reached gives finish_reason length with exactly that many tokens", async () => {
  const r = await client.chat.completions.create({ model: modelId, messages: hello, temperature: 0, max_completion_tokens: 3 });
  assert.equal(r.choices[0].finish_reason, "length");
  assert.equal(r.usage.completion_tokens, 3);
});

check("seeded sampling is reproducible and penalties are accepted", async () => {
  const params = { model: modelId, messages: hello, temperature: 1, top_p: 0.9, seed: 1234, max_tokens: 30,
    presence_penalty: 0.5, frequency_penalty: 0.5 };
  const a = await client.chat.completions.create(params);
  const b = await client.chat.completions.create(params);
  assert.equal(a.choices[0].message.content, b.choices[0].message.content);
});

check("completions: a string prompt and its token array give the same text", async () => {
  const a = await client.completions.create({ model: modelId, prompt: "Once upon a time", temperature: 0, max_tokens: 40 });
  assert.equal(a.object, "text_completion");
  assert.ok(["stop", "length"].includes(a.choices[0].finish_reason));
  observed.completionGreedy = a.choices[0].text;
  observed.completionPromptTokens = a.usage.prompt_tokens;
  const ids = JSON.parse(process.env.PROMPT_IDS || "null");
  if (ids) {
    const b = await client.completions.create({ model: modelId, prompt: ids, temperature: 0, max_tokens: 40 });
    assert.equal(b.choices[0].text, a.choices[0].text);
  }
});

check("streamed completions concatenate to the same text", async () => {
  const stream = await client.completions.create({ model: modelId, prompt: "Once upon a time", temperature: 0, max_tokens: 40, stream: true });
  let text = "";
  for await (const chunk of stream) text += chunk.choices[0]?.text ?? "";
  assert.equal(text, observed.completionGreedy);
});

check("a stop string ends the text before it with finish_reason stop", async () => {
  const full = observed.completionGreedy;
  const stop = full.slice(10, 14);
  const r = await client.completions.create({ model: modelId, prompt: "Once upon a time", temperature: 0, max_tokens: 40, stop: [stop] });
  assert.equal(r.choices[0].text, full.slice(0, full.indexOf(stop)));
  assert.equal(r.choices[0].finish_reason, "stop");
});

check("embeddings: unit vectors, float and base64 agree, one per input", async () => {
  const f = await client.embeddings.create({ model: modelId, input: ["a cat", "a dog"], encoding_format: "float" });
  const b = await client.embeddings.create({ model: modelId, input: ["a cat", "a dog"] }); // client default: base64
  assert.equal(f.data.length, 2);
  for (const [i, item] of f.data.entries()) {
    assert.equal(item.index, i);
    const norm = Math.sqrt(item.embedding.reduce((s, v) => s + v * v, 0));
    assert.ok(Math.abs(norm - 1) < 1e-4, "L2 norm " + norm);
    assert.equal(b.data[i].embedding.length, item.embedding.length);
    b.data[i].embedding.forEach((v, j) => assert.ok(Math.abs(v - item.embedding[j]) < 1e-6));
  }
  assert.notDeepEqual(f.data[0].embedding, f.data[1].embedding);
  assert.ok(f.usage.prompt_tokens > 0);
  observed.embeddingDimension = f.data[0].embedding.length;
});

check("malformed JSON is a 400 in OpenAI's error shape", async () => {
  const res = await fetch(baseURL + "/v1/chat/completions", {
    method: "POST", headers: { "Content-Type": "application/json", Authorization: "Bearer " + apiKey }, body: "{\"messages\": [",
  });
  assert.equal(res.status, 400);
  const body = await res.json();
  assert.equal(body.error.type, "invalid_request_error");
  assert.ok(body.error.message.includes("JSON"));
});

check("a wrongly typed field is a 400 naming it", async () => {
  await expectApiError(client.chat.completions.create({ model: modelId, messages: hello, temperature: "hot" }), 400, "temperature");
  await expectApiError(client.chat.completions.create({ model: modelId, messages: "hi" }), 400, "messages");
  await expectApiError(client.chat.completions.create({ model: modelId, messages: hello, stop: 7 }), 400, "stop");
});

check("empty or badly ordered messages are a 400", async () => {
  await expectApiError(client.chat.completions.create({ model: modelId, messages: [] }), 400, "messages");
  await expectApiError(client.chat.completions.create({ model: modelId, messages: [{ role: "assistant", content: "hi" }] }), 400, "messages");
  await expectApiError(client.chat.completions.create({ model: modelId,
    messages: [{ role: "user", content: "a" }, { role: "user", content: "b" }] }), 400, "messages");
});

check("an unknown model is a 404 model_not_found", async () => {
  const e = await expectApiError(client.chat.completions.create({ model: "gpt-4o", messages: hello }), 404, "model");
  assert.equal(e.code, "model_not_found");
});

check("n other than 1 is a 400", async () => {
  await expectApiError(client.chat.completions.create({ model: modelId, messages: hello, n: 2 }), 400, "n");
});

check("a prompt longer than the context is a 400 with the token counts", async () => {
  const long = "cat dog ".repeat(4000);
  const e = await expectApiError(client.completions.create({ model: modelId, prompt: long, max_tokens: 1 }), 400, "prompt");
  assert.equal(e.code, "context_length_exceeded");
  assert.match(e.message, /maximum context length is \d+ tokens/);
  assert.match(e.message, /prompt has \d+ tokens/);
});

check("a missing or wrong API key is a 401", async () => {
  const wrong = new OpenAI({ baseURL: baseURL + "/v1", apiKey: "wrong-key", maxRetries: 0 });
  const e = await expectApiError(wrong.models.list(), 401);
  assert.equal(e.code, "invalid_api_key");
  const res = await fetch(baseURL + "/v1/models");
  assert.equal(res.status, 401);
  assert.equal((await res.json()).error.code, "missing_api_key");
});

check("the server still answers after all the errors", async () => {
  const r = await client.chat.completions.create({ model: modelId, messages: hello, temperature: 0, max_tokens: 24 });
  assert.equal(r.choices[0].message.content, observed.chatGreedy);
  const health = await fetch(baseURL + "/health");
  assert.equal(health.status, 200);
});

check("simultaneous seeded streams each get exactly what they get alone", async () => {
  const prompts = ["Tell me about the sun.", "Who was Lily?", "Write a poem.", "What is a dog?", "Say hi.", "Why is the sky blue?"];
  const params = prompts.map((content, i) => ({
    model: modelId, messages: [{ role: "user", content }], temperature: 1, seed: 100 + i, max_tokens: 48,
  }));
  const alone = [];
  for (const p of params) alone.push(await streamText(p));
  const together = await Promise.all(params.map((p) => streamText(p)));
  together.forEach((t, i) => {
    assert.equal(t.text, alone[i].text, "request " + i);
    assert.equal(t.finish, alone[i].finish);
  });
  assert.ok(new Set(alone.map((a) => a.text)).size > 1, "different requests give different texts");
});

check("GET /metrics reports requests, tokens, tokens/s, queue depth and slots", async () => {
  const text = await (await fetch(baseURL + "/metrics")).text();
  for (const name of ["llama2j_requests_total", "llama2j_completion_tokens_total", "llama2j_prompt_tokens_total",
    "llama2j_generation_tokens_per_second", "llama2j_queue_depth", "llama2j_slots_busy", "llama2j_slots_total"]) {
    assert.ok(text.includes(name + " ") || text.includes(name + "{"), name);
  }
  assert.match(text, /llama2j_requests_total\{endpoint="\/v1\/chat\/completions",status="200"\} \d+/);
});

let failed = 0;
for (const [name, fn] of checks) {
  try {
    await fn();
    console.log("ok - " + name);
  } catch (e) {
    failed++;
    console.log("not ok - " + name + ": " + (e.stack || e));
  }
}
console.log("observed: " + JSON.stringify(observed));
console.log(`client checks: ${checks.length - failed} of ${checks.length} succeeded`);
process.exit(failed ? 1 : 0);
