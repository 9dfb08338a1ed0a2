/** Opens a lake from a location: a local folder, or `s3://bucket/prefix`. */
import { localLake } from "./local.ts";
import { s3Lake, type S3LakeOptions } from "./s3.ts";
import type { Lake } from "./types.ts";

export type { Lake, LakeFile } from "./types.ts";
export { localLake } from "./local.ts";
export { isPermanent, LakePermanentError } from "./errors.ts";
export { parseS3Url, s3Lake, type S3LakeOptions } from "./s3.ts";

/** Options of {@link openLake}: S3 settings, used when the location is `s3://…`. */
export type OpenLakeOptions = S3LakeOptions;

/**
 * Opens the lake at `location`: a folder path, or `s3://bucket/prefix` (endpoint, region
 * and credentials from `options` or the standard AWS environment variables / profile).
 */
export function openLake(location: string, options: OpenLakeOptions = {}): Lake {
  if (location.startsWith("s3://")) return s3Lake(location, options);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(location)) {
    throw new Error(`unsupported lake location ${location}: use a folder or s3://bucket/prefix`);
  }
  return localLake(location);
}
