/**
 * Profiling an update: `profile: true` times every phase of every dataset and every
 * statement, attributed to its phase; without it the result carries no profile.
 */
import { DEFAULTS } from "../lib/config.ts";
import assert from "node:assert/strict";
import { formatProfile, runUpdate } from "../lib/dataflow/mod.ts";
import { copySample, workspace } from "./fixtures/dataflow/support.ts";

Deno.test("profile: phases of each dataset and their statements are timed", async () => {
  const ws = await workspace();
  try {
    await copySample(ws.lake);
    const t0 = performance.now();
    const r = await runUpdate({
      pipeline: DEFAULTS.pipeline,
      lake: ws.lake,
      db: ws.db,
      profile: true,
    });
    const wall = (performance.now() - t0) / 1000;
    const p = r.profile!;
    assert.ok(p, "a profiled update reports its profile");
    const has = (dataset: string, phase: string) =>
      p.phases.some((x) => x.dataset === dataset && x.phase === phase);
    for (
      const [dataset, phase] of [
        ["bronze", "list files"],
        ["bronze", "read source"],
        ["bronze", "insert"],
        ["bronze", "checkpoints"],
        ["silver", "materialise"],
        ["silver", "expectations"],
        ["silver", "quarantine"],
        ["silver", "insert"],
        ["", "event log"],
        ["", "commit"],
      ]
    ) assert.ok(has(dataset, phase), `phase ${dataset}/${phase} is timed`);
    const total = p.phases.reduce((s, x) => s + x.seconds, 0);
    assert.ok(total > 0 && total <= wall, `phases (${total} s) fit in the update (${wall} s)`);
    for (const x of p.phases) {
      assert.ok(x.sqlSeconds <= x.seconds + 1e-3, `${x.dataset}/${x.phase}: SQL within the phase`);
      assert.ok(x.rssMiB > 0, "resident memory recorded");
    }
    const insert = p.phases.find((x) => x.dataset === "bronze" && x.phase === "insert")!;
    assert.ok(insert.statements >= 1 && insert.sqlSeconds > 0, "the insert's SQL is timed");
    assert.ok(p.slowest.length > 0 && p.slowest.length <= 40);
    for (const [k, x] of p.slowest.entries()) {
      assert.ok(k === 0 || p.slowest[k - 1].seconds >= x.seconds, "slowest first");
      assert.ok(x.sql.length > 0 && x.sql.length <= 160);
    }
    assert.match(formatProfile(p), /bronze\s+read source/);

    const plain = await runUpdate({ pipeline: DEFAULTS.pipeline, lake: ws.lake, db: ws.db });
    assert.equal(plain.profile, undefined, "no profile unless asked");
  } finally {
    await ws.remove();
  }
});
