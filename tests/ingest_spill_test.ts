/** When the S3 lake goes down mid-run, nothing is lost: the rest is spilled and uploaded next run. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { DEFAULTS } from "../lib/config.ts";
import { ingest, IngestError, replaySource } from "../lib/ingest/mod.ts";
import { openLake } from "../lib/lake/mod.ts";
import { startS3Server } from "./support/s3_server.ts";

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
