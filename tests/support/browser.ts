/**
 * Headless Chromium for page tests (Debian's `/usr/bin/chromium` driven by puppeteer-core):
 * opens a local HTML file with the network off, collects console errors and failed requests,
 * measures what a person would look at, and saves a screenshot under `out/test-screenshots/`.
 */
import puppeteer, { type Browser, type Page } from "puppeteer-core";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { REPO_ROOT } from "../../lib/config.ts";

/** Where the browser tests leave their screenshots (git-ignored). */
export const SCREENSHOTS = join(REPO_ROOT, "out", "test-screenshots");

/** The browser binary (override with `TWEETLAKE_CHROMIUM`). */
export const CHROMIUM = Deno.env.get("TWEETLAKE_CHROMIUM") ?? "/usr/bin/chromium";

/** Launches headless Chromium with a fresh profile; `close` also removes the profile. */
export async function launch(): Promise<{ browser: Browser; close: () => Promise<void> }> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} not found: install Debian's chromium (apt-get install chromium)`);
  }
  const profile = await Deno.makeTempDir({ prefix: "tweetlake-chromium-" });
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    userDataDir: profile,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-dev-shm-usage",
    ],
  });
  return {
    browser,
    close: async () => {
      await browser.close();
      await Deno.remove(profile, { recursive: true }).catch(() => {});
    },
  };
}

/** What a page showed: console errors, requests that left the machine, and measurements. */
export interface PageCheck {
  page: Page;
  errors: string[];
  external: string[];
}

/**
 * Opens `file` in a new page (1280 px wide), blocks every request that is not `file:` or
 * `data:` (and records it), and collects console errors and page errors.
 */
export async function openFile(browser: Browser, file: string): Promise<PageCheck> {
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 900 });
  const errors: string[] = [];
  const external: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.setRequestInterception(true);
  page.on("request", (r) => {
    const url = r.url();
    if (url.startsWith("file:") || url.startsWith("data:") || url.startsWith("about:")) {
      r.continue();
    } else {
      external.push(url);
      r.abort();
    }
  });
  await page.goto(pathToFileURL(file).href, { waitUntil: "load" });
  return { page, errors, external };
}

/** Saves a full-page screenshot as `out/test-screenshots/<name>.png`; returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path: path as `${string}.png`, fullPage: true });
  return path;
}

/** Width and height of each element matching `selector`, in page order. */
export async function sizes(page: Page, selector: string): Promise<{ w: number; h: number }[]> {
  return await page.$$eval(selector, (els) =>
    els.map((e) => {
      const r = e.getBoundingClientRect();
      return { w: r.width, h: r.height };
    }));
}
