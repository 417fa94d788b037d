// Browser tests of the photo-reading, hotlist, hold/export, sharing-request and retention pages. Called by
// ui.test.mjs with its server, browser and TAP printer (one server, one browser, one TAP stream).
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

// A Motion-JPEG AVI of JPEG files' bytes, one file per frame (as tests/integration/avi.py): a
// video fixture without an encoder.
function mjpegAvi(frames, width, height, fps = 10) {
  const u32 = (v) => { const b = Buffer.alloc(4); b.writeUInt32LE(v >>> 0); return b; };
  const chunk = (cc, data) => Buffer.concat([Buffer.from(cc), u32(data.length), data, Buffer.alloc(data.length % 2)]);
  const list = (kind, data) => Buffer.concat([Buffer.from("LIST"), u32(data.length + 4), Buffer.from(kind), data]);
  const n = frames.length;
  const avih = Buffer.concat([1000000 / fps, 0, 0, 0x10, n, 0, 1, 0, width, height, 0, 0, 0, 0].map(u32));
  const strh = Buffer.alloc(56);
  strh.write("vids", 0); strh.write("MJPG", 4);
  strh.writeUInt32LE(1, 20); strh.writeUInt32LE(fps, 24); strh.writeUInt32LE(n, 32);
  strh.writeUInt32LE(0xFFFFFFFF, 40); strh.writeInt16LE(width, 52); strh.writeInt16LE(height, 54);
  const strf = Buffer.alloc(40);
  strf.writeUInt32LE(40, 0); strf.writeInt32LE(width, 4); strf.writeInt32LE(height, 8);
  strf.writeUInt16LE(1, 12); strf.writeUInt16LE(24, 14); strf.write("MJPG", 16); strf.writeUInt32LE(width * height * 3, 20);
  const hdrl = list("hdrl", Buffer.concat([chunk("avih", avih), list("strl", Buffer.concat([chunk("strh", strh), chunk("strf", strf)]))]));
  let off = 4;
  const movi = [], index = [];
  for (const f of frames) {
    const c = chunk("00dc", f);
    index.push(Buffer.from("00dc"), u32(0x10), u32(off), u32(f.length));
    off += c.length;
    movi.push(c);
  }
  const body = Buffer.concat([Buffer.from("AVI "), hdrl, list("movi", Buffer.concat(movi)), chunk("idx1", Buffer.concat(index))]);
  return Buffer.concat([Buffer.from("RIFF"), u32(body.length), body]);
}

export async function pagesTests({ browser, url, api, ok, admin, adminId, USER_PW, ADMIN_PW }) {
  const today = new Date().toISOString().slice(0, 10);
  // Exports, fulfilment and the look-back go through the access gate: the admin needs training.
  await api("POST", "/api/v1/users/" + adminId + "/training", { course: "ALPR", completed_on: today }, admin);
  const inv = await api("POST", "/api/v1/users", { username: "inv2", full_name: "Inv Two", job_title: "Detective", role: "investigator", password: USER_PW }, admin);
  await api("POST", "/api/v1/users/" + inv.data.user.id + "/training", { course: "ALPR", completed_on: today }, admin);

  const context = await browser.newContext({ acceptDownloads: true });
  const page = await context.newPage();
  page.on("dialog", (d) => d.accept());
  const clearNotice = () => page.evaluate(() => { const n = document.querySelector("#notice"); n.hidden = true; n.className = ""; n.textContent = ""; });
  const login = async (user, pw) => {
    if (await page.isVisible("#logout")) {
      await page.click("#logout");
      await page.waitForSelector("#login-form", { state: "visible" });
    }
    await page.fill("#login-form [name=username]", user);
    await page.fill("#login-form [name=password]", pw);
    await page.click("#login-form button");
    await page.waitForFunction((u) => document.querySelector("#whoami").textContent.startsWith(u + " "), user);
  };
  const formError = (form) => page.waitForSelector(form + " + .form-error:not([hidden])").then((e) => e.textContent());

  await page.goto(url + "/");
  await login("admin", ADMIN_PW);

  // --- read a photo: the plates come back as text, a plate goes on to the search form ---
  await page.click("nav button[data-view=recognize]");
  const scene = join(process.env.PK_ROOT || ".", "..", "shared", "data", "openalpr-benchmarks", "endtoend", "us", "car3.jpg");
  if (existsSync(scene)) {
    await page.setInputFiles("#recognize-form [name=photo]", scene);
    await page.click("#recognize-form button");
    await page.waitForSelector("#recognize-results tr[data-plate=\"1AMW240\"]");
    ok((await page.textContent("#recognize-summary")).includes("904 x 768"), "a photo is read: size and plates shown",
      await page.textContent("#recognize-summary"));
    // The photo is shown with a box around the plate, where the row says it is (x, y, w x h in
    // the 904 x 768 picture, scaled to the picture on screen).
    await page.waitForFunction(() => document.querySelector("#recognize-photo img")?.complete &&
      document.querySelector("#recognize-photo img").naturalWidth > 0);
    const where = (await page.textContent("#recognize-results tr[data-plate=\"1AMW240\"] td:nth-child(6)"))
      .match(/(\d+), (\d+), (\d+) x (\d+)/).slice(1).map(Number);
    const imgBox = await page.locator("#recognize-photo img").boundingBox();
    const plateBox = await page.locator("#recognize-photo .plate-box[data-plate=\"1AMW240\"]").boundingBox();
    const sx = imgBox.width / 904, sy = imgBox.height / 768;
    ok(plateBox && Math.abs(plateBox.x - imgBox.x - where[0] * sx) <= 2 && Math.abs(plateBox.y - imgBox.y - where[1] * sy) <= 2 &&
      Math.abs(plateBox.width - where[2] * sx) <= 2 && Math.abs(plateBox.height - where[3] * sy) <= 2 &&
      (await page.textContent("#recognize-photo .plate-box")) === "1AMW240",
    "the photo is shown with a box on the plate", [where, imgBox, plateBox]);
    await page.click("#recognize-results tr[data-plate=\"1AMW240\"] button");
    await page.waitForSelector("#view-search:not([hidden])");
    ok((await page.inputValue("#search-form [name=plate]")) === "1AMW240", "a read plate goes on to the search form");
    await page.click("nav button[data-view=recognize]");
    // With a state chosen, the row says whether the plate fits that state's formats.
    await page.waitForSelector("#recognize-form [name=region] option[value=ca]", { state: "attached" });
    await page.selectOption("#recognize-form [name=region]", "ca");
    await page.setInputFiles("#recognize-form [name=photo]", scene);
    await page.click("#recognize-form button");
    await page.waitForFunction(() => (document.querySelector("#recognize-results tr[data-plate=\"1AMW240\"]") || {}).textContent?.includes("fits CA format"));
    await page.selectOption("#recognize-form [name=country]", "eu");
    ok(await page.isDisabled("#recognize-form [name=region]") && (await page.inputValue("#recognize-form [name=region]")) === "",
      "a state is chosen for US plates only");
    await page.selectOption("#recognize-form [name=country]", "us");
    await page.click("nav button[data-view=search]");
    await page.click("nav button[data-view=recognize]");
    ok((await page.inputValue("#recognize-form [name=region]")) === "ca", "the state chosen last is chosen again");
    // A Texas plate large enough for its printed name to read: the row shows the state told.
    const tx = join(process.env.PK_ROOT || ".", "..", "shared", "data", "openalpr-benchmarks", "endtoend", "us", "wts-lg-000144.jpg");
    await page.selectOption("#recognize-form [name=region]", "");
    await page.setInputFiles("#recognize-form [name=photo]", tx);
    await page.click("#recognize-form button");
    await page.waitForSelector("#recognize-results tr[data-plate=\"CWW2245\"]");
    const txRow = await page.textContent("#recognize-results tr[data-plate=\"CWW2245\"]");
    ok(/TX \(\d+%\)/.test(await page.textContent("#recognize-results tr[data-plate=\"CWW2245\"] td.state")) &&
      txRow.includes("fits TX format"), "the state told from the plate is shown, with its formats", txRow);
    // A video clip: one row per car, with when it was seen (the page reads every 10th frame).
    const tx2 = join(process.env.PK_ROOT || ".", "..", "shared", "data", "openalpr-benchmarks", "endtoend", "us", "wts-lg-000155.jpg");
    const clip = mjpegAvi([...Array(10).fill(readFileSync(tx)), ...Array(10).fill(readFileSync(tx2))], 1280, 720);
    await page.setInputFiles("#recognize-form [name=photo]", { name: "dashcam.avi", mimeType: "video/x-msvideo", buffer: clip });
    await page.click("#recognize-form button");
    await page.waitForSelector("#recognize-results tr[data-plate=\"CYZ5139\"]");
    const vidRows = await page.$$eval("#recognize-results tbody tr", (trs) => trs.map((tr) => tr.textContent));
    const summary = await page.textContent("#recognize-summary");
    ok(vidRows.length === 2 && vidRows[0].includes("CWW2245") && vidRows[1].includes("CYZ5139") &&
      vidRows[1].includes("1.0-1.0 s, 1 frame") && summary.includes("2 frames read, 2 vehicles"),
    "a video: one row per vehicle, with when", [vidRows, summary]);
    ok(await page.isHidden("#recognize-photo"), "a video shows no photo");
  } else {
    ok(true, "# SKIP no labelled scene beside the checkout for the photo test");
  }
  await page.setInputFiles("#recognize-form [name=photo]", { name: "notes.jpg", mimeType: "image/jpeg", buffer: Buffer.from("not a photo at all") });
  await page.click("#recognize-form button");
  const recErr = await formError("#recognize-form");
  ok(recErr.includes("image") && (await page.isHidden("#recognize-results")) && (await page.isHidden("#recognize-photo")),
    "a file that is not an image gets a clear error", recErr);

  // --- hotlists: create a list, add a partial-plate entry with a look-back ---
  await page.click("nav button[data-view=hotlists]");
  await page.fill("#hotlist-form [name=name]", "major-crimes");
  await page.fill("#hotlist-form [name=priority]", "1");
  await page.click("#hotlist-form button");
  await page.waitForSelector("#hotlists-table tr[data-hotlist=major-crimes]");
  ok((await page.textContent("#hotlists-table tr[data-hotlist=major-crimes]")).includes("local"), "an admin creates a hotlist");
  ok(await page.isVisible("#hotlist-detail"), "and its entries panel opens");
  await page.fill("#entry-form [name=plate]", "7ab*23");
  await page.fill("#entry-form [name=reason]", "<b>robbery</b> suspect");
  await page.fill("#entry-form [name=case]", "24-0099");
  await page.fill("#entry-form [name=lookback_days]", "7");
  await page.click("#entry-form button");
  await page.waitForSelector("#entries-table tbody tr");
  const entry = await page.textContent("#entries-table tbody tr");
  ok(entry.includes("7AB*23 (partial)") && entry.includes("<b>robbery</b> suspect"), "a partial-plate entry is added and shown as text", entry);
  await page.waitForSelector("#lookback:not([hidden])");
  ok((await page.textContent("#lookback-summary")).includes("2 past reads"), "the look-back lists the past reads that match",
    await page.textContent("#lookback-summary"));
  ok((await page.textContent("#hotlists-table tr[data-hotlist=major-crimes] .entries")) === "1", "the list counts its entry");

  // --- an import with a bad line: refused, the line's error shown ---
  const file = { name: "list.csv", mimeType: "text/csv", buffer: Buffer.from("plate,state,reason\n6TRK001,CA,stolen\n6TR!K02,CA,stolen\n") };
  await page.setInputFiles("#import-form [name=file]", file);
  await page.click("#import-form button");
  const impErr = await formError("#import-form");
  const lines = await page.$$eval("#import-errors li", (li) => li.map((x) => x.textContent));
  ok(lines.length === 1 && lines[0].startsWith("3:") && lines[0].includes("plate"), "an import with a bad line shows the line's error", lines.join("|") + " / " + impErr);
  ok((await page.textContent("#import-summary")).includes("Nothing was changed"), "and says nothing was changed");
  await page.setInputFiles("#import-form [name=file]", file);
  await page.check("#import-form [name=skip_bad]");
  await clearNotice();
  await page.click("#import-form button");
  await page.waitForSelector("#notice.ok");
  ok((await page.textContent("#import-summary")).includes("1 loaded, 1 bad") && (await page.$$("#import-errors li")).length === 1,
    "with skip-bad the good line loads and the bad one is listed", await page.textContent("#import-summary"));

  // --- retention below the minimum ---
  await page.click("nav button[data-view=settings]");
  await page.waitForFunction(() => document.querySelector("#retention-form [name=retention_days]").value === "365");
  await page.fill("#retention-form [name=retention_days]", "100");
  await page.click("#retention-form button");
  const ret = await formError("#retention-form");
  ok(ret.includes("retention_days") && ret.includes("365"), "retention of 100 days is refused with the reason shown", ret);

  // --- holds: an investigator opens one, the admin approves it and exports ---
  await login("inv2", USER_PW);
  ok(!(await page.isVisible("nav button[data-view=requests]")), "an investigator has no sharing page");
  await page.click("nav button[data-view=holds]");
  await page.fill("#hold-form [name=case]", "24-0099");
  await page.fill("#hold-form [name=reason]", "robbery investigation");
  await page.fill("#hold-form [name=contact]", "Det. Two, x4411");
  await page.fill("#hold-form [name=plate]", "7ABC123");
  await page.click("#hold-form button");
  await page.waitForSelector("#holds-table tbody tr .status-pending");
  const holdRow = "#holds-table tbody tr:first-child";
  ok((await page.textContent(holdRow)).includes("24-0099") && (await page.textContent(holdRow + " td:nth-child(5)")) === "2",
    "an investigator opens a hold from a search", await page.textContent(holdRow));
  ok(!(await page.$(holdRow + " button.approve")), "and cannot approve it");
  await login("admin", ADMIN_PW);
  await page.click("nav button[data-view=holds]");
  await page.waitForSelector(holdRow + " button.approve");
  await page.click(holdRow + " button.approve");
  await page.waitForSelector(holdRow + " .status-approved");
  ok(true, "the admin approves the hold");
  await page.click(holdRow + " button.export");
  await page.waitForSelector("#export-result a.download");
  const sha = await page.textContent("#export-result .manifest-sha");
  ok(/^[0-9a-f]{64}$/.test(sha) && (await page.textContent("#export-result")).includes("2 reads"), "an evidence export shows its manifest summary", sha);
  const [dl] = await Promise.all([page.waitForEvent("download"), page.click("#export-result a.download")]);
  const tar = readFileSync(await dl.path());
  ok(tar.length > 1024 && tar.subarray(257, 262).toString() === "ustar" && tar.includes("MANIFEST.json"),
    "the package downloads as a tar with its manifest", tar.length);

  // --- sharing requests ---
  await page.click("nav button[data-view=requests]");
  const doc = { name: "request.pdf", mimeType: "application/pdf", buffer: Buffer.from("%PDF-1.4 written request\n") };
  const fillRequest = async (agency, type) => {
    await page.fill("#request-form [name=agency]", agency);
    await page.selectOption("#request-form [name=agency_type]", type);
    await page.fill("#request-form [name=requester]", "Sgt. Requester");
    await page.fill("#request-form [name=contact]", "req@example.org");
    await page.fill("#request-form [name=purpose]", "robbery investigation");
    await page.fill("#request-form [name=case]", "SD-24-7");
    await page.fill("#request-form [name=plates]", "7ABC123");
    await page.setInputFiles("#request-form [name=document]", doc);
    await page.click("#request-form button");
  };
  await fillRequest("Acme Repossession LLC", "private");
  const refused = await formError("#request-form");
  ok(refused.includes("refused automatically") && refused.includes("not a public agency"), "a private company's request is refused with its reason", refused);
  await page.waitForSelector("#requests-table tbody tr .status-denied");
  ok((await page.textContent("#requests-table tbody tr:first-child")).includes("denied (automatic)"), "and listed as an automatic denial");
  await fillRequest("San Diego Police Department", "law_enforcement");
  await page.waitForSelector("#requests-table tbody tr .status-pending");
  const reqRow = "#requests-table tbody tr:has(.status-pending)";
  await page.fill(reqRow + " .decision-reason", "within policy 472.7");
  await page.click(reqRow + " button.approve");
  await page.waitForSelector("#requests-table tbody tr .status-approved");
  ok(true, "a California police department's request is approved");
  await page.click("#requests-table tbody tr:has(.status-approved) button.fulfil");
  await page.waitForSelector("#requests-table tbody tr .status-fulfilled");
  ok((await page.textContent("#fulfil-result")).includes("2 reads") && (await page.isVisible("#fulfil-result a.download")),
    "and fulfilled with a package to download", await page.textContent("#fulfil-result"));
  await page.click("#requests-report");
  await page.waitForSelector("#sharing-report h4");
  ok((await page.textContent("#sharing-report")).includes("San Diego Police Department"), "the sharing report lists the release by agency");
  await page.click("#logout");
  await page.waitForSelector("#login-form", { state: "visible" });
  const left = await page.evaluate(() => document.querySelector("main").innerText);
  ok(!left.includes("San Diego") && !left.includes("24-0099") && !left.includes(sha), "after logout none of the data stays in the page");
  await context.close();
}
