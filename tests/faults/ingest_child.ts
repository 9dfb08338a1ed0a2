/**
 * A replay ingest in its own process with one fault armed (see faulty_lake.ts), for the
 * kill -9 experiments. Usage: `deno run -A ingest_child.ts '<json ChildConfig>'`.
 * Exit 0: finished; 1: the ingest failed (message on stderr); killed: signal 9.
 */
import { ingest, replaySource } from "../../lib/ingest/mod.ts";
import { localLake } from "../../lib/lake/local.ts";
import { spillLake } from "../../lib/ingest/spill.ts";
import { type FaultPoint, faultyLake } from "./faulty_lake.ts";

/** What the child runs. */
export interface ChildConfig {
  input: string;
  lake: string;
  spillDir: string;
  batchEvents: number;
  /** A fault in the lake. */
  lakeFault?: FaultPoint;
  /** A fault in the spill. */
  spillFault?: FaultPoint;
  /** Events per second (default: as fast as possible). */
  rate?: number;
}

if (import.meta.main) {
  const cfg: ChildConfig = JSON.parse(Deno.args[0]);
  const base = localLake(cfg.lake);
  const lake = faultyLake(base, cfg.lakeFault);
  try {
    const r = await ingest({
      source: replaySource({ input: cfg.input, rate: cfg.rate }),
      lake,
      spill: faultyLake(spillLake(cfg.spillDir, base), cfg.spillFault),
      batch: { maxEvents: cfg.batchEvents },
      retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 },
      handleSignals: true,
    });
    console.log(JSON.stringify({ events: r.events, files: r.files }));
  } catch (e) {
    console.error((e as Error).message);
    Deno.exit(1);
  }
}
