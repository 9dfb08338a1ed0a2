/**
 * Source cursors stored in the lake under `_checkpoints/`, and the protocol that makes a
 * batch file and the source position it covers one atomic fact.
 *
 * Before a batch file is put, its cursor file is put in the form
 * `{"version":2,"cursor":<before>,"pending":{"file":<batch path>,"cursor":<after>}}`.
 * Reading a cursor resolves the pending part from what is in the lake: if the batch file
 * exists, the position is `<after>`, else `<before>`. The batch file's own atomic put (a
 * rename, or one S3 PUT) therefore decides, so a crash at any point neither loses nor
 * duplicates. Cursors only move forwards: a new position is merged into the stored one
 * ({@link mergeCursor}).
 */
import type { Lake } from "../lake/types.ts";
import type { Checkpoint } from "./types.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The stored form of a cursor (version 2; a plain JSON value is read as a committed cursor). */
export interface StoredCursor {
  version: 2;
  /** The position covered by the batch files in the lake. */
  cursor: unknown;
  /** A batch file being put: once it exists in the lake, the position is `pending.cursor`. */
  pending?: { file: string; cursor: unknown };
}

function isStored(v: unknown): v is StoredCursor {
  return typeof v === "object" && v !== null && (v as { version?: unknown }).version === 2 &&
    "cursor" in v;
}

/** Whether `path` exists in `lake`. */
export async function lakeHas(lake: Lake, path: string): Promise<boolean> {
  if (lake.exists) return await lake.exists(path);
  const folder = path.slice(0, path.lastIndexOf("/") + 1);
  return (await lake.list(folder)).some((f) => f.path === path);
}

/** Reads the raw stored cursor at `path` (resolving nothing); undefined when there is none. */
export async function readStoredCursor(lake: Lake, path: string): Promise<unknown> {
  let bytes: Uint8Array;
  try {
    bytes = await lake.get(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw e;
  }
  try {
    return JSON.parse(decoder.decode(bytes));
  } catch (e) {
    throw new Error(
      `checkpoint ${lake.url}/${path} is not valid JSON (${(e as Error).message}); ` +
        `delete it to start over`,
    );
  }
}

/**
 * Reads a cursor, resolved against the lake: a pending batch counts once its file exists.
 * Undefined when there is none yet.
 */
export async function readCheckpoint<T>(lake: Lake, path: string): Promise<T | undefined> {
  const stored = await readStoredCursor(lake, path);
  if (!isStored(stored)) return stored as T | undefined;
  const { cursor, pending } = stored;
  if (pending && await lakeHas(lake, pending.file)) {
    return mergeCursor(cursor, pending.cursor) as T;
  }
  return (cursor ?? undefined) as T | undefined;
}

/** The bytes of a stored cursor. */
export function encodeStoredCursor(
  cursor: unknown,
  pending?: { file: string; cursor: unknown },
): Uint8Array {
  const v: StoredCursor = { version: 2, cursor: cursor ?? null, ...(pending ? { pending } : {}) };
  return encoder.encode(JSON.stringify(v));
}

/** A checkpoint holding `value` (a JSON cursor). */
export function jsonCheckpoint(path: string, value: unknown): Checkpoint {
  return { path, value };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Merges two cursors so the result is never behind either: numbers take the larger,
 * objects merge key by key, a missing or null side takes the other; anything else takes `b`.
 */
export function mergeCursor(a: unknown, b: unknown): unknown {
  if (a === undefined || a === null) return b;
  if (b === undefined || b === null) return a;
  if (typeof a === "number" && typeof b === "number") return Math.max(a, b);
  if (isPlainObject(a) && isPlainObject(b)) {
    const out: Record<string, unknown> = { ...a };
    for (const [k, v] of Object.entries(b)) out[k] = mergeCursor(a[k], v);
    return out;
  }
  return b;
}

/** Whether the cursor `reached` already covers `position` (merging adds nothing). */
export function covers(reached: unknown, position: unknown): boolean {
  return JSON.stringify(mergeCursor(reached, position)) === JSON.stringify(reached);
}

/** The number at `path` inside a cursor (0 when absent). */
export function cursorAt(cursor: unknown, path: readonly string[]): number {
  let v: unknown = cursor;
  for (const k of path) v = isPlainObject(v) ? v[k] : undefined;
  return typeof v === "number" ? v : 0;
}
