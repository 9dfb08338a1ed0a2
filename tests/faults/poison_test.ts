/**
 * Poison lines of each kind (invalid UTF-8, nested past MAX_JSON_DEPTH, over MAX_LINE_BYTES, a
 * control byte) among good events: ingest counts them as malformed and keeps them, the update
 * completes and rescues them, the good events reach silver, and later files are still read.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { runUpdate } from "../../lib/dataflow/mod.ts";
import { query, withDb } from "../../lib/db.ts";
import { MAX_JSON_DEPTH, MAX_LINE_BYTES } from "../../lib/ingest/limits.ts";
import { ingest, replaySource } from "../../lib/ingest/mod.ts";

const enc = new TextEncoder();
const event = (id: string) =>
  enc.encode(JSON.stringify({
    data: {
      id,
      text: `hello ${id}`,
      lang: "en",
      author_id: "1",
      created_at: "2026-11-20T10:00:00Z",
    },
  }));
const bytes = (...parts: (string | number[])[]) =>
  Uint8Array.from(parts.flatMap((p) => typeof p === "string" ? [...enc.encode(p)] : p));
const deep = "[".repeat(MAX_JSON_DEPTH + 5) + "]".repeat(MAX_JSON_DEPTH + 5);

const POISON: Record<string, Uint8Array> = {
  "invalid UTF-8": bytes('{"data":{"id":"p1","text":"caf', [0xe9], '","lang":"en"}}'),
  "too deep": bytes(`{"data":{"id":"p2","x":${deep}}}`),
  "too long": bytes(`{"data":{"id":"p3","text":"${"x".repeat(MAX_LINE_BYTES)}"}}`),
  "control byte": bytes('{"data":{"id":"p4","text":"a', [0x01], 'b"}}'),
};

function ndjson(lines: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(lines.reduce((n, l) => n + l.length + 1, 0));
  let at = 0;
  for (const l of lines) {
    out.set(l, at);
    at += l.length;
    out[at++] = 10;
  }
  return out;
}

Deno.test("faults: poison lines of each kind are counted, kept and rescued, and block nothing", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "faults-poison-" });
  try {
    const input = join(tmp, "in");
    await Deno.mkdir(input);
    await Deno.writeFile(
      join(input, "a.ndjson"),
      ndjson([event("g1"), ...Object.values(POISON), event("g2")]),
    );
    const lake = join(tmp, "lake");
    const db = join(tmp, "t.duckdb");
    const opts = { lake, spillDir: join(tmp, "spill"), handleSignals: false };
    const r = await ingest({
      ...opts,
      source: replaySource({ input }),
      batch: { maxBytes: 4 * MAX_LINE_BYTES },
    });
    assert.equal(r.events, 6);
    assert.equal(r.malformed, Object.keys(POISON).length, "each poison line counts as malformed");
    const first = await runUpdate({ lake, db });
    assert.ok(
      first.datasets.every((d) => d.status === "completed"),
      JSON.stringify(first.datasets),
    );

    // a later file is still read
    await Deno.writeFile(join(input, "b.ndjson"), ndjson([event("g3")]));
    await ingest({ ...opts, source: replaySource({ input }) });
    await runUpdate({ lake, db });
    await withDb(db, async (conn) => {
      const [b] = await query(conn, "select count(*) as n, count(_rescued_data) as r from bronze");
      assert.equal(Number(b.n), 7);
      assert.equal(Number(b.r), Object.keys(POISON).length, "each poison line is rescued");
      const silver = await query(conn, "select id from silver order by id");
      assert.deepEqual(silver.map((s) => s.id), ["g1", "g2", "g3"]);
    });
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
