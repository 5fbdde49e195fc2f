// tests/integration/dashboard/dashboard_check.mjs: drives the dashboard page in Debian's chromium
// through puppeteer-core (no browser download) for suite_dashboard.sh. Prints "ok"/"FAIL" lines
// and "N passed, N failed". Every wait is bounded.
//   node dashboard_check.mjs open   URL KEYS FAMILY FAMILY_KEYS OUT_DIR RESP_PORT   (no requirepass; starts
//        redis-benchmark on RESP_PORT once the figures are checked, so the charts have load to show)
//   node dashboard_check.mjs token  URL KEYS TOKEN OUT_DIR                (requirepass set)
import puppeteer from "puppeteer-core";
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

const [mode, url, ...rest] = process.argv.slice(2);
let passed = 0, failed = 0;
const ok = (name) => { passed++; console.log("ok   " + name); };
const bad = (name, why) => { failed++; console.log("FAIL " + name + (why !== undefined ? ": " + why : "")); };
const check = (name, cond, why) => (cond ? ok(name) : bad(name, why));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const origin = new URL(url).origin;

const browser = await puppeteer.launch({
  executablePath: "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-default-apps", "--disable-extensions", "--disable-sync"],
  timeout: 30000,
  protocolTimeout: 30000,
});
const watchdog = setTimeout(() => { console.log("FAIL the browser checks finish within 120 s"); process.exit(1); }, 120000);

/** A page that records console errors, page errors and requests to other origins. */
async function openPage(width, height, dark, mobile) {
  const page = await browser.newPage();
  page.setDefaultTimeout(15000);
  const log = { errors: [], foreign: [] };
  page.on("console", (m) => { if (m.type() === "error") log.errors.push(m.text()); });
  page.on("pageerror", (e) => log.errors.push(String(e)));
  page.on("request", (r) => { if (!r.url().startsWith(origin) && !r.url().startsWith("data:")) log.foreign.push(r.url()); });
  await page.setViewport({ width, height, isMobile: !!mobile, hasTouch: !!mobile, deviceScaleFactor: mobile ? 2 : 1 });
  await page.emulateMediaFeatures([{ name: "prefers-color-scheme", value: dark ? "dark" : "light" }]);
  return { page, log };
}

/** Waits (bounded) until fn() in the page is truthy; returns its value or null. */
async function until(page, fn, arg, ms = 15000) {
  try {
    const h = await page.waitForFunction(fn, { timeout: ms, polling: 200 }, arg);
    return await h.jsonValue();
  } catch {
    return null;
  }
}

async function shot(page, dir, name) {
  fs.mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: path.join(dir, name), fullPage: false });
  check(`screenshot ${name} saved`, fs.statSync(path.join(dir, name)).size > 10000);
}

let dash_load = null;  // the load process, stopped at the end
try {
  if (mode === "open") {
    const [keys, family, familyKeys, outDir, respPort] = rest;
    const { page, log } = await openPage(1280, 1000, false);
    await page.goto(url, { waitUntil: "load", timeout: 15000 });
    check("the page's title is shardcache", (await page.title()) === "shardcache");
    const shown = await until(page, () => document.getElementById("c-keys").dataset.value);
    check("the Keys card shows the daemon's key count", shown === keys, `page ${shown}, daemon ${keys}`);
    check("no login form without requirepass", await page.$eval("#login", (e) => e.hidden));
    const famRow = await until(page, (f) => [...document.querySelectorAll("#families tr")].map((tr) => [...tr.cells].map((c) => c.textContent))
      .find((cells) => cells[0] === f), family);
    check(`the key-family table has a row for ${family}`, !!famRow);
    check(`its key count is ${familyKeys}`, famRow && famRow[1] === Number(familyKeys).toLocaleString("en-US"), famRow && famRow[1]);
    check("its hit ratio is shown", famRow && /%$/.test(famRow[3]), famRow && famRow[3]);
    const slow = await until(page, () => { const rows = document.querySelectorAll("#slowlog tbody tr"); return rows.length ? rows[0].cells[3].textContent : null; });
    check("the slow log table shows SLOWLOG's entries", !!slow, "no rows with slowlog-log-slower-than 0");
    const settings = await page.$$eval("#settings tr", (rows) => rows.map((r) => r.cells[0].textContent));
    check("the settings table lists maxmemory and key-families-max", settings.includes("maxmemory") && settings.includes("key-families-max"));
    // Charts: uPlot canvases with points that move while load runs (redis-benchmark, at most 60 s).
    // GETs on the course family (617 of the 800 keys exist: about 77 % hits) and SETs on student:.
    const bench = (...cmd) => spawn("timeout", ["60", "redis-benchmark", "-p", respPort, "-c", "4", "-n", "5000000", "-P", "4", ...cmd],
                                    { stdio: "ignore" });
    dash_load = [bench("-r", "800", "GET", "course:__rand_int__"), bench("-r", "400", "SET", "student:__rand_int__", "enrolled")];
    const canvases = await page.$$eval(".chart canvas", (c) => c.length);
    check("six charts are drawn", canvases === 6, canvases);
    const first = await until(page, () => { const c = window.__dash.charts.ops; return c && c.data[0].length >= 3 ? { n: c.data[0].length, t: c.data[0].at(-1) } : null; }, null, 20000);
    check("the commands chart has points", !!first, "fewer than 3 points after 20 s");
    const images = new Set();
    for (let i = 0; i < 3; i++) {
      images.add(await page.$eval("#ch-ops canvas", (c) => c.toDataURL()));
      await sleep(2500);
    }
    const moved = first && await until(page, (t0) => { const c = window.__dash.charts.ops; return c.data[0].at(-1) >= t0 + 2 ? { n: c.data[0].length, t: c.data[0].at(-1) } : null; }, first.t, 15000);
    check("new points arrive (the last point moves on by 2 s or more)", !!moved, first && `last point stays at ${first.t}`);
    check("the commands chart's pixels change from poll to poll", images.size >= 2, `${images.size} distinct image(s) in 3 samples 2.5 s apart`);
    const named = await page.evaluate(() => Object.keys(window.__dash.hist.commands));
    check("the commands chart has a series per command (get, set)", named.includes("get") && named.includes("set"), named.join(","));
    const hit = await until(page, () => { const h = window.__dash.hist.hit_ratio_1m.at(-1); return h > 0.5 && h < 0.95 ? h : null; });
    check("the hit-ratio chart follows the load (about 77 % hits)", hit !== null, await page.evaluate(() => window.__dash.hist.hit_ratio_1m.at(-1)));
    const peak = await page.evaluate(() => Math.max(...window.__dash.charts.ops.data[1].filter((v) => v != null)));
    check("the commands chart shows the load (a point above 100 commands/s)", peak > 100, peak);
    const lat = await page.evaluate(() => window.__dash.hist.p99_us.some((v) => v > 0));
    check("the latency chart has p99 points", lat);
    const opsCard = await page.$eval("#c-ops", (e) => Number(e.dataset.value));
    check("the Commands / s card shows a rate", opsCard > 0, opsCard);
    check("no console errors", log.errors.length === 0, log.errors.join(" | "));
    check("no request leaves the daemon's origin", log.foreign.length === 0, log.foreign.join(" "));
    await shot(page, outDir, "dashboard-light-desktop.png");
    await page.close();
    for (const [dark, mobile, name] of [[true, false, "dashboard-dark-desktop.png"], [false, true, "dashboard-light-phone.png"], [true, true, "dashboard-dark-phone.png"]]) {
      const v = await openPage(mobile ? 390 : 1280, mobile ? 844 : 1000, dark, mobile);
      await v.page.goto(url, { waitUntil: "load", timeout: 15000 });
      await until(v.page, () => window.__dash.polls >= 2 && window.__dash.charts.ops);
      if (mobile) {
        const overflow = await v.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        check(`${name}: nothing wider than the phone's screen`, overflow <= 0, `${overflow}px too wide`);
      }
      if (dark) {
        const bg = await v.page.evaluate(() => getComputedStyle(document.body).backgroundColor);
        check(`${name}: dark background under prefers-color-scheme: dark`, bg === "rgb(17, 20, 24)", bg);
      }
      check(`${name}: no console errors`, v.log.errors.length === 0, v.log.errors.join(" | "));
      await shot(v.page, outDir, name);
      await v.page.close();
    }
  } else if (mode === "token") {
    const [keys, token, outDir] = rest;
    const { page, log } = await openPage(1280, 900, false);
    await page.goto(url, { waitUntil: "load", timeout: 15000 });
    const prompt = await until(page, () => !document.getElementById("login").hidden);
    check("with requirepass the page asks for the token", !!prompt);
    check("and shows no figures", await page.$eval("#dash", (e) => e.hidden));
    await page.type("#token", "wrong-" + token);
    await page.click("#login-submit");
    const refused = await until(page, () => /refused/.test(document.getElementById("login-error").textContent) ? document.getElementById("login-error").textContent : null);
    check("a wrong token is refused", !!refused);
    check("the form stays, the figures hidden", await page.$eval("#dash", (e) => e.hidden) && !(await page.$eval("#login", (e) => e.hidden)));
    check("a refused token is not kept", (await page.evaluate(() => sessionStorage.getItem("shardcache-token"))) === null);
    await shot(page, outDir, "dashboard-login.png");
    await page.type("#token", token);
    await page.click("#login-submit");
    const shown = await until(page, () => document.getElementById("c-keys").dataset.value);
    check("the right token opens the dashboard", shown === keys, `page ${shown}, daemon ${keys}`);
    check("the token is kept in sessionStorage", (await page.evaluate(() => sessionStorage.getItem("shardcache-token"))) === token);
    await page.reload({ waitUntil: "load", timeout: 15000 });
    const again = await until(page, () => document.getElementById("c-keys").dataset.value);
    check("a reload in the same tab needs no new prompt", again === keys && await page.$eval("#login", (e) => e.hidden));
    // 401s are expected in the console here (the wrong token); nothing else.
    const other = log.errors.filter((e) => !/401/.test(e));
    check("no console errors but the refused requests", other.length === 0, other.join(" | "));
  } else {
    bad("mode is open or token", mode);
  }
} catch (e) {
  bad("browser checks ran", e.stack || String(e));
} finally {
  for (const p of dash_load || []) p.kill();
  clearTimeout(watchdog);
  await browser.close().catch(() => {});
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
