/**
 * The bundled sample is what tools/make-sample.ts writes (deterministic), and it is realistic
 * enough to be interesting: 2,000+ X API v2 events over about 24 hours, 600+ distinct texts in
 * five languages (English the majority), replies, quotes and retweets, authors with follower
 * counts, places on some posts, a few empty texts and malformed lines, under 2 MB.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { DEFAULTS } from "../lib/config.ts";
import { buildSample } from "../tools/make-sample.ts";

Deno.test("sample: the files on disk are exactly what tools/make-sample.ts builds", async () => {
  const built = buildSample();
  const names = [...Deno.readDirSync(DEFAULTS.sample)].map((e) => e.name).sort();
  assert.deepEqual(names, built.map((f) => f.name));
  for (const f of built) {
    const disk = await Deno.readTextFile(join(DEFAULTS.sample, f.name));
    assert.equal(disk, f.lines.join("\n") + "\n", `${f.name} is up to date`);
  }
  assert.deepEqual(buildSample(), built, "deterministic");
});

Deno.test("sample: realistic volume, languages, references, users, places and noise", () => {
  let bytes = 0;
  let malformed = 0;
  // deno-lint-ignore no-explicit-any
  const events: Record<string, any>[] = [];
  for (const f of buildSample()) {
    for (const line of f.lines) {
      bytes += new TextEncoder().encode(line).length + 1;
      try {
        events.push(JSON.parse(line));
      } catch {
        malformed++;
      }
    }
  }
  assert.ok(bytes < 2 * 1024 * 1024, `${bytes} bytes`);
  assert.ok(events.length >= 2000, `${events.length} events`);
  assert.equal(malformed, 3);
  const texts = new Set(events.map((e) => e.data.text).filter(Boolean));
  assert.ok(texts.size >= 600, `${texts.size} distinct texts`);
  const times = events.map((e) => Date.parse(e.data.created_at)).sort((a, b) => a - b);
  const hours = (times.at(-1)! - times[0]) / 3_600_000;
  assert.ok(hours > 22 && hours <= 24, `spans ${hours.toFixed(1)} h`);
  const langs = new Map<string, number>();
  for (const e of events) langs.set(e.data.lang, (langs.get(e.data.lang) ?? 0) + 1);
  assert.ok(langs.get("en")! > events.length / 2, "English is the majority");
  for (const l of ["es", "de", "fr", "pt"]) assert.ok(langs.get(l)! >= 50, `${l} posts`);
  assert.ok(events.filter((e) => e.data.text === "").length >= 3, "a few empty texts");
  const types = new Map<string, number>();
  for (const e of events) {
    const t = e.data.referenced_tweets?.[0]?.type;
    if (t) types.set(t, (types.get(t) ?? 0) + 1);
  }
  for (const t of ["replied_to", "quoted", "retweeted"]) assert.ok(types.get(t)! >= 50, t);
  const ids = new Set(events.map((e) => e.data.id));
  for (const e of events) {
    for (const r of e.data.referenced_tweets ?? []) assert.ok(ids.has(r.id), "refs point inside");
    const author = e.includes.users.find((u: { id: string }) => u.id === e.data.author_id);
    assert.ok(author && Number.isInteger(author.public_metrics.followers_count));
    if (e.data.geo) {
      const place = e.includes.places.find((p: { id: string }) => p.id === e.data.geo.place_id);
      assert.ok(place?.country && place.full_name, "a place for every geo.place_id");
    }
  }
  const placed = events.filter((e) => e.data.geo).length;
  assert.ok(placed >= 100 && placed < events.length / 2, `${placed} posts with a place`);
});
