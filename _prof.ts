import { DuckDBConnection } from "@duckdb/node-api";
import { runUpdate, formatUpdate } from "./lib/dataflow/mod.ts";
for (const m of ["runAndReadAll"] as const) {
  const orig = (DuckDBConnection.prototype as any)[m];
  (DuckDBConnection.prototype as any)[m] = async function (sql: string, ...rest: unknown[]) {
    const t = performance.now();
    try { return await orig.call(this, sql, ...rest); } finally {
      const s = (performance.now() - t) / 1000;
      if (s > 0.15) console.log(s.toFixed(2), sql.replace(/\s+/g, " ").slice(0, 160));
    }
  };
}
try { await Deno.remove("/tmp/df/b1m.duckdb"); } catch { /* */ }
const t = performance.now();
const r = await runUpdate({ lake: "/tmp/df/b1m", db: "/tmp/df/b1m.duckdb" });
console.log(formatUpdate(r), (performance.now() - t) / 1000);
