/**
 * The pipeline page: the lineage graph's layout keeps arrows off the boxes (and so off the
 * labels), the page renders from a snapshot read after a real update (metrics on nodes,
 * data quality with numbers, event log, settings, timestamp), updates that changed nothing get
 * no quality panel, and an empty snapshot renders empty-state messages.
 */
import assert from "node:assert/strict";
import { DEFAULTS } from "../lib/config.ts";
import { query, withDb } from "../lib/db.ts";
import { runUpdate } from "../lib/dataflow/mod.ts";
import { readSnapshot } from "../lib/snapshot.ts";
import { type GraphEdge, type GraphNode, layoutGraph } from "../lib/viz/pipeline_graph.ts";
import {
  emptySnapshot,
  qualityChart,
  renderPipelinePage,
  type SnapshotUpdate,
} from "../lib/viz/pipeline_page.ts";
import { copySample, workspace } from "./fixtures/dataflow/support.ts";

const metrics = { lastWritten: 1, totalRows: 2, droppedPct: null, status: "completed" };
const node = (id: string): GraphNode => ({ id, label: id, kind: "streaming", metrics });

/** Points along each drawn segment (straight, or the cubic curve the page draws). */
function samples(points: [number, number][]): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 1; i < points.length; i++) {
    const [x1, y1] = points[i - 1];
    const [x2, y2] = points[i];
    const mx = (x1 + x2) / 2;
    for (let t = 0; t <= 1; t += 0.02) {
      const u = 1 - t;
      const x = y1 === y2 ? x1 + (x2 - x1) * t : u ** 3 * x1 + 3 * u * u * t * mx +
        3 * u * t * t * mx + t ** 3 * x2;
      const y = y1 === y2
        ? y1
        : u ** 3 * y1 + 3 * u * u * t * y1 + 3 * u * t * t * y2 + t ** 3 * y2;
      out.push([x, y]);
    }
  }
  return out;
}

Deno.test("pipeline graph: no arrow passes through a box, also for edges that skip columns", () => {
  const nodes = ["a", "b", "c", "d", "e", "f"].map(node);
  const edges: GraphEdge[] = [
    { from: "a", to: "b", stream: true },
    { from: "b", to: "c", stream: true },
    { from: "c", to: "d", stream: true },
    { from: "a", to: "d", stream: false }, // skips two columns
    { from: "a", to: "e", stream: true },
    { from: "e", to: "f", stream: true },
    { from: "b", to: "f", stream: false },
  ];
  const layout = layoutGraph(nodes, edges);
  assert.equal(layout.edges.length, edges.length);
  const boxes = layout.boxes.filter((b) => !b.dummy);
  assert.equal(boxes.length, nodes.length);
  for (const e of layout.edges) {
    for (const [x, y] of samples(e.points)) {
      for (const b of boxes) {
        const inside = x > b.x + 0.5 && x < b.x + b.width - 0.5 && y > b.y + 0.5 &&
          y < b.y + b.height - 0.5;
        assert.ok(!inside, `edge ${e.from}→${e.to} passes through box ${b.id} at ${x},${y}`);
      }
    }
  }
  // Boxes of one column never overlap.
  for (const a of boxes) {
    for (const b of boxes) {
      if (a === b || a.layer !== b.layer) continue;
      assert.ok(a.y + a.height <= b.y || b.y + b.height <= a.y, `${a.id} overlaps ${b.id}`);
    }
  }
});

Deno.test("pipeline page: metrics on nodes, data quality with numbers, event log, settings", async () => {
  const ws = await workspace();
  try {
    await copySample(ws.lake);
    const first = await runUpdate({ pipeline: DEFAULTS.pipeline, lake: ws.lake, db: ws.db });
    await runUpdate({ pipeline: DEFAULTS.pipeline, lake: ws.lake, db: ws.db }); // nothing new
    const snap = await readSnapshot(ws.db, {
      pipeline: DEFAULTS.pipeline,
      settings: { lake: ws.lake },
      now: new Date("2026-11-20T12:00:00Z"),
    });
    assert.equal(snap.updates.length, 2);
    assert.equal(snap.updates[1].id, first.updateId, "newest first");
    const silverRows = await withDb(
      ws.db,
      async (conn) => Number((await query(conn, "SELECT count(*) AS n FROM silver"))[0].n),
    );
    const silver = snap.graph.nodes.find((n) => n.id === "silver")!;
    assert.equal(silver.metrics.totalRows, silverRows);
    assert.equal(silver.metrics.lastWritten, 0, "the latest update wrote nothing");
    assert.equal(silver.metrics.status, "completed");
    const bronze = snap.graph.nodes.find((n) => n.id === "bronze")!;
    assert.ok(bronze.metrics.totalRows! > silverRows);
    assert.equal(snap.graph.nodes.find((n) => n.id === "files:raw/x")!.metrics.totalRows, 4);
    assert.ok(snap.latest.length > 0 && snap.latest.every((p) => p.lang === "en"));

    const html = renderPipelinePage(snap);
    assert.match(html, /Snapshot taken 2026-11-20 12:00:00 UTC/);
    assert.match(html, new RegExp(`total: ${silverRows.toLocaleString("en-US")} rows`));
    assert.match(html, /dropped: –/, "nothing read in the latest update");
    assert.match(html, /<dt>lake<\/dt>/);
    assert.ok(
      !/(src|href)=["']?https?:|url\(\s*["']?https?:|@import/i.test(html),
      "no network loads",
    );
    // One quality panel: the second update checked no rows.
    const quality = qualityChart(snap.updates);
    const firstPanel = `${first.updateId.slice(0, 8)} · `;
    assert.ok(quality.includes(firstPanel));
    assert.equal(quality.match(/passed · /g)?.length, 3, "one label per expectation");
    assert.ok(!quality.includes(snap.updates[0].id.slice(0, 8)), "no panel for the empty update");

    // The first update, alone, as the page shows it right after it ran.
    const older = await readSnapshot(ws.db, { pipeline: DEFAULTS.pipeline, updates: 1 });
    assert.equal(older.updates.length, 1);
  } finally {
    await ws.remove();
  }
});

Deno.test("pipeline page: an empty snapshot renders empty states, not empty charts", () => {
  const html = renderPipelinePage(emptySnapshot(new Date("2026-11-20T00:00:00Z")));
  assert.match(html, /No datasets/);
  assert.match(html, /No expectation results yet/);
  assert.match(html, /No updates yet/);
  assert.match(html, /No posts in silver yet/);
  assert.match(html, /no update yet/);
  const idle: SnapshotUpdate = {
    id: "u1",
    startedAt: "2026-11-20T00:00:00.000Z",
    endedAt: "2026-11-20T00:00:01.000Z",
    status: "completed",
    datasets: [{
      dataset: "silver",
      kind: "streaming",
      mode: "append",
      rowsRead: 0,
      rowsWritten: 0,
      rowsDropped: 0,
      rowsDuplicate: 0,
      filesRead: 0,
      seconds: 0,
      status: "completed",
      error: null,
      fullRefresh: false,
      expectations: [{ name: "valid_id", action: "drop", passed: 0, failed: 0 }],
    }],
  };
  assert.match(qualityChart([idle]), /nothing new arrived/);
});
