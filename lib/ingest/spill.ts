/**
 * The local spill: when the lake stays unreachable, the files the writer could not put
 * are kept under `<spillDir>/<lake id>/<lake path>`, each with a record of the source
 * positions it covers (`_spill/<lake path>.json`). The next run puts them first, in order,
 * with the same atomic cursor protocol as the writer, and skips what the lake already holds:
 * a spill uploaded late never moves a cursor backwards nor adds a line twice.
 */
import { join } from "node:path";
import { localLake } from "../lake/local.ts";
import type { Lake } from "../lake/types.ts";
import {
  covers,
  cursorAt,
  encodeStoredCursor,
  lakeHas,
  mergeCursor,
  readCheckpoint,
  readStoredCursor,
} from "./checkpoint.ts";
import { readLines } from "./lines.ts";
import type { Segment } from "./writer.ts";

/** What the spill keeps beside a batch file: the positions it covers. */
export interface SpillRecord {
  /** The batch file's lake path. */
  file: string;
  /** Events in the file. */
  lines: number;
  /** The lake path of the source cursor, when the source has one. */
  cursor?: string;
  /** The cursor once this file is in the lake. */
  to?: unknown;
  /** The position of each line, in runs (when the source gives them; an empty path: none). */
  segments?: Segment[];
}

/** What {@link uploadSpill} did. */
export interface SpillUpload {
  /** Batch files put into the lake. */
  files: number;
  /** Events put into the lake. */
  events: number;
  /** Events left out because the lake's cursor already covered them. */
  skipped: number;
}

const RECORDS = "_spill/";
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Where the spill keeps the record of the batch file at `path`. */
export function spillRecordPath(path: string): string {
  return `${RECORDS}${path}.json`;
}

/** A short stable id for a string (FNV-1a, 32 bits, hex). */
export function stableId(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, "0");
}

/** The spill folder that belongs to `lake` (readable name plus a hash of its URL). */
export function spillFolder(spillDir: string, lake: Lake): string {
  const slug = lake.url.replace(/^[a-z0-9]+:\/\//i, "").replace(/[^A-Za-z0-9._-]+/g, "_")
    .slice(-48);
  return join(spillDir, `${slug}-${stableId(lake.url)}`);
}

/** Opens the spill of `lake` as a local lake whose paths mirror the lake's. */
export function spillLake(spillDir: string, lake: Lake): Lake {
  return localLake(spillFolder(spillDir, lake));
}

/** The lines of `data` whose positions the cursor `reached` does not cover yet. */
function uncovered(data: Uint8Array, record: SpillRecord, reached: unknown): Uint8Array[] {
  const lines = readLines(data);
  const out: Uint8Array[] = [];
  let i = 0;
  for (const seg of record.segments ?? []) {
    const done = seg.path.length ? cursorAt(reached, seg.path) : -Infinity;
    for (let k = 0; k < seg.count && i < lines.length; k++, i++) {
      if (seg.first + k > done) out.push(lines[i]);
    }
  }
  out.push(...lines.slice(i)); // lines without a position are kept
  return out;
}

function joinLines(lines: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(lines.reduce((n, l) => n + l.length + 1, 0));
  let at = 0;
  for (const l of lines) {
    out.set(l, at);
    at += l.length;
    out[at++] = 10;
  }
  return out;
}

/**
 * Puts every spilled batch file into `lake`, oldest first, deleting each from the spill once
 * stored. A file's cursor is stored with it as one atomic fact; lines the lake's cursor
 * already covers (another run delivered them) are left out and counted as skipped. Cursor
 * files spilled by older versions are merged, never moving the lake's cursor back.
 */
export async function uploadSpill(spill: Lake, lake: Lake): Promise<SpillUpload> {
  const done: SpillUpload = { files: 0, events: 0, skipped: 0 };
  for (const f of await spill.list("raw/")) {
    const data = await spill.get(f.path);
    const recordPath = spillRecordPath(f.path);
    let record: SpillRecord | undefined;
    try {
      record = JSON.parse(decoder.decode(await spill.get(recordPath)));
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
    if (!record?.cursor) {
      await lake.put(f.path, data);
      done.files++;
      done.events += record?.lines ?? readLines(data).length;
    } else {
      const reached = await readCheckpoint<unknown>(lake, record.cursor);
      const keep = reached === undefined ? readLines(data) : uncovered(data, record, reached);
      const total = record.lines;
      if (keep.length > 0 && !(reached !== undefined && covers(reached, record.to))) {
        const to = mergeCursor(reached, record.to);
        const body = keep.length === total ? data : joinLines(keep);
        await lake.put(record.cursor, encodeStoredCursor(reached, { file: f.path, cursor: to }));
        await lake.put(f.path, body);
        await lake.put(record.cursor, encodeStoredCursor(to));
        done.files++;
        done.events += keep.length;
        done.skipped += total - keep.length;
      } else done.skipped += total;
    }
    await spill.delete(f.path);
    await spill.delete(recordPath);
  }
  // records whose file never made it into the spill (a crash between the two puts)
  for (const r of await spill.list(RECORDS)) {
    if (!await lakeHas(spill, r.path.slice(RECORDS.length, -".json".length))) {
      await spill.delete(r.path);
    }
  }
  // cursor files spilled by older versions: merged, so the lake's cursor never moves back
  for (const f of await spill.list("_checkpoints/")) {
    const spilled = await readStoredCursor(spill, f.path);
    const reached = await readCheckpoint<unknown>(lake, f.path);
    const value = (spilled as { version?: number })?.version === 2
      ? (spilled as { cursor: unknown }).cursor
      : spilled;
    await lake.put(f.path, encodeStoredCursor(mergeCursor(reached, value)));
    await spill.delete(f.path);
  }
  return done;
}

/** Encodes a record (used by the writer). */
export function encodeSpillRecord(record: SpillRecord): Uint8Array {
  return encoder.encode(JSON.stringify(record));
}
