// centralita web UI: progressive enhancement only. Every form works without this file; it adds
// live notifications (Server-Sent Events), local times, the call timer, and shows only the
// fields the chosen option needs.
"use strict";

(function () {
  const lang = document.documentElement.lang || "en";
  const csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  const t = (key) => document.body.dataset[key] || "";

  // Dates: the server writes them in UTC; show them in the browser's time zone.
  function localTimes(root) {
    const format = new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeStyle: "short" });
    root.querySelectorAll("time[datetime]").forEach((el) => {
      const date = new Date(el.getAttribute("datetime"));
      if (!isNaN(date)) {
        el.title = el.textContent;
        el.textContent = format.format(date);
      }
    });
  }

  // Fields that only one choice needs: data-show-for="field.name=value1 value2".
  function showFor(root) {
    const blocks = root.querySelectorAll("[data-show-for]");
    const update = () => {
      blocks.forEach((block) => {
        const [name, values] = block.dataset.showFor.split("=");
        const field = document.getElementsByName(name);
        let current = "";
        field.forEach((input) => {
          if (input.type === "radio") {
            if (input.checked) current = input.value;
          } else {
            current = input.value;
          }
        });
        block.hidden = !values.split(" ").includes(current);
      });
    };
    root.addEventListener("change", update);
    update();
  }

  // An audio select plays what it selects.
  function audioPreview(root) {
    root.querySelectorAll("select[data-audio-select]").forEach((select) => {
      select.addEventListener("change", () => {
        const box = select.closest(".message");
        const audio = box && box.querySelector("audio");
        const option = select.selectedOptions[0];
        if (audio && option) {
          const src = option.dataset.src || "";
          audio.closest(".player").hidden = !src;
          if (src) audio.src = src;
        }
      });
    });
  }

  function copyButtons(root) {
    root.querySelectorAll("button[data-copy]").forEach((button) => {
      button.addEventListener("click", async () => {
        const source = document.querySelector(button.dataset.copy);
        if (!source || !navigator.clipboard) return;
        await navigator.clipboard.writeText(source.textContent.trim());
        button.dataset.copied = "true";
      });
    });
  }

  function callTimers() {
    document.querySelectorAll(".call-timer[data-since]").forEach((el) => {
      const seconds = Math.max(0, Math.floor((Date.now() - Number(el.dataset.since)) / 1000));
      const m = Math.floor(seconds / 60);
      const s = String(seconds % 60).padStart(2, "0");
      el.textContent = `${m}:${s}`;
    });
  }

  async function refreshWidget() {
    const widget = document.getElementById("widget");
    if (!widget) return;
    const response = await fetch("/widget", { credentials: "same-origin" });
    if (response.ok) {
      widget.innerHTML = await response.text();
      localTimes(widget);
      callTimers();
    }
  }

  function bumpUnread() {
    const badge = document.getElementById("unread-count");
    if (!badge) return;
    const count = Number(badge.dataset.count || "0") + 1;
    badge.dataset.count = String(count);
    badge.textContent = String(count);
    badge.hidden = false;
  }

  // A new voicemail: a notification whose button opens it (and marks it read: a POST).
  function notifyVoicemail(data) {
    const id = data.voicemail_id || data.id;
    if (!id) return;
    const toasts = document.getElementById("toasts");
    const form = document.createElement("form");
    form.method = "post";
    form.action = `/voicemails/${encodeURIComponent(id)}/read`;
    form.className = "toast";
    form.dataset.voicemailId = id;
    const token = document.createElement("input");
    token.type = "hidden";
    token.name = "_csrf";
    token.value = csrf;
    const read = document.createElement("input");
    read.type = "hidden";
    read.name = "read";
    read.value = "true";
    const text = document.createElement("span");
    text.textContent = `${t("tNewVoicemail")} ${data.from || ""}`.trim();
    const button = document.createElement("button");
    button.type = "submit";
    button.textContent = t("tListen");
    form.append(token, read, text, " ", button);
    toasts.append(form);
  }

  function liveEvents() {
    if (!window.EventSource || !document.getElementById("widget")) return;
    const source = new EventSource("/events");
    source.addEventListener("open", () => { document.body.dataset.events = "connected"; });
    source.addEventListener("error", () => { document.body.dataset.events = "reconnecting"; });
    source.addEventListener("voicemail.created", (event) => {
      let data = {};
      try { data = JSON.parse(event.data); } catch (_) { /* keep the empty object */ }
      bumpUnread();
      notifyVoicemail(data);
    });
    ["call.offered", "call.answered", "call.ended"].forEach((name) => {
      source.addEventListener(name, () => { refreshWidget(); });
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    localTimes(document);
    showFor(document);
    audioPreview(document);
    copyButtons(document);
    callTimers();
    setInterval(callTimers, 1000);
    liveEvents();
  });
})();
