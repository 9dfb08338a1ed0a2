/** The contracts between event sources and the ingest writer. */
import type { Lake } from "../lake/types.ts";

/**
 * A source's resume cursor after some of its events: the writer stores it in the lake with
 * the batch file that holds those events, as one atomic fact (see `checkpoint.ts`).
 */
export interface Checkpoint {
  /** Lake path, e.g. `_checkpoints/jetstream.json`. */
  path: string;
  /** The cursor, a JSON value whose numbers only grow (merged with the stored one, never behind it). */
  value: unknown;
}

/**
 * Where the lines of a chunk sit in the source, as numbers at `path` inside the cursor (e.g.
 * `["files", "a.ndjson"]` for replay, `["time_us"]` for Jetstream), so a spilled batch can
 * tell, line by line, what the lake already holds: line `i` is at `first + i`, or at
 * `each[i]` when given (undefined: a line without a position).
 */
export interface LinePositions {
  path: readonly string[];
  first: number;
  each?: readonly (number | undefined)[];
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
  /** Where each line sits in the source (replay, Jetstream). */
  positions?: LinePositions;
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
  /** What the source is, for messages (`replay`, `x`, `jetstream`; default `name`). */
  readonly kind?: string;
  /**
   * A live stream (X, Jetstream): what it delivered can't be asked for again, so events
   * neither the lake nor the spill took are held in memory rather than dropped.
   */
  readonly live?: boolean;
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
  /** Events in batch files in the lake (with `spilled` and `held`, all `events`). */
  stored: number;
  /** Events neither the lake nor the spill took (a live source holds them in memory). */
  held: number;
  /** Files uploaded from an earlier run's spill before this run started. */
  recovered: number;
}
