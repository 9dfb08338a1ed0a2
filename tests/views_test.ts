/**
 * The original demo's views: word counts and clouds (stop words out, hashtags in), the label
 * donut's percentages, the most positive / negative texts deduplicated, the original's
 * non-English query, posts by country, streaming vs batch silver, and the warning for an input
 * where no row has an id (with flat tweepy tweets landing in silver beside X v2 events).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { DEFAULTS } from "../lib/config.ts";
import { runUpdate } from "../lib/dataflow/mod.ts";
import { cachedSilverModes, silverAsView } from "../lib/explore.ts";
import { runPipeline } from "../lib/pipeline.ts";
import { formatSummary } from "../lib/report.ts";
import { scoreNew } from "../lib/sentiment/mod.ts";
import { nonEnglishLanguages, postsByCountry, topTexts } from "../lib/views.ts";
import { labelDonut, wordCloud, wordCounts } from "../lib/viz/mod.ts";
import { workspace, writeLakeFile } from "./fixtures/dataflow/support.ts";

Deno.test("word counts drop stop words, links and mentions, and keep hashtags", () => {
  const counts = wordCounts([
    "I love the new #DeltaLake release https://example.com/x",
    "RT @ana_data: love the #DeltaLake docs",
    "Me encanta la demo de #DeltaLake",
  ]);
  const words = new Map(counts.map((c) => [c.word, c.count]));
  assert.equal(words.get("#DeltaLake"), 3);
  assert.equal(words.get("love"), 2);
  for (const gone of ["the", "la", "de", "RT", "ana_data", "https", "example"]) {
    assert.ok(!words.has(gone), `${gone} removed`);
  }
  const svg = wordCloud(["alpha beta gamma #delta", "alpha beta", "alpha"]);
  const placed = [...svg.matchAll(/class="tl-word"[^>]*>([^<]+)</g)].map((m) => m[1]);
  assert.deepEqual(placed.sort(), ["#delta", "alpha", "beta", "gamma"]);
  assert.equal(wordCloud(["alpha beta"]), wordCloud(["alpha beta"]), "deterministic");
});

Deno.test("label donut: one arc per label with its percentage", () => {
  const svg = labelDonut([
    { label: "negative", count: 1 },
    { label: "neutral", count: 1 },
    { label: "positive", count: 2 },
  ]);
  assert.equal(svg.match(/class="tl-arc"/g)?.length, 3);
  assert.match(svg, />50%</);
  assert.match(svg, /negative: 1 \(25\.0%\)/);
  assert.match(svg, />4</, "the total in the middle");
});

Deno.test("views: top texts each once, the original's non-English query, posts by country", async () => {
  const ws = await workspace();
  try {
    const place = { id: "p1", full_name: "Lisboa, Portugal", country: "Portugal" };
    const ev = (id: string, text: string, lang = "en", geo = false) =>
      JSON.stringify({
        data: {
          id,
          text,
          lang,
          author_id: "1",
          created_at: "2026-11-20T10:00:00Z",
          ...(geo ? { geo: { place_id: place.id } } : {}),
        },
        includes: geo ? { places: [place] } : {},
      });
    const lines = [
      ev("1", "I love this release, amazing work"),
      ev("2", "RT @bob: I love this release, amazing work"),
      ev("3", "I love this release, amazing work 🎉 #DeltaLake", "en", true),
      ev("4", "This outage is terrible, I hate it"),
      ev("5", "me encanta", "es"),
      ev("6", "super", "de"),
      ev("7", "génial", "fr"),
      ev("8", "ótimo", "pt"),
      ev("9", "schön", "de"),
    ];
    await writeLakeFile(ws.lake, "raw/x/a.ndjson", lines.join("\n") + "\n");
    await runUpdate({ pipeline: DEFAULTS.pipeline, lake: ws.lake, db: ws.db });
    await scoreNew({ db: ws.db, dtype: "fp32" });
    const pos = await topTexts("positive", 10, { db: ws.db });
    assert.equal(pos.length, 1, JSON.stringify(pos));
    assert.equal(pos[0].posts, 3);
    assert.equal(pos[0].text, "I love this release, amazing work");
    assert.match(pos[0].score.toFixed(3), /^0\.\d{3}$|^1\.000$/);
    const neg = await topTexts("negative", 10, { db: ws.db });
    assert.deepEqual(neg.map((t) => t.text), ["This outage is terrible, I hate it"]);
    const langs = await nonEnglishLanguages({ db: ws.db });
    assert.deepEqual(langs.map((l) => l.count), [2, 1, 1, 1], "count desc, as the original");
    assert.deepEqual([...langs].sort((a, b) => b.count - a.count || a.lang.localeCompare(b.lang)), [
      { lang: "de", count: 2 },
      { lang: "es", count: 1 },
      { lang: "fr", count: 1 },
      { lang: "pt", count: 1 },
    ]);
    assert.deepEqual(await postsByCountry({ db: ws.db }), [
      { country: "Portugal", places: "Lisboa, Portugal", count: 1 },
    ]);
  } finally {
    await ws.remove();
  }
});

Deno.test("streaming vs batch silver: the view reads all of bronze again, the stream only what is new; the result is cached", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tweetlake-modes-" });
  const pipeline = join(dir, "twitter.sql");
  await Deno.copyFile(DEFAULTS.pipeline, pipeline);
  const cache = join(dir, "cache", "silver_modes.json");
  const rows = await cachedSilverModes(cache, { pipeline });
  const read = (mode: string, update: string) =>
    rows.find((r) => r.mode === mode && r.update === update)!.rowsRead;
  assert.equal(read("streaming table", "update 1"), read("materialized view", "update 1"));
  const bronze = read("streaming table", "update 1") + read("streaming table", "update 2");
  assert.equal(read("materialized view", "update 2"), bronze);
  assert.ok(read("streaming table", "update 2") < bronze);
  const written = (mode: string) =>
    rows.filter((r) => r.mode === mode).reduce((n, r) => n + r.rowsWritten, 0);
  assert.equal(
    written("streaming table"),
    rows.find((r) => r.mode === "materialized view" && r.update === "update 2")!.rowsWritten,
    "the same silver rows in the end",
  );
  assert.throws(() => silverAsView("CREATE MATERIALIZED VIEW x AS SELECT 1"), /no `CREATE/);
  // Unchanged inputs: the cached rows come back (marked here to tell them apart).
  const stored = JSON.parse(await Deno.readTextFile(cache));
  stored.rows[0].rowsRead = -1;
  await Deno.writeTextFile(cache, JSON.stringify(stored));
  assert.equal((await cachedSilverModes(cache, { pipeline }))[0].rowsRead, -1);
  // A changed pipeline file computes again.
  await Deno.writeTextFile(pipeline, (await Deno.readTextFile(pipeline)) + "\n-- changed\n");
  assert.deepEqual(await cachedSilverModes(cache, { pipeline }), rows);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("pipeline --input: flat tweepy tweets land in silver; an input without ids warns with the expected shapes; the summary says this run or total", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tweetlake-input-" });
  try {
    const flat = join(dir, "tweepy.json");
    await Deno.writeTextFile(
      flat,
      '{"id": 1860000000000000001, "text": "I love this demo", "lang": "en"}\n' +
        '{"id": 1860000000000000002, "text": "hola", "lang": "es"}\n',
    );
    const opts = {
      lake: join(dir, "lake"),
      db: join(dir, "db.duckdb"),
      report: join(dir, "report"),
      explore: false,
    };
    const first = await runPipeline({ ...opts, input: flat });
    assert.equal(first.tables.find((t) => t.table === "silver")?.rows, 1);
    assert.deepEqual(first.warnings, []);
    const text = formatSummary(first);
    assert.match(text, /^ingest {5}2 events this run /m);
    assert.match(text, /^ {2}rows in each table \(total, all updates\)$/m);
    assert.match(text, /^expectations \(this update\)$/m);
    assert.match(text, /^sentiment {2}1 scored this run,/m);
    assert.match(text, /^ {2}labels \(total\): /m);
    const odd = join(dir, "odd.ndjson");
    await Deno.writeTextFile(odd, '{"tweet_id": 5, "body": "x"}\n{"tweet_id": 6, "body": "y"}\n');
    const second = await runPipeline({ ...opts, input: odd });
    assert.equal(second.warnings?.length, 1);
    assert.match(
      second.warnings![0],
      /no row of .*odd\.ndjson has an id: all 2 went to silver_quarantine/,
    );
    assert.match(second.warnings![0], /X API v2 .*flat tweets .*Jetstream/);
    assert.match(formatSummary(second), /^warning: no row of /m);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
