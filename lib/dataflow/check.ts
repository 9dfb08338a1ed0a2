/**
 * What will not run: every construct of a parsed pipeline that a target does
 * not support, with file, line and dataset, found before anything is planned or
 * run. A rule set is a list of rules; `LOCAL_RULES` is this engine's (an update
 * refuses to start when one matches, naming the feature; `--check` prints them all).
 */
import { PipelineError } from "./errors.ts";
import type { Pipeline } from "./parse.ts";
import { isNamePart } from "./names.ts";
import { significant, type Token } from "./tokens.ts";

/** One construct a target does not support, and where it is. */
export interface Finding {
  /** The feature's name, e.g. `read_kafka` or `AI function ai_query`. */
  feature: string;
  /** Why, or what to do instead. */
  detail: string;
  file: string;
  line: number;
  dataset?: string;
}

/** A piece of SQL a rule looks at: a dataset's or flow's query, or an expectation. */
export interface CheckedSql {
  tokens: Token[];
  file: string;
  dataset: string;
}

/** A rule: the findings it makes for a pipeline. */
export interface Rule {
  name: string;
  find(pipeline: Pipeline, sql: CheckedSql[]): Finding[];
}

/** Streaming sources that need a message bus or a Databricks service. */
const STREAMING_SOURCES = [
  "read_kafka",
  "read_kinesis",
  "read_pubsub",
  "read_pulsar",
  "read_eventhubs",
  "read_statestore",
  "read_state_metadata",
];

/** Databricks AI functions (they call model serving endpoints). */
const AI_FUNCTIONS = [
  "ai_analyze_sentiment",
  "ai_classify",
  "ai_extract",
  "ai_fix_grammar",
  "ai_forecast",
  "ai_gen",
  "ai_mask",
  "ai_parse_document",
  "ai_query",
  "ai_similarity",
  "ai_summarize",
  "ai_translate",
  "vector_search",
  "http_request",
];

/** Direct-file formats Spark reads that this engine does not. */
const UNREAD_FORMATS = ["avro", "orc", "binaryfile", "xml"];

/** Every function call in a token list: its (dotted) name, parts and line. */
export function functionCalls(toks: Token[]): { name: string; parts: string[]; line: number }[] {
  const sig = toks.filter(significant);
  const out: { name: string; parts: string[]; line: number }[] = [];
  for (let i = 0; i < sig.length; i++) {
    if (!isNamePart(sig[i]) || sig[i - 1]?.text === ".") continue;
    const parts = [sig[i].value];
    let j = i;
    while (sig[j + 1]?.text === "." && isNamePart(sig[j + 2])) {
      j += 2;
      parts.push(sig[j].value);
    }
    if (sig[j + 1]?.text === "(") {
      out.push({ name: parts.join(".").toLowerCase(), parts, line: sig[i].line });
    }
  }
  return out;
}

/** The SQL of a pipeline a rule looks at: queries, flow queries, expectation conditions. */
export function sqlOf(p: Pipeline): CheckedSql[] {
  const out: CheckedSql[] = [];
  for (const d of p.datasets) {
    out.push({ tokens: d.query, file: d.file, dataset: d.name });
    for (const e of d.expectations) {
      out.push({ tokens: e.condition, file: d.file, dataset: d.name });
    }
  }
  for (const f of p.flows) out.push({ tokens: f.query, file: f.file, dataset: f.target.name });
  return out;
}

const callRule = (
  name: string,
  names: string[],
  feature: (fn: string) => string,
  detail: string,
): Rule => ({
  name,
  find: (_p, sql) =>
    sql.flatMap((s) =>
      functionCalls(s.tokens).filter((c) => names.includes(c.name)).map((c) => ({
        feature: feature(c.name),
        detail,
        file: s.file,
        line: c.line,
        dataset: s.dataset,
      }))
    ),
});

/** What this engine does not run. */
export const LOCAL_RULES: Rule[] = [
  callRule(
    "streaming sources",
    STREAMING_SOURCES,
    (fn) => `streaming source ${fn}()`,
    "message buses and Databricks streaming services are not read locally; " +
      "land the events as files and read them with read_files",
  ),
  callRule(
    "AI functions",
    AI_FUNCTIONS,
    (fn) => `AI function ${fn}()`,
    "it calls a Databricks model serving endpoint, which is not reachable locally",
  ),
  {
    name: "catalog functions",
    find: (_p, sql) =>
      sql.flatMap((s) =>
        functionCalls(s.tokens).filter((c) => c.parts.length >= 2).map((c) => ({
          feature: `catalog function ${c.parts.join(".")}()`,
          detail: "Unity Catalog functions (SQL, Python and model UDFs) are not available locally",
          file: s.file,
          line: c.line,
          dataset: s.dataset,
        }))
      ),
  },
  {
    name: "one-time flows",
    find: (p) =>
      p.flows.filter((f) => f.once).map((f) => ({
        feature: `INSERT ONCE INTO flow ${f.name}`,
        detail: "one-time (backfill) flows are not implemented; run the backfill as its own " +
          "pipeline or as a regular flow",
        file: f.file,
        line: f.line,
        dataset: f.target.name,
      })),
  },
  {
    name: "direct file formats",
    find: (_p, sql) =>
      sql.flatMap((s) => {
        const sig = s.tokens.filter(significant);
        return sig.flatMap((t, k) =>
          t.kind === "word" && UNREAD_FORMATS.includes(t.text.toLowerCase()) &&
            sig[k + 1]?.text === "." && sig[k + 2]?.kind === "backtick"
            ? [{
              feature: `direct query of ${t.text} files`,
              detail: "direct file queries read json, csv, parquet, text and delta",
              file: s.file,
              line: t.line,
              dataset: s.dataset,
            }]
            : []
        );
      }),
  },
  {
    name: "expectations on views",
    find: (p) =>
      p.datasets.filter((d) => d.kind === "view" && d.expectations.length).map((d) => ({
        feature: "expectations on a view",
        detail: "put the expectations on a table that reads the view",
        file: d.file,
        line: d.expectations[0].line,
        dataset: d.name,
      })),
  },
];

/** The findings of a rule set for a pipeline, in file and line order. */
export function checkPipeline(p: Pipeline, rules: Rule[] = LOCAL_RULES): Finding[] {
  const sql = sqlOf(p);
  const seen = new Set<string>();
  return rules.flatMap((r) => r.find(p, sql)).filter((f) => {
    const key = `${f.file}:${f.line}:${f.feature}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  }).sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
}

/** One line per finding: `file:line: dataset d: feature: detail`. */
export function formatFindings(findings: Finding[]): string {
  return findings.map((f) =>
    `${f.file}:${f.line}: ${f.dataset ? `dataset ${f.dataset}: ` : ""}${f.feature} is not ` +
    `supported: ${f.detail}`
  ).join("\n");
}

/** Throws for the first finding (the update does not start), saying how many there are. */
export function refuseUnsupported(p: Pipeline, rules: Rule[] = LOCAL_RULES): void {
  const findings = checkPipeline(p, rules);
  if (!findings.length) return;
  const f = findings[0];
  const more = findings.length > 1
    ? ` (${findings.length - 1} more construct(s) will not run; list them with --check)`
    : "";
  throw new PipelineError(
    `${f.feature} is not supported locally: ${f.detail}${more}`,
    f.file,
    f.line,
    f.dataset,
  );
}
