// Drives Debian's chromium (playwright-core, no browser download) against a running
// `pacerd demo`: signs in, waits for the dashboard, asserts the server-drawn charts rendered with
// bars and lines and the recent-activities table has rows with route polylines, checks that a
// 390 px wide viewport does not scroll sideways, that nothing was fetched from elsewhere and that
// the console stayed clean, and takes screenshots. Then a hosted assistant's OAuth consent in the
// same browser: the Allow button reaches the client's callback with a code (the consent page's CSP
// lets the form follow that redirect), the page lists the connected application and revokes it.
//
// Environment: PACER_URL, PACER_EMAIL, PACER_PASSWORD (from demo.json), OUT_DIR (screenshots and
// the browser profile), CHROMIUM (default /usr/bin/chromium). Run by scripts/browser-check.
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";

const base = need("PACER_URL").replace(/\/$/, "");
const email = need("PACER_EMAIL");
const password = need("PACER_PASSWORD");
const out = need("OUT_DIR");
const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";

function need(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
}

function check(ok, message) {
  if (!ok) throw new Error("FAIL: " + message);
  console.log("ok - " + message);
}

const profile = mkdtempSync(join(out, "profile-"));
const context = await chromium.launchPersistentContext(profile, {
  executablePath,
  headless: true,
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
  viewport: { width: 1280, height: 900 },
});

const foreign = [];
const problems = [];
context.on("request", (req) => {
  const url = req.url();
  if (!url.startsWith(base + "/") && !url.startsWith("data:")) foreign.push(url);
});

try {
  const page = context.pages()[0] || (await context.newPage());
  page.on("console", (msg) => {
    if (msg.type() === "error") problems.push("console: " + msg.text());
  });
  page.on("pageerror", (err) => problems.push("page error: " + err.message));

  // Sign in through the form.
  await page.goto(base + "/");
  await page.fill("#email", email);
  await page.fill("#password", password);
  await Promise.all([page.waitForSelector("body[data-page=app]", { timeout: 15000 }), page.click("#login-form button[type=submit]")]);
  check(true, "signed in as " + email);

  async function dashboardReady() {
    await page.waitForFunction(
      () =>
        ["weekly-chart", "fitness-chart"].every((id) => {
          const img = document.getElementById(id);
          return img.src && img.complete && img.naturalWidth > 0;
        }) && document.querySelectorAll("#recent-rows tr").length > 0,
      null,
      { timeout: 20000 },
    );
  }
  await dashboardReady();

  // The charts: rendered images whose SVG has bars / the three lines.
  const charts = await page.evaluate(async () => {
    const read = async (id) => {
      const img = document.getElementById(id);
      const svg = await (await fetch(img.src, { credentials: "same-origin" })).text();
      const box = img.getBoundingClientRect();
      return { svg, width: box.width, height: box.height, natural: img.naturalWidth };
    };
    return { weekly: await read("weekly-chart"), fitness: await read("fitness-chart") };
  });
  const bars = (charts.weekly.svg.match(/<rect class="bar"/g) || []).length;
  check(bars >= 5, `weekly volume chart rendered (${Math.round(charts.weekly.width)}×${Math.round(charts.weekly.height)} px) with ${bars} bars`);
  for (const line of ["ctl", "atl", "tsb"]) {
    check(charts.fitness.svg.includes(`<polyline class="line ${line}"`), `fitness chart has the ${line.toUpperCase()} line`);
  }
  check(charts.fitness.natural > 0 && charts.fitness.height > 100, "fitness chart rendered");

  // The table: rows, most with a rendered route image whose SVG is a polyline.
  const table = await page.evaluate(() =>
    [...document.querySelectorAll("#recent-rows tr")].map((tr) => {
      const img = tr.querySelector("img.route");
      return {
        name: tr.querySelector(".name")?.textContent || "",
        route: img ? decodeURIComponent(img.src.slice(img.src.indexOf(",") + 1)) : null,
        rendered: img ? img.complete && img.naturalWidth > 0 : false,
      };
    }),
  );
  const withRoutes = table.filter((r) => r.route && r.route.includes("<polyline points=") && r.rendered);
  check(table.length >= 5, `recent activities table has ${table.length} rows`);
  check(withRoutes.length >= 3, `${withRoutes.length} rows show their route as a polyline`);
  check(table.every((r) => r.name.length > 0), "every row has a name");
  await page.screenshot({ path: join(out, "dashboard-desktop.png"), fullPage: true });

  // A phone: 390 px wide, charts redrawn at that width, no sideways scrolling.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.reload();
  await dashboardReady();
  const narrow = await page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    // What sticks out, to say so when it fails.
    wide: [...document.querySelectorAll("body *")]
      .filter((e) => e.getBoundingClientRect().right > 390 && !e.closest(".table-wrap"))
      .slice(0, 5)
      .map((e) => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + (e.className ? "." + e.className : "") + " " + Math.round(e.getBoundingClientRect().right)),
    chart: document.getElementById("weekly-chart").getBoundingClientRect().width,
    src: document.getElementById("weekly-chart").src,
  }));
  check(narrow.scrollWidth <= 390, `no horizontal scroll at 390 px (scrollWidth ${narrow.scrollWidth}${narrow.wide.length ? "; too wide: " + narrow.wide.join(", ") : ""})`);
  check(narrow.chart <= 390 && /width=(2[89]\d|3[0-8]\d)\b/.test(narrow.src), `weekly chart drawn for the phone column (${Math.round(narrow.chart)} px)`);
  await page.screenshot({ path: join(out, "dashboard-390.png"), fullPage: true });
  await page.locator("#dashboard").screenshot({ path: join(out, "dashboard-390-charts.png") });

  // MCP authorization: register a client, open its authorization request while signed in, allow.
  const callback = "http://127.0.0.1:53682/callback";
  const client = await page.evaluate(async (callback) => {
    const r = await fetch("/oauth/register", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ redirect_uris: [callback], client_name: "Browser Check Assistant" }),
    });
    return r.json();
  }, callback);
  // PKCE pair: BASE64URL(SHA-256(verifier)).
  const verifier = "dBjftJeZ4CVP-mJ92K9PFrB0x0Lm6Lk7Qb7y6eA4gkQ";
  const params = new URLSearchParams({
    response_type: "code",
    client_id: client.client_id,
    redirect_uri: callback,
    state: "browser-check",
    scope: "activities:read",
    code_challenge: "GHkHz6iiEzBSfHLNCPzCs50fPEEEEnFezQIbWNdjZgg",
    code_challenge_method: "S256",
    resource: base + "/mcp",
  });
  // In its own tab: the callback is not served, that tab ends on the browser's error page.
  const tab = await context.newPage();
  await tab.goto(base + "/oauth/authorize?" + params);
  check(await tab.locator("#authorize-consent").isVisible(), "the consent page asks: " + (await tab.locator("h2").textContent()));
  await tab.screenshot({ path: join(out, "oauth-consent.png"), fullPage: true });
  const [redirected] = await Promise.all([
    tab.waitForRequest((req) => req.url().startsWith(callback), { timeout: 15000 }),
    tab.click("#authorize-consent button[value=allow]"),
  ]);
  await tab.close();
  const answer = new URL(redirected.url()).searchParams;
  check((answer.get("code") || "").startsWith("pacer_ac_") && answer.get("state") === "browser-check", "Allow took the browser to the client's callback with a code");
  const token = await page.evaluate(
    async ({ code, verifier, callback, client_id, resource }) => {
      const body = new URLSearchParams({ grant_type: "authorization_code", code, code_verifier: verifier, redirect_uri: callback, client_id, resource });
      return (await fetch("/oauth/token", { method: "POST", body })).status;
    },
    { code: answer.get("code"), verifier, callback, client_id: client.client_id, resource: base + "/mcp" },
  );
  check(token === 200, "the code was exchanged for tokens");
  await page.reload();
  const row = page.locator("#app-rows tr", { hasText: "Browser Check Assistant" });
  await row.waitFor({ timeout: 15000 });
  check(true, "connected applications lists the assistant");
  page.once("dialog", (dialog) => dialog.accept());
  await row.locator("button", { hasText: "Revoke" }).click();
  await page.waitForSelector("#apps-empty:not([hidden])", { timeout: 15000 });
  check(true, "Revoke removed it");

  foreign.splice(0, foreign.length, ...foreign.filter((url) => !url.startsWith(callback)));
  check(foreign.length === 0, "nothing fetched from anywhere but the daemon" + (foreign.length ? ": " + foreign.join(", ") : ""));
  check(problems.length === 0, "no console errors or CSP violations" + (problems.length ? ": " + problems.join("; ") : ""));
  console.log("screenshots: " + out);
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
