// Records pages: holds (open, approve, release, evidence export with its download) and
// data-sharing requests (record with the written request, decide, fulfil, report by agency).
// Uses app.js's helpers (api, el, $, notice, errText, formError, isoFromLocal); text only.
"use strict";

const role = () => (state.user ? state.user.role : "");
const may = (...roles) => roles.includes(role());
const csv = (v) => v.split(/[\s,]+/).map((s) => s.trim()).filter(Boolean);

// The answer of POST /exports or /requests/{id}/fulfil, with its manifest summary and the link.
async function showExport(box, r, what) {
  box.replaceChildren();
  box.hidden = false;
  const x = r.data;
  const rec = await api("GET", "/api/v1/exports/" + x.id);
  const e = rec.status === 200 ? rec.data : {};
  box.append(el("h3", {}, "Export " + x.id + " of " + what),
    el("p", {}, x.reads + " reads, " + x.images + " images" + (e.case ? ", case " + e.case : "") +
      (e.exported_by ? ", exported by " + e.exported_by + " at " + e.exported_at : "") + "."),
    el("p", {}, "Manifest SHA-256 (for the evidence label): ", el("code", { class: "manifest-sha" }, x.manifest_sha256)),
    el("p", {}, el("a", { class: "download", href: x.download, download: "export-" + x.id + ".tar" }, "Download the package (tar)"),
      " — check it with ", el("code", {}, "platekeeper export verify FILE"), "."));
}

// --- holds ---
async function loadHolds() {
  const f = $("#holds-filter"), q = new URLSearchParams();
  if (f.status.value) q.set("status", f.status.value);
  if (f.overdue.checked) q.set("overdue", "1");
  const r = await api("GET", "/api/v1/holds?" + q.toString());
  const body = $("#holds-table tbody");
  body.replaceChildren();
  if (r.status !== 200) return formError(f, errText(r));
  formError(f, "");
  for (const h of r.data.holds || []) {
    const acts = el("td", {});
    if (h.status === "pending" && may("admin"))
      acts.append(el("button", { class: "approve", on: { click: () => holdAction(h, "approve") } }, "Approve"));
    if (h.status === "approved" && may("admin", "investigator", "custodian"))
      acts.append(el("button", { class: "export", on: { click: () => exportHold(h) } }, "Export evidence"));
    if (h.status !== "released" && may("admin", "custodian")) {
      const why = el("input", { placeholder: "release reason" });
      acts.append(why, el("button", { class: "release", on: { click: () => holdAction(h, "release", why.value) } }, "Release"));
    }
    const overdue = h.status === "approved" && h.review_at && h.review_at < new Date().toISOString();
    body.append(el("tr", { "data-hold": h.id },
      el("td", {}, h.id), el("td", {}, h.case), el("td", {}, h.reason), el("td", {}, h.contact),
      el("td", {}, h.reads), el("td", { class: "status status-" + h.status }, h.status),
      el("td", {}, (h.opened_at || "") + " by " + h.opened_by),
      el("td", {}, (h.review_at || "") + (overdue ? " (overdue)" : "")), acts));
  }
}
pageLoaders.holds = loadHolds;

$("#holds-filter").addEventListener("submit", (ev) => { ev.preventDefault(); loadHolds(); });

async function holdAction(h, what, reason) {
  const r = await api("POST", "/api/v1/holds/" + h.id + "/" + what, what === "release" ? (reason ? { reason } : {}) : undefined);
  if (r.status !== 200) return notice("Hold " + h.id + ": " + errText(r));
  await loadHolds();
  notice("Hold " + h.id + " " + r.data.status + ".", true);
}

async function exportHold(h) {
  const r = await api("POST", "/api/v1/exports", { hold_id: h.id });
  if (r.status !== 201) return notice("Hold " + h.id + ": " + errText(r));
  await showExport($("#export-result"), r, "hold " + h.id + " (case " + h.case + ")");
  notice("Evidence export made.", true);
}

$("#hold-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const f = ev.target;
  formError(f, "");
  const body = { case: f.case.value.trim(), reason: f.reason.value.trim(), contact: f.contact.value.trim() };
  if (f.review_days.value) body.review_days = parseInt(f.review_days.value, 10);
  const ids = csv(f.read_ids.value);
  if (ids.length) {
    if (ids.some((i) => !/^\d+$/.test(i))) return formError(f, "read_ids: whole numbers separated by commas");
    body.read_ids = ids.map((i) => parseInt(i, 10));
  } else {
    const q = {};
    for (const k of ["plate", "pattern", "near", "camera"]) if (f[k].value.trim()) q[k] = f[k].value.trim();
    if (f.fuzzy.checked) q.fuzzy = true;
    if (f.from.value) q.from = isoFromLocal(f.from.value);
    if (f.to.value) q.to = isoFromLocal(f.to.value);
    if (!Object.keys(q).length) return formError(f, "selection: give read ids or a search (plate, pattern, time, area, camera)");
    body.query = q;
  }
  const r = await api("POST", "/api/v1/holds", body);
  if (r.status !== 201) return formError(f, errText(r));
  f.reset();
  await loadHolds();
  notice("Hold " + r.data.id + " opened (" + r.data.reads + " reads); an administrator must approve it.", true);
});

// --- data-sharing requests ---
function scopeText(s) {
  if (!s) return "";
  const parts = [];
  if (s.plates && s.plates.length) parts.push("plates " + s.plates.join(" "));
  if (s.from) parts.push("from " + s.from);
  if (s.to) parts.push("to " + s.to);
  if (s.near) parts.push("near " + s.near.lat + "," + s.near.lon + " (" + s.near.radius_m + " m)");
  return parts.join("; ");
}

async function loadRequests() {
  const r = await api("GET", "/api/v1/requests");
  const body = $("#requests-table tbody");
  body.replaceChildren();
  if (r.status !== 200) return notice(errText(r));
  for (const q of r.data.requests || []) {
    const acts = el("td", {});
    if (q.status === "pending" && may("admin")) {
      const why = el("input", { class: "decision-reason", placeholder: "reason (required to deny)" });
      acts.append(why,
        el("button", { class: "approve", on: { click: () => decide(q, "approve", why.value) } }, "Approve"),
        el("button", { class: "deny", on: { click: () => decide(q, "deny", why.value) } }, "Deny"));
    }
    if (q.status === "approved" && may("admin", "custodian"))
      acts.append(el("button", { class: "fulfil", on: { click: () => fulfil(q) } }, "Fulfil (export the approved scope)"));
    if (q.export_id) acts.append(el("a", { href: "/api/v1/exports/" + q.export_id + "/package", download: "request-" + q.id + ".tar" }, "package"));
    const auto = q.decided_by === "system" ? " (automatic)" : "";
    body.append(el("tr", { "data-request": q.id },
      el("td", {}, q.id), el("td", {}, q.received_at || ""), el("td", {}, q.agency), el("td", {}, q.agency_type.replace(/_/g, " ")),
      el("td", {}, q.state), el("td", {}, q.requester + " — " + q.contact), el("td", {}, q.purpose + (q.case ? " / " + q.case : "")),
      el("td", {}, scopeText(q.scope)), el("td", { class: "status status-" + q.status }, q.status + auto),
      el("td", { class: "reason" }, (q.reason || "") + (q.approval_expires && q.status === "approved" ? " (approval lapses " + q.approval_expires + ")" : "")),
      acts));
  }
}
pageLoaders.requests = loadRequests;

async function decide(q, decision, reason) {
  const body = { decision };
  if (reason) body.reason = reason;
  const r = await api("POST", "/api/v1/requests/" + q.id + "/decision", body);
  if (r.status !== 200) return notice("Request " + q.id + ": " + errText(r));
  await loadRequests();
  notice("Request " + q.id + " " + r.data.status + ".", true);
}

async function fulfil(q) {
  const r = await api("POST", "/api/v1/requests/" + q.id + "/fulfil");
  if (r.status !== 201) return notice("Request " + q.id + ": " + errText(r));
  await showExport($("#fulfil-result"), r, "request " + q.id + " (" + q.agency + ")");
  await loadRequests();
  notice("Request " + q.id + " fulfilled.", true);
}

function fileBase64(file) {
  return new Promise((resolve, reject) => {
    const fr = new FileReader();
    fr.onload = () => resolve(String(fr.result).replace(/^data:[^,]*,/, ""));
    fr.onerror = () => reject(fr.error);
    fr.readAsDataURL(file);
  });
}

$("#request-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const f = ev.target, body = {};
  formError(f, "");
  for (const k of ["agency", "agency_type", "state", "requester", "contact", "purpose", "case"]) body[k] = f[k].value.trim();
  const scope = {};
  const plates = csv(f.plates.value);
  if (plates.length) scope.plates = plates;
  if (f.from.value) scope.from = isoFromLocal(f.from.value);
  if (f.to.value) scope.to = isoFromLocal(f.to.value);
  if (f.near.value.trim()) scope.near = f.near.value.trim();
  body.scope = scope;
  const file = f.document.files[0];
  if (file) {
    if (file.size > 10 * 1024 * 1024) return formError(f, "document: larger than 10 MiB");
    body.document = await fileBase64(file);
  }
  const r = await api("POST", "/api/v1/requests", body);
  if (r.status !== 201) return formError(f, errText(r));
  f.reset();
  await loadRequests();
  const q = r.data;
  if (q.status === "denied" || q.status === "referred")
    formError(f, "Request " + q.id + " recorded and " + (q.status === "denied" ? "refused automatically" : "referred") + ": " + q.reason);
  else notice("Request " + q.id + " recorded (" + q.status + ").", true);
});

$("#requests-report").addEventListener("click", async () => {
  const r = await api("GET", "/api/v1/requests/report");
  const box = $("#sharing-report");
  box.replaceChildren();
  if (r.status !== 200) return notice(errText(r));
  if (!r.data.agencies.length) return box.append(el("p", {}, "No releases."));
  for (const a of r.data.agencies) {
    const t = el("table", { class: "report" }, el("thead", {}, el("tr", {},
      ...["#", "Status", "Purpose / case", "Scope", "Decided by", "Fulfilled"].map((h) => el("th", {}, h)))));
    const tb = el("tbody", {});
    for (const q of a.releases)
      tb.append(el("tr", {}, el("td", {}, q.id), el("td", {}, q.status), el("td", {}, q.purpose + (q.case ? " / " + q.case : "")),
        el("td", {}, scopeText(q.scope)), el("td", {}, q.decided_by || ""), el("td", {}, (q.fulfilled_at || "") + (q.fulfilled_by ? " by " + q.fulfilled_by : ""))));
    t.append(tb);
    box.append(el("h4", {}, a.agency + " (" + String(a.agency_type).replace(/_/g, " ") + "): " + a.releases.length), t);
  }
});
