import { runUpdate } from "./lib/dataflow/mod.ts";
import { formatProfile } from "./lib/dataflow/profile.ts";
import { workspace } from "./tests/fixtures/dataflow/support.ts";
import { makeEvents } from "./tools/make-sample.ts";
const ws = await workspace();
const opts: Record<string, unknown> = Deno.args[0] === "new" ? { settleSeconds: 0 } : {};
for (let i = 0; i < 4; i++) {
  await Deno.mkdir(`${ws.lake}/raw/x/date=2026-11-20`, { recursive: true });
  await Deno.writeTextFile(`${ws.lake}/raw/x/date=2026-11-20/f${i}.ndjson`, makeEvents(40, 11, i * 40).join("\n") + "\n");
  const r = await runUpdate({ lake: ws.lake, db: ws.db, ...opts, profile: true });
  if (i === 3) console.log(formatProfile(r.profile!).split("\n").filter((l) => /bronze\/(insert|read)/.test(l)).join("\n"));
}
await ws.remove();
