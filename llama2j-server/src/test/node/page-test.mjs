// Drives the chat page of a running `llama2j serve` in headless Chromium (playwright-core with
// the system's chromium): types a message, sees a streamed answer appear, keeps the conversation,
// and stops a long answer with the Stop button.
// Usage: node page-test.mjs BASE_URL API_KEY [CHROMIUM_PATH]
import { chromium } from "playwright-core";
import assert from "node:assert/strict";

const [baseURL, apiKey, executablePath = "/usr/bin/chromium"] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync"],
  timeout: 60_000,
});
try {
  const page = await browser.newPage();
  const failures = [];
  page.on("pageerror", (e) => failures.push(String(e)));
  await page.goto(baseURL + "/", { timeout: 30_000 });
  await page.fill("#api-key", apiKey);
  await page.dispatchEvent("#api-key", "change");
  await page.fill("#system-prompt", "You are a storyteller.");
  await page.fill("#temperature", "0");
  await page.fill("#max-tokens", "40");

  // Count the text updates of the answer bubble to see that it streams (several partial texts).
  await page.evaluate(() => {
    window.__updates = 0;
    new MutationObserver(() => window.__updates++).observe(document.getElementById("conversation"),
      { subtree: true, childList: true, characterData: true });
  });
  await page.fill("#message", "Tell me a story.");
  await page.press("#message", "Enter");
  await page.waitForSelector(".message.user");
  await page.waitForFunction(() => /Finished/.test(document.getElementById("status").textContent), null, { timeout: 60_000 });
  const first = await page.textContent(".message.assistant");
  assert.ok(first.trim().length > 0, "the answer has text");
  const updates = await page.evaluate(() => window.__updates);
  assert.ok(updates >= 5, "the answer arrived in several pieces, got " + updates + " updates");
  console.log("ok - a typed message gets a streamed answer (" + updates + " updates): " + JSON.stringify(first.slice(0, 60)));

  // A second turn: the conversation is kept (two user and two assistant bubbles).
  await page.fill("#message", "And then?");
  await page.click("#send");
  await page.waitForFunction(() => document.querySelectorAll(".message.assistant").length === 2
    && !document.querySelector(".message.streaming"), null, { timeout: 60_000 });
  assert.equal(await page.locator(".message.user").count(), 2);
  console.log("ok - the conversation is kept across turns");

  // Stop: a long answer is cut short and the page is usable again.
  await page.fill("#max-tokens", "2000");
  await page.fill("#temperature", "1");
  await page.fill("#message", "Tell me a very long story.");
  await page.click("#send");
  await page.waitForFunction(() => {
    const all = document.querySelectorAll(".message.assistant");
    return all.length === 3 && all[2].textContent.length > 0;
  }, null, { timeout: 60_000 });
  await page.click("#stop");
  await page.waitForFunction(() => document.getElementById("status").textContent === "Stopped.", null, { timeout: 30_000 });
  assert.equal(await page.isDisabled("#send"), false);
  console.log("ok - Stop ends a streaming answer");
  assert.deepEqual(failures, [], "no script errors on the page");
  console.log("page checks: 3 of 3 succeeded");
} finally {
  await browser.close();
}
