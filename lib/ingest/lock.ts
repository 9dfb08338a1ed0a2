/**
 * One ingest per source and lake: a lock file `_locks/ingest-<source>.json` with its owner
 * and a heartbeat. A second ingest of the same source into the same lake is refused with
 * {@link IngestRunningError}. A lock whose heartbeat is older than its time-to-live, or whose
 * process is gone (same host), is taken over, saying so.
 *
 * Local lakes create the lock exclusively (a hard link, which fails if the file exists).
 * On S3 the lock is a lease object put with `If-None-Match: *`; a store that ignores that
 * header (older S3-compatible servers) makes the lease best effort: the owner is read back
 * after the put, which catches all but two ingests starting within the same moment.
 */
import type { Lake } from "../lake/types.ts";

/** What a lock file holds. */
export interface LockInfo {
  /** A random id of the ingest run that holds it. */
  owner: string;
  host: string;
  pid: number;
  /** The process's start time from /proc (Linux), to tell a reused pid apart. */
  pidStart?: string;
  source: string;
  started: string;
  /** ISO time of the last heartbeat. */
  heartbeat: string;
  /** Milliseconds after `heartbeat` at which the lock is stale. */
  ttlMs: number;
}

/** How long a lock lives without a heartbeat (the holder beats every third of it). */
export const LOCK_TTL_MS = 30_000;

/** Raised when another ingest of the same source into the same lake is running. */
export class IngestRunningError extends Error {
  /** Describes the running ingest that holds `lock`. */
  constructor(lakeUrl: string, readonly lock: LockInfo, ageMs: number) {
    super(
      `ingest is running: ${lock.source} into ${lakeUrl} is held by pid ${lock.pid} on ` +
        `${lock.host} (since ${lock.started}, last heartbeat ${(ageMs / 1000).toFixed(1)} s ` +
        `ago); stop it, or wait ${Math.ceil(Math.max(0, lock.ttlMs - ageMs) / 1000)} s ` +
        `after it died for the lock to go stale`,
    );
    this.name = "IngestRunningError";
  }
}

/** A held lock: beats in the background until released. */
export interface IngestLock {
  readonly info: LockInfo;
  /** Set when another process took the lock (this one must stop writing). */
  readonly lost: Error | undefined;
  /** Throws unless the lock is still this run's (read from the lake: a holder that slept past its TTL finds out before writing). */
  verify(): Promise<void>;
  /** Stops the heartbeat and deletes the lock if it is still this run's. */
  release(): Promise<void>;
}

/** Options of {@link acquireIngestLock}. */
export interface LockOptions {
  ttlMs?: number;
  log?: (message: string) => void;
  /** Called once if the lock is lost (another process took it over). */
  onLost?: (error: Error) => void;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The lake path of the lock of `source`. */
export function lockPath(source: string): string {
  return `_locks/ingest-${source}.json`;
}

/** This process's start time as /proc/<pid>/stat tells it (Linux), else undefined. */
export function processStart(pid: number): string | undefined {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

/** Owners of the locks this process holds now. */
const held = new Set<string>();

/** Whether the process that wrote `lock` is known to be gone (same host, Linux only). */
function holderIsGone(lock: LockInfo): boolean {
  if (lock.host !== Deno.hostname()) return false;
  // this process: a lock it no longer holds was left by a run that could not release it
  if (lock.pid === Deno.pid) return !held.has(lock.owner);
  if (lock.pidStart === undefined) return false;
  if (processStart(Deno.pid) === undefined) return false; // no /proc here: can't tell
  return processStart(lock.pid) !== lock.pidStart;
}

async function readLock(lake: Lake, path: string): Promise<LockInfo | undefined> {
  try {
    return JSON.parse(decoder.decode(await lake.get(path))) as LockInfo;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    if (e instanceof SyntaxError) return undefined; // a torn lock is no lock
    throw e;
  }
}

/**
 * Takes the ingest lock of `source` in `lake`, or throws {@link IngestRunningError}. The
 * returned lock beats every third of its time-to-live until released.
 */
export async function acquireIngestLock(
  lake: Lake,
  source: string,
  opts: LockOptions = {},
): Promise<IngestLock> {
  const ttlMs = opts.ttlMs ?? LOCK_TTL_MS;
  const path = lockPath(source);
  const now = new Date().toISOString();
  const info: LockInfo = {
    owner: crypto.randomUUID(),
    host: Deno.hostname(),
    pid: Deno.pid,
    pidStart: processStart(Deno.pid),
    source,
    started: now,
    heartbeat: now,
    ttlMs,
  };
  const existing = await readLock(lake, path);
  if (existing) {
    const age = Date.now() - Date.parse(existing.heartbeat);
    const gone = holderIsGone(existing);
    if (!gone && age < existing.ttlMs) throw new IngestRunningError(lake.url, existing, age);
    opts.log?.(
      `taking over the ingest lock of ${source} in ${lake.url} from pid ${existing.pid} on ` +
        `${existing.host}: ${
          gone ? "its holder is gone" : `its last heartbeat was ${(age / 1000).toFixed(1)} s ago`
        }`,
    );
    await lake.delete(path);
  }
  const data = encoder.encode(JSON.stringify(info));
  const created = lake.putIfAbsent
    ? await lake.putIfAbsent(path, data)
    : (await lake.put(path, data), true);
  const holder = await readLock(lake, path);
  if (!created || holder?.owner !== info.owner) {
    if (holder) throw new IngestRunningError(lake.url, holder, 0);
    throw new Error(`could not take the ingest lock ${lake.url}/${path}`);
  }

  held.add(info.owner);
  let lost: Error | undefined;
  let beating = Promise.resolve();
  /** Whether the lock is still this run's; records and reports the loss once if not. */
  const stillHeld = async (): Promise<boolean> => {
    if (lost) return false;
    const current = await readLock(lake, path);
    if (current?.owner === info.owner) return true;
    lost = new Error(
      `lost the ingest lock of ${source} in ${lake.url}` +
        (current ? ` to pid ${current.pid} on ${current.host}` : " (it was deleted)") +
        `; stopping so two ingests never write the same events`,
    );
    clearInterval(timer);
    opts.onLost?.(lost);
    return false;
  };
  const beat = async () => {
    if (!await stillHeld()) return;
    info.heartbeat = new Date().toISOString();
    await lake.put(path, encoder.encode(JSON.stringify(info)));
  };
  const timer = setInterval(() => {
    beating = beating.then(beat).catch((e) => {
      opts.log?.(`ingest lock heartbeat failed: ${(e as Error).message}`);
    });
  }, Math.max(10, Math.floor(ttlMs / 3)));
  Deno.unrefTimer(timer);
  return {
    info,
    get lost() {
      return lost;
    },
    async verify() {
      // an unreachable lake can't tell: the write that follows fails (and spills) on its own
      if (!await stillHeld().catch(() => true)) throw lost;
    },
    async release() {
      clearInterval(timer);
      held.delete(info.owner);
      await beating;
      if (lost) return;
      const current = await readLock(lake, path).catch(() => undefined);
      if (current?.owner === info.owner) await lake.delete(path);
    },
  };
}
