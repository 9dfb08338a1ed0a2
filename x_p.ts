import { runUpdate } from "./lib/dataflow/mod.ts";
import { formatProfile } from "./lib/dataflow/profile.ts";
import { copySample, workspace } from "./tests/fixtures/dataflow/support.ts";
const ws = await workspace();
await copySample(ws.lake);
for (let i = 0; i < 2; i++) {
  const t = performance.now();
  const r = await runUpdate({ lake: ws.lake, db: ws.db, profile: true, settleSeconds: 0, fullRefresh: true });
  console.log("update", (performance.now() - t).toFixed(0), "ms");
  if (i === 1) console.log(formatProfile(r.profile!));
}
await ws.remove();
