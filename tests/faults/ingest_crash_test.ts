/**
 * kill -9 at chosen points of an ingest (real processes), then a rerun: every event is in
 * the lake exactly once, whatever the point (the file and its source position are one fact).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import type { FaultPoint } from "./faulty_lake.ts";
import type { ChildConfig } from "./ingest_child.ts";
import { compare, idCounts, makeInput, runChild } from "./support.ts";

async function* walkFiles(dir: string): AsyncGenerator<string> {
  for await (const e of Deno.readDir(dir)) {
    if (e.isDirectory) yield* walkFiles(join(dir, e.name));
    else yield join(dir, e.name);
  }
}

const CURSOR = "^_checkpoints/";
const FILE = "^raw/";

/**
 * Named crash points: which put, and on which side of it, the process dies. With `upload`,
 * a first run spills (the lake fails from `failLake` on) and the second run dies at `upload`
 * while putting that spill into the lake.
 */
const POINTS: {
  name: string;
  lake?: FaultPoint;
  spill?: FaultPoint;
  failLake?: FaultPoint;
  upload?: FaultPoint;
}[] = [
  {
    name: "after a batch file, before the next cursor",
    lake: { match: FILE, nth: 2, when: "after" },
  },
  { name: "after a cursor, before its file", lake: { match: CURSOR, nth: 3, when: "after" } },
  { name: "halfway through writing a batch file", lake: { match: FILE, nth: 2, when: "torn" } },
  { name: "before the first cursor", lake: { match: CURSOR, nth: 1, when: "before" } },
  { name: "after the last file", lake: { match: FILE, nth: 5, when: "after" } },
  {
    name: "mid-spill (after a spilled record, before its file)",
    failLake: { match: FILE, nth: 2, when: "fail-from" },
    spill: { match: "^raw/", nth: 2, when: "before" },
  },
  {
    name: "mid-spill (after a spilled file)",
    failLake: { match: FILE, nth: 2, when: "fail-from" },
    spill: { match: "^raw/", nth: 1, when: "after" },
  },
  {
    name: "while uploading a spill (after an uploaded file)",
    failLake: { match: FILE, nth: 2, when: "fail-from" },
    upload: { match: FILE, nth: 2, when: "after" },
  },
  {
    name: "while uploading a spill (after a cursor, before its file)",
    failLake: { match: FILE, nth: 2, when: "fail-from" },
    upload: { match: CURSOR, nth: 2, when: "after" },
  },
];

for (const point of POINTS) {
  Deno.test(`faults: ingest killed ${point.name}; a rerun leaves every event exactly once`, async () => {
    const tmp = await Deno.makeTempDir({ prefix: "faults-ingest-" });
    try {
      const ids = await makeInput(join(tmp, "in"), 2, 250);
      const cfg: ChildConfig = {
        input: join(tmp, "in"),
        lake: join(tmp, "lake"),
        spillDir: join(tmp, "spill"),
        batchEvents: 100,
      };
      const first = await runChild({
        ...cfg,
        lakeFault: point.lake ?? point.failLake,
        spillFault: point.spill,
      });
      if (point.upload) {
        assert.equal(first.code, 1, `the lake failed and the rest was spilled: ${first.stderr}`);
        const second = await runChild({ ...cfg, lakeFault: point.upload });
        assert.ok(second.killed, `the fault struck (exit ${second.code}: ${second.stderr})`);
      } else {
        assert.ok(first.killed, `the fault struck (exit ${first.code}: ${first.stderr})`);
      }
      const again = await runChild(cfg);
      assert.equal(again.code, 0, again.stderr);
      const result = compare(ids, await idCounts(cfg.lake));
      assert.deepEqual(result, { lost: 0, duplicated: 0, unexpected: 0 });
      const left = await Array.fromAsync(walkFiles(join(cfg.lake, "raw")));
      assert.deepEqual(left.filter((f) => f.endsWith(".tmp")), [], "no unfinished file is left");
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  });
}

Deno.test("faults: two ingests of one source into one lake at once: one is refused, every event once", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "faults-ingest-" });
  try {
    const ids = await makeInput(join(tmp, "in"), 1, 300);
    const cfg: ChildConfig = {
      input: join(tmp, "in"),
      lake: join(tmp, "lake"),
      spillDir: join(tmp, "spill"),
      batchEvents: 50,
      rate: 300,
    };
    const runs = await Promise.all([runChild(cfg), runChild(cfg)]);
    const codes = runs.map((r) => r.code).toSorted();
    assert.deepEqual(codes, [0, 1], runs.map((r) => r.stderr).join("\n"));
    assert.match(runs.find((r) => r.code === 1)!.stderr, /ingest is running/);
    assert.deepEqual(compare(ids, await idCounts(cfg.lake)), {
      lost: 0,
      duplicated: 0,
      unexpected: 0,
    });
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
