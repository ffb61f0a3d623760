// Test harness: starts the UI test server (crates/web/examples/ui-server.rs: the API and the
// web UI on 127.0.0.1 with a fresh data directory), Debian's Chromium through playwright-core
// (never a downloaded browser), an API client, axe-core checks, and screenshots.
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { mkdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import assert from "node:assert/strict";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
export const root = resolve(here, "../..");
const targetDir = process.env.CARGO_TARGET_DIR ? resolve(root, process.env.CARGO_TARGET_DIR) : join(root, "target");
const serverBinary = process.env.CENTRALITA_UI_SERVER || join(targetDir, "debug/examples/ui-server");
export const screenshotDir = process.env.SCREENSHOT_DIR || join(root, "test-artifacts/screenshots");
const axeSource = readFileSync(join(here, "node_modules/axe-core/axe.min.js"), "utf8");

export async function startServer() {
  const child = spawn(serverBinary, [], { stdio: ["ignore", "pipe", "inherit"] });
  const lines = createInterface({ input: child.stdout });
  const first = await new Promise((resolveLine, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`ui-server exited with ${code}`)));
    lines.once("line", resolveLine);
  });
  const { base, operator } = JSON.parse(first);
  return { base, operator, stop: () => child.kill("SIGTERM") };
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
      "--autoplay-policy=no-user-gesture-required",
    ],
  });
}

/** A JSON call to the REST API. */
export async function api(server, method, path, token, body) {
  const response = await fetch(`${server.base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  const json = text ? JSON.parse(text) : null;
  assert.ok(response.ok, `${method} ${path}: ${response.status} ${text}`);
  return json;
}

/** A 16-bit PCM mono WAV of a tone. */
export function toneWav(seconds, rate = 16000, freq = 440) {
  const frames = Math.round(seconds * rate);
  const data = Buffer.alloc(frames * 2);
  for (let i = 0; i < frames; i++) {
    data.writeInt16LE(Math.round(Math.sin((2 * Math.PI * freq * i) / rate) * 10000), i * 2);
  }
  const header = Buffer.alloc(44);
  header.write("RIFF", 0); header.writeUInt32LE(36 + data.length, 4); header.write("WAVE", 8);
  header.write("fmt ", 12); header.writeUInt32LE(16, 16); header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22); header.writeUInt32LE(rate, 24); header.writeUInt32LE(rate * 2, 28);
  header.writeUInt16LE(2, 32); header.writeUInt16LE(16, 34); header.write("data", 36);
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}

export async function uploadAudio(server, token, name, seconds = 1) {
  const response = await fetch(`${server.base}/v1/audio?name=${encodeURIComponent(name)}`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "audio/wav" },
    body: toneWav(seconds),
  });
  assert.equal(response.status, 201);
  return (await response.json()).id;
}

let accounts = 0;
/** An account with its admin (password "admin password"), an agent and a number. */
export async function newAccount(server, name = "Acme Sales") {
  accounts += 1;
  const slug = `acme${accounts}`;
  const admin = { email: `ana@${slug}.example`, password: "admin password" };
  const created = await api(server, "POST", "/v1/accounts", server.operator, {
    name, admin: { name: "Ana García", email: admin.email, password: admin.password },
  });
  const token = created.token;
  const agentEmail = `bruno@${slug}.example`;
  const agent = await api(server, "POST", "/v1/users", token, {
    name: "Bruno Pérez", email: agentEmail, role: "agent", password: "bruno secret",
  });
  const agentToken = (await api(server, "POST", `/v1/users/${agent.id}/tokens`, token)).token;
  const e164 = `+3491000${String(accounts).padStart(4, "0")}`;
  const number = await api(server, "POST", "/v1/numbers", token, { e164, name: "Madrid office" });
  return {
    id: created.id, token, adminId: created.admin_user_id, admin,
    agent: { id: agent.id, email: agentEmail, password: "bruno secret", token: agentToken },
    number: { id: number.id, e164 },
  };
}

export async function signIn(page, server, email, password) {
  await page.goto(`${server.base}/login`);
  await page.fill("#email", email);
  await page.fill("#password", password);
  await Promise.all([page.waitForNavigation(), page.click("button[type=submit].primary")]);
}

/** Fails on any serious or critical accessibility violation of the page. */
export async function checkA11y(page, label) {
  // Evaluated through the DevTools protocol: the page's CSP (script-src 'self') would refuse
  // an injected <script>, rightly.
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const result = await window.axe.run(document, { resultTypes: ["violations"] });
    return result.violations
      .filter((v) => v.impact === "serious" || v.impact === "critical")
      .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
  });
  assert.deepEqual(violations, [], `accessibility violations on ${label}`);
}

export async function screenshot(page, name, fullPage = true) {
  mkdirSync(screenshotDir, { recursive: true });
  await page.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage });
}
