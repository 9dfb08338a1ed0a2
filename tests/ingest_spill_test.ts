/** When the S3 lake goes down mid-run, nothing is lost: the rest is spilled and uploaded next run. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { DEFAULTS } from "../lib/config.ts";
import { ingest, IngestError, replaySource } from "../lib/ingest/mod.ts";
import { openLake } from "../lib/lake/mod.ts";
import { startS3Server } from "./support/s3_server.ts";
import { readCheckpoint } from "../lib/ingest/checkpoint.ts";
import { uploadSpill } from "../lib/ingest/spill.ts";
import { BatchWriter } from "../lib/ingest/writer.ts";
import { faultyLake } from "./faults/faulty_lake.ts";
import { compare, idCounts, makeInput } from "./faults/support.ts";

const dec = new TextDecoder();

Deno.test("ingest spill: an unreachable lake stops the run; the next run uploads the spill first", async () => {
  const tmp = await Deno.makeTempDir();
  const s3 = await startS3Server();
  const lake = openLake(s3.url("lake"), { ...s3.options, maxAttempts: 1 });
  const spillDir = join(tmp, "spill");
  try {
    const expected: string[] = [];
    for (const n of [...Deno.readDirSync(DEFAULTS.sample)].map((e) => e.name).sort()) {
      const text = await Deno.readTextFile(join(DEFAULTS.sample, n));
      expected.push(...text.split("\n").filter((l) => l.trim()));
    }
    const opts = {
      lake,
      spillDir,
      batch: { maxEvents: 50 },
      retry: { attempts: 2, baseDelayMs: 5, maxDelayMs: 5 },
      handleSignals: false,
    };
    const err = await ingest({
      ...opts,
      source: replaySource(),
      onProgress: (s) => s.files >= 1 && s3.setDown(true),
    }).then(() => undefined, (e) => e);
    assert.ok(err instanceof IngestError, `expected an IngestError, got ${err}`);
    assert.match(err.message, /unreachable.*saved in .*spill/s);
    assert.equal(err.stats.files, 1);
    assert.ok(err.stats.spilled > 0);
    assert.equal(
      err.stats.events,
      50 + err.stats.spilled,
      "every accepted event is stored or spilled",
    );

    s3.setDown(false);
    const inLake = await lake.list("raw");
    assert.equal(inLake.length, 1);

    const next = await ingest({ ...opts, source: replaySource() });
    assert.ok(next.recovered > 1, "spilled files were uploaded");
    assert.equal(next.events, expected.length - err.stats.events, "replay resumed after the spill");
    const lines: string[] = [];
    for (const f of await lake.list("raw")) {
      lines.push(...dec.decode(await lake.get(f.path)).split("\n").filter((l) => l));
    }
    assert.deepEqual(lines.toSorted(), expected.toSorted(), "every event exactly once");
    const left = await Array.fromAsync(Deno.readDir(spillDir)).then(async (ds) => {
      let n = 0;
      for (const d of ds) n += (await openLake(join(spillDir, d.name)).list("")).length;
      return n;
    });
    assert.equal(left, 0, "the spill is empty after the upload");
  } finally {
    lake.close?.();
    await s3.close();
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("ingest spill: an old spill uploaded after another run neither moves the cursor back nor adds a line twice", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    const ids = await makeInput(join(tmp, "in"), 2, 250);
    const lakeDir = join(tmp, "lake");
    const lake = openLake(lakeDir);
    const base = {
      source: replaySource({ input: join(tmp, "in") }),
      batch: { maxEvents: 100 },
      retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 },
      handleSignals: false,
    };
    // run A: the lake fails from its second file on; 400 events go to spill A
    const a = await ingest({
      ...base,
      lake: faultyLake(lake, { match: "^raw/", nth: 2, when: "fail-from" }),
      spillDir: join(tmp, "spill-a"),
    }).then(() => undefined, (e) => e);
    assert.ok(a instanceof IngestError);
    assert.equal(a.stats.spilled, 400);
    // run B (another spill folder) delivers 150 more: the lake holds events 0..249
    const b = await ingest({ ...base, lake, spillDir: join(tmp, "spill-b"), maxEvents: 150 });
    assert.equal(b.events, 150);
    // run C finds spill A: only events 250..499 are new
    const logs: string[] = [];
    const c = await ingest({
      ...base,
      lake,
      spillDir: join(tmp, "spill-a"),
      log: (m) => logs.push(m),
    });
    assert.deepEqual(compare(ids, await idCounts(lakeDir)), {
      lost: 0,
      duplicated: 0,
      unexpected: 0,
    });
    assert.equal(c.events, 0, "the cursor after the upload covers everything");
    assert.match(
      logs.join("\n"),
      /250 events\) left in the spill.*150 spilled events were already/,
    );
    const cursor = (await lake.list("_checkpoints/"))[0].path;
    assert.deepEqual(
      (await readCheckpoint<{ files: Record<string, number> }>(lake, cursor))!.files,
      { "part-0.ndjson": 250, "part-1.ndjson": 250 },
    );
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("ingest spill: events that carry their own positions (Jetstream time_us) are uploaded only where the lake's cursor is behind them", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    const lake = openLake(join(tmp, "lake"));
    const spill = openLake(join(tmp, "spill"));
    const times = [100, 250, 300, undefined, 420, 500];
    const lines = times.map((t, i) =>
      new TextEncoder().encode(t === undefined ? "not json" : JSON.stringify({ time_us: t, i }))
    );
    const writer = new BatchWriter({
      lake: faultyLake(lake, { match: "^raw/", nth: 1, when: "fail-from" }),
      source: "jetstream",
      limits: { maxEvents: 100, maxBytes: 1e9, maxAgeMs: 1e9 },
      retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 },
      spill,
    });
    writer.add({
      lines,
      positions: { path: ["time_us"], first: 0, each: times },
      checkpoint: () => ({ path: "_checkpoints/jetstream.json", value: { time_us: 500 } }),
    });
    await writer.close();
    assert.equal(writer.counters.spilled, 6);
    // meanwhile another run stored everything up to time_us 300
    await lake.put("_checkpoints/jetstream.json", new TextEncoder().encode('{"time_us":300}'));
    const up = await uploadSpill(spill, lake);
    assert.deepEqual(up, { files: 1, events: 3, skipped: 3 });
    const [file] = await lake.list("raw/jetstream");
    assert.deepEqual(
      dec.decode(await lake.get(file.path)).trimEnd().split("\n"),
      ["not json", '{"time_us":420,"i":4}', '{"time_us":500,"i":5}'],
      "a line without a position is kept; those at or before 300 are not",
    );
    assert.deepEqual(await readCheckpoint(lake, "_checkpoints/jetstream.json"), { time_us: 500 });
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
