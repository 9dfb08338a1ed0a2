/** Source cursors stored in the lake under `_checkpoints/`, written after the files they cover. */
import type { Lake } from "../lake/types.ts";
import type { Checkpoint } from "./types.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Reads a JSON checkpoint; undefined when there is none yet. */
export async function readCheckpoint<T>(lake: Lake, path: string): Promise<T | undefined> {
  let bytes: Uint8Array;
  try {
    bytes = await lake.get(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw e;
  }
  try {
    return JSON.parse(decoder.decode(bytes)) as T;
  } catch (e) {
    throw new Error(
      `checkpoint ${lake.url}/${path} is not valid JSON (${(e as Error).message}); ` +
        `delete it to start over`,
    );
  }
}

/** A checkpoint holding `value` as JSON. */
export function jsonCheckpoint(path: string, value: unknown): Checkpoint {
  return { path, data: encoder.encode(JSON.stringify(value)) };
}
