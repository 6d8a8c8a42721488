// Opens the gateway's API page in a real headless Chromium (Debian's package, driven by
// playwright-core) and checks that it lists every operation of the OpenAPI document, the
// membership operations among them, and that the page loads nothing from outside the gateway.
// Usage: node api_page_browser.mjs http://127.0.0.1:PORT [screenshot.png]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { chromium } from "playwright-core";

const base = process.argv[2];
const screenshot = process.argv[3];
if (!base) {
  console.error("usage: node api_page_browser.mjs <gateway base url> [screenshot.png]");
  process.exit(2);
}

const fail = (msg) => {
  console.error(msg);
  process.exitCode = 1;
};

const document = await (await fetch(`${base}/api/v1/openapi.json`)).json();
const documented = [];
for (const [p, item] of Object.entries(document.paths)) {
  for (const method of Object.keys(item)) documented.push(`${method.toUpperCase()} ${p}`);
}

const userDataDir = mkdtempSync(path.join(tmpdir(), "kai-chromium-"));
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath: "/usr/bin/chromium",
  headless: true,
  timeout: 120000,
  args: [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
  ],
});
try {
  const origin = new URL(base).origin;
  const outside = [];
  await context.route("**/*", (route) => {
    const url = route.request().url();
    if (url.startsWith(origin) || url.startsWith("data:")) return route.continue();
    outside.push(url);
    return route.abort();
  });
  const page = await context.newPage();
  const pageErrors = [];
  page.on("pageerror", (err) => pageErrors.push(err.message));

  const response = await page.goto(`${base}/api/v1/docs`, { timeout: 60000 });
  if (!response || response.status() !== 200) fail(`/api/v1/docs answered ${response?.status()}`);
  await page.waitForSelector(".opblock", { timeout: 60000 });
  // Every tag section is expanded (docExpansion: list); collect what the page shows.
  const shown = await page.$$eval(".opblock", (blocks) =>
    blocks.map((b) => {
      const method = b.querySelector(".opblock-summary-method")?.textContent.trim() ?? "";
      const p = b.querySelector(".opblock-summary-path")?.getAttribute("data-path") ??
        b.querySelector(".opblock-summary-path")?.textContent.trim() ?? "";
      return `${method} ${p.replace(/\u200b/g, "")}`;
    }));
  const shownSet = new Set(shown);
  const missing = documented.filter((op) => !shownSet.has(op));
  if (missing.length > 0) fail(`operations not listed on the page: ${missing.join(", ")}`);
  const membership = shown.filter((op) => op.includes(" /membership/"));
  if (!shownSet.has("POST /membership/organizations") ||
      !shownSet.has("GET /membership/organizations/{id}") ||
      !shownSet.has("GET /membership/organizations")) {
    fail(`the organisation operations are not listed; the page shows: ${shown.join(", ")}`);
  }
  const title = await page.textContent(".information-container .title");
  if (!title || !title.includes("Kai Alliance")) fail(`unexpected page title: ${title}`);
  if (outside.length > 0) fail(`the page tried to load from outside the gateway: ${outside.join(", ")}`);
  if (pageErrors.length > 0) fail(`script errors on the page: ${pageErrors.join("; ")}`);
  if (screenshot) await page.screenshot({ path: screenshot, fullPage: false });
  console.log(`API page lists ${shown.length} operations (${membership.length} of membership)`);
} finally {
  await context.close();
  rmSync(userDataDir, { recursive: true, force: true });
}
