// Simulation panel: send the panel's commands with fetch, keep the callers and phones fresh,
// show the event transcript, and play a port's audio (polled in half-second WAV pieces).
"use strict";

(function () {
  const status = () => document.getElementById("sim-status");
  let since = 0;

  async function send(form, submitter) {
    const data = new FormData(form, submitter);
    const res = await window.Switchboard.postForm(form.action, data);
    status().textContent = res.body.message || (res.ok ? "Done." : "That did not work.");
    refresh();
  }

  function button(text, cls, onClick) {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = text;
    b.className = cls;
    b.addEventListener("click", onClick);
    return b;
  }

  function callerAction(id, what, digits) {
    const data = new FormData();
    data.append("csrf_token", window.Switchboard.csrfToken());
    if (digits) { data.append("digits", digits); }
    return window.Switchboard.postForm("/sim/caller/" + encodeURIComponent(id) + "/" + what, data)
      .then((res) => { status().textContent = res.body.message || ""; refresh(); });
  }

  function callAction(id, what) {
    const data = new FormData();
    data.append("csrf_token", window.Switchboard.csrfToken());
    return window.Switchboard.postForm("/sim/call/" + encodeURIComponent(id) + "/" + what, data)
      .then((res) => { status().textContent = res.body.message || ""; refresh(); });
  }

  function renderCallers(callers) {
    const box = document.getElementById("callers");
    const keys = box.dataset.keypad.split("");
    const sig = JSON.stringify(callers);
    if (box.dataset.sig === sig) { return; }
    box.dataset.sig = sig;
    box.replaceChildren();
    callers.forEach((c) => {
      const div = document.createElement("div");
      div.className = "caller";
      div.dataset.id = c.id;
      div.dataset.state = c.state || "";
      const h = document.createElement("h3");
      h.textContent = (c.name ? c.name + " " : "") + (c.caller_id || "unknown") + " — " + (c.state || "") +
        (c.line ? " on " + c.line : "") + (c.extension ? ", for " + c.extension : "");
      div.appendChild(h);
      if (c.state !== "ended") {
        const pad = document.createElement("div");
        pad.className = "keypad";
        keys.forEach((k) => pad.appendChild(button(k, "key", () => callerAction(c.id, "press", k))));
        div.appendChild(pad);
        div.appendChild(button("Speak 3 s", "speak", () => callerAction(c.id, "speak")));
        div.appendChild(button("Hang up", "hangup", () => callerAction(c.id, "hang-up")));
        if (c.call && c.extension && c.state !== "voicemail") {
          div.appendChild(button("Send to voicemail", "to-voicemail", () => callAction(c.call, "voicemail")));
        }
        div.appendChild(button("Listen", "listen", (e) => toggleListen(e.target, c.id)));
      }
      box.appendChild(div);
    });
  }

  function renderPhones(phones) {
    phones.forEach((p) => {
      const el = document.querySelector('#phone-' + CSS.escape(p.port) + ' .phone-state');
      if (el) { el.textContent = p.state || (p.ringing ? "ringing" : (p.off_hook ? "off hook" : "on hook")); }
    });
  }

  async function refresh() {
    try {
      const st = await (await fetch("/sim/state", {credentials: "same-origin"})).json();
      renderCallers(st.callers);
      renderPhones(st.phones);
      const ev = await (await fetch("/api/events?since=" + since, {credentials: "same-origin"})).json();
      const list = document.getElementById("transcript");
      ev.events.forEach((e) => {
        const li = document.createElement("li");
        const {seq, ...rest} = e;
        li.textContent = JSON.stringify(rest);
        list.appendChild(li);
        since = Math.max(since, seq);
      });
      while (list.children.length > 200) { list.removeChild(list.firstChild); }
    } catch (err) { /* the next refresh tries again */ }
  }

  // --- audio: fetch half-second pieces and queue them on one AudioContext
  const listeners = new Map();
  function toggleListen(btn, target) {
    if (listeners.has(target)) {
      listeners.get(target).stop = true;
      listeners.delete(target);
      btn.textContent = "Listen";
      return;
    }
    const ctx = new AudioContext();
    const state = {stop: false, at: ctx.currentTime + 0.2};
    listeners.set(target, state);
    btn.textContent = "Stop listening";
    (async function loop() {
      while (!state.stop) {
        try {
          const resp = await fetch("/sim/listen/" + encodeURIComponent(target) + ".wav?ms=500", {credentials: "same-origin"});
          const buf = await ctx.decodeAudioData(await resp.arrayBuffer());
          const src = ctx.createBufferSource();
          src.buffer = buf;
          src.connect(ctx.destination);
          state.at = Math.max(state.at, ctx.currentTime + 0.05);
          src.start(state.at);
          state.at += buf.duration;
        } catch (err) { /* silence this piece */ }
        await new Promise((r) => setTimeout(r, 500));
      }
      ctx.close();
    })();
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("form.sim-action").forEach((f) => f.addEventListener("submit", (ev) => {
      ev.preventDefault();
      send(f, ev.submitter);
    }));
    document.querySelectorAll("button.listen[data-target]").forEach((b) =>
      b.addEventListener("click", () => toggleListen(b, b.dataset.target)));
    refresh();
    setInterval(refresh, 1000);
  });
})();
