/** Opens a lake from a location: a local folder, or `s3://bucket/prefix`. */
import { localLake } from "./local.ts";
import type { Lake } from "./types.ts";

export type { Lake, LakeFile } from "./types.ts";

/** Opens the lake at `location` (a folder path; S3 support is added by lib/lake/s3.ts). */
export function openLake(location: string): Lake {
  if (location.startsWith("s3://")) {
    throw new Error("S3 lakes are not built yet (lib/lake/s3.ts)");
  }
  return localLake(location);
}
