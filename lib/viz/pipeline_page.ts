/**
 * The pipeline page, after Databricks' Delta Live Tables UI: the lineage graph with each
 * dataset's metrics on its node, the data quality of every expectation per update, the event
 * log of recent updates, the latest posts, and when and with which settings it was taken.
 *
 * It renders from a {@link PipelineSnapshot}: plain, JSON-serialisable data (read from the
 * database by `readSnapshot` in lib/snapshot.ts). The headless report writes it as one
 * self-contained HTML file (inline SVG and CSS, no network); a live dashboard can send the same
 * snapshot over Server-Sent Events and replace the page's `<main>` with
 * {@link pipelinePageBody}.
 *
 * The snapshot's shape is a contract: fields are only added (optional), never renamed or
 * removed, and `version` changes if a field's meaning ever has to.
 */
import * as Plot from "@observablehq/plot";
import { emptyChart } from "./empty.ts";
import { count, type GraphEdge, type GraphNode, pipelineGraphSvg } from "./pipeline_graph.ts";
import { render } from "./render.ts";
import { escapeHtml, tableHtml } from "./table.ts";

export type { GraphEdge, GraphNode, NodeMetrics } from "./pipeline_graph.ts";

/** One expectation's records in one dataset and update. */
export interface SnapshotExpectation {
  name: string;
  /** `warn`, `drop` or `fail`. */
  action: string;
  passed: number;
  failed: number;
}

/** What one update did to one dataset (a row of the event log). */
export interface SnapshotDatasetRun {
  dataset: string;
  /** `streaming` or `materialized`. */
  kind: string;
  /** `append` or `complete`. */
  mode: string;
  rowsRead: number;
  rowsWritten: number;
  rowsDropped: number;
  rowsDuplicate: number;
  filesRead: number;
  seconds: number;
  /** `completed`, `skipped`, `failed`, `rolled_back`. */
  status: string;
  /** The error, or why it was skipped. */
  error: string | null;
  fullRefresh: boolean;
  expectations: SnapshotExpectation[];
}

/** One update of the pipeline, from the event log. */
export interface SnapshotUpdate {
  id: string;
  /** ISO 8601 (UTC). */
  startedAt: string;
  /** ISO 8601 (UTC). */
  endedAt: string;
  /** `completed` when every dataset completed or was skipped, else `failed`. */
  status: string;
  datasets: SnapshotDatasetRun[];
}

/** A recent silver post with its sentiment (null when not scored yet). */
export interface SnapshotPost {
  id: string;
  /** ISO 8601 (UTC), or null when the post had no valid time. */
  createdAt: string | null;
  source: string;
  lang: string | null;
  text: string;
  label: string | null;
  score: number | null;
}

/** Everything the pipeline page shows. */
export interface PipelineSnapshot {
  /** 1 for this shape. */
  version: 1;
  /** When the snapshot was read, ISO 8601 (UTC). */
  takenAt: string;
  /** A title: the pipeline file's name. */
  pipeline: string;
  /** The settings the pipeline ran with (name → value: file, lake, database, model…). */
  settings: Record<string, string>;
  /** Lineage: datasets, file sources and quarantine tables, each with its metrics. */
  graph: { nodes: GraphNode[]; edges: GraphEdge[] };
  /** Recent updates, newest first. */
  updates: SnapshotUpdate[];
  /** The latest silver posts, newest first. */
  latest: SnapshotPost[];
  /** Posts per sentiment label (all scored posts). */
  sentiment: { label: string; count: number }[];
}

/** A snapshot of a pipeline that has not run: no datasets, no updates, no posts. */
export function emptySnapshot(takenAt = new Date()): PipelineSnapshot {
  return {
    version: 1,
    takenAt: takenAt.toISOString(),
    pipeline: "",
    settings: {},
    graph: { nodes: [], edges: [] },
    updates: [],
    latest: [],
    sentiment: [],
  };
}

const short = (id: string) => id.slice(0, 8);

/**
 * Passed and failed records of each expectation, one panel per update that checked any rows
 * (updates that read nothing get no panel), with the numbers written on the bars.
 */
export function qualityChart(updates: SnapshotUpdate[]): string {
  const rows = [...updates].reverse().flatMap((u) =>
    u.datasets.flatMap((d) =>
      d.expectations.map((e) => ({
        update: `${short(u.id)} · ${u.startedAt.slice(11, 19)}`,
        name: `${d.dataset}.${e.name} (${e.action})`,
        passed: e.passed,
        failed: e.failed,
      }))
    )
  );
  const active = new Set(rows.filter((r) => r.passed + r.failed > 0).map((r) => r.update));
  const shown = rows.filter((r) => active.has(r.update));
  if (!shown.length) {
    return emptyChart(
      rows.length
        ? "No expectation checked any rows in these updates (nothing new arrived)."
        : "No expectation results yet: run an update.",
    );
  }
  const long = shown.flatMap((r) => [
    { ...r, outcome: "passed", records: r.passed },
    { ...r, outcome: "failed", records: r.failed },
  ]);
  const names = [...new Set(shown.map((r) => r.name))];
  const panels = [...new Set(shown.map((r) => r.update))];
  const max = Math.max(1, ...shown.map((r) => r.passed + r.failed));
  return render({
    width: 900,
    marginLeft: Math.min(300, 12 + 6.5 * Math.max(...names.map((n) => n.length))),
    marginRight: 130,
    height: panels.length * (24 * names.length + 16) + 60,
    x: { label: "records", grid: true, domain: [0, max * 1.6], tickFormat: "s" },
    y: { label: null, domain: names },
    fy: { label: null, domain: panels },
    color: { domain: ["passed", "failed"], range: ["#2ca02c", "#d62728"], legend: true },
    marks: [
      Plot.barX(long, {
        x: "records",
        y: "name",
        fy: "update",
        fill: "outcome",
        order: ["passed", "failed"],
      }),
      Plot.text(shown, {
        x: (r: { passed: number; failed: number }) => r.passed + r.failed,
        y: "name",
        fy: "update",
        text: (r: { passed: number; failed: number }) =>
          `${r.passed.toLocaleString("en-US")} passed · ${r.failed.toLocaleString("en-US")} failed`,
        textAnchor: "start",
        dx: 4,
        fontSize: 10,
      }),
      Plot.ruleX([0]),
    ],
  });
}

function duration(u: SnapshotUpdate): string {
  const ms = Date.parse(u.endedAt) - Date.parse(u.startedAt);
  return Number.isFinite(ms) ? `${(ms / 1000).toFixed(2)} s` : "";
}

/** The event log: one row per update (totals over its datasets), details per dataset below. */
export function eventLogHtml(updates: SnapshotUpdate[]): string {
  if (!updates.length) return `<p class="tl-empty">No updates yet: run the pipeline.</p>`;
  const sum = (u: SnapshotUpdate, k: "rowsRead" | "rowsWritten" | "rowsDropped" | "filesRead") =>
    count(u.datasets.reduce((n, d) => n + d[k], 0));
  const table = tableHtml(
    updates.map((u) => ({
      update: short(u.id),
      started: u.startedAt.replace("T", " ").slice(0, 19),
      duration: duration(u),
      status: u.status,
      "files read": sum(u, "filesRead"),
      "rows read": sum(u, "rowsRead"),
      "rows written": sum(u, "rowsWritten"),
      "rows dropped": sum(u, "rowsDropped"),
      refreshed: u.datasets.filter((d) => d.fullRefresh).map((d) => d.dataset).join(", "),
    })),
    { limit: 50 },
  );
  const latest = updates[0];
  const detail = tableHtml(
    latest.datasets.map((d) => ({
      dataset: d.dataset,
      kind: d.kind === "streaming" ? "streaming table" : "materialized view",
      mode: d.mode,
      files: d.filesRead,
      read: count(d.rowsRead),
      written: count(d.rowsWritten),
      dropped: count(d.rowsDropped),
      duplicates: count(d.rowsDuplicate),
      seconds: d.seconds.toFixed(2),
      status: d.status,
      error: d.error ?? "",
    })),
    { limit: 100 },
  );
  return `${table}<h3>Latest update ${escapeHtml(short(latest.id))}, per dataset</h3>${detail}`;
}

/** The latest posts with their sentiment. */
export function latestPostsHtml(posts: SnapshotPost[]): string {
  if (!posts.length) return `<p class="tl-empty">No posts in silver yet.</p>`;
  return tableHtml(
    posts.map((p) => ({
      created: p.createdAt ? p.createdAt.replace("T", " ").slice(0, 19) : "",
      source: p.source,
      lang: p.lang ?? "",
      sentiment: p.label ? `${p.label} ${p.score?.toFixed(3) ?? ""}` : "",
      text: p.text,
    })),
    { limit: 50 },
  );
}

function settingsHtml(s: PipelineSnapshot): string {
  const entries = Object.entries(s.settings);
  if (!entries.length) return `<p class="tl-empty">No settings recorded.</p>`;
  return `<dl class="tl-settings">${
    entries.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd><code>${escapeHtml(v)}</code></dd>`)
      .join("")
  }</dl>`;
}

/** The page's CSS (inline; no fonts or files are fetched). */
export const PAGE_CSS =
  `body{font-family:system-ui,sans-serif;margin:0;background:#f7f7f8;color:#222}
header{background:#1b3139;color:#fff;padding:.8em 1.5em}header h1{margin:0;font-size:1.3em}
header p{margin:.2em 0 0;opacity:.85;font-size:.9em}
main{max-width:1200px;margin:0 auto;padding:1em 1.5em}
section{background:#fff;border:1px solid #e3e3e3;border-radius:8px;margin:1em 0;padding:.8em 1.2em;overflow-x:auto}
section h2{font-size:1.1em;margin:.2em 0 .6em}h3{font-size:.95em}
table{border-collapse:collapse;font-size:.88em}td,th{border-bottom:1px solid #e6e6e6;padding:.25em .6em;text-align:left;vertical-align:top}
th{background:#fafafa}.tl-empty{color:#666;font-style:italic}
.tl-settings{display:grid;grid-template-columns:max-content 1fr;gap:.2em 1em;font-size:.88em}
.tl-settings dt{font-weight:600}.tl-settings dd{margin:0}
.tl-status-completed{color:#2ca02c}.tl-status-failed{color:#d62728}
figure{margin:0}`;

/** A titled section of the page; `id` lets a live page find and replace it. */
export interface PageSection {
  id: string;
  title: string;
  html: string;
}

/** The pipeline page's own sections, in order (graph, data quality, event log, posts, settings). */
export function pipelineSections(s: PipelineSnapshot): PageSection[] {
  return [
    { id: "graph", title: "Pipeline graph", html: pipelineGraphSvg(s.graph.nodes, s.graph.edges) },
    { id: "quality", title: "Data quality", html: qualityChart(s.updates) },
    { id: "events", title: "Event log", html: eventLogHtml(s.updates) },
    { id: "latest", title: "Latest posts", html: latestPostsHtml(s.latest) },
    { id: "settings", title: "Settings", html: settingsHtml(s) },
  ];
}

function headline(s: PipelineSnapshot): string {
  const u = s.updates[0];
  const state = u
    ? `latest update ${short(u.id)} <span class="tl-status-${escapeHtml(u.status)}">${
      escapeHtml(u.status)
    }</span> at ${escapeHtml(u.startedAt.replace("T", " ").slice(0, 19))} UTC`
    : "no update yet";
  return `<p id="tl-taken">Snapshot taken ${
    escapeHtml(s.takenAt.replace("T", " ").slice(0, 19))
  } UTC · ${state}</p>`;
}

/** The inside of `<main>`: the snapshot's sections, then `extra` sections. */
export function pipelinePageBody(s: PipelineSnapshot, extra: PageSection[] = []): string {
  return [...pipelineSections(s), ...extra].map((x) =>
    `<section id="${escapeHtml(x.id)}"><h2>${escapeHtml(x.title)}</h2>${x.html}</section>`
  ).join("\n");
}

/**
 * The whole page as one self-contained HTML document. `extra` sections follow the pipeline's
 * own; `head` is added to `<head>` (e.g. a live page's script).
 */
export function renderPipelinePage(
  s: PipelineSnapshot,
  options: { title?: string; extra?: PageSection[]; head?: string } = {},
): string {
  const title = options.title ?? `tweetlake · ${s.pipeline || "pipeline"}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>${escapeHtml(title)}</title><style>${PAGE_CSS}</style>${options.head ?? ""}</head><body>
<header><h1>${escapeHtml(title)}</h1>${headline(s)}</header>
<main>
${pipelinePageBody(s, options.extra)}
</main></body></html>
`;
}
