// Hotlists page (administrators, investigators): lists, their entries, entries by hand with the
// optional look-back, and file imports with their per-line errors. Uses app.js's helpers
// (api, el, $, notice, errText, formError); data goes into the page as text only.
"use strict";

const hl = { current: null };

function msDate(v) {
  if (v == null || v === "") return "";
  return typeof v === "number" ? new Date(v).toISOString() : String(v);
}

async function loadHotlists() {
  const r = await api("GET", "/api/v1/hotlists");
  const body = $("#hotlists-table tbody");
  body.replaceChildren();
  if (r.status !== 200) return notice(errText(r));
  for (const h of r.data.hotlists || []) {
    body.append(el("tr", { "data-hotlist": h.name },
      el("td", {}, h.name), el("td", {}, h.source), el("td", {}, h.priority), el("td", {}, h.alert_level),
      el("td", {}, h.covert ? "covert" : ""), el("td", { class: "entries" }, h.entries == null ? "" : h.entries),
      el("td", {}, h.default_expiry_days),
      el("td", {}, el("button", { on: { click: () => openHotlist(h) } }, "Entries"))));
    if (hl.current && hl.current.id === h.id) hl.current = h;
  }
  if (hl.current && !$("#hotlist-detail").hidden) await loadEntries();
}
pageLoaders.hotlists = loadHotlists;

async function openHotlist(h) {
  hl.current = h;
  $("#hotlist-title").textContent = "Entries of " + h.name + (h.covert ? " (covert)" : "");
  for (const id of ["#entry-form", "#import-form"]) { $(id).reset(); formError($(id), ""); }
  $("#lookback").hidden = true;
  $("#import-report").hidden = true;
  $("#hotlist-detail").hidden = false;
  await loadEntries();
}

async function loadEntries() {
  const r = await api("GET", "/api/v1/hotlists/" + hl.current.id + "/entries?limit=500");
  const body = $("#entries-table tbody");
  body.replaceChildren();
  if (r.status !== 200) return notice(errText(r));
  for (const e of r.data.entries || []) {
    body.append(el("tr", { "data-entry": e.id },
      el("td", { class: "plate" }, e.plate + (e.partial ? " (partial)" : "")), el("td", {}, e.state || "any"),
      el("td", {}, e.reason || ""), el("td", {}, e.case || ""), el("td", {}, msDate(e.expires)),
      el("td", {}, e.origin || ""),
      el("td", {}, el("button", { on: { click: () => removeEntry(e) } }, "Remove"))));
  }
}

async function removeEntry(e) {
  if (!confirm("Remove " + e.plate + " from " + hl.current.name + "?")) return;
  const r = await api("DELETE", "/api/v1/hotlists/" + hl.current.id + "/entries/" + e.id);
  if (r.status !== 200) return notice(errText(r));
  await loadHotlists();
  notice("Entry " + e.plate + " removed.", true);
}

$("#hotlist-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const f = ev.target;
  formError(f, "");
  const body = { name: f.name.value.trim(), source: f.source.value, alert_level: f.alert_level.value };
  if (f.priority.value !== "") body.priority = parseInt(f.priority.value, 10);
  if (f.default_expiry_days.value !== "") body.default_expiry_days = parseInt(f.default_expiry_days.value, 10);
  if (f.covert.checked) body.covert = true;
  const r = await api("POST", "/api/v1/hotlists", body);
  if (r.status !== 201) return formError(f, errText(r));
  f.reset();
  await loadHotlists();
  await openHotlist(r.data);
  notice("Hotlist " + r.data.name + " created.", true);
});

$("#entry-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const f = ev.target, body = { plate: f.plate.value.trim() };
  formError(f, "");
  for (const k of ["state", "reason", "case"]) if (f[k].value.trim()) body[k] = f[k].value.trim();
  if (f.expires.value) body.expires = f.expires.value + "T23:59:59Z";
  const lb = f.lookback_days.value;
  if (lb !== "" && parseInt(lb, 10) > 0) {
    if (!body.case) return formError(f, "case: the look-back is a search for an investigation and needs a case number");
    body.lookback_days = parseInt(lb, 10);
  }
  const r = await api("POST", "/api/v1/hotlists/" + hl.current.id + "/entries", body);
  if (r.status !== 201 && r.status !== 200) return formError(f, errText(r));
  showLookback(r.data.matching_reads);
  f.reset();
  await loadHotlists();
  notice("Entry " + r.data.entry.plate + " added to " + hl.current.name + ".", true);
});

function showLookback(m) {
  const box = $("#lookback"), body = $("#lookback-table tbody");
  body.replaceChildren();
  box.hidden = !m;
  if (!m) return;
  if (m.error) {
    $("#lookback-summary").textContent = "Look-back refused: " + m.message + " (" + m.error + ")";
    $("#lookback-table").hidden = true;
    return;
  }
  $("#lookback-summary").textContent = "Look-back: " + m.total + " past reads match the new entry" +
    (m.total > m.reads.length ? " (first " + m.reads.length + " shown)" : "") + ".";
  $("#lookback-table").hidden = !m.reads.length;
  for (const rd of m.reads)
    body.append(el("tr", {}, el("td", {}, rd.ts), el("td", { class: "plate" }, rd.plate), el("td", {}, rd.state || ""),
      el("td", {}, rd.camera || "")));
}

$("#import-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const f = ev.target, file = f.file.files[0];
  formError(f, "");
  if (!file) return formError(f, "file: choose the file to import");
  const q = new URLSearchParams();
  if (f.map.value.trim()) q.set("map", f.map.value.trim());
  if (f.delimiter.value) q.set("delimiter", f.delimiter.value);
  if (f.header.value) q.set("header", f.header.value);
  if (f.skip_bad.checked) q.set("skip_bad", "1");
  const r = await api("POST", "/api/v1/hotlists/" + hl.current.id + "/import?" + q.toString(),
    await file.arrayBuffer(), "text/csv");
  const d = r.data || {};
  const box = $("#import-report"), list = $("#import-errors");
  list.replaceChildren();
  box.hidden = !("lines" in d);
  if ("lines" in d) {
    $("#import-summary").textContent = d.lines + " lines: " + d.loaded + " loaded, " + d.bad + " bad, " +
      d.replaced + " replaced" + (d.latin1 ? ", " + d.latin1 + " read as Latin-1" : "") +
      (r.status === 200 ? "." : ". Nothing was changed: the list keeps its entries.");
    for (const line of d.errors || []) list.append(el("li", {}, line));
  }
  if (r.status !== 200) return formError(f, errText(r));
  await loadHotlists();
  notice("Import into " + hl.current.name + ": " + d.loaded + " entries loaded" + (d.bad ? ", " + d.bad + " bad lines skipped" : "") + ".", true);
});
