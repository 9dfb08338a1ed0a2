/** The S3 stage for DuckDB: one copy per object version (ETag), so an overwrite is never read stale; bounded in bytes. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { openLake } from "../lib/lake/mod.ts";
import { startS3Server } from "./support/s3_server.ts";

const enc = new TextEncoder();

async function cached(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string) => {
    for await (const e of Deno.readDir(d)) {
      if (e.isDirectory) await walk(join(d, e.name));
      else out.push(e.name);
    }
  };
  await walk(dir);
  return out.sort();
}

Deno.test("lake(s3) stage: an object overwritten with same-size content is fetched again", async () => {
  const tmp = await Deno.makeTempDir();
  const s3 = await startS3Server();
  const cacheDir = join(tmp, "cache");
  const lake = openLake(s3.url("lake"), { ...s3.options, cacheDir });
  try {
    await lake.put("raw/x/a.ndjson", enc.encode('{"v":1}\n'));
    assert.equal(await Deno.readTextFile(await lake.localPath("raw/x/a.ndjson")), '{"v":1}\n');
    await lake.put("raw/x/a.ndjson", enc.encode('{"v":2}\n'));
    assert.equal(
      await Deno.readTextFile(await lake.localPath("raw/x/a.ndjson")),
      '{"v":2}\n',
      "same size, new content: not the stale copy",
    );
    assert.equal((await cached(cacheDir)).length, 1, "the old version's copy is gone");
  } finally {
    lake.close?.();
    await s3.close();
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("lake(s3) stage: bounded in bytes, least recently used copies go first", async () => {
  const tmp = await Deno.makeTempDir();
  const s3 = await startS3Server();
  const cacheDir = join(tmp, "cache");
  const lake = openLake(s3.url("lake"), {
    ...s3.options,
    cacheDir,
    cacheMaxBytes: 20,
    cacheKeepMs: 0,
  });
  try {
    for (const n of ["a", "b", "c"]) {
      await lake.put(`raw/x/${n}.ndjson`, enc.encode(`{"n":"${n}"}\n`)); // 10 bytes each
    }
    for (const n of ["a", "b", "c"]) await lake.localPath(`raw/x/${n}.ndjson`);
    const left = await cached(cacheDir);
    assert.equal(left.length, 2, `the stage holds at most 20 bytes: ${left}`);
    assert.ok(left.every((f) => !f.startsWith("a.")), "the least recently used copy went first");
    assert.equal(await Deno.readTextFile(await lake.localPath("raw/x/a.ndjson")), '{"n":"a"}\n');
  } finally {
    lake.close?.();
    await s3.close();
    await Deno.remove(tmp, { recursive: true });
  }
});
