/** One ingest per source and lake: a second is refused; a stale or orphaned lock is taken over, saying so. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { ingest, IngestError, IngestRunningError, replaySource } from "../lib/ingest/mod.ts";
import { lockPath, processStart } from "../lib/ingest/lock.ts";
import { openLake } from "../lib/lake/mod.ts";
import type { Lake } from "../lib/lake/types.ts";
import { compare, idCounts, makeInput } from "./faults/support.ts";
import { startS3Server } from "./support/s3_server.ts";

const enc = new TextEncoder();

async function withInput(fn: (tmp: string, ids: string[], lake: Lake) => Promise<void>) {
  const tmp = await Deno.makeTempDir();
  try {
    const ids = await makeInput(join(tmp, "in"), 1, 200);
    await fn(tmp, ids, openLake(join(tmp, "lake")));
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
}

async function until(cond: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

Deno.test("ingest lock: a second ingest of the same source into the same lake is refused while one runs", async () => {
  await withInput(async (tmp, ids, lake) => {
    const opts = { lake, spillDir: join(tmp, "spill"), handleSignals: false };
    const stop = new AbortController();
    const first = ingest({
      ...opts,
      source: replaySource({ input: join(tmp, "in"), rate: 400 }),
      batch: { maxEvents: 10 },
      signal: stop.signal,
    });
    await until(async () => (await lake.list("raw/x")).length > 0, "the first ingest's files");
    await assert.rejects(
      () => ingest({ ...opts, source: replaySource({ input: join(tmp, "in") }) }),
      (e: Error) => {
        assert.ok(e instanceof IngestRunningError, String(e));
        assert.match(e.message, /^ingest is running: x into .* held by pid \d+ on /);
        return true;
      },
    );
    stop.abort();
    await first;
    assert.equal(await lake.exists!(lockPath("x")), false, "the lock is released at the end");
    await ingest({ ...opts, source: replaySource({ input: join(tmp, "in") }) });
    assert.deepEqual(compare(ids, await idCounts(join(tmp, "lake"))), {
      lost: 0,
      duplicated: 0,
      unexpected: 0,
    });
  });
});

Deno.test("ingest lock: a lock whose heartbeat expired, or whose process is gone, is taken over, saying so", async () => {
  await withInput(async (tmp, ids, lake) => {
    const stale = {
      owner: "someone",
      host: "elsewhere",
      pid: 1234,
      source: "x",
      started: new Date(Date.now() - 3_600_000).toISOString(),
      heartbeat: new Date(Date.now() - 60_000).toISOString(),
      ttlMs: 30_000,
    };
    await lake.put(lockPath("x"), enc.encode(JSON.stringify(stale)));
    const logs: string[] = [];
    const opts = { lake, spillDir: join(tmp, "spill"), handleSignals: false };
    const r = await ingest({
      ...opts,
      source: replaySource({ input: join(tmp, "in") }),
      maxEvents: 50,
      log: (m) => logs.push(m),
    });
    assert.equal(r.events, 50);
    assert.match(
      logs.join("\n"),
      /taking over the ingest lock of x .* last heartbeat was 60\.\d s ago/,
    );

    if (processStart(Deno.pid) !== undefined) {
      // a fresh heartbeat, but the pid on this host is a process that has exited
      const exited = new Deno.Command("true").spawn();
      await exited.status;
      const gone = {
        ...stale,
        host: Deno.hostname(),
        pid: exited.pid,
        pidStart: "123",
        heartbeat: new Date().toISOString(),
      };
      await lake.put(lockPath("x"), enc.encode(JSON.stringify(gone)));
      logs.length = 0;
      await ingest({
        ...opts,
        source: replaySource({ input: join(tmp, "in") }),
        log: (m) => logs.push(m),
      });
      assert.match(logs.join("\n"), /taking over .* its holder is gone/);
      assert.deepEqual(compare(ids, await idCounts(join(tmp, "lake"))), {
        lost: 0,
        duplicated: 0,
        unexpected: 0,
      });
    }
  });
});

Deno.test("ingest lock: an ingest that loses its lock stops with a clear error", async () => {
  await withInput(async (tmp, _ids, lake) => {
    const first = ingest({
      lake,
      spillDir: join(tmp, "spill"),
      handleSignals: false,
      source: replaySource({ input: join(tmp, "in"), rate: 200 }),
      batch: { maxEvents: 10 },
      lockTtlMs: 90,
    });
    await until(() => lake.exists!(lockPath("x")), "the lock");
    const thief = { owner: "thief", host: "elsewhere", pid: 1, source: "x" };
    await lake.put(
      lockPath("x"),
      enc.encode(
        JSON.stringify({ ...thief, started: "", heartbeat: new Date().toISOString(), ttlMs: 1e6 }),
      ),
    );
    const err = await first.then(() => undefined, (e) => e);
    assert.ok(err instanceof IngestError, String(err));
    assert.match(err.message, /lost the ingest lock of x .* to pid 1 on elsewhere/);
  });
});

Deno.test("ingest lock: on S3 the lease object refuses a second ingest too", async () => {
  const tmp = await Deno.makeTempDir();
  const s3 = await startS3Server();
  const lake = openLake(s3.url("lake"), s3.options);
  try {
    await makeInput(join(tmp, "in"), 1, 200);
    const stop = new AbortController();
    const opts = { lake, spillDir: join(tmp, "spill"), handleSignals: false };
    const first = ingest({
      ...opts,
      source: replaySource({ input: join(tmp, "in"), rate: 400 }),
      batch: { maxEvents: 10 },
      signal: stop.signal,
    });
    await until(() => lake.exists!(lockPath("x")), "the lease");
    await assert.rejects(
      () => ingest({ ...opts, source: replaySource({ input: join(tmp, "in") }) }),
      IngestRunningError,
    );
    stop.abort();
    await first;
    assert.equal(await lake.exists!(lockPath("x")), false, "the lease is released");
  } finally {
    lake.close?.();
    await s3.close();
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("ingest lock: a holder whose lock was taken (it slept past its TTL) finds out before its next file", async () => {
  await withInput(async (tmp, _ids, lake) => {
    let files = 0;
    const first = ingest({
      lake,
      spillDir: join(tmp, "spill"),
      handleSignals: false,
      source: replaySource({ input: join(tmp, "in"), rate: 400 }),
      batch: { maxEvents: 10 },
      lockTtlMs: 60_000, // no heartbeat during the test
      onProgress: (s) => (files = s.files),
    });
    await until(() => Promise.resolve(files >= 1), "a first file");
    const thief = { owner: "thief", host: "elsewhere", pid: 1, source: "x", started: "" };
    await lake.put(
      lockPath("x"),
      enc.encode(JSON.stringify({ ...thief, heartbeat: new Date().toISOString(), ttlMs: 1e6 })),
    );
    const err = await first.then(() => undefined, (e) => e);
    assert.ok(err instanceof IngestError, String(err));
    assert.match(err.message, /lost the ingest lock of x .* to pid 1 on elsewhere/);
    assert.ok(err.stats.files <= files + 1, `at most the file in flight: ${err.stats.files}`);
  });
});
