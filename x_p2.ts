import { runUpdate } from "./lib/dataflow/mod.ts";
import { workspace } from "./tests/fixtures/dataflow/support.ts";
import { makeEvents } from "./tools/make-sample.ts";
import process from "node:process";
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const ws = await workspace();
const opts: Record<string, unknown> = Deno.args[0] === "new" ? { settleSeconds: 0 } : {};
let tw = 0, tc = 0;
for (let i = 0; i < 8; i++) {
  await Deno.mkdir(`${ws.lake}/raw/x/date=2026-11-20`, { recursive: true });
  await Deno.writeTextFile(`${ws.lake}/raw/x/date=2026-11-20/f${i}.ndjson`, makeEvents(40, 11, i * 40).join("\n") + "\n");
  const t = performance.now(); const c = cpu();
  await runUpdate({ lake: ws.lake, db: ws.db, ...opts });
  if (i >= 2) { tw += performance.now() - t; tc += cpu() - c; }
}
console.log(Deno.args[0], "wall/update", (tw / 6).toFixed(0), "cpu/update", (tc / 6).toFixed(0));
await ws.remove();
