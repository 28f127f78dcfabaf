// llama2j chat page: keeps the conversation in memory, sends it to /v1/chat/completions with
// "stream": true and renders the server-sent event chunks as they arrive; Stop aborts the fetch
// (the server frees the slot when the connection closes).
"use strict";

const els = {
  conversation: document.getElementById("conversation"),
  composer: document.getElementById("composer"),
  message: document.getElementById("message"),
  send: document.getElementById("send"),
  stop: document.getElementById("stop"),
  clear: document.getElementById("clear"),
  system: document.getElementById("system-prompt"),
  temperature: document.getElementById("temperature"),
  maxTokens: document.getElementById("max-tokens"),
  apiKey: document.getElementById("api-key"),
  status: document.getElementById("status"),
  modelName: document.getElementById("model-name"),
};

/** The dialog so far: [{role, content}], without the system prompt (read at send time). */
let history = [];
let modelId = null;
let controller = null;

function headers() {
  const h = { "Content-Type": "application/json" };
  if (els.apiKey.value) h["Authorization"] = "Bearer " + els.apiKey.value;
  return h;
}

async function loadModel() {
  try {
    const res = await fetch("/v1/models", { headers: headers() });
    const body = await res.json();
    if (res.ok && body.data && body.data.length) {
      modelId = body.data[0].id;
      els.modelName.textContent = modelId;
    } else if (body.error) {
      els.status.textContent = body.error.message;
    }
  } catch (e) {
    els.status.textContent = "Cannot reach the server: " + e;
  }
}

function addMessage(role, text) {
  const div = document.createElement("div");
  div.className = "message " + role;
  div.textContent = text;
  els.conversation.appendChild(div);
  div.scrollIntoView({ block: "end" });
  return div;
}

function setBusy(busy) {
  els.send.disabled = busy;
  els.stop.disabled = !busy;
}

/** Reads an SSE body and calls onData with each "data:" payload. */
async function readEvents(body, onData) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const event = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      for (const line of event.split("\n")) {
        if (line.startsWith("data: ")) onData(line.slice(6));
      }
    }
  }
}

async function send(text) {
  history.push({ role: "user", content: text });
  addMessage("user", text);
  const bubble = addMessage("assistant streaming", "");
  const messages = [];
  if (els.system.value.trim()) messages.push({ role: "system", content: els.system.value.trim() });
  messages.push(...history);
  const request = {
    model: modelId || undefined,
    messages,
    stream: true,
    temperature: Number(els.temperature.value),
    max_tokens: Number(els.maxTokens.value) || undefined,
  };
  controller = new AbortController();
  setBusy(true);
  els.status.textContent = "Generating...";
  let answer = "";
  try {
    const res = await fetch("/v1/chat/completions", {
      method: "POST", headers: headers(), body: JSON.stringify(request), signal: controller.signal,
    });
    if (!res.ok) {
      const body = await res.json().catch(() => ({}));
      throw new Error(body.error ? body.error.message : "HTTP " + res.status);
    }
    await readEvents(res.body, (data) => {
      if (data === "[DONE]") return;
      const chunk = JSON.parse(data);
      if (chunk.error) throw new Error(chunk.error.message);
      const choice = chunk.choices && chunk.choices[0];
      if (choice && choice.delta && choice.delta.content) {
        answer += choice.delta.content;
        bubble.textContent = answer;
        bubble.scrollIntoView({ block: "end" });
      }
      if (choice && choice.finish_reason) {
        els.status.textContent = "Finished (" + choice.finish_reason + ").";
      }
    });
  } catch (e) {
    if (e.name === "AbortError") {
      els.status.textContent = "Stopped.";
    } else {
      bubble.classList.add("error");
      bubble.textContent = answer + (answer ? "\n" : "") + "Error: " + e.message;
      els.status.textContent = "Error.";
    }
  } finally {
    bubble.classList.remove("streaming");
    controller = null;
    setBusy(false);
  }
  // Keep what was said (even a stopped answer) so the next turn continues the dialog.
  history.push({ role: "assistant", content: answer });
}

els.composer.addEventListener("submit", (event) => {
  event.preventDefault();
  const text = els.message.value.trim();
  if (!text || controller) return;
  els.message.value = "";
  send(text);
});

els.message.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey) {
    event.preventDefault();
    els.composer.requestSubmit();
  }
});

els.stop.addEventListener("click", () => {
  if (controller) controller.abort();
});

els.clear.addEventListener("click", () => {
  if (controller) controller.abort();
  history = [];
  els.conversation.replaceChildren();
  els.status.textContent = "";
});

els.apiKey.addEventListener("change", loadModel);
loadModel();
