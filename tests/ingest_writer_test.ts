/** The batch writer: exact rotation, unique names across runs, cursors stored with files, retries. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { openLake } from "../lib/lake/mod.ts";
import type { Lake } from "../lib/lake/types.ts";
import { BatchWriter } from "../lib/ingest/writer.ts";
import { readCheckpoint } from "../lib/ingest/checkpoint.ts";
import type { Chunk } from "../lib/ingest/types.ts";

const enc = new TextEncoder();
const chunk = (from: number, to: number, cp = false): Chunk => ({
  lines: Array.from({ length: to - from }, (_, i) => enc.encode(`{"n":${from + i}}`)),
  checkpoint: cp ? (n) => ({ path: "_checkpoints/t.json", value: from + n }) : undefined,
});

/** A lake that records puts and fails the first `failures` of them. */
function recording(inner: Lake, failures = 0): Lake & { puts: string[] } {
  const puts: string[] = [];
  return {
    ...inner,
    puts,
    put(path, data) {
      if (failures-- > 0) return Promise.reject(new Error("injected failure"));
      puts.push(path);
      return inner.put(path, data);
    },
  };
}

async function withWriter(
  fn: (make: (lake: Lake, attempts?: number) => BatchWriter, lake: Lake) => Promise<void>,
) {
  const tmp = await Deno.makeTempDir();
  const lake = openLake(join(tmp, "lake"));
  const fixed = new Date(Date.UTC(2026, 10, 26, 1, 2, 3, 4));
  const make = (l: Lake, attempts = 1) =>
    new BatchWriter({
      lake: l,
      source: "x",
      limits: { maxEvents: 3, maxBytes: 1e9, maxAgeMs: 1e9 },
      retry: { attempts, baseDelayMs: 1, maxDelayMs: 1 },
      spill: openLake(join(tmp, "spill")),
      now: () => fixed,
    });
  try {
    await fn(make, lake);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
}

Deno.test("ingest writer: rotates exactly by count; names never collide across runs", async () => {
  await withWriter(async (make, lake) => {
    for (let run = 0; run < 2; run++) {
      const w = make(lake);
      w.add(chunk(0, 10));
      await w.close();
      assert.equal(w.counters.files, 4);
    }
    const files = await lake.list("raw/x");
    assert.equal(files.length, 8, "same clock, two runs, eight distinct files");
    assert.ok(files.every((f) => f.path.startsWith("raw/x/date=2026-11-26/010203004-")));
    const counts = await Promise.all(
      files.map(async (f) =>
        new TextDecoder().decode(await lake.get(f.path)).split("\n").length - 1
      ),
    );
    assert.deepEqual(counts.toSorted(), [1, 1, 3, 3, 3, 3, 3, 3]);
  });
});

Deno.test("ingest writer: the cursor names its file as pending before the file, and covers only what is stored", async () => {
  await withWriter(async (make, lake) => {
    const rec = recording(lake);
    const w = make(rec);
    w.add(chunk(0, 5, true), 4);
    await w.close();
    assert.deepEqual(
      rec.puts.map((p) => p.startsWith("raw/") ? "file" : p),
      ["_checkpoints/t.json", "file", "_checkpoints/t.json", "file", "_checkpoints/t.json"],
    );
    assert.equal(await readCheckpoint(lake, "_checkpoints/t.json"), 4);
    assert.deepEqual(
      JSON.parse(new TextDecoder().decode(await lake.get("_checkpoints/t.json"))),
      { version: 2, cursor: 4 },
      "closing settles the pending part",
    );
  });
});

Deno.test("ingest writer: a failed put is retried", async () => {
  await withWriter(async (make, lake) => {
    const rec = recording(lake, 2);
    const w = make(rec, 3);
    w.add(chunk(0, 2));
    await w.close();
    assert.equal(w.failure, undefined);
    assert.equal(w.counters.files, 1);
    assert.equal((await lake.list("raw")).length, 1);
  });
});
