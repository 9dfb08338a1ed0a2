/** The lake: where ingest writes raw files and the dataflow's Autoloader finds them. */

/** One file in the lake; `path` is relative to the lake root, with `/` separators. */
export interface LakeFile {
  path: string;
  size: number;
  mtime: Date;
}

/** A local folder or an S3 prefix, behind one interface. */
export interface Lake {
  /** Where the lake lives, for messages (a folder path or `s3://bucket/prefix`); never holds secrets. */
  readonly url: string;
  /** Writes a whole file atomically: readers see all of it or nothing. */
  put(path: string, data: Uint8Array): Promise<void>;
  /** Reads a whole file. */
  get(path: string): Promise<Uint8Array>;
  /** Lists every file under `prefix` (recursively), sorted by path. */
  list(prefix: string): Promise<LakeFile[]>;
  /**
   * A local filesystem path holding the file's bytes, for DuckDB to read: the
   * file itself for a local lake, a staged copy for S3.
   */
  localPath(path: string): Promise<string>;
  /**
   * Writes a whole file only if none exists at `path`; returns false if one did. Local
   * folders guarantee it; S3 sends `If-None-Match: *`, which stores without conditional
   * writes ignore (the write then always happens).
   */
  putIfAbsent?(path: string, data: Uint8Array): Promise<boolean>;
  /**
   * Deletes the temporary files of writes that never finished (a killed process) under
   * `prefix`; returns how many. Only for stores that have them (local folders).
   */
  removeTemp?(prefix: string): Promise<number>;
  /** Whether a file exists (a listing of its folder when absent). */
  exists?(path: string): Promise<boolean>;
  /** Deletes a file (no error if it is already gone). */
  delete(path: string): Promise<void>;
  /** Releases connections (S3); optional, a no-op for a local folder. */
  close?(): void;
}
