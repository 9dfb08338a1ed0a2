/**
 * The live dashboard page: the pipeline page rendered from a {@link LiveSnapshot}, wrapped
 * in a shell whose script subscribes to the server's `/events` stream and swaps each new
 * rendering in place. The markup of one snapshot is computed on the server; the browser
 * never talks to the database.
 */
import * as Plot from "@observablehq/plot";
import { escapeHtml, render, SENTIMENT_COLORS, SENTIMENT_LABELS, tableHtml } from "../viz/mod.ts";
import { lineageChart } from "../viz/lineage.ts";
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
    x: { label: "update", type: "utc" },
    y: { label: "records", grid: true },
    color: { domain: ["passed", "failed"], range: ["#2ca02c", "#d62728"], legend: true },
    marks: [
      Plot.lineY(rows, { x: "at", y: "n", stroke: "outcome", z: (d) => `${d.name} ${d.outcome}` }),
      Plot.dot(rows, { x: "at", y: "n", fill: "outcome", r: 2, title: "name" }),
      Plot.ruleY([0]),
    ],
  });
}

function wordList(s: LiveSnapshot): string {
  if (!s.words.length) return empty("No words yet.");
  const max = s.words[0].count;
  return `<p class="words">${
    s.words.map((w) =>
      `<span style="font-size:${(0.8 + 1.6 * (w.count / max)).toFixed(2)}em" title="${w.count}">${
        escapeHtml(w.word)
      }</span>`
    ).join(" ")
  }</p>`;
}

function latestTweets(s: LiveSnapshot): string {
  if (!s.latest.length) return empty("No tweets scored yet.");
  return `<ol class="latest">${
    s.latest.map((t) =>
      `<li data-id="${escapeHtml(t.id)}"><span class="label ${escapeHtml(t.label)}">${
        escapeHtml(t.label)
      } ${t.score.toFixed(3)}</span> ${escapeHtml(t.text)}</li>`
    ).join("")
  }</ol>`;
}

function lineageSection(s: LiveSnapshot): string {
  const graph = {
    nodes: s.lineage.nodes.map((n) => ({
      id: n.kind === "source" ? n.label : n.id,
      kind: n.kind,
    })),
    edges: s.lineage.edges.map((e) => {
      const label = (id: string) => {
        const n = s.lineage.nodes.find((x) => x.id === id);
        return n && n.kind === "source" ? n.label : id;
      };
      return { from: label(e.from), to: label(e.to) };
    }),
  };
  const metrics = s.lineage.nodes.filter((n) => n.kind !== "source").map((n) => ({
    dataset: n.id,
    kind: n.kind,
    rows: n.rows ?? "",
    "written (last update)": n.written ?? "",
    "dropped %": n.dropped === undefined ? "" : (100 * n.dropped).toFixed(1),
    status: n.status ?? "",
  }));
  return lineageChart(graph) + tableHtml(metrics, { limit: 100 });
}

/** The dashboard's content for one snapshot (everything inside the page's live root). */
export function renderDashboard(s: LiveSnapshot): string {
  const last = s.last;
  const f = s.freshness;
  const counts = s.tables.map((t) =>
    `<tr><td>${escapeHtml(t.table)}</td><td class="num" data-table="${escapeHtml(t.table)}">${
      fmt(t.rows)
    }</td></tr>`
  ).join("");
  const settings = Object.entries(s.settings).map(([k, v]) =>
    `<span><b>${escapeHtml(k)}</b> ${escapeHtml(v)}</span>`
  ).join(" · ");
  return `
<header>
  <h1>tweetlake pipeline <span id="state" class="state ${
    s.state.replace(" ", "-")
  }" data-state="${s.state}">${STATE_TEXT[s.state]}</span></h1>
  <p class="settings">${settings}</p>
  <p>Snapshot ${s.version} at ${iso(s.publishedAt)} · ${fmt(s.ingest.events)} events ingested
  (${fmt(Math.round(s.ingest.perSecond))}/s) into ${
    fmt(s.ingest.files)
  } files · ${s.cycles} update(s) in this run</p>
</header>
<section id="freshness"><h2>Freshness</h2>
  <p>Newest scored tweet arrived <b id="age" data-arrived="${f.newestArrivedAt ?? ""}">${
    f.newestArrivedAt === undefined ? "–" : secs(s.publishedAt - f.newestArrivedAt) + " ago"
  }</b>${
    f.newestArrivedAt !== undefined && f.newestCommittedAt !== undefined
      ? ` (scored ${secs(f.newestCommittedAt - f.newestArrivedAt)} after arrival)`
      : ""
  }.
  Last update: ${
    last
      ? `${last.status}, dataflow ${last.updateSeconds.toFixed(2)} s + scoring ${
        last.scoringSeconds.toFixed(2)
      } s, ${fmt(last.files)} file(s), ${fmt(last.scored)} scored${
        last.error ? ` · <span class="error">${escapeHtml(last.error)}</span>` : ""
      }`
      : "none yet"
  }.
  ${
    f.lastCycle && f.lastCycle.count
      ? `Arrival → scored, last update: p50 ${secs(f.lastCycle.p50)}, p95 ${
        secs(f.lastCycle.p95)
      }, max ${secs(f.lastCycle.max)} (${fmt(f.lastCycle.count)} tweets).`
      : ""
  }
  ${
    f.overall && f.overall.count
      ? `This run: p50 ${secs(f.overall.p50)}, p95 ${secs(f.overall.p95)}, max ${
        secs(f.overall.max)
      }.`
      : ""
  }</p>
</section>
<div class="grid">
<section id="tables"><h2>Tables</h2><table class="counts"><tbody>${counts}</tbody></table></section>
<section id="lineage"><h2>Lineage</h2>${lineageSection(s)}</section>
</div>
<section id="latest"><h2>Latest scored tweets</h2>${latestTweets(s)}</section>
<div class="grid">
<section id="per-minute"><h2>Events per minute by language</h2>${perMinuteChart(s)}</section>
<section id="sentiment-mix"><h2>Sentiment mix over time</h2>${sentimentMixChart(s)}</section>
</div>
<section id="expectations"><h2>Expectations over time</h2>${expectationsOverTime(s)}</section>
<section id="words"><h2>Words in recent tweets</h2>${wordList(s)}</section>`;
}

const STYLE =
  `body{font-family:system-ui,sans-serif;margin:1.5em auto;max-width:1200px;padding:0 1em;color:#222}
h1{font-size:1.4em}h2{font-size:1.1em;margin:.2em 0 .5em}section{margin:1.2em 0}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:1.5em}
table{border-collapse:collapse}td,th{border-bottom:1px solid #ddd;padding:.2em .6em;text-align:left}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.state{font-size:.7em;padding:.15em .5em;border-radius:.4em;color:#fff;background:#888;vertical-align:middle}
.state.running{background:#2ca02c}.state.starting,.state.stopping{background:#e6a700}
.state.stopped,.state.not-running{background:#666}
.settings span{margin-right:.3em}.empty{color:#888;font-style:italic}.error{color:#b00}
ol.latest{padding-left:1.5em}ol.latest li{margin:.25em 0}
.label{font-size:.8em;padding:.05em .4em;border-radius:.3em;color:#fff}
.label.positive{background:#2ca02c}.label.negative{background:#d62728}.label.neutral{background:#9e9e9e}
.words span{margin:0 .25em;line-height:1.6}`;

/** The SSE payload of a snapshot: its version, state and rendered content. */
export function dashboardPayload(s: LiveSnapshot): string {
  return JSON.stringify({ version: s.version, state: s.state, html: renderDashboard(s) });
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
<html lang="en"><head><meta charset="utf-8"><title>tweetlake pipeline</title>
<style>${STYLE}</style></head>
<body data-version="${s?.version ?? 0}" data-state="${s?.state ?? "starting"}">
${options.live ? `<p id="connection" class="empty">connecting…</p>` : ""}
<div id="live-root">${
    s ? renderDashboard(s) : empty("The pipeline is starting (loading the model)…")
  }</div>
${options.live ? `<script>${SCRIPT}</script>` : ""}
</body></html>
`;
}
