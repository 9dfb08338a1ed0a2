/**
 * Lines that can't be read (invalid UTF-8, nested past MAX_JSON_DEPTH, over MAX_LINE_BYTES)
 * are counted as malformed by ingest and kept byte for byte.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { isJsonObjectLine, unreadableReason } from "../lib/ingest/json_check.ts";
import { MAX_JSON_DEPTH, MAX_LINE_BYTES } from "../lib/ingest/limits.ts";
import { ingest, replaySource } from "../lib/ingest/mod.ts";
import { openLake } from "../lib/lake/mod.ts";

const enc = new TextEncoder();
const nested = (depth: number) => `{"a":${"[".repeat(depth - 1)}${"]".repeat(depth - 1)}}`;
const latin1 = Uint8Array.from(
  [...'{"text":"caf', 0xe9, ...'"}'].map((c) => typeof c === "number" ? c : c.charCodeAt(0)),
);
const oversize = enc.encode(`{"text":"${"x".repeat(MAX_LINE_BYTES)}"}`);

Deno.test("ingest limits: depth, size and UTF-8 decide what is readable", () => {
  assert.equal(isJsonObjectLine(enc.encode(nested(MAX_JSON_DEPTH))), true);
  assert.equal(isJsonObjectLine(enc.encode(nested(MAX_JSON_DEPTH + 1))), false);
  assert.equal(unreadableReason(enc.encode(nested(MAX_JSON_DEPTH + 1))), "too-deep");
  assert.equal(unreadableReason(enc.encode(nested(100_000))), "too-deep");
  assert.equal(isJsonObjectLine(latin1), false);
  assert.equal(unreadableReason(latin1), "invalid-utf8");
  assert.equal(isJsonObjectLine(oversize), false);
  assert.equal(unreadableReason(oversize), "too-long");
  // valid multi-byte text, and the invalid forms UTF-8 forbids
  assert.equal(isJsonObjectLine(enc.encode('{"t":"é😀中"}')), true);
  for (
    const bad of [[0xc0, 0xaf], [0xe0, 0x80, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [
      0xff,
    ], [0xe2, 0x82]]
  ) {
    const line = Uint8Array.from([0x7b, 0x22, 0x74, 0x22, 0x3a, 0x22, ...bad, 0x22, 0x7d]);
    assert.equal(isJsonObjectLine(line), false, `accepted ${bad.map((b) => b.toString(16))}`);
    assert.equal(unreadableReason(line), "invalid-utf8");
  }
  assert.equal(unreadableReason(enc.encode('{"a":1')), undefined, "merely malformed is readable");
});

Deno.test("ingest limits: replay counts unreadable lines as malformed and keeps them byte for byte", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    const good = enc.encode('{"id":"1"}');
    const deep = enc.encode(nested(5_000));
    const input = join(tmp, "in.ndjson");
    const parts = [good, latin1, deep, oversize, good];
    const size = parts.reduce((n, p) => n + p.length + 1, 0);
    const all = new Uint8Array(size);
    let at = 0;
    for (const p of parts) {
      all.set(p, at);
      at += p.length;
      all[at++] = 10;
    }
    await Deno.writeFile(input, all);
    const lake = openLake(join(tmp, "lake"));
    const r = await ingest({
      source: replaySource({ input }),
      lake,
      spillDir: join(tmp, "spill"),
      batch: { maxBytes: 4 * MAX_LINE_BYTES },
      handleSignals: false,
    });
    assert.equal(r.events, 5);
    assert.equal(r.malformed, 3, "invalid UTF-8, too deep and too long are malformed");
    const files = await lake.list("raw/x");
    assert.equal(files.length, 1);
    assert.deepEqual(await lake.get(files[0].path), all, "kept exactly as delivered");
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
