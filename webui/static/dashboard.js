// Dashboard: long-poll /api/live and update the live cells in place (text only).
"use strict";

(function () {
  let seq = -1;
  let stopped = false;

  function setText(id, value) {
    const el = document.getElementById(id);
    if (el && el.textContent !== String(value)) { el.textContent = String(value); }
  }

  function fillTable(id, rows) {
    const body = document.querySelector("#" + id + " tbody");
    if (!body) { return; }
    const wanted = rows.map((r) => [r.port, r.label, r.state, r.detail]);
    const have = Array.from(body.rows).map((tr) => Array.from(tr.cells).map((td) => td.textContent));
    if (JSON.stringify(wanted) === JSON.stringify(have)) { return; }
    body.replaceChildren();
    rows.forEach((r) => {
      const tr = document.createElement("tr");
      tr.dataset.port = r.port;
      [["", r.port], ["", r.label], ["state", r.state], ["detail", r.detail]].forEach(([cls, text]) => {
        const td = document.createElement("td");
        if (cls) { td.className = cls; }
        td.textContent = text;
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
  }

  function apply(state) {
    setText("mode", state.mode);
    setText("schedule-state", state.state);
    setText("new-messages", state.new_messages);
    setText("active-calls", state.calls);
    document.querySelectorAll("#mode-form button").forEach((b) => {
      const on = b.value === state.mode;
      b.classList.toggle("active", on);
      b.setAttribute("aria-pressed", on ? "true" : "false");
    });
    fillTable("lines", state.lines);
    fillTable("phones", state.phones);
    document.body.dataset.liveSeq = String(seq);
  }

  async function poll() {
    while (!stopped) {
      try {
        const resp = await fetch("/api/live?seq=" + seq, {credentials: "same-origin"});
        if (resp.status === 401) { window.location.reload(); return; }
        if (!resp.ok) { throw new Error("status " + resp.status); }
        const data = await resp.json();
        seq = data.seq;
        apply(data.state);
        if (data.retry_ms) { await new Promise((r) => setTimeout(r, data.retry_ms)); }
      } catch (err) {
        await new Promise((r) => setTimeout(r, 3000));
      }
    }
  }

  window.addEventListener("pagehide", () => { stopped = true; });
  document.addEventListener("DOMContentLoaded", poll);
})();
