// Real calls placed with SIPp against the real `centralita serve`, seen in the web UI that the
// same binary serves.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { api, checkA11y, launchBrowser, root, screenshot, signIn, uploadAudio } from "./harness.mjs";

const binary = process.env.CENTRALITA_BIN || join(root, "target/debug/centralita");

let server;
let browser;

/** The test's environment without its own CENTRALITA_* variables, which the server would
 * refuse as unknown configuration keys. */
function serverEnv() {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("CENTRALITA_")));
  return { ...env, CENTRALITA_LOG_FORMAT: "json" };
}

/** `centralita serve` on loopback ports, with a trunk on 127.0.0.1; reads its address and token. */
async function startRealServer() {
  const dir = mkdtempSync(join(tmpdir(), "centralita-e2e-"));
  const sipPort = 25060 + Math.floor(Math.random() * 1000);
  const config = join(dir, "centralita.toml");
  writeFileSync(config, `data_dir = "${dir}/data"\n[http]\nlisten = "127.0.0.1:0"\n[sip]\nlisten = "127.0.0.1:${sipPort}"\n` +
    `[[trunk]]\nname = "carrier"\ninbound_from = ["127.0.0.1/32"]\noutbound_uri = "sip:127.0.0.1:5099"\n`);
  const child = spawn(binary, ["serve", "--config", config], {
    stdio: ["ignore", "pipe", "pipe"], env: serverEnv(),
  });
  let stderrText = "";
  const base = new Promise((resolve) => {
    createInterface({ input: child.stderr }).on("line", (line) => {
      stderrText += `${line}\n`;
      if (line.includes("HTTP API listening")) resolve(`http://${JSON.parse(line).addr}`);
    });
  });
  const exited = new Promise((_, reject) => child.on("exit", (code) => {
    reject(new Error(`centralita exited with ${code}:\n${stderrText}`));
  }));
  const token = new Promise((resolve) => {
    createInterface({ input: child.stdout }).on("line", (line) => {
      if (line.includes("operator token")) resolve(line.split(" ").pop());
    });
  });
  const [operator, url] = await Promise.race([Promise.all([token, base]), exited]);
  exited.catch(() => {});
  return { base: url, operator, sipPort, stop: () => child.kill("SIGTERM") };
}

/** Runs SIPp's built-in caller against a number: one call, `seconds` long. */
function sippCall(sipPort, e164, seconds) {
  const result = spawnSync("sipp", [
    "-sn", "uac", "-s", e164.replace("+", ""), "-m", "1", "-d", String(seconds * 1000),
    "-i", "127.0.0.1", "-p", "0", "-timeout", "60s", "-timeout_error", `127.0.0.1:${sipPort}`,
  ], { encoding: "utf8", timeout: 90_000 });
  assert.equal(result.status, 0, result.stdout + result.stderr);
}

before(async () => {
  server = await startRealServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  server?.stop();
});

/** A new account with its admin `ana@<domain>` and one number `e164`. */
async function account(domain, e164) {
  const created = await api(server, "POST", "/v1/accounts", server.operator, {
    name: domain, admin: { name: "Ana", email: `ana@${domain}`, password: "admin password" },
  });
  const number = await api(server, "POST", "/v1/numbers", created.token, { e164, name: "E2E line" });
  return { token: created.token, adminId: created.admin_user_id, number };
}

test("a real call placed with SIPp shows up in the history with a playable recording", async () => {
  const acme = await account("recording.example", "+34910009991");
  const greeting = await uploadAudio(server, acme.token, "Greeting", 1);
  // Nobody online: the call is answered by the voicemail, recorded, and kept.
  await api(server, "PUT", `/v1/numbers/${acme.number.id}/settings`, acme.token, {
    record_calls: true, incoming: { mode: "receive", distribution: "random", when_offline: { action: "voicemail", audio_id: greeting } },
    assigned_user_ids: [acme.adminId],
  });
  sippCall(server.sipPort, acme.number.e164, 5);
  const page = await (await browser.newContext({ locale: "en-US" })).newPage();
  await signIn(page, server, "ana@recording.example", "admin password");
  await page.goto(`${server.base}/history`);
  const row = page.locator("#calls tbody tr").first();
  await Promise.all([page.waitForNavigation(), row.locator("a").first().click()]);
  assert.match(await page.textContent("#call-timeline"), /Call arrives from/);
  const player = page.locator("#voicemail audio, #recording audio").first();
  const duration = await player.evaluate((audio) => new Promise((resolve) => {
    if (audio.readyState >= 1) resolve(audio.duration);
    audio.addEventListener("loadedmetadata", () => resolve(audio.duration), { once: true });
    audio.load();
  }));
  assert.ok(duration > 1, `the recording plays (${duration} s)`);
  await checkA11y(page, "call details (real call)");
  await screenshot(page, "real-call");
});

test("a voicemail left by a SIPp caller appears as a live notification", async () => {
  const acme = await account("voicemail.example", "+34910009992");
  await api(server, "PUT", `/v1/numbers/${acme.number.id}/settings`, acme.token, {
    record_calls: false, incoming: { mode: "reject", action: { action: "voicemail", audio_id: null } },
    assigned_user_ids: [acme.adminId],
  });
  const page = await (await browser.newContext({ locale: "en-US" })).newPage();
  await signIn(page, server, "ana@voicemail.example", "admin password");
  await page.goto(`${server.base}/history`);
  await page.waitForSelector("body[data-events=connected]");
  sippCall(server.sipPort, acme.number.e164, 4);
  const toast = page.locator(".toast");
  await toast.waitFor({ timeout: 30_000 });
  assert.equal(await page.textContent("#unread-count"), "1");
  await Promise.all([page.waitForNavigation(), toast.locator("button").click()]);
  assert.equal(await page.textContent("#voicemail-state"), "read");
});

/** SIPp with a scenario of tests/sipp in a fresh directory holding `files`; resolves with its
 * exit code and output when it ends (SIPp's own timeout ends a run that would hang). */
function sippRun(scenario, sipPort, args, files = {}) {
  const dir = mkdtempSync(join(tmpdir(), "centralita-sipp-"));
  for (const [name, bytes] of Object.entries(files)) writeFileSync(join(dir, name), bytes);
  const child = spawn("sipp", [
    `127.0.0.1:${sipPort}`, "-sf", join(root, "tests/sipp", scenario), "-m", "1",
    "-timeout", "60s", "-timeout_error", "-nostdin", "-trace_err", "-i", "127.0.0.1", ...args,
  ], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (d) => { output += d; });
  child.stderr.on("data", (d) => { output += d; });
  const done = new Promise((resolve) => child.on("exit", (code) => {
    let logs = "";
    try { logs = readFileSync(join(dir, `${scenario.replace(".xml", "")}_${child.pid}_errors.log`), "utf8"); } catch (_) { /* none */ }
    resolve({ code, output: output + logs });
  }));
  return { child, done };
}

/** Two seconds of µ-law silence, for SIPp's rtp_stream. */
function silenceUlaw(seconds = 2) {
  const data = Buffer.alloc(8000 * seconds, 0xff);
  const header = Buffer.alloc(44);
  header.write("RIFF", 0); header.writeUInt32LE(36 + data.length, 4); header.write("WAVE", 8);
  header.write("fmt ", 12); header.writeUInt32LE(16, 16); header.writeUInt16LE(7, 20);
  header.writeUInt16LE(1, 22); header.writeUInt32LE(8000, 24); header.writeUInt32LE(8000, 28);
  header.writeUInt16LE(1, 32); header.writeUInt16LE(8, 34); header.write("data", 36);
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}

/** Asks `check` again every 100 ms until it holds (the deadline only turns a hang into a failure). */
async function eventually(what, check, ms = 30_000) {
  const until = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > until) throw new Error(`never happened: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

test("click-to-call from the widget's dial box, then its Voicedrop button releases the phone", async () => {
  const created = await api(server, "POST", "/v1/accounts", server.operator, {
    name: "dial.example",
    admin: { name: "Ana", email: "ana@dial.example", password: "admin password", sip_username: "ana-dial", sip_password: "anasipsecret" },
  });
  const number = await api(server, "POST", "/v1/numbers", created.token, { e164: "+34910009993", name: "Sales line" });
  const message = await uploadAudio(server, created.token, "Voicedrop", 2);
  await api(server, "PUT", `/v1/numbers/${number.id}/settings`, created.token, {
    record_calls: false, incoming: { mode: "receive", distribution: "random", when_offline: { action: "busy" } },
    voicedrop_audio_id: message, assigned_user_ids: [created.admin_user_id],
  });
  // The carrier on the trunk's outbound URI, and Ana's phone, registered then answering.
  const phonePort = String(server.sipPort + 2000);
  const carrier = sippRun("carrier_answers.xml", server.sipPort, ["-p", "5099", "-mp", "16700"], { "carrier_tone.wav": silenceUlaw() });
  const register = await sippRun("register.xml", server.sipPort, ["-s", "ana-dial", "-au", "ana-dial", "-ap", "anasipsecret", "-p", phonePort]).done;
  assert.equal(register.code, 0, register.output);
  const phone = sippRun("agent_answers_call.xml", server.sipPort, ["-s", "ana-dial", "-p", phonePort, "-mp", "16706"]);

  const page = await (await browser.newContext({ locale: "en-US" })).newPage();
  await signIn(page, server, "ana@dial.example", "admin password");
  await page.goto(`${server.base}/`);
  // A national number, as people type it.
  await page.fill("#dial-to", "600 00 00 42");
  await page.check("#dial-remember");
  await Promise.all([page.waitForNavigation(), page.click("form.dial button[type=submit]")]);
  assert.match(await page.textContent(".flash"), /\+34600000042/);
  const call = await eventually("the lead answers", async () => {
    const calls = await api(server, "GET", "/v1/calls", created.token);
    const found = calls.find((c) => c.to === "+34600000042");
    return found?.events.some((e) => e.type === "answered") ? found : null;
  });
  assert.equal(call.events[0].reason, "click-to-call, answered on the agent's phone");
  // The number is now Ana's default caller ID, for her phone's calls too.
  const ana = await api(server, "GET", `/v1/users/${created.admin_user_id}`, created.token);
  assert.equal(ana.default_number_id, number.id);
  await page.reload();
  assert.match(await page.textContent(".current-call"), /\+34600000042/);
  await checkA11y(page, "widget on a call");
  await screenshot(page, "widget-on-a-call");
  await Promise.all([page.waitForNavigation(), page.click("#voicedrop")]);
  const released = await phone.done;
  assert.equal(released.code, 0, `the phone gets its BYE at once:\n${released.output}`);
  const lead = await carrier.done;
  assert.equal(lead.code, 0, `the carrier hears the message, then BYE:\n${lead.output}`);
  const ended = await eventually("the call ends", async () => {
    const c = await api(server, "GET", `/v1/calls/${call.id}`, created.token);
    return c.status !== "in_progress" ? c : null;
  });
  assert.deepEqual(ended.events.map((e) => e.type), ["arrived", "answered", "voicedrop", "ended"]);
  assert.equal(ended.events.at(-1).reason, "voicedrop");
});
