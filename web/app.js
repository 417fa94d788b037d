// platekeeper browser UI. The session is the HttpOnly cookie the login sets; state-changing
// requests carry the CSRF token of the login answer (kept in sessionStorage, never in a
// cookie). Every piece of data goes into the page as text (textContent), never as HTML.
"use strict";

const $ = (sel) => document.querySelector(sel);
const state = { user: null, csrf: sessionStorage.getItem("pk_csrf") || "", next: "", query: null };

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "on") for (const [ev, fn] of Object.entries(v)) e.addEventListener(ev, fn);
    else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(c == null ? "" : String(c)));
  return e;
}

function notice(text, ok) {
  const n = $("#notice");
  n.textContent = text || "";
  n.hidden = !text;
  n.className = ok ? "ok" : "";
}

// body: a value sent as JSON; rawType: send body as it is (a file) with that Content-Type.
async function api(method, path, body, rawType) {
  const headers = {};
  if (body !== undefined) headers["Content-Type"] = rawType || "application/json";
  if (method !== "GET" && state.csrf) headers["X-CSRF-Token"] = state.csrf;
  const resp = await fetch(path, {
    method, headers, credentials: "same-origin",
    body: body === undefined ? undefined : rawType ? body : JSON.stringify(body),
  });
  let data = null;
  if ((resp.headers.get("Content-Type") || "").startsWith("application/json")) data = await resp.json();
  if (resp.status === 401 && state.user) showLogin("Your session ended; log in again.");
  return { status: resp.status, data };
}

function errText(r) {
  return r.data && r.data.message ? r.data.message + " (" + r.data.error + ")" : "request failed (" + r.status + ")";
}

// The API's error for a form goes right below that form (a <p class="form-error"> made on first use).
function formError(form, text) {
  let p = form.nextElementSibling;
  if (!p || !p.classList.contains("form-error")) {
    p = el("p", { class: "form-error", role: "alert" });
    form.after(p);
  }
  p.textContent = text || "";
  p.hidden = !text;
}

function clearFormErrors(root) {
  for (const p of root.querySelectorAll(".form-error")) { p.textContent = ""; p.hidden = true; }
}

// Loaders of the pages; the page scripts (hotlists.js, records.js) add theirs.
const pageLoaders = {};

function roleAllows(node) {
  return !node.dataset.roles || (state.user && node.dataset.roles.split(" ").includes(state.user.role));
}

function showView(name) {
  for (const s of document.querySelectorAll("main > section")) s.hidden = s.id !== "view-" + name;
  for (const b of document.querySelectorAll("nav button[data-view]")) b.classList.toggle("active", b.dataset.view === name);
  notice("");
  const loaders = { users: loadUsers, settings: loadSettings, audit: loadAuditLog, alerts: loadAlerts, search: loadPurposes, ...pageLoaders };
  const sec = document.getElementById("view-" + name);
  if (sec) clearFormErrors(sec);
  if (loaders[name]) loaders[name]();
}

// On logout nothing of the last user's data stays in the page: tables, panels, forms, reports.
function wipePages() {
  for (const tb of document.querySelectorAll("main tbody")) tb.replaceChildren();
  for (const p of document.querySelectorAll("main .panel, #read-detail, #hotlist-detail, #search-results, #search-more, #recognize-results")) p.hidden = true;
  for (const p of document.querySelectorAll("#audit-report, #audit-verify-result, #search-summary, #recognize-summary, #sharing-report, #export-result, #fulfil-result, #import-errors")) p.replaceChildren();
  for (const f of document.querySelectorAll("main form:not(#login-form)")) f.reset();
  clearFormErrors(document);
}

function showLogin(msg) {
  state.user = null;
  wipePages();
  $("#nav").hidden = true;
  showView("login");
  if (msg) notice(msg);
}

function enter(user) {
  state.user = user;
  $("#nav").hidden = false;
  $("#whoami").textContent = user.username + " (" + user.role + ")";
  let first = null;
  for (const b of document.querySelectorAll("nav button[data-view]")) {
    const allowed = b.dataset.roles.split(" ").includes(user.role);
    b.hidden = !allowed;
    if (allowed && !first) first = b.dataset.view;
  }
  // Controls inside pages that only some roles may use (approve, decide, ...).
  for (const n of document.querySelectorAll("main [data-roles]")) n.hidden = !roleAllows(n);
  const dataRole = ["investigator", "operator"].includes(user.role);
  if (user.training && !user.training.current && dataRole) return showView("training");
  showView(first || "training");
}

// --- login / logout ---
$("#login-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const f = ev.target;
  const r = await api("POST", "/api/v1/session", { username: f.username.value, password: f.password.value });
  f.password.value = "";
  if (r.status !== 200) return notice(errText(r));
  state.csrf = r.data.csrf;
  sessionStorage.setItem("pk_csrf", state.csrf);
  enter(r.data.user);
});

$("#logout").addEventListener("click", async () => {
  await api("DELETE", "/api/v1/session");
  sessionStorage.removeItem("pk_csrf");
  state.csrf = "";
  showLogin("Logged out.");
});

for (const b of document.querySelectorAll("nav button[data-view]"))
  b.addEventListener("click", () => showView(b.dataset.view));

// --- search ---
async function loadPurposes() {
  const sel = $("#search-form").purpose;
  if (sel.options.length) return;
  const r = await api("GET", "/api/v1/purposes");
  if (r.status !== 200) return;
  sel.append(el("option", { value: "" }, "choose a purpose"));
  for (const p of r.data.purposes)
    sel.append(el("option", { value: p.code }, p.label + (p.needs_case ? " (case required)" : "")));
}

function isoFromLocal(v) { return v ? new Date(v + "Z").toISOString() : ""; }

async function runSearch(cursor) {
  const q = new URLSearchParams(state.query);
  if (cursor) q.set("cursor", cursor);
  const r = await api("GET", "/api/v1/reads?" + q.toString());
  const table = $("#search-results"), body = table.querySelector("tbody");
  if (!cursor) body.replaceChildren();
  if (r.status !== 200) {
    table.hidden = true;
    $("#search-more").hidden = true;
    $("#search-summary").textContent = "";
    return notice(errText(r));
  }
  notice("");
  for (const rd of r.data.reads) {
    body.append(el("tr", {},
      el("td", {}, rd.ts), el("td", { class: "plate" }, rd.plate), el("td", {}, rd.state || ""),
      el("td", {}, rd.camera || ""),
      el("td", {}, rd.lat == null ? "" : rd.lat.toFixed(5) + ", " + rd.lon.toFixed(5)),
      el("td", {}, rd.confidence == null ? "" : rd.confidence.toFixed(1)),
      el("td", {}, el("button", { on: { click: () => showRead(rd.id) } }, "View"))));
  }
  table.hidden = false;
  $("#search-summary").textContent = r.data.total + " reads (" + r.data.kind + ")";
  state.next = r.data.next;
  $("#search-more").hidden = !r.data.next;
}

$("#search-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const f = ev.target, q = {};
  for (const k of ["plate", "pattern", "near", "camera", "purpose", "case"]) if (f[k].value) q[k] = f[k].value.trim();
  if (f.fuzzy.checked) q.fuzzy = "1";
  if (f.from.value) q.from = isoFromLocal(f.from.value);
  if (f.to.value) q.to = isoFromLocal(f.to.value);
  state.query = q;
  $("#read-detail").hidden = true;
  runSearch("");
});
$("#search-more").addEventListener("click", () => runSearch(state.next));

async function showRead(id) {
  const q = new URLSearchParams({ purpose: state.query.purpose || "" });
  if (state.query.case) q.set("case", state.query.case);
  const box = $("#read-detail");
  box.hidden = true;
  box.replaceChildren();
  const r = await api("GET", "/api/v1/reads/" + id + "?" + q.toString());
  if (r.status !== 200) return notice(errText(r));
  const rd = r.data.read;
  box.replaceChildren(el("h3", {}, "Read " + rd.id + ": " + rd.plate),
    el("p", {}, rd.ts + " at " + (rd.camera || "?") + ", confidence " + rd.confidence));
  for (const kind of ["plate", "scene"]) {
    if (rd[kind + "_image"]) box.append(el("img", { alt: kind + " image", src: rd[kind + "_image"] + "&" + q.toString() }));
  }
  box.hidden = false;
}

// --- alerts (src/hotlist's routes): list, and record the CLETS verification ---
const OUTCOMES = ["confirmed", "not_confirmed", "misread", "state_mismatch", "vehicle_mismatch", "entry_cleared"];

async function loadAlerts() {
  const r = await api("GET", "/api/v1/alerts?purpose=alert-verification");
  const body = $("#alerts-table tbody");
  body.replaceChildren();
  if (r.status !== 200) return notice(errText(r));
  for (const a of r.data.alerts || []) {
    const rd = a.read || {}, hl = a.hotlist || {};
    const cell = el("td", {});
    if (a.status === "unverified") {
      const sel = el("select", {}, ...OUTCOMES.map((o) => el("option", { value: o }, o.replace(/_/g, " "))));
      const note = el("input", { placeholder: "note (required unless confirmed)" });
      cell.append(sel, note, el("button", { on: { click: () => verifyAlert(a.id, sel.value, note.value) } }, "Record verification"));
    }
    body.append(el("tr", { "data-alert": a.id }, el("td", {}, a.created_at || ""), el("td", { class: "plate" }, rd.plate || ""),
      el("td", {}, hl.name || ""), el("td", {}, a.match + (a.state_mismatch ? " (state differs)" : "")),
      el("td", {}, a.status), cell));
  }
}

async function verifyAlert(id, outcome, note) {
  const body = { outcome };
  if (note) body.note = note;
  const r = await api("POST", "/api/v1/alerts/" + id + "/verify", body);
  if (r.status !== 200) return notice(errText(r));
  await loadAlerts();
  notice("Verification recorded.", true);
}

// --- users ---
async function loadUsers() {
  const r = await api("GET", "/api/v1/users");
  if (r.status !== 200) return notice(errText(r));
  const body = $("#users-table tbody"), sel = $("#training-form").user;
  body.replaceChildren();
  sel.replaceChildren();
  for (const u of r.data.users) {
    const t = u.training || {};
    const actions = el("td", {});
    for (const st of ["active", "suspended", "separated"]) {
      if (st === u.status || u.status === "separated") continue;
      actions.append(el("button", { on: { click: () => setStatus(u, st) } }, st === "active" ? "Reactivate" : st === "suspended" ? "Suspend" : "Separate"));
    }
    body.append(el("tr", { "data-username": u.username }, el("td", {}, u.username), el("td", { class: "full-name" }, u.full_name),
      el("td", {}, u.job_title), el("td", {}, u.role), el("td", {}, u.status),
      el("td", {}, t.current ? "current" : "required"), actions));
    sel.append(el("option", { value: u.id }, u.username));
  }
}

async function setStatus(u, status) {
  if (status === "separated" && !confirm("Separate " + u.username + "? This cannot be undone.")) return;
  const r = await api("POST", "/api/v1/users/" + u.id + "/status", { status });
  if (r.status !== 200) return notice(errText(r));
  await loadUsers();
  notice(u.username + ": " + status, true);
}

$("#user-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const f = ev.target, body = {};
  for (const k of ["username", "full_name", "job_title", "role", "password"]) body[k] = f[k].value;
  const r = await api("POST", "/api/v1/users", body);
  if (r.status !== 201) return notice(errText(r));
  f.reset();
  await loadUsers();
  notice("User " + r.data.user.username + " added.", true);
});

$("#training-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const f = ev.target;
  const r = await api("POST", "/api/v1/users/" + f.user.value + "/training", { course: f.course.value, completed_on: f.completed_on.value });
  if (r.status !== 201) return notice(errText(r));
  await loadUsers();
  notice("Training recorded for " + r.data.user.username + ".", true);
});

// --- settings ---
async function loadSettings() {
  const r = await api("GET", "/api/v1/settings");
  if (r.status !== 200) return notice(errText(r));
  $("#retention-form").retention_days.value = r.data.settings.retention_days ?? "";
  const box = $("#settings-fields");
  box.replaceChildren();
  for (const [k, v] of Object.entries(r.data.settings)) {
    if (k === "retention_days") continue;
    const text = typeof v === "object" ? JSON.stringify(v) : String(v);
    box.append(el("label", {}, k, el("input", { name: k, value: text, "data-original": text })));
  }
}

$("#settings-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const changes = {};
  for (const i of document.querySelectorAll("#settings-fields input")) {
    if (i.value === i.dataset.original) continue;
    let v = i.value;
    if (/^-?\d+$/.test(v)) v = parseInt(v, 10);
    else if (v.startsWith("[")) { try { v = JSON.parse(v); } catch (e) { /* sent as text; the server says why */ } }
    changes[i.name] = v;
  }
  if (!Object.keys(changes).length) return notice("Nothing changed.", true);
  const r = await api("PUT", "/api/v1/settings", changes);
  if (r.status !== 200) return notice(errText(r));
  await loadSettings();
  notice("Settings saved.", true);
});

// Retention has its own form: the policy minimum refusal is shown right below it.
$("#retention-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const f = ev.target, v = f.retention_days.value.trim();
  formError(f, "");
  const r = await api("PUT", "/api/v1/settings", { retention_days: /^\d+$/.test(v) ? parseInt(v, 10) : v });
  if (r.status !== 200) return formError(f, errText(r));
  await loadSettings();
  notice("Retention set to " + f.retention_days.value + " days.", true);
});

// --- audit ---
$("#audit-verify").addEventListener("click", async () => {
  const r = await api("GET", "/api/v1/audit/verify");
  if (r.status !== 200) return notice(errText(r));
  $("#audit-verify-result").textContent = r.data.intact
    ? "Intact: " + r.data.checked + " entries checked."
    : "NOT intact: first bad entry " + r.data.first_bad + " (" + (r.data.reason || "") + ")";
});

$("#audit-report-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const f = ev.target, q = new URLSearchParams();
  if (f.from.value) q.set("from", f.from.value);
  if (f.to.value) q.set("to", f.to.value + "T23:59:59Z");
  const r = await api("GET", "/api/v1/audit/report?" + q.toString());
  if (r.status !== 200) return notice(errText(r));
  $("#audit-report").textContent = JSON.stringify(r.data, null, 2);
});

async function loadAuditLog() {
  const r = await api("GET", "/api/v1/audit/log?limit=50");
  if (r.status !== 200) return notice(errText(r));
  const body = $("#audit-log tbody");
  body.replaceChildren();
  for (const e of r.data.entries)
    body.append(el("tr", {}, el("td", {}, e.id), el("td", {}, e.ts), el("td", {}, e.username || ""), el("td", {}, e.action),
      el("td", {}, e.purpose || ""), el("td", {}, e.case || e.case_no || ""),
      el("td", {}, e.result_count < 0 ? "" : e.result_count), el("td", {}, e.outcome)));
}

// --- start: resume a session the cookie still holds ---
(async () => {
  const r = await api("GET", "/api/v1/session");
  if (r.status === 200 && state.csrf) enter(r.data.user);
  else showLogin();
})();
