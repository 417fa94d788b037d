// "Read a photo" page (operators, investigators, administrators): uploads one image to
// POST /api/v1/recognize, or a video clip to POST /api/v1/recognize/video, and lists the plates
// read (one row per vehicle for a video), with their alternatives, and shows the photo with a box
// around every plate; investigators can take a plate straight to the search form. Uses app.js's
// helpers; results go in as text only.
"use strict";

const VIDEO_EXT = /\.(mp4|mov|avi|mkv|webm|m4v|ts|mpg|mpeg)$/i;

function isVideo(file) {
  return (file.type || "").startsWith("video/") || VIDEO_EXT.test(file.name);
}

// A video's groups as rows of the same shape: the best frame's plate, with the group's reading,
// confidence, state and alternatives, and where in the clip it was seen.
function groupRows(groups) {
  return groups.map((g) => Object.assign({}, g.best_plate, {
    plate: g.best_plate_number, confidence: g.best_confidence, region: g.best_region,
    region_confidence: g.best_region_confidence, matches_template: g.matches_template,
    candidates: g.candidates,
    when: (g.frame_time_start_ms / 1000).toFixed(1) + "-" + (g.frame_time_end_ms / 1000).toFixed(1) + " s, " +
      g.frames_read + (g.frames_read === 1 ? " frame" : " frames"),
  }));
}

// region: the state code the photo was read with ("" for none).
function recognizeRows(results, canSearch, region) {
  const body = $("#recognize-results tbody");
  body.replaceChildren();
  for (const r of results) {
    const c = r.coordinates, alts = (r.candidates || []).slice(1, 5);
    // The corners lean with the plate: show the upright rectangle around them.
    const xs = c.map((p) => p.x), ys = c.map((p) => p.y);
    const x0 = Math.min(...xs), y0 = Math.min(...ys);
    const where = r.when || x0 + ", " + y0 + ", " + (Math.max(...xs) - x0) + " x " + (Math.max(...ys) - y0);
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

// The photo as chosen (a local object URL: it is not sent again, nor kept), with each plate's
// upright rectangle drawn over it in percent of the picture, so the boxes follow the picture's
// size on screen. The server gives corners in the picture as shown (a phone photo's EXIF
// orientation applied), which is how the browser shows it too.
let photoUrl = null;
function showPhoto(file, results, w, h) {
  const fig = $("#recognize-photo"), frame = fig.querySelector(".photo-frame");
  frame.querySelectorAll(".plate-box").forEach((b) => b.remove());
  if (photoUrl) URL.revokeObjectURL(photoUrl);
  photoUrl = file ? URL.createObjectURL(file) : null;
  fig.hidden = !file;
  if (!file) return;
  frame.querySelector("img").src = photoUrl;
  for (const r of results) {
    const xs = r.coordinates.map((p) => p.x), ys = r.coordinates.map((p) => p.y);
    const x0 = Math.min(...xs), y0 = Math.min(...ys);
    const box = el("div", { class: "plate-box", "data-plate": r.plate }, el("span", {}, r.plate));
    box.style.left = (100 * x0 / w) + "%";
    box.style.top = (100 * y0 / h) + "%";
    box.style.width = (100 * (Math.max(...xs) - x0) / w) + "%";
    box.style.height = (100 * (Math.max(...ys) - y0) / h) + "%";
    frame.append(box);
  }
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
  showPhoto(null);
  if (!file) return formError(f, "Choose a photo or video first.");
  const region = f.country.value === "us" ? f.region.value : "";
  const video = isVideo(file);
  if (video) $("#recognize-summary").textContent = file.name + ": reading the video...";
  const r = await api("POST", "/api/v1/recognize" + (video ? "/video" : "") + "?country=" + encodeURIComponent(f.country.value) + "&topn=5" +
    (region ? "&region=" + encodeURIComponent(region) : ""),
    await file.arrayBuffer(), file.type || "application/octet-stream");
  if (r.status !== 200) {
    $("#recognize-summary").textContent = "";
    return formError(f, errText(r));
  }
  const rows = video ? groupRows(r.data.groups) : r.data.results;
  const n = rows.length, noun = video ? ["vehicle", "vehicles"] : ["plate", "plates"];
  $("#recognize-summary").textContent = file.name + ": " + r.data.img_width + " x " + r.data.img_height + ", " +
    (video ? r.data.frames_read + " frames read" + (r.data.truncated ? " (stopped at the limit)" : "") + ", " : "") +
    (n === 0 ? "no plate found" : n + " " + noun[n === 1 ? 0 : 1]) + " (" + Math.round(r.data.processing_time_ms) + " ms)";
  recognizeRows(rows, ["investigator", "admin"].includes(state.user.role), region);
  if (!video) showPhoto(file, rows, r.data.img_width, r.data.img_height);
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
