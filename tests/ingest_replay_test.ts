/** Replay into a local and an S3 lake: lossless, rotated, resumable, never duplicated. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { DEFAULTS } from "../lib/config.ts";
import { ingest, replaySource } from "../lib/ingest/mod.ts";
import { openLake } from "../lib/lake/mod.ts";
import type { Lake } from "../lib/lake/types.ts";
import { startS3Server } from "./support/s3_server.ts";

const dec = new TextDecoder();

/** Every non-blank line of the bundled sample, in order. */
async function sampleLines(): Promise<string[]> {
  const names = [...Deno.readDirSync(DEFAULTS.sample)].map((e) => e.name).sort();
  const out: string[] = [];
  for (const n of names) {
    const text = await Deno.readTextFile(join(DEFAULTS.sample, n));
    out.push(...text.split("\n").filter((l) => l.trim()));
  }
  return out;
}

/** Every line in the lake's raw files, in file order. */
async function lakeLines(lake: Lake, prefix = "raw/"): Promise<string[]> {
  const out: string[] = [];
  for (const f of await lake.list(prefix)) {
    assert.match(f.path, /^raw\/[a-z]+\/date=\d{4}-\d{2}-\d{2}\/\d{9}-\d{6}-[0-9a-f]{8}\.ndjson$/);
    const text = dec.decode(await lake.get(f.path));
    assert.ok(text.endsWith("\n"), `${f.path} ends with a newline`);
    out.push(...text.slice(0, -1).split("\n"));
  }
  return out;
}

async function withLakes(fn: (lake: Lake, spillDir: string) => Promise<void>, s3 = false) {
  const tmp = await Deno.makeTempDir();
  const server = s3 ? await startS3Server() : undefined;
  const lake = server
    ? openLake(server.url("lake"), { ...server.options, cacheDir: join(tmp, "cache") })
    : openLake(join(tmp, "lake"));
  try {
    await fn(lake, join(tmp, "spill"));
  } finally {
    lake.close?.();
    await server?.close();
    await Deno.remove(tmp, { recursive: true });
  }
}

for (const s3 of [false, true]) {
  const kind = s3 ? "s3" : "local";
  Deno.test(`ingest replay(${kind}): the sample lands exactly as it is, once`, async () => {
    await withLakes(async (lake, spillDir) => {
      const expected = await sampleLines();
      const r = await ingest({
        source: replaySource(),
        lake,
        spillDir,
        batch: { maxEvents: 100 },
        handleSignals: false,
      });
      assert.equal(r.events, expected.length);
      assert.equal(r.malformed, 3);
      assert.equal(r.files, Math.ceil(expected.length / 100));
      assert.equal(r.stoppedBy, "end");
      assert.deepEqual(await lakeLines(lake, "raw/x"), expected);

      const again = await ingest({ source: replaySource(), lake, spillDir, handleSignals: false });
      assert.equal(again.events, 0, "a second replay of the same input writes nothing");
      assert.deepEqual(await lakeLines(lake), expected);
    }, s3);
  });
}

Deno.test("ingest replay: --max-events stops exactly, the next run resumes after it", async () => {
  await withLakes(async (lake, spillDir) => {
    const expected = await sampleLines();
    const first = await ingest({
      source: replaySource({ chunkLines: 64 }),
      lake,
      spillDir,
      maxEvents: 150,
      handleSignals: false,
    });
    assert.equal(first.events, 150);
    assert.equal(first.stoppedBy, "max-events");
    assert.deepEqual(await lakeLines(lake), expected.slice(0, 150));
    const rest = await ingest({ source: replaySource(), lake, spillDir, handleSignals: false });
    assert.equal(rest.events, expected.length - 150);
    assert.deepEqual(await lakeLines(lake), expected);
  });
});

Deno.test("ingest replay: --from-start replays again; replay-as picks the folder", async () => {
  await withLakes(async (lake, spillDir) => {
    const expected = await sampleLines();
    await ingest({ source: replaySource(), lake, spillDir, handleSignals: false });
    const r = await ingest({
      source: replaySource({ fromStart: true, as: "copy" }),
      lake,
      spillDir,
      handleSignals: false,
    });
    assert.equal(r.events, expected.length);
    assert.equal(r.folder, "raw/copy/");
    assert.deepEqual(await lakeLines(lake, "raw/copy"), expected);
  });
});

Deno.test("ingest replay: rotates by bytes and keeps CRLF input and appended lines right", async () => {
  const input = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(join(input, "a.ndjson"), '{"n":1}\r\n\r\n{"n":2}\r\n{"n":3}');
    await withLakes(async (lake, spillDir) => {
      const src = () => replaySource({ input });
      const r = await ingest({
        source: src(),
        lake,
        spillDir,
        batch: { maxBytes: 16 },
        handleSignals: false,
      });
      assert.equal(r.events, 3);
      assert.equal(r.files, 2, "8-byte lines, 16-byte files: two events per file");
      await Deno.writeTextFile(join(input, "a.ndjson"), '\n{"n":4}\n', { append: true });
      const more = await ingest({ source: src(), lake, spillDir, handleSignals: false });
      assert.equal(more.events, 1);
      assert.deepEqual(await lakeLines(lake), ['{"n":1}', '{"n":2}', '{"n":3}', '{"n":4}']);
    });
  } finally {
    await Deno.remove(input, { recursive: true });
  }
});

Deno.test("ingest replay: a missing input is a clear error", async () => {
  await withLakes(async (lake, spillDir) => {
    await assert.rejects(
      () =>
        ingest({
          source: replaySource({ input: "/nonexistent/folder" }),
          lake,
          spillDir,
          handleSignals: false,
        }),
      /replay input not found: \/nonexistent\/folder/,
    );
  });
});

Deno.test("ingest replay: --rate paces the stream and --duration stops it", async () => {
  await withLakes(async (lake, spillDir) => {
    const seen: number[] = [];
    const r = await ingest({
      source: replaySource({ rate: 200 }),
      lake,
      spillDir,
      durationMs: 500,
      progressIntervalMs: 50,
      onProgress: (s) => seen.push(s.events),
      handleSignals: false,
    });
    assert.equal(r.stoppedBy, "duration");
    // About 100 events in 0.5 s at 200/s; wide bounds for a busy CI machine.
    assert.ok(r.events >= 20 && r.events <= 300, `paced, then stopped: ${r.events}`);
    assert.ok(seen.length >= 3, "progress was reported while running");
    assert.equal((await lakeLines(lake)).length, r.events);
  });
});

Deno.test("ingest replay: a slow stream's file is closed by age", async () => {
  await withLakes(async (lake, spillDir) => {
    const r = await ingest({
      source: replaySource({ rate: 100 }),
      lake,
      spillDir,
      durationMs: 700,
      batch: { maxAgeMs: 200 },
      progressIntervalMs: 50,
      handleSignals: false,
    });
    assert.ok(r.files >= 2, `a file about every 200 ms: ${r.files} files`);
    assert.equal((await lakeLines(lake)).length, r.events);
  });
});
