/**
 * The live dashboard in a real browser (headless Chromium): a continuous replay with
 * `--serve` on a free loopback port; the page's table counts rise at least twice and a newly
 * scored tweet appears without a reload; after SIGTERM the page says the pipeline stopped and
 * shows the word cloud of the tweets scored.
 * A screenshot is saved to out/test/live-dashboard.png.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { REPO_ROOT } from "../lib/config.ts";
import { CHROMIUM, launch } from "./support/browser.ts";

/** Reads the subprocess's stderr lines until one matches; returns the match. */
async function lineMatching(
  reader: ReadableStreamDefaultReader<string>,
  re: RegExp,
  seen: string[],
): Promise<RegExpExecArray> {
  let buf = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`pipeline ended before ${re}:\n${seen.join("\n")}`);
    buf += value;
    let nl;
    while ((nl = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      seen.push(line);
      const m = re.exec(line);
      if (m) return m;
    }
  }
}

Deno.test({
  name: "live dashboard: counts rise, a newly scored tweet appears, and the page shows the stop",
  ignore: !(() => {
    try {
      return Deno.statSync(CHROMIUM).isFile;
    } catch {
      return false;
    }
  })(),
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "tweetlake-live-browser-" });
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-all",
        join(REPO_ROOT, "cli.ts"),
        "pipeline",
        "--continuous",
        "--serve",
        "127.0.0.1:0",
        "--rate",
        "60/s",
        "--trigger",
        "400ms",
        "--lake",
        join(dir, "lake"),
        "--db",
        join(dir, "db.duckdb"),
        "--spill",
        join(dir, "spill"),
      ],
      env: { CI: "true" },
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const lines: string[] = [];
    const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
    const { browser, close } = await launch();
    try {
      const [, url] = await lineMatching(
        reader,
        /^dashboard: (http:\/\/127\.0\.0\.1:\d+\/)/,
        lines,
      );
      const drain = (async () => {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          lines.push(value);
        }
      })();
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
      page.on("pageerror", (e) => errors.push(String(e)));
      await page.setViewport({ width: 1280, height: 1600 });
      await page.goto(url, { waitUntil: "domcontentloaded" });

      const read = () =>
        page.evaluate(() => {
          const cell = document.querySelector('[data-table="bronze"]');
          return {
            bronze: Number((cell?.textContent ?? "0").replace(/\D/g, "")),
            scored: Number(
              (document.querySelector('[data-table="sentiment"]')?.textContent ?? "0")
                .replace(/\D/g, ""),
            ),
            tweets: (() => {
              const table = document.querySelector("#latest table");
              if (!table) return [];
              const heads = [...table.querySelectorAll("th")].map((th) => th.textContent);
              const at = heads.indexOf("sentiment");
              return [...table.querySelectorAll("tr")].slice(1).map((tr) => {
                const cells = [...tr.querySelectorAll("td")].map((td) => td.textContent ?? "");
                return { id: cells.join("|"), label: cells[at] ?? "" };
              });
            })(),
            state: document.body.dataset.state,
          };
        });
      const first = await read();
      const seenBronze = [first.bronze];
      let newTweet: { id: string; label: string } | undefined;
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline) {
        const now = await read();
        if (now.bronze > seenBronze[seenBronze.length - 1]) seenBronze.push(now.bronze);
        newTweet ??= now.tweets.find((t) => !first.tweets.some((f) => f.id === t.id));
        if (seenBronze.length >= 3 && newTweet) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.ok(
        seenBronze.length >= 3,
        `bronze count rose ${seenBronze.length - 1} time(s): ${seenBronze}`,
      );
      assert.ok(newTweet, "a newly scored tweet appeared in the latest tweets");
      assert.match(newTweet.label, /^(positive|neutral|negative) \d\.\d{3}$/);
      assert.equal((await read()).state, "running");

      child.kill("SIGTERM");
      await page.waitForFunction(() => document.body.dataset.state === "stopped", {
        timeout: 30_000,
      });
      assert.equal(await page.$eval("#state", (el) => el.textContent), "stopped");
      const words = await page.$$eval("#words svg text", (els) => els.length);
      assert.ok(words > 0, "the word cloud has words");
      await page.waitForFunction(
        () => document.getElementById("connection")?.textContent?.includes("stopped"),
        { timeout: 10_000 },
      );
      const { code } = await child.status;
      assert.equal(code, 0, lines.join("\n"));
      await drain;
      const shot = join(REPO_ROOT, "out", "test", "live-dashboard.png");
      await Deno.mkdir(join(REPO_ROOT, "out", "test"), { recursive: true });
      await page.screenshot({ path: shot as `${string}.png`, fullPage: true });
      assert.deepEqual(errors, [], "no console errors");
    } finally {
      await close();
      try {
        child.kill("SIGKILL");
      } catch { /* already ended */ }
      await child.status;
      await Deno.remove(dir, { recursive: true });
    }
  },
});
