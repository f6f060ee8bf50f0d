// Switchboard web UI: small behaviours shared by every page (no inline scripts: the CSP forbids them).
"use strict";

function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : "";
}

// POST a FormData with the CSRF header; resolves to {ok, status, body}.
async function postForm(url, data) {
  const resp = await fetch(url, {
    method: "POST", body: data, credentials: "same-origin",
    headers: {"X-CSRFToken": csrfToken(), "X-Requested-With": "fetch", "Accept": "application/json"},
  });
  let body = {};
  const type = resp.headers.get("Content-Type") || "";
  if (type.includes("json")) { body = await resp.json(); }
  else if (resp.status === 413) { body = {message: "That file is larger than the box accepts."}; }
  return {ok: resp.ok, status: resp.status, body: body, resp: resp};
}

document.addEventListener("submit", (ev) => {
  const form = ev.target;
  const question = form.dataset.confirm;
  if (question && !window.confirm(question)) { ev.preventDefault(); }
});

// An element with data-reload-after="ms" reloads the page once (e.g. while a report is being made).
document.addEventListener("DOMContentLoaded", () => {
  const el = document.querySelector("[data-reload-after]");
  if (el) { setTimeout(() => window.location.reload(), parseInt(el.dataset.reloadAfter, 10) || 3000); }
});

window.Switchboard = {csrfToken, postForm};
