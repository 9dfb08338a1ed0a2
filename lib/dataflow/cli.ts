/** `deno task dataflow`: runs one update of the pipeline (or a dry run, or prints its lineage). */
import { UsageError } from "../usage.ts";
import { writeFileSync } from "node:fs";
import { DEFAULTS } from "../config.ts";
import { progress } from "../progress.ts";
import { lineageChart } from "../viz/lineage.ts";
import { toStandaloneSvg } from "../viz/render.ts";
import { checkDatabricks, formatEngineOnly } from "./check_databricks.ts";
import { PipelineError } from "./errors.ts";
import { checkPipeline, formatFindings } from "./check.ts";
import { lineage, lineageText, planPipeline } from "./graph.ts";
import { openPipeline } from "./parse.ts";
import { formatUpdate } from "./report.ts";
import { PipelineRunningError, runUpdate, UpdateError, type UpdateOptions } from "./run.ts";

const HELP = `usage: deno task dataflow [flags]

Runs one update of a Delta Live Tables SQL pipeline on DuckDB: streaming tables
read only new files / rows and append, materialized views are recomputed; the
whole update commits at once or not at all.

  --pipeline <file.sql>        the pipeline (default ${DEFAULTS.pipeline})
  --settings <file>            a pipeline settings file instead: a bundle YAML
                               (resources.pipelines.<name>) or a pipeline JSON, with
                               libraries, configuration, catalog and schema / target
  --conf <key=value>           a configuration entry (\${key} parameter, spark.* setting,
                               or tweetlake.table.<name>=[format:]path); repeatable
  --lake <folder|s3://bucket/prefix>
                               where source paths are read (default ${DEFAULTS.lake})
  --db <file.duckdb>           the database (default ${DEFAULTS.db})
  --full-refresh [table…]      recompute these datasets (and what reads them) from all
                               input; with no names, every dataset
  --dry-run                    parse, plan and check every query, write nothing
  --check                      list every construct that will not run locally (file and
                               line), write nothing; exit 1 if there is any
  --lineage                    print the dataset graph and exit
  --lineage-svg <file.svg>     write the dataset graph as SVG and exit
  --target databricks          with --check: list instead every construct only this
                               engine understands (engine table properties and settings,
                               lake-relative or local source paths, DuckDB-only SQL), so
                               the file means the same on Databricks
  -h, --help                   show this help`;

/** Parsed command line. */
export interface DataflowArgs {
  options: UpdateOptions & { pipeline: string };
  lineage: boolean;
  check: boolean;
  lineageSvg?: string;
  /** What `--check` checks against: this engine (default) or Databricks. */
  target?: "local" | "databricks";
  help: boolean;
}

/** Parses the flags; throws a clear error for an unknown flag or a missing value. */
export function parseDataflowArgs(args: string[]): DataflowArgs {
  const out: DataflowArgs = {
    options: { pipeline: DEFAULTS.pipeline },
    lineage: false,
    check: false,
    help: false,
  };
  const value = (i: number, flag: string): string => {
    const v = args[i + 1];
    if (v === undefined || v.startsWith("--")) throw new Error(`${flag} needs a value`);
    return v;
  };
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = args[i].startsWith("--") && args[i].includes("=")
      ? [args[i].slice(0, args[i].indexOf("=")), args[i].slice(args[i].indexOf("=") + 1)]
      : [args[i], undefined];
    const take = () => inline ?? value(i++, flag);
    switch (flag) {
      case "--pipeline":
        out.options.pipeline = take();
        break;
      case "--settings":
        out.options.settings = take();
        break;
      case "--conf": {
        const kv = take();
        const eq = kv.indexOf("=");
        if (eq <= 0) throw new Error(`--conf needs key=value, not ${kv}`);
        out.options.conf = { ...out.options.conf, [kv.slice(0, eq).trim()]: kv.slice(eq + 1) };
        break;
      }
      case "--check":
        out.check = true;
        break;
      case "--lake":
        out.options.lake = take();
        break;
      case "--db":
        out.options.db = take();
        break;
      case "--full-refresh": {
        const names = inline !== undefined ? inline.split(",").filter(Boolean) : [];
        while (inline === undefined && args[i + 1] !== undefined && !args[i + 1].startsWith("-")) {
          names.push(...args[++i].split(",").filter(Boolean));
        }
        out.options.fullRefresh = names.length ? names : true;
        break;
      }
      case "--dry-run":
        out.options.dryRun = true;
        break;
      case "--lineage":
        out.lineage = true;
        break;
      case "--lineage-svg":
        out.lineageSvg = take();
        break;
      case "--target": {
        const t = take();
        if (t !== "local" && t !== "databricks") {
          throw new Error(`--target is local or databricks, not ${t}`);
        }
        out.target = t;
        break;
      }
      case "-h":
      case "--help":
        out.help = true;
        break;
      default:
        throw new Error(`unknown flag ${args[i]}`);
    }
  }
  return out;
}

/** Entry point for `cli.ts dataflow`; returns the exit code. */
export async function main(args: string[]): Promise<number> {
  let parsed: DataflowArgs;
  try {
    parsed = parseDataflowArgs(args);
  } catch (e) {
    throw new UsageError((e as Error).message, { cause: e });
  }
  if (parsed.help) {
    console.log(HELP);
    return 0;
  }
  if (parsed.target === "databricks" && !parsed.check) {
    console.error("error: --target databricks goes with --check");
    return 2;
  }
  try {
    const pipeline = await openPipeline(parsed.options, DEFAULTS.pipeline);
    if (parsed.check && parsed.target === "databricks") {
      const findings = checkDatabricks(pipeline);
      if (!findings.length) {
        console.log(
          `${pipeline.file}: nothing engine-only; the pipeline means the same on Databricks`,
        );
        return 0;
      }
      console.log(formatEngineOnly(findings));
      console.error(`${findings.length} engine-only construct(s)`);
      return 1;
    }
    for (const e of pipeline.ignored) {
      console.error(`note: ${e.key} has no meaning locally and is ignored (${e.file}:${e.line})`);
    }
    if (parsed.check) {
      const findings = checkPipeline(pipeline);
      try {
        planPipeline(pipeline);
      } catch (e) {
        if (!(e instanceof PipelineError)) throw e;
        const { detail, file, line, dataset } = e;
        findings.push({ feature: "planning", detail, file, line, dataset });
      }
      if (!findings.length) {
        console.log(
          `${pipeline.file}: every construct of ${pipeline.datasets.length} dataset(s) in ` +
            `${pipeline.files.length} file(s) runs locally`,
        );
        return 0;
      }
      console.log(formatFindings(findings));
      console.error(`${findings.length} construct(s) will not run locally`);
      return 1;
    }
    if (parsed.lineage || parsed.lineageSvg) {
      const graph = lineage(pipeline);
      if (parsed.lineage) console.log(lineageText(graph));
      if (parsed.lineageSvg) {
        writeFileSync(parsed.lineageSvg, toStandaloneSvg(lineageChart(graph)));
        console.log(`wrote ${parsed.lineageSvg}`);
      }
      return 0;
    }
    const bar = progress("dataflow");
    const result = await runUpdate({
      ...parsed.options,
      pipeline,
      onProgress: (e) =>
        bar.update(
          `${e.dataset} ${
            e.batch ? `batch ${e.batch.index}/${e.batch.of}` : e.phase === "start" ? "…" : "done"
          }`,
        ),
    });
    bar.done();
    console.log(formatUpdate(result));
    return 0;
  } catch (e) {
    if (e instanceof UpdateError) {
      console.log(formatUpdate(e.result));
      console.error(`error: ${e.message}`);
      return 1;
    }
    if (e instanceof PipelineError || e instanceof PipelineRunningError) {
      console.error(`error: ${e.message}`);
      return 1;
    }
    throw e;
  }
}
