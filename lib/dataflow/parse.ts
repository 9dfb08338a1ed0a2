/**
 * Parses a Lakeflow / Delta Live Tables SQL file into dataset definitions and
 * flows: `CREATE OR REFRESH STREAMING TABLE` (with or without a query),
 * `… MATERIALIZED VIEW`, `CREATE [TEMPORARY] [LIVE] VIEW`, the legacy
 * `CREATE [OR REPLACE] STREAMING LIVE TABLE` / `CREATE LIVE TABLE` forms,
 * `CREATE FLOW f AS INSERT INTO t BY NAME …` append flows, `CREATE FLOW … AS
 * AUTO CDC INTO` / `APPLY CHANGES INTO` (read by cdc_flow.ts), and `SET key = value`. `${key}` parameters are substituted from the configuration
 * and earlier `SET` statements before a statement is read.
 */
import { attachCdcFlows, type CdcFlow, isCdcStatement, parseCdcStatement } from "./cdc_flow.ts";
import { PipelineError } from "./errors.ts";
import { type NameContext, resolveName, type TableName } from "./names.ts";
import {
  type ConfigEntry,
  DEFAULT_ENGINE_SETTINGS,
  type EngineSettings,
  engineSettings,
  fileSettings,
  loadSettings,
  type PipelineSettings,
  type TableMapping,
} from "./settings.ts";
import { isWord, significant, type Token, tokenize, TokenizeError } from "./tokens.ts";

/**
 * Streaming tables process new input once; materialized views are recomputed;
 * views are not stored: their query is read by the datasets that name them.
 */
export type DatasetKind = "streaming" | "materialized" | "view";

/** What happens to a row that fails an expectation. */
export type ViolationAction = "warn" | "drop" | "fail";

/** `CONSTRAINT name EXPECT (condition) [ON VIOLATION DROP ROW | FAIL UPDATE]`. */
export interface Expectation {
  name: string;
  /** The condition's tokens (Spark spelling; translated when run). */
  condition: Token[];
  action: ViolationAction;
  line: number;
}

/** A declared column: `name TYPE` (Spark or DuckDB type spelling). */
export interface ColumnDef {
  name: string;
  type: string;
  line: number;
}

/** One dataset definition in a pipeline file. */
export interface Dataset {
  /** How the engine names it: `table` in DuckDB's `main` schema, else `schema.table`. */
  name: string;
  /** The DuckDB schema and table it is stored as (see names.ts). */
  schema: string;
  table: string;
  kind: DatasetKind;
  /** `TEMPORARY` / `PRIVATE`: not published on Databricks (stored locally all the same). */
  temporary: boolean;
  comment?: string;
  columns: ColumnDef[];
  properties: Record<string, string>;
  expectations: Expectation[];
  /** The query after `AS` (tokens with their lines); empty for a table that only flows fill. */
  query: Token[];
  /** The `AUTO CDC` / `APPLY CHANGES` flow that writes this streaming table. */
  cdc?: CdcFlow;
  file: string;
  line: number;
}

/** `CREATE FLOW name AS INSERT INTO target BY NAME query`: an append flow (CDC flows: cdc_flow.ts). */
export interface Flow {
  name: string;
  /** The dataset written (resolved as dataset names are). */
  target: TableName;
  /** `INSERT ONCE INTO`: a backfill that runs once. */
  once: boolean;
  /** The query's tokens (spaces included). */
  query: Token[];
  comment?: string;
  file: string;
  line: number;
}

/** A parsed pipeline: one SQL file, or every SQL file of a project. */
export interface Pipeline {
  /** The SQL file, or the settings file of a project. */
  file: string;
  /** Every SQL file read, in order. */
  files: string[];
  datasets: Dataset[];
  flows: Flow[];
  /** Configuration entries (settings, then `SET` statements in order). */
  configuration: ConfigEntry[];
  /** The engine settings resolved from the configuration. */
  settings: EngineSettings;
  /** `spark.*` settings that mean nothing locally (listed once). */
  ignored: ConfigEntry[];
  /** The default catalog and schema. */
  names: NameContext;
  /** Tables outside the pipeline mapped to local files (from the settings). */
  tables: TableMapping[];
}

/** What a file is parsed with: the default names and the configuration (`${key}` values). */
export interface ParseOptions {
  names?: NameContext;
  configuration?: ConfigEntry[];
  tables?: TableMapping[];
}

class Cursor {
  i = 0;
  constructor(readonly toks: Token[], readonly file: string, readonly dataset?: string) {}
  peek(ahead = 0): Token | undefined {
    return this.toks[this.i + ahead];
  }
  next(): Token | undefined {
    return this.toks[this.i++];
  }
  line(): number {
    return this.peek()?.line ?? this.toks.at(-1)?.line ?? 1;
  }
  fail(message: string, line = this.line()): never {
    throw new PipelineError(message, this.file, line, this.dataset);
  }
  word(...words: string[]): boolean {
    if (!words.every((w, k) => isWord(this.peek(k), w))) return false;
    this.i += words.length;
    return true;
  }
  expect(word: string): void {
    if (!this.word(word)) {
      this.fail(`expected ${word.toUpperCase()}, found ${describe(this.peek())}`);
    }
  }
  op(text: string): boolean {
    if (this.peek()?.kind !== "op" || this.peek()?.text !== text) return false;
    this.i++;
    return true;
  }
  name(what: string): string {
    const t = this.next();
    if (t?.kind !== "word" && t?.kind !== "backtick") {
      this.fail(`expected ${what}, found ${describe(t)}`, t?.line);
    }
    return t.value;
  }
  /** The tokens inside a balanced `( … )` starting at the cursor (which must be at `(`). */
  group(): Token[] {
    const open = this.next();
    if (open?.text !== "(") this.fail(`expected (, found ${describe(open)}`, open?.line);
    const start = this.i;
    let depth = 1;
    while (this.i < this.toks.length) {
      const t = this.toks[this.i++];
      if (t.text === "(") depth++;
      else if (t.text === ")" && --depth === 0) return this.toks.slice(start, this.i - 1);
    }
    return this.fail("unbalanced parentheses", open.line);
  }
}

function describe(t: Token | undefined): string {
  return t ? `'${t.text}'` : "end of statement";
}

/** Splits tokens at top-level commas (`angles`: `<…>` nest too, as in Spark types). */
export function splitTopLevel(toks: Token[], sep = ",", angles = false): Token[][] {
  const parts: Token[][] = [[]];
  let depth = 0;
  for (const t of toks) {
    if (t.text === "(" || t.text === "[" || (angles && t.text === "<")) depth++;
    if (t.text === ")" || t.text === "]" || (angles && t.text === ">")) depth--;
    if (depth === 0 && t.kind === "op" && t.text === sep) parts.push([]);
    else parts.at(-1)!.push(t);
  }
  return parts.filter((p) => p.some(significant));
}

function stringValue(c: Cursor, what: string): string {
  const t = c.next();
  if (t?.kind !== "string" && t?.kind !== "dstring") {
    c.fail(`expected a string for ${what}, found ${describe(t)}`, t?.line);
  }
  return t.value;
}

function parseExpectation(c: Cursor): Expectation {
  const line = c.line();
  c.expect("constraint");
  const name = c.name("an expectation name");
  c.expect("expect");
  const condition = c.group();
  if (!condition.some(significant)) c.fail(`expectation ${name} has an empty condition`, line);
  let action: ViolationAction = "warn";
  if (c.word("on", "violation")) {
    if (c.word("drop", "row")) action = "drop";
    else if (c.word("fail", "update")) action = "fail";
    else c.fail("expected DROP ROW or FAIL UPDATE after ON VIOLATION");
  }
  return { name, condition, action, line };
}

function parseElements(c: Cursor, ds: Dataset): void {
  for (const item of splitTopLevel(c.group().filter(significant))) {
    const ic: Cursor = new Cursor(item, c.file, ds.name);
    if (isWord(item[0], "constraint") && item.some((t) => isWord(t, "expect"))) {
      ds.expectations.push(parseExpectation(ic));
    } else if (isWord(item[0], "constraint") || isWord(item[0], "primary")) {
      continue; // table constraints (PRIMARY KEY, FOREIGN KEY) are informational
    } else {
      const line = ic.line();
      const name = ic.name("a column name");
      const rest = item.slice(1);
      const cut = rest.findIndex((t) =>
        isWord(t, "comment") || isWord(t, "not") || isWord(t, "generated")
      );
      const typeToks = cut < 0 ? rest : rest.slice(0, cut);
      if (typeToks.length === 0) ic.fail(`column ${name} has no type`, line);
      ds.columns.push({ name, type: typeToks.map((t) => t.text).join(" "), line });
    }
    if (ic.i < item.length && isWord(item[0], "constraint")) {
      ic.fail(`unexpected ${describe(ic.peek())} after expectation`);
    }
  }
}

/** Reads a dotted dataset name (`t`, `s.t`, `c.s.t`, parts plain or backquoted). */
function dottedName(c: Cursor, what: string): string[] {
  const parts = [c.name(what)];
  while (c.op(".")) parts.push(c.name(what));
  if (parts.length > 3) c.fail(`${parts.join(".")}: a name has at most three parts`);
  return parts;
}

function parseDataset(toks: Token[], file: string, names: NameContext): Dataset {
  const sig = toks.filter(significant);
  const c: Cursor = new Cursor(sig, file);
  const line = c.line();
  c.expect("create");
  if (c.word("or")) {
    if (!c.word("refresh") && !c.word("replace")) c.fail("expected REFRESH or REPLACE after OR");
  }
  const temporary = c.word("temporary") || c.word("private");
  let kind: DatasetKind = "materialized";
  if (c.word("streaming")) kind = "streaming";
  c.word("live");
  if (c.word("materialized", "view")) {
    if (kind === "streaming") c.fail("a MATERIALIZED VIEW cannot be STREAMING");
  } else if (c.word("view")) {
    if (kind === "streaming") c.fail("expected TABLE after STREAMING, found VIEW");
    kind = "view";
  } else if (!c.word("table")) {
    c.fail(`expected TABLE, VIEW or MATERIALIZED VIEW, found ${describe(c.peek())}`);
  }
  const resolved = resolveName(dottedName(c, "a dataset name"), names);
  const name = resolved.name;
  const ds: Dataset = {
    name,
    schema: resolved.schema,
    table: resolved.table,
    kind,
    temporary,
    columns: [],
    properties: {},
    expectations: [],
    query: [],
    file,
    line,
  };
  const cc: Cursor = new Cursor(sig, file, name);
  cc.i = c.i;
  while (!cc.word("as")) {
    const t = cc.peek();
    if (!t && kind === "streaming") return finish(ds, cc); // filled by flows
    if (!t) cc.fail("expected AS followed by a query");
    if (t.text === "(") parseElements(cc, ds);
    else if (cc.word("comment")) ds.comment = stringValue(cc, "COMMENT");
    else if (cc.word("tblproperties")) {
      for (const item of splitTopLevel(cc.group())) {
        const pc: Cursor = new Cursor(item.filter(significant), file, name);
        const key = stringValue(pc, "a table property name");
        if (!pc.op("=")) pc.fail("expected = in TBLPROPERTIES");
        ds.properties[key] = stringValue(pc, `table property ${key}`);
      }
    } else if (cc.word("partitioned", "by") || cc.word("cluster", "by")) {
      if (cc.peek()?.text === "(") cc.group();
      else cc.name("a column");
    } else if (cc.word("using")) cc.name("a table format");
    else cc.fail(`unexpected ${describe(t)} before AS`);
  }
  // Keep the raw tokens (spaces included) of the query, without a trailing semicolon.
  const first = sig[cc.i];
  if (!first) cc.fail("expected a query after AS");
  const start = toks.indexOf(first);
  ds.query = toks.slice(start).filter((t) => !(t.kind === "op" && t.text === ";"));
  return finish(ds, cc);
}

function finish(ds: Dataset, cc: Cursor): Dataset {
  const seen = new Set<string>();
  for (const e of ds.expectations) {
    const key = e.name.toLowerCase();
    if (seen.has(key)) cc.fail(`duplicate expectation name ${e.name}`, e.line);
    seen.add(key);
  }
  return ds;
}

/** `CREATE FLOW f [COMMENT '…'] AS INSERT [ONCE] INTO t [BY NAME] query`, or `… AS AUTO CDC [ONCE] INTO t …`. */
function parseFlow(toks: Token[], file: string, names: NameContext): Flow {
  const sig = toks.filter(significant);
  const c: Cursor = new Cursor(sig, file);
  const line = c.line();
  c.expect("create");
  c.expect("flow");
  const name = dottedName(c, "a flow name").join(".");
  const fc: Cursor = new Cursor(sig, file, name);
  fc.i = c.i;
  let comment: string | undefined;
  if (fc.word("comment")) comment = stringValue(fc, "COMMENT");
  fc.expect("as");
  if (!fc.word("insert")) fc.fail(`expected INSERT INTO or AUTO CDC INTO after AS`);
  let once = fc.word("once"); // INSERT ONCE INTO (current) or INSERT INTO ONCE (earlier docs)
  fc.expect("into");
  once = fc.word("once") || once;
  const target = resolveName(dottedName(fc, "a target table"), names);
  fc.word("by", "name");
  const first = sig[fc.i];
  if (!first) fc.fail("expected a query after the target table");
  const query = toks.slice(toks.indexOf(first)).filter((t) => !(t.kind === "op" && t.text === ";"));
  return { name, target, once, query, comment, file, line };
}

/** `SET key = value` (the value is the rest of the statement, trimmed); `SET key` alone is a no-op. */
function parseSet(toks: Token[], file: string): ConfigEntry | undefined {
  const sig = toks.filter(significant);
  const line = sig[0].line;
  const eq = sig.findIndex((t) => t.text === "=");
  const text = (from: number, to: number) => {
    const a = toks.indexOf(sig[from]);
    const b = to < sig.length ? toks.indexOf(sig[to]) : toks.length;
    return toks.slice(a, b).filter((t) => t.kind !== "comment" && t.text !== ";")
      .map((t) => t.text).join("").trim();
  };
  if (eq < 0) return undefined;
  const key = text(1, eq);
  if (!key) throw new PipelineError("SET: expected a key before =", file, line);
  return { key, value: text(eq + 1, sig.length), file, line };
}

const PARAM = /\$\{([^}\s]+)\}/g;

/**
 * The `${lake}` parameter: where the pipeline's sources live. It defaults to `.`, the lake
 * the update reads (`--lake`), so `'${lake}/raw/x'` is `raw/x` in that lake locally; on
 * Databricks the pipeline configuration sets it (e.g. `s3://bucket/prefix`).
 */
export const LAKE_PARAMETER = "lake";

/** Substitutes `${key}` in a statement (comments become blanks when a parameter is found). */
function substitute(toks: Token[], values: Map<string, string>, file: string): Token[] {
  const text = toks.map((t) => t.kind === "comment" ? t.text.replace(/[^\n]/g, " ") : t.text)
    .join("");
  if (!text.includes("${")) return toks;
  const first = toks[0].line;
  const out = text.replace(PARAM, (_m, k: string, offset: number) => {
    const v = values.get(k);
    if (v !== undefined) return v;
    throw new PipelineError(
      `parameter \${${k}} is not defined (set it in the settings' configuration, ` +
        `with --conf ${k}=…, or with SET ${k} = …)`,
      file,
      first + text.slice(0, offset).split("\n").length - 1,
    );
  });
  try {
    return tokenize(out).map((t) => ({ ...t, line: t.line + first - 1 }));
  } catch (e) {
    if (e instanceof TokenizeError) throw new PipelineError(e.message, file, e.line + first - 1);
    throw e;
  }
}

/** Splits a file's tokens into statements: at `;`, or where a top-level CREATE / SET / APPLY begins. */
function statements(toks: Token[]): Token[][] {
  const out: Token[][] = [[]];
  let depth = 0;
  for (const [k, t] of toks.entries()) {
    if (t.text === "(") depth++;
    if (t.text === ")") depth--;
    const current = out.at(-1)!;
    const starts = isWord(t, "create") || isWord(t, "set") ||
      (isWord(t, "apply") && isWord(toks.slice(k + 1).find(significant), "changes"));
    if (depth === 0 && t.kind === "op" && t.text === ";") out.push([]);
    else if (depth === 0 && starts && current.some(significant)) out.push([t]);
    else current.push(t);
  }
  return out.filter((st) => st.some(significant));
}

/** One SQL file of a pipeline, parsed. */
interface ParsedFile {
  file: string;
  datasets: Dataset[];
  flows: Flow[];
  cdcFlows: CdcFlow[];
  sets: ConfigEntry[];
}

/** Parses one SQL file: its datasets, flows, and `SET` entries in order. */
function parseFile(
  text: string,
  file: string,
  options: ParseOptions,
): ParsedFile {
  let toks: Token[];
  try {
    toks = tokenize(text);
  } catch (e) {
    if (e instanceof TokenizeError) throw new PipelineError(e.message, file, e.line);
    throw e;
  }
  const names = options.names ?? {};
  const values = new Map([
    [LAKE_PARAMETER, "."],
    ...(options.configuration ?? []).map((e): [string, string] => [e.key, e.value]),
  ]);
  const datasets: Dataset[] = [];
  const flows: Flow[] = [];
  const cdcFlows: CdcFlow[] = [];
  const sets: ConfigEntry[] = [];
  for (const raw of statements(toks)) {
    const st = substitute(raw, values, file);
    const head = st.find(significant)!;
    if (isWord(head, "set")) {
      const entry = parseSet(st, file);
      if (entry) {
        sets.push(entry);
        values.set(entry.key, entry.value);
      }
      continue;
    }
    if (isCdcStatement(st.filter(significant))) {
      cdcFlows.push(parseCdcStatement(st.filter(significant), file));
      continue;
    }
    const second = st.filter(significant)[1];
    if (isWord(head, "create") && isWord(second, "flow")) {
      flows.push(parseFlow(st, file, names));
      continue;
    }
    datasets.push(parseDataset(st, file, names));
  }
  return { file, datasets, flows, cdcFlows, sets };
}

/** Parses pipeline SQL text; `file` is used in error messages. */
export function parsePipeline(
  text: string,
  file = "<pipeline>",
  options: ParseOptions = {},
): Pipeline {
  const parsed = parseFile(text, file, options);
  if (parsed.datasets.length === 0) throw new PipelineError("no datasets defined", file, 1);
  return mergePipelines(file, [parsed], {
    ...options,
    configuration: [...(options.configuration ?? []), ...parsed.sets],
  });
}

/** Combines the parsed files of one pipeline; a dataset or flow name may be defined once. */
export function mergePipelines(
  file: string,
  parts: ParsedFile[],
  options: ParseOptions = {},
): Pipeline {
  const configuration = options.configuration ?? [];
  const byName = new Map<string, Dataset>();
  const datasets: Dataset[] = [];
  for (const ds of parts.flatMap((p) => p.datasets)) {
    const key = ds.name.toLowerCase();
    const prev = byName.get(key);
    if (prev) {
      throw new PipelineError(
        `duplicate dataset name (first defined at ${prev.file === ds.file ? "" : `${prev.file}:`}` +
          `line ${prev.line})`,
        ds.file,
        ds.line,
        ds.name,
      );
    }
    byName.set(key, ds);
    datasets.push(ds);
  }
  const flowNames = new Map<string, Flow>();
  const flows = parts.flatMap((p) => p.flows);
  for (const f of flows) {
    const key = f.name.toLowerCase();
    const prev = flowNames.get(key);
    if (prev) {
      throw new PipelineError(
        `duplicate flow name ${f.name} (first defined at ${prev.file}:${prev.line})`,
        f.file,
        f.line,
      );
    }
    flowNames.set(key, f);
  }
  attachCdcFlows(datasets, parts.flatMap((p) => p.cdcFlows));
  const { settings, ignored } = configuration.length
    ? engineSettings(configuration)
    : { settings: { ...DEFAULT_ENGINE_SETTINGS }, ignored: [] };
  return {
    file,
    files: parts.map((p) => p.file),
    datasets,
    flows,
    configuration,
    settings,
    ignored,
    names: options.names ?? {},
    tables: options.tables ?? [],
  };
}

/** Reads and parses a pipeline file. */
export async function loadPipeline(path: string, options: ParseOptions = {}): Promise<Pipeline> {
  return parsePipeline(await Deno.readTextFile(path), path, options);
}

/**
 * Reads every SQL file of a pipeline's settings (in order) with its configuration,
 * default catalog / schema and table mappings, as one pipeline.
 */
export async function loadProject(settings: PipelineSettings): Promise<Pipeline> {
  if (!settings.libraries.length) {
    throw new PipelineError("the settings list no SQL files (libraries)", settings.file, 1);
  }
  const names = { catalog: settings.catalog, schema: settings.schema };
  const parts: ParsedFile[] = [];
  const configuration = [...settings.configuration];
  for (const file of settings.libraries) {
    let text: string;
    try {
      text = await Deno.readTextFile(file);
    } catch (e) {
      throw new PipelineError(`cannot read ${file}: ${(e as Error).message}`, settings.file, 1);
    }
    const parsed = parseFile(text, file, { names, configuration: settings.configuration });
    parts.push(parsed);
    configuration.push(...parsed.sets);
  }
  const p = mergePipelines(settings.file, parts, {
    names,
    configuration,
    tables: settings.tables,
  });
  if (!p.datasets.length) throw new PipelineError("no datasets defined", settings.file, 1);
  return p;
}

/** Where a pipeline comes from: a settings file, or one SQL file; `conf` adds configuration. */
export interface PipelineSource {
  /** A SQL file (when there is no settings file). */
  pipeline?: string;
  /** A bundle YAML or pipeline settings JSON. */
  settings?: string;
  /** Configuration entries given on the command line (`--conf key=value`), applied last. */
  conf?: Record<string, string>;
}

/** Loads a pipeline from its settings file, or from one SQL file (with `--conf` entries). */
export async function openPipeline(source: PipelineSource, fallback: string): Promise<Pipeline> {
  if (source.settings) {
    return await loadProject(await loadSettings(source.settings, { overrides: source.conf }));
  }
  const file = source.pipeline ?? fallback;
  if (!source.conf || !Object.keys(source.conf).length) return await loadPipeline(file);
  return await loadProject(fileSettings(file, source.conf));
}
