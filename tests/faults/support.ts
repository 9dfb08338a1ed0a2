/** Shared pieces of the fault experiments: inputs with ids, child processes, exact counts. */
import { join } from "node:path";
import type { ChildConfig } from "./ingest_child.ts";

const CHILD = new URL("./ingest_child.ts", import.meta.url).pathname;
const dec = new TextDecoder();

/** Writes `files` NDJSON files of `perFile` events, each with a unique `id`; returns the ids. */
export async function makeInput(dir: string, files: number, perFile: number): Promise<string[]> {
  await Deno.mkdir(dir, { recursive: true });
  const ids: string[] = [];
  for (let f = 0; f < files; f++) {
    const lines: string[] = [];
    for (let i = 0; i < perFile; i++) {
      const id = `${f}-${i}`;
      ids.push(id);
      lines.push(JSON.stringify({ data: { id, text: `event ${id}` } }));
    }
    await Deno.writeTextFile(join(dir, `part-${f}.ndjson`), lines.join("\n") + "\n");
  }
  return ids;
}

/** The result of a child run. */
export interface ChildRun {
  code: number;
  killed: boolean;
  stderr: string;
  stdout: string;
}

/** Runs the ingest child with `cfg` and waits for it. */
export async function runChild(cfg: ChildConfig): Promise<ChildRun> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", CHILD, JSON.stringify(cfg)],
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: out.code,
    killed: out.signal === "SIGKILL",
    stderr: dec.decode(out.stderr),
    stdout: dec.decode(out.stdout),
  };
}

/** Starts the ingest child without waiting. */
export function spawnChild(cfg: ChildConfig): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", CHILD, JSON.stringify(cfg)],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/** How many times each id appears in the raw files under `lake/raw/` (all sources). */
export async function idCounts(lake: string): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  const walk = async (dir: string) => {
    let entries: Deno.DirEntry[];
    try {
      entries = await Array.fromAsync(Deno.readDir(dir));
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return;
      throw e;
    }
    for (const e of entries) {
      const p = join(dir, e.name);
      if (e.isDirectory) await walk(p);
      else if (e.name.endsWith(".ndjson")) {
        for (const line of dec.decode(await Deno.readFile(p)).split("\n")) {
          if (!line.trim()) continue;
          const id = JSON.parse(line).data.id as string;
          counts.set(id, (counts.get(id) ?? 0) + 1);
        }
      }
    }
  };
  await walk(join(lake, "raw"));
  return counts;
}

/** Events lost and duplicated in `counts` against the expected ids (each once). */
export function compare(
  ids: string[],
  counts: Map<string, number>,
): { lost: number; duplicated: number; unexpected: number } {
  let lost = 0;
  let duplicated = 0;
  for (const id of ids) {
    const n = counts.get(id) ?? 0;
    if (n === 0) lost++;
    else duplicated += n - 1;
  }
  const known = new Set(ids);
  let unexpected = 0;
  for (const id of counts.keys()) if (!known.has(id)) unexpected++;
  return { lost, duplicated, unexpected };
}

/** Columns whose values depend on when or in which file a row landed, not on the events. */
const VOLATILE = new Set([
  "_metadata",
  "_source_file",
  "_ingested_at",
  "ingested_at",
  "_update_id",
  "_quarantined_at",
  "scored_at",
]);

/**
 * Row count and an order-independent checksum (sum of row hashes, volatile columns left out)
 * of every table in the DuckDB file `db` except the engine's own bookkeeping (`_…`,
 * `event_log`), whose rows name files and updates.
 */
export async function tableFingerprints(db: string): Promise<Record<string, string>> {
  const { query, withDb } = await import("../../lib/db.ts");
  return await withDb(db, async (conn) => {
    const out: Record<string, string> = {};
    const tables = await query(
      conn,
      `SELECT table_name AS t FROM information_schema.tables
       WHERE table_schema = 'main' AND table_type = 'BASE TABLE' ORDER BY 1`,
    );
    for (const { t } of tables) {
      const name = String(t);
      if (name.startsWith("_") || name === "event_log") continue;
      const cols = (await query(conn, `SELECT column_name AS c FROM (DESCRIBE "${name}")`))
        .map((r) => String(r.c)).filter((c) => !VOLATILE.has(c)).map((c) => `"${c}"`);
      const [r] = await query(
        conn,
        `SELECT count(*)::VARCHAR || ':' || coalesce(sum(hash(${cols.join(", ")})), 0)::VARCHAR
           AS f FROM "${name}"`,
      );
      out[name] = String(r.f);
    }
    return out;
  });
}

/** Runs the pipeline child (see pipeline_child.ts) and waits for it. */
export async function runPipelineChild(
  cfg: import("./pipeline_child.ts").PipelineChildConfig,
): Promise<ChildRun> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      new URL("./pipeline_child.ts", import.meta.url).pathname,
      JSON.stringify(cfg),
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: out.code,
    killed: out.signal === "SIGKILL",
    stderr: dec.decode(out.stderr),
    stdout: dec.decode(out.stdout),
  };
}
