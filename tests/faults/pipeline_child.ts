/**
 * The pipeline (replay ingest → dataflow update → sentiment) in its own process, killed
 * with SIGKILL at one chosen point, for the kill -9 experiments. Sentiment uses the tests'
 * keyword classifier (the fault is in the database writes, not the model).
 * Usage: `deno run -A pipeline_child.ts '<json PipelineChildConfig>'`.
 */
import { DEFAULTS } from "../../lib/config.ts";
import { runUpdate } from "../../lib/dataflow/mod.ts";
import { ingest, replaySource } from "../../lib/ingest/mod.ts";
import { spillLake } from "../../lib/ingest/spill.ts";
import { localLake } from "../../lib/lake/local.ts";
import { scoreNew } from "../../lib/sentiment/score.ts";
import { keywordClassifier } from "../fixtures/sentiment/helpers.ts";
import { type FaultPoint, faultyLake } from "./faulty_lake.ts";

/** Where the child dies. */
export type PipelineKill =
  | { stage: "ingest"; at: FaultPoint }
  | { stage: "dataflow"; dataset: string }
  | { stage: "sentiment"; afterRows: number };

/** What the child runs. */
export interface PipelineChildConfig {
  input: string;
  lake: string;
  db: string;
  spillDir: string;
  batchEvents: number;
  kill?: PipelineKill;
}

const die = () => Deno.kill(Deno.pid, "SIGKILL");

if (import.meta.main) {
  const cfg: PipelineChildConfig = JSON.parse(Deno.args[0]);
  const kill = cfg.kill;
  const base = localLake(cfg.lake);
  await ingest({
    source: replaySource({ input: cfg.input }),
    lake: faultyLake(base, kill?.stage === "ingest" ? kill.at : undefined),
    spill: spillLake(cfg.spillDir, base),
    batch: { maxEvents: cfg.batchEvents },
    handleSignals: false,
  });
  await runUpdate({
    pipeline: DEFAULTS.pipeline,
    lake: cfg.lake,
    db: cfg.db,
    onProgress: (e) => {
      if (kill?.stage === "dataflow" && e.dataset === kill.dataset && e.phase === "start") die();
    },
  });
  await scoreNew({
    db: cfg.db,
    classifier: keywordClassifier(),
    chunkSize: 64,
    batchSize: 16,
    onProgress: (p) => {
      if (kill?.stage === "sentiment" && p.done >= kill.afterRows) die();
    },
  });
  console.log("DONE");
}
