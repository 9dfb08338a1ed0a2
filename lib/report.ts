/**
 * The headless run's outputs: a plain-text summary for the terminal and an HTML
 * report with the charts, written beside the charts' SVG and PNG files.
 */
import { join } from "node:path";
import type { DatasetResult } from "./dataflow/mod.ts";
import type { SentimentLabel } from "./sentiment/mod.ts";
import { escapeHtml, tableHtml } from "./viz/mod.ts";

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
    `ingest     ${s.ingest.events} events (${s.ingest.malformed} malformed) into ${s.ingest.files} files` +
    `  [${secs(s.ingest.seconds)}]`,
    `dataflow   update ${s.dataflow.updateId}  [${secs(s.dataflow.seconds)}]`,
    ...s.tables.map((t) => `  ${t.table.padEnd(width)}  ${String(t.rows).padStart(7)} rows`),
    "expectations",
    ...(dropped.length ? dropped : ["  (none)"]),
    `sentiment  ${s.sentiment.scored} scored, ${s.sentiment.skipped} empty skipped, model ${s.sentiment.model}` +
    `  [${secs(s.sentiment.seconds)}]`,
    `  ${s.sentiment.labels.map((l) => `${l.label} ${l.count}`).join(", ")}`,
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

/** Writes `report.html` with the summary and `sections` into `dir`; returns its path. */
export async function writeHtmlReport(
  dir: string,
  summary: PipelineSummary,
  sections: ReportSection[],
): Promise<string> {
  const stages = [
    { stage: "ingest", seconds: summary.ingest.seconds.toFixed(2) },
    { stage: "dataflow", seconds: summary.dataflow.seconds.toFixed(2) },
    { stage: "sentiment", seconds: summary.sentiment.seconds.toFixed(2) },
  ];
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>tweetlake report</title>
<style>body{font-family:system-ui,sans-serif;max-width:960px;margin:2em auto;padding:0 1em}
table{border-collapse:collapse}td,th{border-bottom:1px solid #ddd;padding:.2em .6em;text-align:left}
section{margin:2em 0}</style></head><body>
<h1>tweetlake report</h1>
<p>Update ${escapeHtml(summary.dataflow.updateId)}: ${summary.ingest.events} events ingested,
${summary.sentiment.scored} tweets scored with ${escapeHtml(summary.sentiment.model)}.</p>
<section><h2>Tables</h2>${tableHtml(summary.tables, { limit: 100 })}</section>
<section><h2>Time per stage</h2>${tableHtml(stages)}</section>
${sections.map((s) => `<section><h2>${escapeHtml(s.title)}</h2>${s.html}</section>`).join("\n")}
</body></html>
`;
  const path = join(dir, "report.html");
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(path, html);
  return path;
}
