/**
 * `deno task pipeline`: the whole demo headless, on the defaults: replay the
 * bundled sample into the lake, run the DLT SQL pipeline on DuckDB, score new
 * silver rows, and write charts and an HTML report. Every stage is incremental,
 * so a second run on the same input changes no counts.
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { DEFAULTS } from "./config.ts";
import { ident, query, tableExists, withDb } from "./db.ts";
import { formatUpdate, runUpdate } from "./dataflow/mod.ts";
import { ingest, replaySource } from "./ingest/mod.ts";
import { LIVE_HELP, wantsLive } from "./live/help.ts";
import { interactive, progress } from "./progress.ts";
import {
  formatSummary,
  inputWarnings,
  type PipelineSummary,
  reportViews,
  writeHtmlReport,
} from "./report.ts";
import { labelCounts, scoreNew } from "./sentiment/mod.ts";
import { readSnapshot } from "./snapshot.ts";
import { UsageError } from "./usage.ts";
import { writeChart } from "./viz/mod.ts";

/** Where the pipeline reads and writes; each defaults from lib/config.ts. */
export interface PipelineOptions {
  /** NDJSON files to replay (default: the bundled sample). */
  input?: string;
  lake?: string;
  db?: string;
  pipeline?: string;
  /** Folder for charts and the HTML report. */
  report?: string;
  /** Sentiment model (default: the embedded one). */
  model?: string;
  /** Run the streaming-vs-batch silver comparison for the report (default true). */
  explore?: boolean;
  /** Called with a line per stage as it finishes. */
  log?: (line: string) => void;
}

const HELP = `usage: deno task pipeline [flags]

Runs ingest (replay) → dataflow → sentiment → report on the defaults; every
flag is optional.

  --input <folder|file>  NDJSON files to replay (default ${DEFAULTS.sample})
  --lake <folder|s3://bucket/prefix>  (default ${DEFAULTS.lake})
  --db <file.duckdb>     (default ${DEFAULTS.db})
  --pipeline <file.sql>  (default ${DEFAULTS.pipeline})
  --report <folder>      charts and report.html (default ${DEFAULTS.report})
  --model <id|folder>    sentiment model (default the embedded ${DEFAULTS.model})
  --json                 print the summary as JSON instead of text
  -h, --help             this text

${LIVE_HELP}`;

/** Rows in each dataset, quarantine table and the sentiment table, in a stable order. */
export async function tableCounts(
  db: string,
  datasets: string[],
): Promise<{ table: string; rows: number }[]> {
  return await withDb(db, async (conn) => {
    const out: { table: string; rows: number }[] = [];
    for (const table of [...datasets, ...datasets.map((d) => `${d}_quarantine`), "sentiment"]) {
      if (!(await tableExists(conn, table))) continue;
      const [row] = await query(conn, `select count(*) as n from ${ident(table)}`);
      out.push({ table, rows: Number(row.n) });
    }
    return out;
  });
}

/**
 * An error of a step after ingest, saying what ingest already wrote (a "nothing was
 * changed" from the database side is true of the database only).
 */
export function afterIngest(e: unknown, ingested: { events: number; files: number }): Error {
  if (!(e instanceof Error) || ingested.files === 0) return e as Error;
  e.message = e.message.replace(/ \(nothing was changed\)/, " (the database was not changed)") +
    `; ingest already wrote ${ingested.events} events in ${ingested.files} files to the lake, ` +
    `which the next run processes`;
  return e;
}

/** Runs the four stages and returns what each did. */
export async function runPipeline(options: PipelineOptions = {}): Promise<PipelineSummary> {
  const lake = options.lake ?? DEFAULTS.lake;
  const db = options.db ?? DEFAULTS.db;
  const reportDir = options.report ?? DEFAULTS.report;
  const log = options.log ?? (() => {});

  const ingested = await ingest({
    source: replaySource({ input: options.input }),
    lake,
    handleSignals: true,
  });
  log(`ingest: ${ingested.events} events into ${ingested.files} files`);

  const t1 = performance.now();
  const update = await runUpdate({ pipeline: options.pipeline, lake, db }).catch((e) => {
    throw afterIngest(e, ingested);
  });
  const dataflowSeconds = (performance.now() - t1) / 1000;
  log(formatUpdate(update));
  const warnings = inputWarnings(update, options.input ?? DEFAULTS.sample);
  for (const w of warnings) console.error(`warning: ${w}`);

  const bar = progress("sentiment");
  const scored = await scoreNew({
    db,
    model: options.model,
    onProgress: (p) => bar.update(`${p.done}/${p.total} rows, ${p.rate.toFixed(0)} rows/s`),
  });
  bar.done();
  log(`sentiment: ${scored.scored} rows scored with ${scored.model}`);

  const t3 = performance.now();
  const labels = await labelCounts({ db, model: scored.model }).catch(() => []);
  const views = await reportViews({
    db,
    model: scored.model,
    input: options.input,
    explore: options.explore,
    exploreCache: join(reportDir, "silver_modes.json"),
  });
  const files: string[] = [];
  for (const [name, markup] of Object.entries(views.charts)) {
    files.push(...await writeChart(reportDir, name, markup, { png: true }));
  }
  const datasets = update.datasets.map((d) => d.name);
  const summary: PipelineSummary = {
    ingest: {
      events: ingested.events,
      malformed: ingested.malformed,
      files: ingested.files,
      seconds: ingested.seconds,
    },
    dataflow: { updateId: update.updateId, datasets: update.datasets, seconds: dataflowSeconds },
    tables: await tableCounts(db, datasets),
    sentiment: {
      model: scored.model,
      scored: scored.scored,
      skipped: scored.skipped,
      labels,
      seconds: scored.seconds,
    },
    report: { files, seconds: 0 },
    warnings,
  };
  const snapshot = await readSnapshot(db, {
    pipeline: options.pipeline ?? DEFAULTS.pipeline,
    settings: {
      input: options.input ?? DEFAULTS.sample,
      lake,
      database: db,
      model: scored.model,
      report: reportDir,
    },
  });
  files.push(await writeHtmlReport(reportDir, summary, views.sections, snapshot));
  summary.report.seconds = (performance.now() - t3) / 1000;
  return summary;
}

/** Runs the command; returns the exit code. */
export async function main(args: string[]): Promise<number> {
  if (wantsLive(args)) {
    return await (await import("./live/cli.ts")).main(args);
  }
  const { values, positionals } = parseArgs({
    args,
    strict: true,
    allowPositionals: true,
    options: {
      input: { type: "string" },
      lake: { type: "string" },
      db: { type: "string" },
      pipeline: { type: "string" },
      report: { type: "string" },
      model: { type: "string" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (positionals.length) throw new UsageError(`unexpected argument ${positionals[0]}`);
  const { json, help: _, ...paths } = values;
  const log = interactive() ? (line: string) => console.error(line) : undefined;
  const summary = await runPipeline({ ...paths, log });
  console.log(json ? JSON.stringify(summary, null, 2) : formatSummary(summary));
  return 0;
}
