/**
 * report.html in a real browser (headless Chromium): after `runPipeline` on the bundled sample,
 * the page shows its charts at a non-zero size, word clouds with words, table rows, emoji in
 * the posts, no console errors and no request leaving the machine. An empty pipeline page
 * shows its empty states. Screenshots go to out/test-screenshots/.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { runPipeline } from "../lib/pipeline.ts";
import { emptySnapshot, renderPipelinePage } from "../lib/viz/mod.ts";
import { launch, openFile, screenshot, sizes } from "./support/browser.ts";

Deno.test("browser: report.html shows charts, word clouds, tables and emoji, without errors", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tweetlake-browser-" });
  const { browser, close } = await launch();
  try {
    await runPipeline({
      lake: join(dir, "lake"),
      db: join(dir, "db.duckdb"),
      report: join(dir, "report"),
    });
    const { page, errors, external } = await openFile(browser, join(dir, "report", "report.html"));
    const shot = await screenshot(page, "report");
    console.log(`screenshot: ${shot}`);
    assert.deepEqual(errors, [], "console errors");
    assert.deepEqual(external, [], "requests that left the machine");
    const charts = await sizes(page, "section svg:not([width='15']):not([width='10'])");
    assert.ok(charts.length >= 10, `${charts.length} charts`);
    for (const c of charts) assert.ok(c.w > 0 && c.h > 0, `a chart sized ${c.w}×${c.h}`);
    for (const id of ["graph", "quality", "events", "latest", "settings"]) {
      assert.ok(await page.$(`section#${id}`), `section ${id}`);
    }
    // two sources, bronze, bronze_jetstream, the view posts, silver, its quarantine, two gold tables
    assert.equal((await page.$$(".tl-graph .tl-node")).length, 9, "nine nodes in the graph");
    const words = await page.$$eval(
      ".tl-wordcloud",
      (clouds) =>
        clouds.map((c) =>
          [...c.querySelectorAll("text.tl-word")].filter((t) => {
            const r = t.getBoundingClientRect();
            return r.width > 0 && r.height > 0;
          }).length
        ),
    );
    assert.equal(words.length, 2, "a positive and a negative word cloud");
    for (const n of words) assert.ok(n >= 20, `${n} visible words`);
    const rows = await page.$$eval("section#latest tbody tr", (r) => r.length);
    assert.ok(rows >= 5, `${rows} latest posts`);
    const tables = await page.$$eval(
      "table",
      (ts) => ts.map((t) => t.querySelectorAll("tbody tr").length),
    );
    assert.ok(tables.filter((n) => n > 0).length >= 6, `tables with rows: ${tables}`);
    const body = await page.$eval("body", (b) => (b as HTMLElement).innerText);
    assert.match(body, /\p{Extended_Pictographic}/u, "emoji text present");
    assert.match(body, /I love Lakehouses\s+positive\s+\d\.\d{3}/, "sentence check to 3 decimals");
    assert.match(body, /select \* from languages where lang <> 'en' order by count desc/);
    assert.ok(!(await page.$(".tweetlake-empty")), "no empty state on a full report");
  } finally {
    await close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("browser: an empty pipeline page shows its empty states", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tweetlake-browser-empty-" });
  const { browser, close } = await launch();
  try {
    const file = join(dir, "empty.html");
    await Deno.writeTextFile(file, renderPipelinePage(emptySnapshot()));
    const { page, errors, external } = await openFile(browser, file);
    console.log(`screenshot: ${await screenshot(page, "report-empty")}`);
    assert.deepEqual(errors, []);
    assert.deepEqual(external, []);
    const empty = await sizes(page, "svg.tweetlake-empty");
    assert.equal(empty.length, 2, "graph and data quality show empty states");
    for (const e of empty) {
      assert.ok(e.w > 0 && e.h > 0 && e.h < 100, "a small message, not a tall chart");
    }
    const body = await page.$eval("body", (b) => (b as HTMLElement).innerText);
    assert.match(body, /No updates yet/);
    assert.match(body, /No posts in silver yet/);
  } finally {
    await close();
    await Deno.remove(dir, { recursive: true });
  }
});
