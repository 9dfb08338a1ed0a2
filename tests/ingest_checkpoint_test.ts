/** Cursors: a pending batch counts once its file is in the lake; merging never moves a cursor back. */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  covers,
  encodeStoredCursor,
  mergeCursor,
  readCheckpoint,
} from "../lib/ingest/checkpoint.ts";
import { openLake } from "../lib/lake/mod.ts";

const enc = new TextEncoder();

Deno.test("ingest cursor: merging takes the furthest position, key by key", () => {
  const a = { input: "in", files: { "a.ndjson": 10, "b.ndjson": 3 } };
  const b = { input: "in", files: { "a.ndjson": 4, "c.ndjson": 7 } };
  assert.deepEqual(mergeCursor(a, b), {
    input: "in",
    files: { "a.ndjson": 10, "b.ndjson": 3, "c.ndjson": 7 },
  });
  assert.deepEqual(mergeCursor({ time_us: 5 }, { time_us: null }), { time_us: 5 });
  assert.deepEqual(mergeCursor(undefined, { time_us: 2 }), { time_us: 2 });
  assert.equal(covers(a, { files: { "a.ndjson": 9 } }), true);
  assert.equal(covers(a, { files: { "a.ndjson": 11 } }), false);
  assert.equal(covers(a, { files: { "z.ndjson": 1 } }), false);
});

Deno.test("ingest cursor: a pending position holds exactly when its file is in the lake", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    const lake = openLake(tmp);
    const path = "_checkpoints/t.json";
    assert.equal(await readCheckpoint(lake, path), undefined);
    await lake.put(path, encodeStoredCursor(4, { file: "raw/x/f.ndjson", cursor: 9 }));
    assert.equal(await readCheckpoint(lake, path), 4, "file not there: the position before it");
    await lake.put("raw/x/f.ndjson", enc.encode("{}\n"));
    assert.equal(await readCheckpoint(lake, path), 9, "file there: the position after it");
    await lake.put(path, enc.encode('{"time_us":12}'));
    assert.deepEqual(await readCheckpoint(lake, path), { time_us: 12 }, "a plain cursor as is");
    await Deno.writeTextFile(join(tmp, path), "{not json");
    await assert.rejects(() => readCheckpoint(lake, path), /is not valid JSON.*delete it/);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
