// "Read a photo" page (operators, investigators, administrators): uploads one image to
// POST /api/v1/recognize and lists the plates read, with their alternatives; investigators can
// take a plate straight to the search form. Uses app.js's helpers; results go in as text only.
"use strict";

function recognizeRows(results, canSearch) {
  const body = $("#recognize-results tbody");
  body.replaceChildren();
  for (const r of results) {
    const c = r.coordinates, alts = (r.candidates || []).slice(1, 5);
    const where = c[0].x + ", " + c[0].y + ", " + (c[2].x - c[0].x) + " x " + (c[2].y - c[0].y);
    const search = canSearch ? el("button", { on: { click: () => searchPlate(r.plate) } }, "Search") : "";
    body.append(el("tr", { "data-plate": r.plate },
      el("td", { class: "plate" }, r.plate), el("td", {}, r.confidence.toFixed(1) + "%"),
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
  const r = await api("POST", "/api/v1/recognize?country=" + encodeURIComponent(f.country.value) + "&topn=5",
    await file.arrayBuffer(), file.type || "application/octet-stream");
  if (r.status !== 200) return formError(f, errText(r));
  const n = r.data.results.length;
  $("#recognize-summary").textContent = file.name + ": " + r.data.img_width + " x " + r.data.img_height + ", " +
    (n === 0 ? "no plate found" : n + (n === 1 ? " plate" : " plates")) + " (" + Math.round(r.data.processing_time_ms) + " ms)";
  recognizeRows(r.data.results, ["investigator", "admin"].includes(state.user.role));
});
