/**
 * The headless run's outputs: a plain-text summary for the terminal and an HTML
 * report with the charts, written beside the charts' SVG and PNG files.
 */
import { join } from "node:path";
import type { DatasetResult, UpdateResult } from "./dataflow/mod.ts";
import { cachedSilverModes, compareSilverModes } from "./explore.ts";
import { labelCounts, sentimentByHour, type SentimentLabel } from "./sentiment/mod.ts";
import { query, tableExists, withDb } from "./db.ts";
import {
  checkSentences,
  NON_ENGLISH_SQL,
  nonEnglishLanguages,
  postsByCountry,
  textsOf,
  topTexts,
} from "./views.ts";
import {
  escapeHtml,
  languagesChart,
  sentimentByHourChart,
  sentimentChart,
  tableHtml,
} from "./viz/mod.ts";
import { emptyChart } from "./viz/empty.ts";
import {
  type PageSection,
  type PipelineSnapshot,
  renderPipelinePage,
} from "./viz/pipeline_page.ts";
import { labelDonut, nonEnglishChart, placesChart, silverModesChart } from "./viz/views.ts";
import { wordCloud } from "./viz/wordcloud.ts";

/** What one `deno task pipeline` run did, stage by stage. */
export interface PipelineSummary {
  ingest: { events: number; malformed: number; files: number; seconds: number };
  dataflow: { updateId: string; datasets: DatasetResult[]; seconds: number };
  /** Rows in each table after the run (datasets, quarantine tables, sentiment). */
  tables: { table: string; rows: number }[];
  sentiment: {
    model: string;
    scored: number;
    skipped: number;
    labels: { label: SentimentLabel; count: number }[];
    seconds: number;
  };
  report: { files: string[]; seconds: number };
  /** Warnings about the input (e.g. no row had an id). */
  warnings?: string[];
}

/** The input shapes the pipeline reads, for messages. */
export const EXPECTED_SHAPES =
  'X API v2 filtered-stream events ({"data": {"id", "text", "lang", …}, "includes": …}), ' +
  'flat tweets ({"id", "text", "lang", …} at the top level, as tweepy wrote them) or ' +
  "Bluesky Jetstream commit events";

/**
 * Warnings about an update's input: when silver read rows but none had an id (its `valid_id`
 * expectation failed them all), the input is in a shape the pipeline does not read.
 */
export function inputWarnings(update: UpdateResult, input: string): string[] {
  const silver = update.datasets.find((d) => d.name === "silver");
  const ids = silver?.expectations.find((e) => e.name === "valid_id");
  if (!silver || !ids || ids.passed > 0 || ids.failed === 0) return [];
  return [
    `no row of ${input} has an id: all ${ids.failed} went to silver_quarantine. ` +
    `Expected ${EXPECTED_SHAPES}.`,
  ];
}

const secs = (s: number) => `${s.toFixed(2)} s`;

/** The summary as aligned text lines. */
export function formatSummary(s: PipelineSummary): string {
  const width = Math.max(...s.tables.map((t) => t.table.length));
  const dropped = s.dataflow.datasets.flatMap((d) =>
    d.expectations.map((e) =>
      `  ${d.name}.${e.name} (${e.action}): ${e.failed} failed, ${e.passed} passed`
    )
  );
  return [
    `ingest     ${s.ingest.events} events this run (${s.ingest.malformed} malformed) into ${s.ingest.files} files` +
    `  [${secs(s.ingest.seconds)}]`,
    `dataflow   update ${s.dataflow.updateId}  [${secs(s.dataflow.seconds)}]`,
    "  rows in each table (total, all updates)",
    ...s.tables.map((t) => `  ${t.table.padEnd(width)}  ${String(t.rows).padStart(7)} rows`),
    "expectations (this update)",
    ...(dropped.length ? dropped : ["  (none)"]),
    `sentiment  ${s.sentiment.scored} scored this run, ${s.sentiment.skipped} empty skipped, model ${s.sentiment.model}` +
    `  [${secs(s.sentiment.seconds)}]`,
    `  labels (total): ${s.sentiment.labels.map((l) => `${l.label} ${l.count}`).join(", ")}`,
    ...(s.warnings ?? []).map((w) => `warning: ${w}`),
    `report     ${s.report.files.length} files  [${secs(s.report.seconds)}]`,
    ...s.report.files.map((f) => `  ${f}`),
  ].join("\n");
}

/** A titled section of the HTML report. */
export interface ReportSection {
  title: string;
  /** Markup (a chart or a table). */
  html: string;
}

/** Charts (name → markup, written as SVG and PNG) and the report's sections after the page's own. */
export interface ReportViews {
  charts: Record<string, string>;
  sections: ReportSection[];
}

/**
 * Everything the original demo shows, from the database: the model on hand-typed sentences,
 * label shares, sentiment by hour, word clouds, the most positive / negative texts, languages,
 * the original's non-English query, posts by country, and streaming vs batch silver (run on the
 * bundled sample). Missing tables give empty states, not errors.
 */
export async function reportViews(
  options: {
    db: string;
    model?: string;
    input?: string;
    /** Run the streaming-vs-batch silver comparison (default true). */
    explore?: boolean;
    /** Keep the comparison in this JSON file and reuse it while its inputs are unchanged. */
    exploreCache?: string;
  },
): Promise<ReportViews> {
  const { db, model } = options;
  const labels = await labelCounts({ db, model }).catch(() => []);
  const byHour = await sentimentByHour({ db, model }).catch(() => []);
  const langs = await withDb(
    db,
    async (conn) =>
      (await tableExists(conn, "languages"))
        ? await query(
          conn,
          "select lang, count from languages where lang is not null order by count desc",
        )
        : [],
  );
  const countries = await postsByCountry({ db });
  const top = async (label: "positive" | "negative") => {
    const rows = await topTexts(label, 10, { db, model });
    return rows.length
      ? tableHtml(rows.map((t) => ({ score: t.score.toFixed(3), posts: t.posts, text: t.text })))
      : `<p class="tl-empty">No ${label} posts scored yet.</p>`;
  };
  const modes = options.explore === false
    ? []
    : options.exploreCache
    ? await cachedSilverModes(options.exploreCache)
    : await compareSilverModes();
  const charts: Record<string, string> = {
    languages: languagesChart(langs.map((r) => ({ lang: String(r.lang), count: Number(r.count) }))),
    sentiment: sentimentChart(labels),
    label_shares: labelDonut(labels),
    sentiment_by_hour: sentimentByHourChart(byHour),
    wordcloud_positive: wordCloud(await textsOf("positive", { db, model }), {
      color: "#2a7d2a",
      empty: "No positive posts yet.",
    }),
    wordcloud_negative: wordCloud(await textsOf("negative", { db, model }), {
      color: "#b22222",
      empty: "No negative posts yet.",
    }),
    non_english: nonEnglishChart(await nonEnglishLanguages({ db })),
    countries: placesChart(countries),
    silver_modes: silverModesChart(modes),
  };
  let check: string;
  try {
    check = tableHtml(await checkSentences(undefined, { model: options.model?.split("@")[0] }));
  } catch (e) {
    check = emptyChart(`The model could not be loaded: ${e instanceof Error ? e.message : e}`);
  }
  const modesTable = modes.length
    ? tableHtml(modes.map((m) => ({
      silver: m.mode,
      update: m.update,
      "rows read": m.rowsRead,
      "rows written": m.rowsWritten,
    })))
    : "";
  const sections: ReportSection[] = [
    { title: "Check it out: the model on hand-typed sentences", html: check },
    { title: "Sentiment label shares", html: charts.label_shares },
    { title: "Sentiment by hour", html: charts.sentiment_by_hour },
    { title: "Word cloud of positive posts", html: charts.wordcloud_positive },
    { title: "Word cloud of negative posts", html: charts.wordcloud_negative },
    { title: "Most positive posts (each text once)", html: await top("positive") },
    { title: "Most negative posts (each text once)", html: await top("negative") },
    { title: "Languages (all of bronze)", html: charts.languages },
    {
      title: "Non-English posts",
      html: `<p><code>${escapeHtml(NON_ENGLISH_SQL)}</code></p>${charts.non_english}`,
    },
    {
      title: "Posts by country (silver posts with a place)",
      html: charts.countries +
        (countries.length
          ? tableHtml(
            countries.map((c) => ({ country: c.country, posts: c.count, places: c.places })),
          )
          : ""),
    },
    {
      title: "What if silver were not a streaming table? (bundled sample, two updates)",
      html:
        `<p>A streaming table reads only the rows that are new in bronze; a materialized view ` +
        `reads all of bronze again in every update.</p>${charts.silver_modes}${modesTable}`,
    },
  ];
  return { charts, sections };
}

/**
 * Writes `report.html` into `dir`; returns its path. With a `snapshot` it is the pipeline page
 * (graph, data quality, event log…) followed by the run summary and `sections`.
 */
export async function writeHtmlReport(
  dir: string,
  summary: PipelineSummary,
  sections: ReportSection[],
  snapshot?: PipelineSnapshot,
): Promise<string> {
  const path = join(dir, "report.html");
  await Deno.mkdir(dir, { recursive: true });
  if (snapshot) {
    const extra: PageSection[] = [
      { id: "run", title: "This run", html: runHtml(summary) },
      ...sections.map((x, i) => ({ id: `view-${i + 1}`, title: x.title, html: x.html })),
    ];
    await Deno.writeTextFile(
      path,
      renderPipelinePage(snapshot, { title: "tweetlake report", extra }),
    );
    return path;
  }
  return await writeBasicReport(path, summary, sections);
}

function runHtml(summary: PipelineSummary): string {
  const stages = [
    { stage: "ingest", seconds: summary.ingest.seconds.toFixed(2) },
    { stage: "dataflow", seconds: summary.dataflow.seconds.toFixed(2) },
    { stage: "sentiment", seconds: summary.sentiment.seconds.toFixed(2) },
  ];
  const warnings = (summary.warnings ?? []).map((w) =>
    `<p><strong>warning:</strong> ${escapeHtml(w)}</p>`
  )
    .join("");
  return `${warnings}<p>Update ${
    escapeHtml(summary.dataflow.updateId)
  }: ${summary.ingest.events} ` +
    `events ingested this run, ${summary.sentiment.scored} posts scored this run with ` +
    `${escapeHtml(summary.sentiment.model)}.</p><h3>Rows in each table (total)</h3>` +
    `${tableHtml(summary.tables, { limit: 100 })}<h3>Time per stage</h3>${tableHtml(stages)}`;
}

/** The report without a snapshot: the summary and `sections`. */
async function writeBasicReport(
  path: string,
  summary: PipelineSummary,
  sections: ReportSection[],
): Promise<string> {
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>tweetlake report</title>
<style>body{font-family:system-ui,sans-serif;max-width:960px;margin:2em auto;padding:0 1em}
table{border-collapse:collapse}td,th{border-bottom:1px solid #ddd;padding:.2em .6em;text-align:left}
section{margin:2em 0}</style></head><body>
<h1>tweetlake report</h1>
${runHtml(summary)}
${sections.map((s) => `<section><h2>${escapeHtml(s.title)}</h2>${s.html}</section>`).join("\n")}
</body></html>
`;
  await Deno.writeTextFile(path, html);
  return path;
}
