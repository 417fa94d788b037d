// Browser tests of the platekeeper UI: a real server (init + serve on a free port) and Debian's
// chromium driven by playwright-core. Prints TAP. Run through tests/e2e/run.sh.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { randomUUID } from "node:crypto";
import { chromium } from "playwright-core";
import { pagesTests } from "./pages.test.mjs";

const BIN = process.env.PK_BIN;
const ROOT = process.env.PK_ROOT;
const ADMIN_PW = "E2e-Admin-Password-2026";
const USER_PW = "E2e-User-Password-2026";
const JPEG =
  "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDABALDA4MChAODQ4SERATGCgaGBYWGDEjJR0oOjM9PDkzODdASFxOQERXRTc4" +
  "UG1RV19iZ2hnPk1xeXBkeFxlZ2P/wAALCAAIAAgBAREA/8QAHwAAAQUBAQEBAQEAAAAAAAAAAAECAwQFBgcICQoL/8QA" +
  "tRAAAgEDAwIEAwUFBAQAAAF9AQIDAAQRBRIhMUEGE1FhByJxFDKBkaEII0KxwRVS0fAkM2JyggkKFhcYGRolJicoKSo0" +
  "NTY3ODk6Q0RFRkdISUpTVFVWV1hZWmNkZWZnaGlqc3R1dnd4eXqDhIWGh4iJipKTlJWWl5iZmqKjpKWmp6ipqrKztLW2" +
  "t7i5usLDxMXGx8jJytLT1NXW19jZ2uHi4+Tl5ufo6erx8vP09fb3+Pn6/9oACAEBAAA/AM6Lw3/sfpX/2Q==";

let n = 0, failed = 0;
function ok(cond, name, detail) {
  n++;
  if (cond) console.log(`ok ${n} - ${name}`);
  else {
    failed++;
    console.log(`not ok ${n} - ${name}`);
    if (detail !== undefined) console.log("#   " + String(detail).split("\n").slice(0, 10).join("\n#   "));
  }
}

const dir = mkdtempSync(join(tmpdir(), "pk-e2e-"));
const data = join(dir, "data");
const env = { ...process.env, PLATEKEEPER_TEST_FAST_PWHASH: "1", PLATEKEEPER_PASSWORD: ADMIN_PW };
const init = spawnSync(BIN, ["init", "--data", data, "--admin", "admin"], { env, encoding: "utf8" });
if (init.status !== 0) {
  console.log("not ok 1 - platekeeper init\n# " + init.stderr);
  process.exit(1);
}
const server = spawn(BIN, ["serve", "--data", data, "--listen", "127.0.0.1:0", "--web", join(ROOT, "web")],
  { env, stdio: ["ignore", "pipe", "inherit"] });
const url = await new Promise((resolve, reject) => {
  const rl = createInterface({ input: server.stdout });
  rl.once("line", (line) => {
    const m = line.match(/serving (http:\/\/\S+)/);
    m ? resolve(m[1]) : reject(new Error("serve: " + line));
  });
  server.once("exit", (code) => reject(new Error("serve exited " + code)));
});

async function api(method, path, body, token, extra) {
  const headers = { ...(extra || {}) };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (token) headers.Authorization = token.startsWith("Unit ") ? token : "Bearer " + token;
  const r = await fetch(url + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: r.status, data: json };
}

let browser;
// Clears the page's notice so that the next wait sees only the answer to the next action.
const clearNotice = (page) => page.evaluate(() => { const n = document.querySelector("#notice"); n.hidden = true; n.className = ""; n.textContent = ""; });
try {
  // Data to find: a unit posts reads, one with a plate image.
  const admin = (await api("POST", "/api/v1/session", { username: "admin", password: ADMIN_PW })).data.token;
  const unit = (await api("POST", "/api/v1/units", { name: "e2e-car" }, admin)).data.key;
  const ts = new Date(Date.now() - 3600e3).toISOString();
  const read = (plate, extra) => ({ uuid: randomUUID(), plate, state: "CA", ts, camera: "cam-1", lat: 38.58, lon: -121.49, confidence: 90, ...extra });
  const ing = await api("POST", "/api/v1/reads", { reads: [read("7ABC123", { plate_image: JPEG }), read("7ABC123"), read("4XYZ987")] }, "Unit " + unit);
  ok(ing.status === 200 && ing.data.accepted === 3, "setup: three reads ingested", JSON.stringify(ing));
  const aud = await api("POST", "/api/v1/users", { username: "aud", full_name: "Aud", job_title: "Auditor", role: "auditor", password: USER_PW }, admin);
  ok(aud.status === 201, "setup: an auditor account");
  // An alert: a hotlist entry, then a read of that plate (the matcher rebuilds in the background).
  const hl = await api("POST", "/api/v1/hotlists", { name: "stolen", source: "local" }, admin);
  await api("POST", "/api/v1/hotlists/" + hl.data.id + "/entries", { plate: "9HOT999", state: "CA", reason: "stolen vehicle" }, admin);
  let alerted = false;
  for (let i = 0; i < 50 && !alerted; i++) {
    const a = await api("POST", "/api/v1/reads", { reads: [read("9HOT999")] }, "Unit " + unit);
    alerted = a.status === 200 && a.data.alerts.length > 0;
    if (!alerted) await new Promise((r) => setTimeout(r, 100));
  }
  ok(alerted, "setup: a read of a hotlisted plate raised an alert");
  const op = await api("POST", "/api/v1/users", { username: "op1", full_name: "Op One", job_title: "Officer", role: "operator", password: USER_PW }, admin);
  await api("POST", "/api/v1/users/" + op.data.user.id + "/training", { course: "ALPR", completed_on: new Date().toISOString().slice(0, 10) }, admin);

  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync"],
  });
  const context = await browser.newContext();
  const page = await context.newPage();
  const dialogs = [];
  page.on("dialog", (d) => { dialogs.push(d.message()); d.accept(); });

  await page.goto(url + "/");
  ok(await page.isVisible("#login-form"), "the login page is shown");
  await page.fill("#login-form [name=username]", "admin");
  await page.fill("#login-form [name=password]", "wrong password entirely");
  await page.click("#login-form button");
  await page.waitForSelector("#notice:not([hidden])");
  ok((await page.textContent("#notice")).includes("unauthorized"), "a wrong password is refused with a message");

  await page.fill("#login-form [name=password]", ADMIN_PW);
  await page.click("#login-form button");
  await page.waitForSelector("#nav:not([hidden])");
  await page.click("nav button[data-view=users]");
  await page.waitForSelector("#users-table tbody tr");
  ok(await page.isVisible("nav button[data-view=users]"), "an administrator sees the Users page");
  ok(await page.isVisible("nav button[data-view=audit]"), "and the Audit page");
  const cookies = await context.cookies();
  const sess = cookies.find((c) => c.name === "pk_session");
  ok(sess && sess.httpOnly && sess.sameSite === "Strict", "the session cookie is HttpOnly and SameSite=Strict", JSON.stringify(sess));
  ok(!(await page.evaluate(() => document.cookie)).includes("pk_session"), "scripts cannot read the session cookie");

  const evil = "<img src=x onerror=alert(1)>Det One";
  await page.fill("#user-form [name=username]", "det1");
  await page.fill("#user-form [name=full_name]", evil);
  await page.fill("#user-form [name=job_title]", "Detective");
  await page.selectOption("#user-form [name=role]", "investigator");
  await page.fill("#user-form [name=password]", USER_PW);
  await page.click("#user-form button");
  await page.waitForSelector("#users-table tr[data-username=det1]");
  const cell = await page.textContent("#users-table tr[data-username=det1] .full-name");
  ok(cell === evil, "HTML in a name is shown as text", cell);
  ok((await page.$$("#users-table img")).length === 0 && dialogs.length === 0, "and never runs as markup");
  ok((await page.textContent("#users-table tr[data-username=det1]")).includes("required"), "a new user shows training required");

  await page.selectOption("#training-form [name=user]", { label: "det1" });
  await page.fill("#training-form [name=course]", "ALPR basics");
  await page.fill("#training-form [name=completed_on]", new Date().toISOString().slice(0, 10));
  await clearNotice(page);
  await page.click("#training-form button");
  await page.waitForSelector("#notice:not([hidden])");
  await page.waitForFunction(() => (document.querySelector("#users-table tr[data-username=det1]") || {}).textContent?.includes("current"), null, { timeout: 10000 }).catch(() => {});
  ok((await page.textContent("#users-table tr[data-username=det1]")).includes("current"), "training recorded through the UI");

  await page.click("nav button[data-view=settings]");
  await page.waitForSelector("#settings-fields input[name='access.session_idle_minutes']");
  await page.fill("#settings-fields input[name='access.session_idle_minutes']", "20");
  await clearNotice(page);
  await page.click("#settings-form button");
  await page.waitForSelector("#notice.ok");
  ok((await page.inputValue("#settings-fields input[name='access.session_idle_minutes']")) === "20", "a setting changed through the UI");
  await page.fill("#settings-fields input[name='access.session_idle_minutes']", "-3");
  await clearNotice(page);
  await page.click("#settings-form button");
  await page.waitForSelector("#notice:not(.ok):not([hidden])");
  ok((await page.textContent("#notice")).length > 0, "a bad setting value is refused with a message");

  await page.click("#logout");
  await page.waitForSelector("#login-form", { state: "visible" });
  ok(true, "logout returns to the login page");

  await page.fill("#login-form [name=username]", "det1");
  await page.fill("#login-form [name=password]", USER_PW);
  await page.click("#login-form button");
  await page.waitForFunction(() => document.querySelector("#whoami").textContent.startsWith("det1"));
  await page.waitForSelector("#search-form [name=purpose] option[value=investigation]", { state: "attached" });
  ok(!(await page.isVisible("nav button[data-view=users]")), "an investigator does not see the Users page");
  await page.fill("#search-form [name=plate]", "7ABC123");
  await page.selectOption("#search-form [name=purpose]", "investigation");
  await clearNotice(page);
  await page.click("#search-form button");
  await page.waitForSelector("#notice:not([hidden])");
  ok((await page.textContent("#notice")).includes("case_required"), "a search without the case its purpose needs is refused");
  await page.fill("#search-form [name=case]", "24-0042");
  await page.click("#search-form button");
  await page.waitForSelector("#search-results tbody tr");
  const rows = await page.$$("#search-results tbody tr");
  ok(rows.length === 2, "the search shows both reads of the plate", rows.length);
  ok((await page.textContent("#search-summary")).startsWith("2 reads"), "with the total");
  for (const row of rows) {
    await row.$eval("button", (b) => b.click());
    await page.waitForSelector("#read-detail:not([hidden])");
    await page.waitForFunction(() => document.querySelector("#read-detail h3"));
    if (await page.$("#read-detail img")) break;
  }
  const img = await page.$("#read-detail img");
  const w = img ? await img.evaluate((i) => (i.complete ? i.naturalWidth : new Promise((r) => { i.onload = () => r(i.naturalWidth); i.onerror = () => r(0); }))) : 0;
  ok(w === 8, "the read's plate image loads through the gate", w);
  const csrfless = await page.evaluate(async () => (await fetch("/api/v1/session", { method: "DELETE" })).status);
  ok(csrfless === 403, "a cookie request without the CSRF token is refused", csrfless);

  await page.click("#logout");
  await page.waitForSelector("#login-form", { state: "visible" });
  await page.fill("#login-form [name=username]", "op1");
  await page.fill("#login-form [name=password]", USER_PW);
  await page.click("#login-form button");
  await page.waitForFunction(() => document.querySelector("#whoami").textContent.startsWith("op1"));
  await page.waitForSelector("#alerts-table tbody tr");
  ok(!(await page.isVisible("nav button[data-view=search]")), "an operator has no search page");
  const row = "#alerts-table tbody tr:first-child";
  ok((await page.textContent(row)).includes("9HOT999") && (await page.textContent(row)).includes("unverified"),
    "the operator sees the unverified alert", await page.textContent(row));
  await page.selectOption(row + " select", "confirmed");
  await clearNotice(page);
  await page.click(row + " button");
  await page.waitForSelector("#notice:not([hidden])");
  ok((await page.textContent(row)).includes("confirmed"), "the CLETS verification is recorded", await page.textContent("#notice"));

  await page.click("#logout");
  await page.waitForSelector("#login-form", { state: "visible" });
  await page.fill("#login-form [name=username]", "aud");
  await page.fill("#login-form [name=password]", USER_PW);
  await page.click("#login-form button");
  await page.waitForSelector("#view-audit:not([hidden])");
  await page.waitForSelector("#audit-log tbody tr");
  const actions = await page.$$eval("#audit-log tbody tr td:nth-child(4)", (tds) => tds.map((t) => t.textContent));
  ok(actions.includes("search") && actions.includes("read.view"), "the auditor sees the searches and views in the log", actions.slice(0, 12).join(","));
  await page.click("#audit-verify");
  await page.waitForFunction(() => document.querySelector("#audit-verify-result").textContent.length > 0);
  ok((await page.textContent("#audit-verify-result")).startsWith("Intact"), "the access log verifies intact");
  await page.click("#audit-report-form button");
  await page.waitForFunction(() => document.querySelector("#audit-report").textContent.length > 0);
  ok((await page.textContent("#audit-report")).includes("det1"), "the audit report names the searching user");

  const adminId = (await api("GET", "/api/v1/session", undefined, admin)).data.user.id;
  await pagesTests({ browser, url, api, ok, admin, adminId, USER_PW, ADMIN_PW });
} catch (e) {
  ok(false, "browser test raised", e && e.stack);
} finally {
  if (browser) await browser.close();
  server.kill("SIGTERM");
  await new Promise((r) => server.once("exit", r));
  rmSync(dir, { recursive: true, force: true });
}
console.log(`1..${n}`);
process.exit(failed ? 1 : 0);
