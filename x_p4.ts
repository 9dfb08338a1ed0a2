import { runUpdate } from "./lib/dataflow/mod.ts";
import { workspace } from "./tests/fixtures/dataflow/support.ts";
const ws = await workspace();
const opts: Record<string, unknown> = Deno.args[0] === "new" ? { settleSeconds: 0 } : {};
const ts = [];
for (let i = 0; i < 6; i++) { const t = performance.now(); await runUpdate({ lake: ws.lake, db: ws.db, ...opts }); ts.push(Math.round(performance.now() - t)); }
console.log(Deno.args[0], ts.join(" "));
await ws.remove();
