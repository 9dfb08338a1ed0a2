/**
 * The live dashboard page: the pipeline page (lib/viz/pipeline_page.ts: its sections and
 * styles, rendered from the snapshot's `page`) with the sections only a running pipeline has
 * (state and freshness, table counts, events per minute, sentiment mix and expectations over
 * time, words), in a shell whose script subscribes to the server's `/events` stream and swaps
 * each new rendering in place. The markup is computed on the server; the browser never talks
 * to the database.
 */
import * as Plot from "@observablehq/plot";
import { escapeHtml, render, SENTIMENT_COLORS, SENTIMENT_LABELS } from "../viz/mod.ts";
import { PAGE_CSS, type PageSection, pipelineSections } from "../viz/pipeline_page.ts";
import type { LiveSnapshot } from "./snapshot.ts";

const STATE_TEXT: Record<LiveSnapshot["state"], string> = {
  starting: "starting",
  running: "running",
  stopping: "stopping",
  stopped: "stopped",
  "not running": "not running",
};

const fmt = (n: number) => n.toLocaleString("en-US");
const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const iso = (ms: number) => new Date(ms).toISOString().replace("T", " ").slice(0, 19) + " UTC";

function empty(text: string): string {
  return `<p class="empty">${escapeHtml(text)}</p>`;
}

function perMinuteChart(s: LiveSnapshot): string {
  if (!s.perMinute.length) return empty("No events yet.");
  return render({
    height: 220,
    x: { label: "minute (UTC)", type: "utc" },
    y: { label: "events", grid: true },
    color: { legend: true },
    marks: [
      Plot.rectY(s.perMinute.map((r) => ({ ...r, minute: new Date(r.minute) })), {
        x: "minute",
        y: "count",
        fill: "lang",
        interval: "minute",
        inset: 0.5,
      }),
      Plot.ruleY([0]),
    ],
  });
}

function sentimentMixChart(s: LiveSnapshot): string {
  if (!s.sentimentMix.length) return empty("Nothing scored yet.");
  return render({
    height: 220,
    x: { label: "minute scored (UTC)", type: "utc" },
    y: { label: "tweets", grid: true },
    color: { domain: [...SENTIMENT_LABELS], range: [...SENTIMENT_COLORS], legend: true },
    marks: [
      Plot.rectY(s.sentimentMix.map((r) => ({ ...r, minute: new Date(r.minute) })), {
        x: "minute",
        y: "count",
        fill: "label",
        interval: "minute",
        order: [...SENTIMENT_LABELS],
        inset: 0.5,
      }),
      Plot.ruleY([0]),
    ],
  });
}

function expectationsOverTime(s: LiveSnapshot): string {
  if (!s.expectations.length) return empty("No expectations checked yet.");
  const rows = s.expectations.flatMap((e) => [
    { at: new Date(e.at), name: `${e.dataset}.${e.name}`, outcome: "passed", n: e.passed },
    { at: new Date(e.at), name: `${e.dataset}.${e.name}`, outcome: "failed", n: e.failed },
  ]);
  return render({
    height: 240,
    x: { label: "update started (UTC)", type: "utc", tickFormat: "%H:%M:%S" },
    y: { label: "records", grid: true },
    color: { domain: ["passed", "failed"], range: ["#2ca02c", "#d62728"], legend: true },
    marks: [
      Plot.lineY(rows, { x: "at", y: "n", stroke: "outcome", z: (d) => `${d.name} ${d.outcome}` }),
      Plot.dot(rows, { x: "at", y: "n", fill: "outcome", r: 2, title: "name" }),
      Plot.ruleY([0]),
    ],
  });
}

function cloudSection(s: LiveSnapshot): string {
  return s.cloud ?? empty("No words yet.");
}

function statusSection(s: LiveSnapshot): string {
  const last = s.last;
  const f = s.freshness;
  const lastText = last
    ? `${escapeHtml(last.status)}, dataflow ${last.updateSeconds.toFixed(2)} s + scoring ${
      last.scoringSeconds.toFixed(2)
    } s, ${fmt(last.files)} file(s) read, ${fmt(last.scored)} scored${
      last.error ? ` · <span class="error">${escapeHtml(last.error)}</span>` : ""
    }`
    : "none yet";
  const stats = (label: string, l: typeof f.lastCycle) =>
    l && l.count
      ? `<li>${label}: p50 ${secs(l.p50)}, p95 ${secs(l.p95)}, max ${secs(l.max)} (${
        fmt(l.count)
      } tweets)</li>`
      : "";
  return `<p>${fmt(s.ingest.events)} events ingested (${
    fmt(Math.round(s.ingest.perSecond))
  }/s) into ${fmt(s.ingest.files)} files · ${s.cycles} update(s) in this run</p>
<ul>
<li>Newest scored tweet arrived <b id="age" data-arrived="${f.newestArrivedAt ?? ""}">${
    f.newestArrivedAt === undefined ? "–" : secs(s.publishedAt - f.newestArrivedAt) + " ago"
  }</b>${
    f.newestArrivedAt !== undefined && f.newestCommittedAt !== undefined
      ? ` (scored ${secs(f.newestCommittedAt - f.newestArrivedAt)} after arrival)`
      : ""
  }</li>
<li>Last update: ${lastText}</li>
${stats("Arrival → scored, last update", f.lastCycle)}
${stats("Arrival → scored, this run", f.overall)}
</ul>`;
}

function countsTable(s: LiveSnapshot): string {
  if (!s.tables.length) return empty("No tables yet.");
  return `<table class="counts"><tbody>${
    s.tables.map((t) =>
      `<tr><td>${escapeHtml(t.table)}</td><td class="num" data-table="${escapeHtml(t.table)}">${
        fmt(t.rows)
      }</td></tr>`
    ).join("")
  }</tbody></table>`;
}

/** The sections of the live page for one snapshot, in page order. */
export function dashboardSections(s: LiveSnapshot): PageSection[] {
  const page = new Map(pipelineSections(s.page).map((x) => [x.id, x]));
  const own = (id: string) => page.get(id) ?? { id, title: id, html: "" };
  return [
    {
      id: "live-status",
      title: "Live",
      html: `<div class="live-cols"><div>${statusSection(s)}</div><div><h3>Rows per table</h3>${
        countsTable(s)
      }</div></div>`,
    },
    own("graph"),
    { ...own("latest"), title: "Latest scored tweets" },
    { id: "per-minute", title: "Events per minute by language", html: perMinuteChart(s) },
    { id: "sentiment-mix", title: "Sentiment mix over time", html: sentimentMixChart(s) },
    {
      id: "expectations-over-time",
      title: "Expectations over time",
      html: expectationsOverTime(s),
    },
    own("quality"),
    own("events"),
    { id: "words", title: "Words in recent tweets", html: cloudSection(s) },
    own("settings"),
  ];
}

/** The dashboard's content for one snapshot: the header line and every section. */
export function renderDashboard(s: LiveSnapshot): string {
  return `<p id="headline">Pipeline <span id="state" class="state ${
    s.state.replace(" ", "-")
  }" data-state="${s.state}">${STATE_TEXT[s.state]}</span> · snapshot ${s.version} at ${
    iso(s.publishedAt)
  }</p>
${
    dashboardSections(s).map((x) =>
      `<section id="${escapeHtml(x.id)}"><h2>${escapeHtml(x.title)}</h2>${x.html}</section>`
    ).join("\n")
  }`;
}

const STYLE = `${PAGE_CSS}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.live-cols{display:grid;grid-template-columns:minmax(0,2fr) minmax(0,1fr);gap:1.5em}
.live-cols h3{margin:.2em 0 .4em}
#headline{margin:.3em 0}#connection{margin:0;font-size:.85em;opacity:.85}
.state{font-size:.85em;padding:.1em .5em;border-radius:.4em;color:#fff;background:#888}
.state.running{background:#2ca02c}.state.starting,.state.stopping{background:#e6a700}
.state.stopped,.state.not-running{background:#666}
.empty{color:#666;font-style:italic}.error{color:#b00}
`;

/** The SSE payload of a snapshot: its version, state, publication time and rendered content. */
export function dashboardPayload(s: LiveSnapshot): string {
  return JSON.stringify({
    version: s.version,
    state: s.state,
    publishedAt: s.publishedAt,
    html: renderDashboard(s),
  });
}

const SCRIPT = `
const root = document.getElementById("live-root");
const conn = document.getElementById("connection");
function apply(msg) {
  root.innerHTML = msg.html;
  document.body.dataset.version = msg.version;
  document.body.dataset.state = msg.state;
}
const es = new EventSource("events");
es.addEventListener("snapshot", (e) => apply(JSON.parse(e.data)));
es.addEventListener("end", () => { es.close(); conn.textContent = "pipeline stopped; not updating"; });
es.onopen = () => { conn.textContent = "live"; };
es.onerror = () => { if (es.readyState === EventSource.CLOSED || document.body.dataset.state === "stopped") { es.close(); } conn.textContent = "disconnected"; };
setInterval(() => {
  const age = document.getElementById("age");
  const at = Number(age && age.dataset.arrived);
  if (at && document.body.dataset.state === "running") age.textContent = ((Date.now() - at) / 1000).toFixed(1) + " s ago";
}, 500);`;

/**
 * The whole page for `s` (a placeholder before the first snapshot); with `live`, it
 * subscribes to `/events` and updates in place.
 */
export function dashboardHtml(s: LiveSnapshot | undefined, options: { live: boolean }): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>tweetlake · live pipeline</title><style>${STYLE}</style></head>
<body data-version="${s?.version ?? 0}" data-state="${s?.state ?? "starting"}">
<header><h1>tweetlake · live pipeline</h1>${
    options.live ? `<p id="connection">connecting…</p>` : ""
  }</header>
<main id="live-root">${
    s ? renderDashboard(s) : empty("The pipeline is starting (loading the model)…")
  }</main>
${options.live ? `<script>${SCRIPT}</script>` : ""}
</body></html>
`;
}
