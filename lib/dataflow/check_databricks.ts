/**
 * The `databricks` rule set of `--check --target databricks`: what in a pipeline
 * means something only to this engine, so that the file would not mean the same
 * on Databricks (Lakeflow Declarative Pipelines): engine table properties and
 * settings, source paths relative to the local lake or on a local disk, and
 * DuckDB spellings that Spark SQL does not have.
 */
import { checkPipeline, type Finding, functionCalls, type Rule } from "./check.ts";
import type { Pipeline } from "./parse.ts";
import { isWord, significant, type Token, tokenize } from "./tokens.ts";

/** Table properties and configuration keys that only this engine reads. */
const ENGINE_PREFIX = "tweetlake.";

/** Functions DuckDB has and Spark SQL does not (what a DuckDB user might write by habit). */
const DUCKDB_ONLY = [
  "list_filter",
  "list_transform",
  "list_value",
  "list_contains",
  "list_extract",
  "array_extract",
  "struct_pack",
  "strftime",
  "strptime",
  "regexp_matches",
  "epoch_ms",
  "string_split",
  "unnest",
  "json_extract_string",
  "read_json",
  "read_json_auto",
  "read_csv",
  "read_csv_auto",
  "read_parquet",
  "today",
];

/** Locations Databricks can read: cloud storage, volumes, the workspace, DBFS. */
const CLOUD = /^(s3a?|abfss?|gs|wasbs?|dbfs):|^\/(Volumes|Workspace|dbfs)\//;

/** `read_files` / `cloud_files` path literals of a file's raw text (before `${…}` substitution). */
function sourcePaths(toks: Token[]): { path: string; fn: string; line: number }[] {
  const sig = toks.filter(significant);
  const out: { path: string; fn: string; line: number }[] = [];
  for (let i = 0; i + 2 < sig.length; i++) {
    const fn = sig[i].text.toLowerCase();
    if ((fn === "read_files" || fn === "cloud_files") && sig[i + 1].text === "(") {
      const arg = sig[i + 2];
      if (arg.kind === "string" || arg.kind === "dstring") {
        out.push({ path: arg.value, fn, line: arg.line });
      }
    }
  }
  return out;
}

/** What only this engine understands, for a pipeline meant to run on Databricks. */
export const DATABRICKS_RULES: Rule[] = [
  {
    name: "engine table properties",
    find: (p) =>
      p.datasets.flatMap((d) =>
        Object.keys(d.properties).filter((k) => k.toLowerCase().startsWith(ENGINE_PREFIX))
          .map((k): Finding => ({
            feature: `TBLPROPERTIES '${k}'`,
            detail: k.toLowerCase() === "tweetlake.dedupekeys"
              ? "deduplication only this engine does (Databricks ignores the property and keeps " +
                "duplicates); deduplicate with a streaming table fed by CREATE FLOW … AS AUTO CDC " +
                "INTO … KEYS (…) SEQUENCE BY … STORED AS SCD TYPE 1"
              : "a property only this engine reads; Databricks ignores it",
            file: d.file,
            line: d.line,
            dataset: d.name,
          }))
      ),
  },
  {
    name: "engine configuration",
    find: (p) =>
      p.configuration.filter((c) => c.key.toLowerCase().startsWith(ENGINE_PREFIX))
        .map((c): Finding => ({
          feature: `configuration ${c.key}`,
          detail: "a setting only this engine reads (e.g. a local table mapping); on Databricks " +
            "the table or setting must exist in the workspace",
          file: c.file,
          line: c.line,
        })),
  },
  {
    name: "source locations",
    find: (p) =>
      p.files.flatMap((file) => {
        let toks: Token[];
        try {
          toks = tokenize(Deno.readTextFileSync(file));
        } catch {
          return [];
        }
        return sourcePaths(toks).filter((s) => !s.path.startsWith("${") && !CLOUD.test(s.path))
          .map((s): Finding => ({
            feature: `${s.fn}('${s.path}')`,
            detail: s.path.startsWith("/")
              ? "a folder on this machine; Databricks reads cloud storage, volumes or the " +
                "workspace: give its location, e.g. '${lake}/…' with lake in the pipeline " +
                "configuration"
              : "a path relative to the local lake, which Databricks does not have: begin it " +
                "with a configuration parameter, e.g. '${lake}/…', or give a full location",
            file,
            line: s.line,
          }));
      }),
  },
  {
    name: "DuckDB-only functions",
    find: (_p, sql) =>
      sql.flatMap((s) =>
        functionCalls(s.tokens).filter((c) => DUCKDB_ONLY.includes(c.name)).map((c) => ({
          feature: `DuckDB function ${c.name}()`,
          detail: "Spark SQL has no such function; use its Spark SQL equivalent",
          file: s.file,
          line: c.line,
          dataset: s.dataset,
        }))
      ),
  },
  {
    name: "DuckDB-only syntax",
    find: (_p, sql) =>
      sql.flatMap((s) => {
        const sig = s.tokens.filter(significant);
        return sig.flatMap((t, k): Finding[] =>
          sig[k - 1]?.text === "*" && (isWord(t, "exclude") || isWord(t, "replace"))
            ? [{
              feature: `SELECT * ${t.text.toUpperCase()}`,
              detail: "DuckDB syntax; Spark SQL writes * EXCEPT (…)",
              file: s.file,
              line: t.line,
              dataset: s.dataset,
            }]
            : []
        );
      }),
  },
];

/**
 * Every construct of a pipeline that only this engine understands (`--check --target
 * databricks`), in file and line order.
 */
export function checkDatabricks(p: Pipeline): Finding[] {
  return checkPipeline(p, DATABRICKS_RULES);
}

/** One line per finding: `file:line: dataset d: feature is engine-only: detail`. */
export function formatEngineOnly(findings: Finding[]): string {
  return findings.map((f) =>
    `${f.file}:${f.line}: ${f.dataset ? `dataset ${f.dataset}: ` : ""}${f.feature} is ` +
    `engine-only: ${f.detail}`
  ).join("\n");
}
