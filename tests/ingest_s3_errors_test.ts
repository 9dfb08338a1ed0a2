/** Permanent S3 errors (no such bucket, access denied) fail at once with a clear message: no retries, no spill. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { DEFAULTS } from "../lib/config.ts";
import { ingest, replaySource } from "../lib/ingest/mod.ts";
import { isPermanent, openLake } from "../lib/lake/mod.ts";
import { startS3Server } from "./support/s3_server.ts";

async function spilledFiles(dir: string): Promise<number> {
  let n = 0;
  const walk = async (d: string) => {
    for await (const e of Deno.readDir(d)) {
      if (e.isDirectory) await walk(join(d, e.name));
      else n++;
    }
  };
  try {
    await walk(dir);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  return n;
}

for (const kind of ["NoSuchBucket", "AccessDenied"] as const) {
  Deno.test(`ingest s3: ${kind} fails at once with a clear message, nothing retried or spilled`, async () => {
    const tmp = await Deno.makeTempDir();
    const s3 = await startS3Server();
    const url = kind === "NoSuchBucket" ? "s3://no-such-bucket/lake" : s3.url("lake");
    const lake = openLake(url, s3.options);
    try {
      if (kind === "AccessDenied") s3.setDenied(true);
      const before = s3.requests.length;
      const err = await ingest({
        source: replaySource({ input: DEFAULTS.sample }),
        lake,
        spillDir: join(tmp, "spill"),
        batch: { maxEvents: 50 },
        handleSignals: false,
      }).then(() => undefined, (e) => e);
      assert.ok(isPermanent(err), `a permanent error, got ${err}`);
      assert.match(
        err.message,
        new RegExp(`the lake refused (GET|PUT) s3://.*: ${kind}.*not retried`),
      );
      assert.ok(s3.requests.length - before <= 2, `no retries: ${s3.requests.slice(before)}`);
      assert.equal(await spilledFiles(join(tmp, "spill")), 0, "nothing spilled");
    } finally {
      lake.close?.();
      await s3.close();
      await Deno.remove(tmp, { recursive: true });
    }
  });
}

Deno.test("ingest s3: access revoked mid-run stops the ingest at once; the replay cursor stays with what is stored", async () => {
  const tmp = await Deno.makeTempDir();
  const s3 = await startS3Server();
  const lake = openLake(s3.url("lake"), s3.options);
  try {
    const opts = {
      lake,
      spillDir: join(tmp, "spill"),
      batch: { maxEvents: 50 },
      handleSignals: false,
    };
    const err = await ingest({
      ...opts,
      source: replaySource({ input: DEFAULTS.sample }),
      onProgress: (s) => s.files >= 1 && s3.setDenied(true),
    }).then(() => undefined, (e) => e);
    assert.ok(isPermanent(err?.cause ?? err), `a permanent error, got ${err}`);
    assert.match(err.message, /AccessDenied.*not retried/);
    assert.equal(err.stats.spilled, 0);
    assert.equal(await spilledFiles(join(tmp, "spill")), 0, "nothing spilled");
    s3.setDenied(false);
    const stored = err.stats.files * 50;
    const next = await ingest({ ...opts, source: replaySource({ input: DEFAULTS.sample }) });
    let lines = 0;
    for (const f of await lake.list("raw")) {
      lines += new TextDecoder().decode(await lake.get(f.path)).split("\n").filter((l) => l).length;
    }
    assert.equal(lines, stored + next.events, "the rerun adds exactly what was not stored");
  } finally {
    lake.close?.();
    await s3.close();
    await Deno.remove(tmp, { recursive: true });
  }
});
