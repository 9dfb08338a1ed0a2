/**
 * Replay: NDJSON files (the bundled sample or a user's folder) as a stream, optionally
 * paced. A cursor in the lake (`_checkpoints/replay/<input id>.json`: lines delivered per
 * file) makes a second replay of the same input write nothing new.
 */
import { basename, extname, isAbsolute, relative, resolve, sep } from "node:path";
import { jsonCheckpoint, readCheckpoint } from "./checkpoint.ts";
import { INGEST_DEFAULTS } from "./config.ts";
import { isJsonObjectLine } from "./json_check.ts";
import { readLines } from "./lines.ts";
import { sleepUnlessAborted } from "./queue.ts";
import { stableId } from "./spill.ts";
import type { Chunk, Source, SourceContext } from "./types.ts";
import { DEFAULTS, REPO_ROOT } from "../config.ts";

/** Options of {@link replaySource}. */
export interface ReplayOptions {
  /** A folder of `*.ndjson` / `*.jsonl` / `*.json` files, or one file (default: the sample). */
  input?: string;
  /** Lake folder under `raw/` to write into (default `x`). */
  as?: string;
  /** Events per second to imitate a live stream (default: as fast as possible). */
  rate?: number;
  /** Ignore the stored cursor and replay everything again. */
  fromStart?: boolean;
  /**
   * What to do when an earlier replay already delivered all of the input: `stop` (default:
   * nothing new is written) or `restart` (replay it all again from the start, so a demo always
   * shows activity; the events land again, and silver drops the repeated ids).
   */
  onceDone?: "stop" | "restart";
  /** Events per chunk when not paced (default 1000). */
  chunkLines?: number;
}

/** The stored replay cursor. */
export interface ReplayCursor {
  input: string;
  /** Per input file name, how many events (non-blank lines) were delivered. */
  files: Record<string, number>;
}

const EXTENSIONS = new Set([".ndjson", ".jsonl", ".json"]);

/** Lists the input files of a replay, sorted by name; a clear error if there are none. */
export async function replayFiles(input: string): Promise<string[]> {
  let stat: Deno.FileInfo;
  try {
    stat = await Deno.stat(input);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) throw new Error(`replay input not found: ${input}`);
    throw e;
  }
  if (stat.isFile) return [input];
  const files: string[] = [];
  for await (const e of Deno.readDir(input)) {
    if (e.isFile && EXTENSIONS.has(extname(e.name))) files.push(resolve(input, e.name));
  }
  if (files.length === 0) {
    throw new Error(`replay input ${input} holds no .ndjson, .jsonl or .json files`);
  }
  return files.sort();
}

/**
 * The lake path of the replay cursor for `input`: stable for a given folder (inside the
 * repository, for its path relative to the root, so a moved checkout keeps its cursor).
 */
export function replayCheckpointPath(input: string): string {
  const abs = resolve(input);
  const rel = relative(REPO_ROOT, abs);
  const key = rel && !rel.startsWith("..") && !isAbsolute(rel)
    ? `repo:${rel.split(sep).join("/")}`
    : abs;
  const name = basename(abs).replace(/[^A-Za-z0-9._-]+/g, "_");
  return `_checkpoints/replay/${name}-${stableId(key)}.json`;
}

/** Whether the cursor `done` covers every event of `files`. */
async function allDelivered(files: string[], done: Record<string, number>): Promise<boolean> {
  for (const file of files) {
    if ((done[basename(file)] ?? 0) < readLines(await Deno.readFile(file)).length) return false;
  }
  return true;
}

/** A source that replays NDJSON files, resuming after what an earlier replay delivered. */
export function replaySource(opts: ReplayOptions = {}): Source {
  const input = resolve(opts.input ?? DEFAULTS.sample);
  const rate = opts.rate;
  if (rate !== undefined && !(rate > 0)) throw new Error(`replay rate must be > 0, got ${rate}`);
  const chunkLines = rate ? Math.max(1, Math.round(rate / 20)) : opts.chunkLines ?? 1000;
  const cursorPath = replayCheckpointPath(input);
  return {
    name: opts.as ?? INGEST_DEFAULTS.replayAs,
    kind: "replay",
    async *events(ctx: SourceContext): AsyncGenerator<Chunk> {
      const files = await replayFiles(input);
      const stored = opts.fromStart
        ? undefined
        : await readCheckpoint<ReplayCursor>(ctx.lake, cursorPath);
      let done: Record<string, number> = { ...stored?.files };
      if (opts.onceDone === "restart" && stored && await allDelivered(files, done)) done = {};
      const started = performance.now();
      let sent = 0;
      // Read the next file while this one is being delivered.
      let next: Promise<Uint8Array> | undefined = files.length
        ? Deno.readFile(files[0])
        : undefined;
      try {
        for (const [index, file] of files.entries()) {
          const name = basename(file);
          const bytes = await next!;
          next = index + 1 < files.length ? Deno.readFile(files[index + 1]) : undefined;
          next?.catch(() => {}); // awaited (and thrown) on the next turn
          const all = readLines(bytes);
          const skip = done[name] ?? 0;
          if (skip >= all.length) continue;
          const before = { ...done };
          for (let at = skip; at < all.length; at += chunkLines) {
            if (ctx.signal.aborted) return;
            if (rate) {
              const due = started + (sent / rate) * 1000 - performance.now();
              if (due > 0) await sleepUnlessAborted(due, ctx.signal);
              if (ctx.signal.aborted) return;
            }
            const lines = all.slice(at, at + chunkLines);
            let malformed: Set<number> | undefined;
            for (let i = 0; i < lines.length; i++) {
              if (!isJsonObjectLine(lines[i])) (malformed ??= new Set()).add(i);
            }
            const base = at;
            sent += lines.length;
            yield {
              lines,
              malformed,
              positions: { path: ["files", name], first: base + 1 },
              checkpoint: (n) =>
                jsonCheckpoint(cursorPath, { input, files: { ...before, [name]: base + n } }),
            };
          }
          done[name] = all.length;
        }
      } finally {
        await next?.catch(() => {}); // leave no read running
      }
    },
  };
}
