/**
 * Checks that the DuckDB file is not held by another process (e.g. a notebook
 * kernel that kept it open): opens it read-write, runs one query, closes it.
 *
 * `deno run -A tools/db-probe.ts [DB]` (default: DEFAULTS.db, i.e. TWEETLAKE_DB).
 * Prints `db-probe: ok <path>`, `db-probe: absent <path>` (nothing to lock), or
 * `db-probe: LOCKED <path>: <reason>` and exits 1.
 */
import { existsSync } from "node:fs";
import { DEFAULTS } from "../lib/config.ts";
import { DatabaseBusyError, query, withDb } from "../lib/db.ts";

/** The probe's verdict for one database file. */
export type ProbeResult = { state: "ok" | "absent" } | { state: "locked"; reason: string };

/** Opens `path` read-write and closes it again; says whether another process holds it. */
export async function probeDb(path: string): Promise<ProbeResult> {
  if (!existsSync(path)) return { state: "absent" };
  try {
    await withDb(path, (conn) => query(conn, "select 1"));
    return { state: "ok" };
  } catch (e) {
    if (e instanceof DatabaseBusyError) return { state: "locked", reason: e.message };
    throw e;
  }
}

if (import.meta.main) {
  const path = Deno.args[0] ?? DEFAULTS.db;
  const result = await probeDb(path);
  if (result.state === "locked") {
    console.log(`db-probe: LOCKED ${path}: ${result.reason}`);
    Deno.exit(1);
  }
  console.log(`db-probe: ${result.state} ${path}`);
}
