/** The Lake interface behaves the same on a local folder and on S3 (fauxqs on loopback). */
import assert from "node:assert/strict";
import { openLake } from "../lib/lake/mod.ts";
import type { Lake } from "../lib/lake/types.ts";
import { startS3Server } from "./support/s3_server.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

interface Backend {
  name: string;
  open(): Promise<{ lake: Lake; done(): Promise<void> }>;
}

const BACKENDS: Backend[] = [
  {
    name: "local",
    async open() {
      const dir = await Deno.makeTempDir();
      return {
        lake: openLake(dir),
        done: () => Deno.remove(dir, { recursive: true }),
      };
    },
  },
  {
    name: "s3",
    async open() {
      const s3 = await startS3Server();
      const cache = await Deno.makeTempDir();
      const lake = openLake(s3.url("lake/root"), { ...s3.options, cacheDir: cache });
      return {
        lake,
        done: async () => {
          lake.close?.();
          await s3.close();
          await Deno.remove(cache, { recursive: true });
        },
      };
    },
  },
];

for (const b of BACKENDS) {
  Deno.test(`lake(${b.name}): put, get, list by folder, localPath, delete`, async () => {
    const { lake, done } = await b.open();
    try {
      await lake.put("raw/x/date=2026-01-02/b.ndjson", enc.encode('{"b":1}\n'));
      await lake.put("raw/x/date=2026-01-01/a.ndjson", enc.encode('{"a":1}\n'));
      await lake.put("raw/xyz/c.ndjson", enc.encode("c\n"));
      await lake.put("_checkpoints/replay/s.json", enc.encode("{}"));
      assert.equal(dec.decode(await lake.get("raw/x/date=2026-01-01/a.ndjson")), '{"a":1}\n');

      const x = await lake.list("raw/x");
      assert.deepEqual(x.map((f) => f.path), [
        "raw/x/date=2026-01-01/a.ndjson",
        "raw/x/date=2026-01-02/b.ndjson",
      ]);
      assert.equal(x[0].size, 8);
      assert.ok(x[0].mtime instanceof Date);
      assert.equal((await lake.list("")).length, 4);
      assert.deepEqual(await lake.list("raw/nothing"), []);

      const local = await lake.localPath("raw/xyz/c.ndjson");
      assert.equal(await Deno.readTextFile(local), "c\n");

      await lake.put("raw/xyz/c.ndjson", enc.encode("changed\n"));
      assert.equal(await Deno.readTextFile(await lake.localPath("raw/xyz/c.ndjson")), "changed\n");

      await lake.delete("raw/xyz/c.ndjson");
      await lake.delete("raw/xyz/c.ndjson");
      assert.deepEqual(await lake.list("raw/xyz"), []);
      await assert.rejects(() => lake.get("raw/xyz/c.ndjson"), Deno.errors.NotFound);
      assert.ok(!lake.url.includes("test:"), "the URL holds no credentials");
    } finally {
      await done();
    }
  });
}

Deno.test("lake(local): a file being written is never listed", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const lake = openLake(dir);
    const big = new Uint8Array(8 * 1024 * 1024).fill(65);
    const writing = lake.put("raw/x/big.ndjson", big);
    const seen = await lake.list("raw");
    assert.ok(seen.every((f) => f.path === "raw/x/big.ndjson" && f.size === big.length));
    await writing;
    const after = await lake.list("raw");
    assert.deepEqual(after.map((f) => [f.path, f.size]), [["raw/x/big.ndjson", big.length]]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("lake(s3): lists more than one page (1,050 files)", async () => {
  const s3 = await startS3Server();
  const lake = openLake(s3.url("p"), s3.options);
  try {
    const names = Array.from(
      { length: 1050 },
      (_, i) => `raw/x/f${String(i).padStart(5, "0")}.ndjson`,
    );
    for (let i = 0; i < names.length; i += 50) {
      await Promise.all(names.slice(i, i + 50).map((n) => lake.put(n, enc.encode(n))));
    }
    const listed = await lake.list("raw/x");
    assert.equal(listed.length, 1050);
    assert.deepEqual(listed.map((f) => f.path), names);
    assert.ok(
      s3.requests.filter((r) => r.startsWith("GET") && r.includes("list-type=2")).length >= 2,
      "listing took more than one request",
    );
  } finally {
    lake.close?.();
    await s3.close();
  }
});

Deno.test("lake(s3): transient failures are retried; a down server is a clear error", async () => {
  const s3 = await startS3Server();
  const lake = openLake(s3.url(), { ...s3.options, maxAttempts: 3 });
  try {
    s3.failNext(2);
    await lake.put("raw/x/a.ndjson", enc.encode("a\n"));
    assert.equal(dec.decode(await lake.get("raw/x/a.ndjson")), "a\n");
    s3.setDown(true);
    await assert.rejects(
      () => lake.put("raw/x/b.ndjson", enc.encode("b\n")),
      (e: Error) => e.message.includes("S3 PUT s3://tweetlake-test/raw/x/b.ndjson failed"),
    );
    s3.setDown(false);
    assert.deepEqual((await lake.list("raw")).map((f) => f.path), ["raw/x/a.ndjson"]);
  } finally {
    lake.close?.();
    await s3.close();
  }
});

Deno.test("lake(s3): endpoint, region and keys come from the standard AWS variables", async () => {
  const s3 = await startS3Server();
  const saved = Object.fromEntries(Object.keys(s3.env).map((k) => [k, Deno.env.get(k)]));
  for (const [k, v] of Object.entries(s3.env)) Deno.env.set(k, v);
  const lake = openLake(s3.url("from-env"));
  try {
    await lake.put("raw/x/a.ndjson", enc.encode("a\n"));
    assert.deepEqual((await lake.list("")).map((f) => f.path), ["raw/x/a.ndjson"]);
    assert.equal(lake.url, "s3://tweetlake-test/from-env");
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      v === undefined ? Deno.env.delete(k) : Deno.env.set(k, v);
    }
    lake.close?.();
    await s3.close();
  }
});

Deno.test("lake: a bad location is a clear error", () => {
  assert.throws(() => openLake("s3://"), /not an S3 location/);
  assert.throws(() => openLake("gs://bucket/x"), /unsupported lake location gs:\/\/bucket\/x/);
});
