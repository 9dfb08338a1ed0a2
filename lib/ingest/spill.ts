/**
 * The local spill: when the lake stays unreachable, the files the writer could not put
 * are kept under `<spillDir>/<lake id>/<lake path>`, and the next run puts them first
 * (batch files before checkpoints, so a checkpoint never runs ahead of its events).
 */
import { join } from "node:path";
import { localLake } from "../lake/local.ts";
import type { Lake } from "../lake/types.ts";

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

/**
 * Puts every spilled file into `lake` (batch files first, checkpoints last), deleting each
 * from the spill once it is stored. Returns how many files were uploaded.
 */
export async function uploadSpill(spillDir: string, lake: Lake): Promise<number> {
  const spill = spillLake(spillDir, lake);
  const files = await spill.list("");
  const rank = (p: string) => (p.startsWith("_checkpoints/") ? 1 : 0);
  files.sort((a, b) => rank(a.path) - rank(b.path) || (a.path < b.path ? -1 : 1));
  for (const f of files) {
    await lake.put(f.path, await spill.get(f.path));
    await spill.delete(f.path);
  }
  return files.length;
}
