// The MCP Apps pages (ui://pacer/… resources of get_training_load and get_activity) in Debian's
// chromium: each page is loaded as a host would (from the resource text), receives a
// `ui/notifications/tool-result` message with a structuredContent like the tool's, and must draw
// it (polylines / facts) without fetching anything. Screenshots go to OUT_DIR.
//
// Environment: OUT_DIR, CHROMIUM (default /usr/bin/chromium). Run by scripts/browser-check.
import { mkdtempSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";

const out = process.env.OUT_DIR;
if (!out) throw new Error("OUT_DIR is not set");
const apps = new URL("../../src/mcp/apps/", import.meta.url);

function check(ok, message) {
  if (!ok) throw new Error("FAIL: " + message);
  console.log("ok - " + message);
}

const series = Array.from({ length: 42 }, (_, i) => ({
  date: `2026-10-${String((i % 28) + 1).padStart(2, "0")}`,
  load: i % 3 ? 60 : 0,
  ctl: 30 + i * 0.5,
  atl: 35 + Math.sin(i) * 10,
  tsb: -5 + Math.cos(i) * 8,
}));
const cases = [
  {
    file: "training-load.html",
    result: { today: series[series.length - 1], activities: 40, methods: [], series },
    expect: async (page) => (await page.locator("svg#chart polyline").count()) === 3,
    what: "three lines (CTL, ATL, TSB)",
  },
  {
    file: "activity.html",
    result: {
      id: 1, name: "Morning Run", sport_type: "Run", start_date_local: "2026-11-22T09:00:00+01:00",
      distance_m: 21100, moving_time_s: 5586, elapsed_time_s: 5600, total_elevation_gain_m: 35,
      average_heartrate_bpm: 168, average_watts: null,
    },
    expect: async (page) => (await page.locator("#facts dd").count()) >= 4 && (await page.locator("svg#bars rect").count()) === 2,
    what: "the activity's facts and the moving/elapsed bars",
  },
];

const profile = mkdtempSync(join(out, "app-profile-"));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
try {
  for (const c of cases) {
    const page = await context.newPage();
    const requests = [];
    page.on("request", (r) => requests.push(r.url()));
    const errors = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.setContent(readFileSync(new URL(c.file, apps), "utf8"));
    await page.evaluate((result) => {
      window.postMessage({ jsonrpc: "2.0", method: "ui/notifications/tool-result", params: { structuredContent: result } }, "*");
    }, c.result);
    await page.waitForTimeout(300);
    check(await c.expect(page), `${c.file} draws ${c.what}`);
    check(requests.every((u) => u.startsWith("about:") || u.startsWith("data:")), `${c.file} fetches nothing (${requests.join(", ")})`);
    check(errors.length === 0, `${c.file} runs without errors (${errors.join("; ")})`);
    await page.screenshot({ path: join(out, `mcp-app-${c.file}.png`) });
    await page.close();
  }
} finally {
  await context.close();
}
