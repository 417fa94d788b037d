// "Read a photo" page (operators, investigators, administrators): uploads one image to
// POST /api/v1/recognize and lists the plates read, with their alternatives; investigators can
// take a plate straight to the search form. Uses app.js's helpers; results go in as text only.
"use strict";

// region: the state code the photo was read with ("" for none).
function recognizeRows(results, canSearch, region) {
  const body = $("#recognize-results tbody");
  body.replaceChildren();
  for (const r of results) {
    const c = r.coordinates, alts = (r.candidates || []).slice(1, 5);
    // The corners lean with the plate: show the upright rectangle around them.
    const xs = c.map((p) => p.x), ys = c.map((p) => p.y);
    const x0 = Math.min(...xs), y0 = Math.min(...ys);
    const where = x0 + ", " + y0 + ", " + (Math.max(...xs) - x0) + " x " + (Math.max(...ys) - y0);
    const search = canSearch ? el("button", { on: { click: () => searchPlate(r.plate) } }, "Search") : "";
    // The state told from the plate's printed name, when it reads; the formats that ranked the
    // readings are the chosen state's, else that one's.
    const told = r.region ? r.region.toUpperCase() + " (" + r.region_confidence + "%)" : "";
    const fmt = region || r.region || "";
    const format = !fmt ? "" : (r.matches_template ? "fits " : "fits no ") + fmt.toUpperCase() + " format";
    body.append(el("tr", { "data-plate": r.plate },
      el("td", { class: "plate" }, r.plate), el("td", {}, r.confidence.toFixed(1) + "%"), el("td", { class: "state" }, told),
      el("td", {}, format),
      el("td", {}, alts.map((a) => a.plate + " " + a.confidence.toFixed(0) + "%").join(", ")),
      el("td", {}, where), el("td", {}, search)));
  }
  $("#recognize-results").hidden = results.length === 0;
}

function searchPlate(plate) {
  showView("search");
  const f = $("#search-form");
  f.plate.value = plate;
  f.pattern.value = "";
  f.plate.focus();
}

$("#recognize-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const f = ev.target, file = f.photo.files[0];
  formError(f, "");
  $("#recognize-summary").textContent = "";
  $("#recognize-results").hidden = true;
  if (!file) return formError(f, "Choose a photo first.");
  const region = f.country.value === "us" ? f.region.value : "";
  const r = await api("POST", "/api/v1/recognize?country=" + encodeURIComponent(f.country.value) + "&topn=5" +
    (region ? "&region=" + encodeURIComponent(region) : ""),
    await file.arrayBuffer(), file.type || "application/octet-stream");
  if (r.status !== 200) return formError(f, errText(r));
  const n = r.data.results.length;
  $("#recognize-summary").textContent = file.name + ": " + r.data.img_width + " x " + r.data.img_height + ", " +
    (n === 0 ? "no plate found" : n + (n === 1 ? " plate" : " plates")) + " (" + Math.round(r.data.processing_time_ms) + " ms)";
  recognizeRows(r.data.results, ["investigator", "admin"].includes(state.user.role), region);
});

// The state list comes from the server (GET /api/v1/recognize/regions), once per page load. The
// state last chosen in this browser is chosen again: a department's photos are mostly of its own
// state's plates. Only the two-letter code is kept, nothing read from a photo.
pageLoaders.recognize = async () => {
  const sel = $("#recognize-form [name=region]");
  if (sel.options.length <= 1) {
    const r = await api("GET", "/api/v1/recognize/regions");
    if (r.status !== 200) return;
    for (const g of r.data.regions) sel.append(el("option", { value: g.code }, g.code.toUpperCase() + " " + g.name));
  }
  const saved = localStorage.getItem("pk.recognize.region") || "";
  if (!sel.disabled && [...sel.options].some((o) => o.value === saved)) sel.value = saved;
};
$("#recognize-form [name=region]").addEventListener("change", (ev) => localStorage.setItem("pk.recognize.region", ev.target.value));

// A state's formats are for US plates only.
$("#recognize-form [name=country]").addEventListener("change", (ev) => {
  const sel = ev.target.form.region;
  sel.disabled = ev.target.value !== "us";
  if (sel.disabled) sel.value = "";
});
$("#recognize-form").addEventListener("reset", (ev) => { ev.target.region.disabled = false; });
