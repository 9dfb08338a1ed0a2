/** The contracts between event sources and the ingest writer. */
import type { Lake } from "../lake/types.ts";

/** A file the writer puts into the lake after the events it covers (a source's resume cursor). */
export interface Checkpoint {
  /** Lake path, e.g. `_checkpoints/jetstream.json`. */
  path: string;
  data: Uint8Array;
}

/**
 * A run of events from a source, each exactly as received (one line, no newline).
 * The writer may split a chunk across files, so the checkpoint is asked for a prefix.
 */
export interface Chunk {
  lines: Uint8Array[];
  /** Indexes (into `lines`) of events that are not well-formed JSON objects. */
  malformed?: ReadonlySet<number>;
  /** The checkpoint to store once the first `n` lines of this chunk are safely in the lake. */
  checkpoint?: (n: number) => Checkpoint;
}

/** What a source gets when it starts. */
export interface SourceContext {
  /** The lake being written (sources read their checkpoints from it). */
  lake: Lake;
  /** Aborted on stop (max events, duration, Ctrl-C, SIGTERM, failure): end the iteration then. */
  signal: AbortSignal;
  /** Reports something worth telling the user (a reconnect, a rules change). */
  log(message: string): void;
}

/** A stream of events: X filtered stream, Bluesky Jetstream, or a replay of files. */
export interface Source {
  /** The lake folder under `raw/` (`x`, `jetstream`). */
  readonly name: string;
  /** Yields chunks until the input ends or `ctx.signal` is aborted. */
  events(ctx: SourceContext): AsyncIterable<Chunk>;
}

/** Counters of one ingest run. */
export interface IngestStats {
  /** Events accepted from the source (all of them are in the lake or the spill). */
  events: number;
  /** Accepted events that are not well-formed JSON objects (written as received). */
  malformed: number;
  /** Batch files put into the lake. */
  files: number;
  /** Bytes put into the lake in batch files. */
  bytes: number;
  /** Seconds since the run started. */
  seconds: number;
  /** Events saved to the local spill because the lake was unreachable. */
  spilled: number;
  /** Files uploaded from an earlier run's spill before this run started. */
  recovered: number;
}
