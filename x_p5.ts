import { runUpdate } from "./lib/dataflow/mod.ts";
import { formatProfile } from "./lib/dataflow/profile.ts";
import { workspace } from "./tests/fixtures/dataflow/support.ts";
const ws = await workspace();
const opts: Record<string, unknown> = Deno.args[0] === "new" ? { settleSeconds: 0 } : {};
for (let i = 0; i < 3; i++) { const r = await runUpdate({ lake: ws.lake, db: ws.db, ...opts, profile: true }); if (i === 2) console.log(formatProfile(r.profile!)); }
await ws.remove();
