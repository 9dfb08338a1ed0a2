/**
 * The batch writer: collects events into NDJSON files under
 * `raw/<source>/date=YYYY-MM-DD/<time>-<seq>-<run>.ndjson`, rotating by count, bytes and
 * age. A file with a source cursor is stored as one atomic fact (see `checkpoint.ts`): the
 * cursor is put naming the file as pending, then the file in one atomic write (retried).
 * When the lake stays unreachable, the file and everything after it go to the spill, each
 * with the positions it covers.
 */
import { isPermanent } from "../lake/errors.ts";
import type { Lake } from "../lake/types.ts";
import { encodeStoredCursor, mergeCursor, readCheckpoint } from "./checkpoint.ts";
import type { BatchLimits, RetryPolicy } from "./config.ts";
import { encodeSpillRecord, type SpillRecord, spillRecordPath } from "./spill.ts";
import type { Checkpoint, Chunk, LinePositions } from "./types.ts";

/** What the writer reports as it goes. */
export interface WriterCounters {
  events: number;
  malformed: number;
  files: number;
  bytes: number;
  spilled: number;
  /** Events in batch files in the lake. */
  stored: number;
  /** Events neither the lake nor the spill took (held in memory, in order). */
  held: number;
}

/** Options of a {@link BatchWriter}. */
export interface WriterOptions {
  lake: Lake;
  /** Lake folder under `raw/`. */
  source: string;
  limits: BatchLimits;
  retry: RetryPolicy;
  /** Where files go when the lake is unreachable (a local lake mirroring its paths). */
  spill: Lake;
  /** Called after each file is stored (in the lake or the spill). */
  onFile?: (path: string) => void;
  /** Called before each file is put into the lake; throwing stops the writer (the lock is gone). */
  beforePut?: () => Promise<void>;
  /** Clock, for tests. */
  now?: () => Date;
}

interface Batch {
  lines: Uint8Array[];
  bytes: number;
  openedAt: number;
  /** The checkpoint of the last line: its chunk's function and the lines taken from it. */
  checkpointOf?: (n: number) => Checkpoint;
  checkpointAt: number;
  /** Runs of consecutive source positions, in line order (when the source gives them). */
  segments: Segment[];
}

/**
 * `count` lines whose positions are `first`, `first + 1`, … at `path` in the cursor (an
 * empty `path`: lines without a position).
 */
export interface Segment {
  path: readonly string[];
  first: number;
  count: number;
}

/** Raised when the lake stayed unreachable; what could not be written is in the spill. */
export class LakeUnreachableError extends Error {
  /** Creates the error for `lake`, naming the spill folder. */
  constructor(lakeUrl: string, spillUrl: string, cause: unknown) {
    const why = cause instanceof Error ? cause.message : String(cause);
    super(
      `the lake ${lakeUrl} is unreachable (${why}); events not written are saved in ` +
        `${spillUrl} and will be uploaded first by the next run`,
      { cause },
    );
    this.name = "LakeUnreachableError";
  }
}

const NEWLINE = 10;

/** Formats the time part of a file name: `HHMMSSmmm` (UTC). */
function timePart(d: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  return `${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}${
    p(d.getUTCMilliseconds(), 3)
  }`;
}

/** The lines joined with newlines into a new buffer of `size` bytes. */
function concatLines(lines: Uint8Array[], size: number): Uint8Array {
  const data = new Uint8Array(size);
  let at = 0;
  for (const line of lines) {
    data.set(line, at);
    at += line.length;
    data[at++] = NEWLINE;
  }
  return data;
}

/**
 * When the lines are consecutive views of one buffer, each followed by a newline (a replayed
 * file), that buffer already holds the batch file: returns that view instead of a copy.
 */
function inPlace(lines: Uint8Array[], size: number): Uint8Array | undefined {
  const first = lines[0];
  const all = new Uint8Array(first.buffer);
  let next = first.byteOffset;
  for (const line of lines) {
    if (line.buffer !== first.buffer || line.byteOffset !== next) return undefined;
    next += line.length;
    if (all[next] !== NEWLINE) return undefined;
    next++;
  }
  return new Uint8Array(first.buffer, first.byteOffset, size);
}

/** Records the position of line `i` of a chunk (none without `positions`) as it joins the batch. */
function addPosition(segments: Segment[], positions: LinePositions | undefined, i: number): void {
  const at = positions ? (positions.each ? positions.each[i] : positions.first + i) : undefined;
  const path = at === undefined ? [] : positions!.path;
  const last = segments[segments.length - 1];
  const key = (p: readonly string[]) => p.join("\u0000");
  if (
    last && key(last.path) === key(path) && (at === undefined || last.first + last.count === at)
  ) {
    last.count++;
  } else segments.push({ path, first: at ?? 0, count: 1 });
}

/** Sleeps `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Collects events into batch files and stores them in order. */
export class BatchWriter {
  /** Running totals. */
  readonly counters: WriterCounters = {
    events: 0,
    malformed: 0,
    files: 0,
    bytes: 0,
    spilled: 0,
    stored: 0,
    held: 0,
  };
  /** Why the spill did not take a file, while files are held in memory. */
  spillFailure: unknown;
  #held: { path: string; data: Uint8Array; record: SpillRecord }[] = [];
  /** Set once a write failed for good; later files go straight to the spill. */
  failure: LakeUnreachableError | undefined;

  #opts: WriterOptions;
  #now: () => Date;
  #run = crypto.randomUUID().slice(0, 8);
  #seq = 0;
  #batch: Batch | undefined;
  #queue: Promise<void> = Promise.resolve();
  #queued = 0;
  #fatal: unknown;
  #waiters: (() => void)[] = [];
  /** Per cursor path: the position the batch files in the lake cover. */
  #committed = new Map<string, unknown>();
  /** Per cursor path: the position of everything stored (lake or spill). */
  #reached = new Map<string, unknown>();

  /** Creates a writer; nothing touches the lake until the first file is full or flushed. */
  constructor(opts: WriterOptions) {
    this.#opts = opts;
    this.#now = opts.now ?? (() => new Date());
  }

  /** The error that stopped storing for good (a permanent lake error), if any. */
  get fatal(): unknown {
    return this.#fatal;
  }

  /** Files sealed but not yet stored. */
  get backlog(): number {
    return this.#queued;
  }

  /** Adds the first `count` lines of `chunk` (all by default), sealing files as they fill. */
  add(chunk: Chunk, count = chunk.lines.length): void {
    const { maxEvents, maxBytes } = this.#opts.limits;
    for (let i = 0; i < count; i++) {
      const line = chunk.lines[i];
      const b = this.#batch ??= {
        lines: [],
        bytes: 0,
        openedAt: Date.now(),
        checkpointAt: 0,
        segments: [],
      };
      b.lines.push(line);
      addPosition(b.segments, chunk.positions, i);
      b.bytes += line.length + 1;
      this.counters.events++;
      if (chunk.malformed?.has(i)) this.counters.malformed++;
      if (chunk.checkpoint) {
        b.checkpointOf = chunk.checkpoint;
        b.checkpointAt = i + 1;
      }
      if (b.lines.length >= maxEvents || b.bytes >= maxBytes) this.seal();
    }
  }

  /** Seals the open file if it is older than the age limit; returns whether it did. */
  sealIfOld(): boolean {
    if (this.#batch && Date.now() - this.#batch.openedAt >= this.#opts.limits.maxAgeMs) {
      this.seal();
      return true;
    }
    return false;
  }

  /** Closes the open file (if any) and queues it for storing. */
  seal(): void {
    const b = this.#batch;
    this.#batch = undefined;
    if (!b || b.lines.length === 0) return;
    const d = this.#now();
    const date = d.toISOString().slice(0, 10);
    const seq = String(++this.#seq).padStart(6, "0");
    const path = `raw/${this.#opts.source}/date=${date}/${timePart(d)}-${seq}-${this.#run}.ndjson`;
    this.#queued++;
    this.#queue = this.#queue.then(() => this.#store(path, b)).catch((e) => {
      this.#fatal ??= e;
    }).finally(() => {
      this.#queued--;
      this.#waiters.splice(0).forEach((wake) => wake());
    });
  }

  /** Waits until at most `backlog` sealed files are waiting to be stored (backpressure). */
  async ready(backlog: number): Promise<void> {
    while (this.#queued > backlog) await new Promise<void>((r) => this.#waiters.push(r));
  }

  /** Waits until every sealed file is stored (in the lake or the spill); throws if one could not be. */
  async drain(): Promise<void> {
    await this.#queue;
    if (this.#fatal) throw this.#fatal;
  }

  /** Seals the open file and waits for everything to be stored. */
  async close(): Promise<void> {
    this.seal();
    await this.drain();
    await this.#settleCursors().catch(() => {}); // only tidies: a pending cursor reads the same
  }

  async #store(path: string, b: Batch): Promise<void> {
    if (this.#fatal) throw this.#fatal;
    const data = inPlace(b.lines, b.bytes) ?? concatLines(b.lines, b.bytes);
    const checkpoint = b.checkpointOf?.(b.checkpointAt);
    const c = this.counters;
    let to: unknown;
    if (checkpoint) {
      // the stored position is read from the lake the first time; an unreachable lake leaves
      // it unknown here, which is safe for the spill: an upload merges with the lake's cursor
      await this.#loadCommitted(checkpoint.path).catch(() => {});
      to = mergeCursor(this.#reached.get(checkpoint.path), checkpoint.value);
      this.#reached.set(checkpoint.path, to);
    }
    await this.#opts.beforePut?.();
    if (!this.failure) {
      try {
        if (checkpoint) {
          await this.#loadCommitted(checkpoint.path);
          const committed = this.#committed.get(checkpoint.path);
          to = mergeCursor(committed, to);
          this.#reached.set(checkpoint.path, to);
          await this.#put(
            checkpoint.path,
            encodeStoredCursor(committed, { file: path, cursor: to }),
          );
          await this.#put(path, data);
          this.#committed.set(checkpoint.path, to);
        } else await this.#put(path, data);
        c.files++;
        c.bytes += data.length;
        c.stored += b.lines.length;
        this.#opts.onFile?.(path);
        return;
      } catch (e) {
        if (isPermanent(e)) throw e; // the lake said no for good: spilling would hide it
        this.failure = new LakeUnreachableError(this.#opts.lake.url, this.#opts.spill.url, e);
      }
    }
    // The lake is unreachable: keep the file, with the positions it covers, for the next run.
    const record: SpillRecord = {
      file: path,
      lines: b.lines.length,
      ...(checkpoint ? { cursor: checkpoint.path, to } : {}),
      ...(b.segments.some((g) => g.path.length) ? { segments: b.segments } : {}),
    };
    this.#held.push({ path, data, record });
    c.held += record.lines;
    await this.retryHeld();
  }

  /**
   * Tries to put the files held in memory into the spill, oldest first (order keeps the
   * positions right: nothing is spilled while an older file is still held). Returns how
   * many are still held.
   */
  async retryHeld(): Promise<number> {
    while (this.#held.length) {
      const { path, data, record } = this.#held[0];
      try {
        // the record first: a spilled file always has one (an orphan record is dropped on upload)
        await this.#opts.spill.put(spillRecordPath(path), encodeSpillRecord(record));
        await this.#opts.spill.put(path, data);
      } catch (e) {
        this.spillFailure = e;
        return this.#held.length;
      }
      this.#held.shift();
      this.counters.held -= record.lines;
      this.counters.spilled += record.lines;
      this.spillFailure = undefined;
      this.#opts.onFile?.(path);
    }
    return 0;
  }

  /** Reads the stored position of a cursor path from the lake, once. */
  async #loadCommitted(path: string): Promise<void> {
    if (this.#committed.has(path)) return;
    const stored = await readCheckpoint<unknown>(this.#opts.lake, path);
    this.#committed.set(path, stored);
    this.#reached.set(path, mergeCursor(stored, this.#reached.get(path)));
  }

  /** Clears the pending part of every cursor this writer stored (a crash leaves it resolvable). */
  async #settleCursors(): Promise<void> {
    if (this.failure) return;
    for (const [path, cursor] of this.#committed) {
      if (cursor === undefined) continue;
      await this.#put(path, encodeStoredCursor(cursor));
    }
  }

  async #put(path: string, data: Uint8Array): Promise<void> {
    const { attempts, baseDelayMs, maxDelayMs } = this.#opts.retry;
    for (let attempt = 1;; attempt++) {
      try {
        return await this.#opts.lake.put(path, data);
      } catch (e) {
        if (attempt >= attempts || isPermanent(e)) throw e;
        await sleep(Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1)));
      }
    }
  }
}
