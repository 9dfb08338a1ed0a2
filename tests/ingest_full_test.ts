/**
 * Lake and spill both full: exact counts of what is where; a live source holds what neither
 * took in memory, stops reading, and stores it once the spill takes it again.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { ingest, IngestError, replaySource, type Source } from "../lib/ingest/mod.ts";
import { spillLake } from "../lib/ingest/spill.ts";
import { openLake } from "../lib/lake/mod.ts";
import type { Lake } from "../lib/lake/types.ts";
import { compare, idCounts, makeInput } from "./faults/support.ts";

const enc = new TextEncoder();

/** A lake whose batch-file puts fail with "no space" from the `from`-th on, for `times` puts. */
function full(lake: Lake, from: number, times = Infinity): Lake {
  let n = 0;
  let failed = 0;
  return {
    ...lake,
    put(path, data) {
      if (path.startsWith("raw/") && ++n >= from && failed < times) {
        failed++;
        return Promise.reject(new Error("No space left on device (os error 28)"));
      }
      return lake.put(path, data);
    },
  };
}

Deno.test("ingest full: lake and spill full, a replay says exactly what is where", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    await makeInput(join(tmp, "in"), 1, 300);
    const lake = openLake(join(tmp, "lake"));
    const err = await ingest({
      source: replaySource({ input: join(tmp, "in") }),
      lake: full(lake, 2),
      spill: full(spillLake(join(tmp, "spill"), lake), 1),
      batch: { maxEvents: 50 },
      retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 },
      handleSignals: false,
    }).then(() => undefined, (e) => e);
    assert.ok(err instanceof IngestError, String(err));
    const s = err.stats;
    assert.equal(s.stored, 50);
    assert.equal(s.spilled, 0);
    assert.equal(s.stored + s.spilled + s.held, s.events, "every accepted event is counted once");
    assert.match(
      err.message,
      new RegExp(
        `Of ${s.events} events accepted, 50 are in the lake \\(1 files\\), 0 in the spill .*` +
          `and ${s.held} in neither: the source's cursor stays before them`,
      ),
    );
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("ingest full: a live source keeps what neither took in memory, stops reading, and spills it once it can", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    const ids = Array.from({ length: 200 }, (_, i) => `e${i}`);
    let offered = 0;
    const live: Source = {
      name: "live",
      live: true,
      async *events(ctx) {
        for (let i = 0; i < ids.length && !ctx.signal.aborted; i += 20) {
          offered += 20;
          yield {
            lines: ids.slice(i, i + 20).map((id) => enc.encode(JSON.stringify({ data: { id } }))),
          };
          await new Promise((r) => setTimeout(r, 1));
        }
        await new Promise<void>((r) => ctx.signal.addEventListener("abort", () => r()));
      },
    };
    const lakeDir = join(tmp, "lake");
    const lake = openLake(lakeDir);
    const logs: string[] = [];
    const err = await ingest({
      source: live,
      lake: full(lake, 2),
      spill: full(spillLake(join(tmp, "spill"), lake), 1, 3),
      batch: { maxEvents: 20 },
      retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 },
      handleSignals: false,
      heldRetryMs: 5,
      log: (m) => logs.push(m),
    }).then(() => undefined, (e) => e);
    assert.ok(err instanceof IngestError, String(err));
    assert.ok(offered < ids.length, "it stopped reading the source");
    assert.match(logs.join("\n"), /stopped reading: \d+ events are held in memory .*No space left/);
    assert.match(logs.join("\n"), /the held events of live are in the spill now/);
    const s = err.stats;
    assert.equal(s.held, 0);
    assert.equal(s.stored + s.spilled, s.events, "nothing dropped");
    // the next run uploads the spill: every accepted event is in the lake exactly once
    const next = await ingest({
      source: { name: "live", live: true, events: async function* () {} },
      lake,
      spillDir: join(tmp, "spill"),
      handleSignals: false,
    });
    assert.equal(next.recovered > 0, true);
    const counts = await idCounts(lakeDir);
    const accepted = ids.slice(0, s.events);
    assert.deepEqual(compare(accepted, counts), { lost: 0, duplicated: 0, unexpected: 0 });
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
