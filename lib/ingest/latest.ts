/** Looking at what ingest wrote: the latest raw files and the latest events in them. */
import type { Lake, LakeFile } from "../lake/types.ts";

/** One event read back from the lake. */
export interface LatestEvent {
  /** The raw file it is in. */
  file: string;
  /** The line exactly as stored. */
  raw: string;
  /** The parsed event; undefined for a malformed line. */
  event?: unknown;
}

/** Options of {@link latestFiles} / {@link latestEvents}. */
export interface LatestOptions {
  /** Only this source's folder (`x`, `jetstream`); default: every source. */
  source?: string;
  /** How many to return (default 10). */
  limit?: number;
}

/** The newest raw batch files (by name, which starts with the write time), newest first. */
export async function latestFiles(lake: Lake, opts: LatestOptions = {}): Promise<LakeFile[]> {
  const prefix = opts.source ? `raw/${opts.source}/` : "raw/";
  const files = (await lake.list(prefix)).filter((f) => f.path.endsWith(".ndjson"));
  const key = (f: LakeFile) =>
    `${/date=([^/]+)/.exec(f.path)?.[1] ?? ""}/${f.path.split("/").pop()}`;
  files.sort((a, b) => (key(a) < key(b) ? 1 : key(a) > key(b) ? -1 : 0));
  return files.slice(0, opts.limit ?? 10);
}

/** The newest events in the lake, newest first (read from the newest files backwards). */
export async function latestEvents(lake: Lake, opts: LatestOptions = {}): Promise<LatestEvent[]> {
  const limit = opts.limit ?? 10;
  const out: LatestEvent[] = [];
  const decoder = new TextDecoder();
  for (const f of await latestFiles(lake, { source: opts.source, limit: Infinity })) {
    const lines = decoder.decode(await lake.get(f.path)).split("\n").filter((l) => l.trim());
    for (let i = lines.length - 1; i >= 0 && out.length < limit; i--) {
      let event: unknown;
      try {
        event = JSON.parse(lines[i]);
      } catch { /* malformed: kept as raw */ }
      out.push({ file: f.path, raw: lines[i], event });
    }
    if (out.length >= limit) break;
  }
  return out;
}

/** A flat view of an X or Jetstream event for a table: id, lang, author, created_at, text. */
export function summarizeEvent(event: unknown): Record<string, string | undefined> {
  // deno-lint-ignore no-explicit-any
  const e = event as any;
  if (e?.data && typeof e.data === "object") {
    const author = e.includes?.users?.find((u: { id?: string }) => u.id === e.data.author_id);
    return {
      id: e.data.id,
      lang: e.data.lang,
      author: author?.username ?? e.data.author_id,
      created_at: e.data.created_at,
      text: e.data.text,
    };
  }
  if (e?.kind === "commit" && e.commit) {
    return {
      id: `${e.did}/${e.commit.rkey}`,
      lang: e.commit.record?.langs?.[0],
      author: e.did,
      created_at: e.commit.record?.createdAt,
      text: e.commit.record?.text,
    };
  }
  return {
    id: undefined,
    lang: undefined,
    author: undefined,
    created_at: undefined,
    text: undefined,
  };
}
