/**
 * Parses a Lakeflow / Delta Live Tables SQL file into dataset definitions:
 * `CREATE OR REFRESH STREAMING TABLE`, `… MATERIALIZED VIEW`, and the legacy
 * `CREATE [OR REPLACE] STREAMING LIVE TABLE` / `CREATE LIVE TABLE` forms.
 */
import { attachCdcFlows, type CdcFlow, isCdcStatement, parseCdcStatement } from "./cdc_flow.ts";
import { PipelineError } from "./errors.ts";
import { isWord, significant, type Token, tokenize, TokenizeError } from "./tokens.ts";

/** Streaming tables process new input once; materialized views are recomputed. */
export type DatasetKind = "streaming" | "materialized";

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
  name: string;
  kind: DatasetKind;
  comment?: string;
  columns: ColumnDef[];
  properties: Record<string, string>;
  expectations: Expectation[];
  /** The query after `AS` (tokens with their lines); for a CDC target, its flow's read. */
  query: Token[];
  /** The `AUTO CDC` / `APPLY CHANGES` flow that writes this streaming table. */
  cdc?: CdcFlow;
  file: string;
  line: number;
}

/** A parsed pipeline file. */
export interface Pipeline {
  file: string;
  datasets: Dataset[];
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

function parseStatement(toks: Token[], file: string): Dataset {
  const sig = toks.filter(significant);
  const c: Cursor = new Cursor(sig, file);
  const line = c.line();
  c.expect("create");
  if (c.word("or")) {
    if (!c.word("refresh") && !c.word("replace")) c.fail("expected REFRESH or REPLACE after OR");
  }
  c.word("temporary");
  let kind: DatasetKind = "materialized";
  if (c.word("streaming")) kind = "streaming";
  c.word("live");
  if (c.word("materialized", "view")) {
    if (kind === "streaming") c.fail("a MATERIALIZED VIEW cannot be STREAMING");
  } else if (!c.word("table") && !c.word("view")) {
    c.fail(`expected TABLE or MATERIALIZED VIEW, found ${describe(c.peek())}`);
  }
  let name = c.name("a dataset name");
  while (c.op(".")) name = c.name("a dataset name");
  const ds: Dataset = {
    name,
    kind,
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
    // A streaming table declared without a query is the target of a flow.
    if (!t && kind === "streaming") return ds;
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
  const seen = new Set<string>();
  for (const e of ds.expectations) {
    const key = e.name.toLowerCase();
    if (seen.has(key)) cc.fail(`duplicate expectation name ${e.name}`, e.line);
    seen.add(key);
  }
  return ds;
}

/** Parses pipeline SQL text; `file` is used in error messages. */
export function parsePipeline(text: string, file = "<pipeline>"): Pipeline {
  let toks: Token[];
  try {
    toks = tokenize(text);
  } catch (e) {
    if (e instanceof TokenizeError) throw new PipelineError(e.message, file, e.line);
    throw e;
  }
  // Statements end at `;` or where the next top-level CREATE or APPLY CHANGES begins
  // (notebook cells have no `;`).
  const statements: Token[][] = [[]];
  const sigToks = toks.filter(significant);
  let depth = 0;
  for (const t of toks) {
    if (t.text === "(") depth++;
    if (t.text === ")") depth--;
    const current = statements.at(-1)!;
    const starts = isWord(t, "create") ||
      (isWord(t, "apply") && isWord(sigToks[sigToks.indexOf(t) + 1], "changes"));
    if (depth === 0 && t.kind === "op" && t.text === ";") statements.push([]);
    else if (depth === 0 && starts && current.some(significant)) {
      statements.push([t]);
    } else current.push(t);
  }
  const datasets: Dataset[] = [];
  const flows: CdcFlow[] = [];
  const byName = new Map<string, Dataset>();
  for (const st of statements) {
    if (!st.some(significant)) continue;
    if (isCdcStatement(st.filter(significant))) {
      flows.push(parseCdcStatement(st.filter(significant), file));
      continue;
    }
    const ds = parseStatement(st, file);
    const prev = byName.get(ds.name.toLowerCase());
    if (prev) {
      throw new PipelineError(
        `duplicate dataset name (first defined at line ${prev.line})`,
        file,
        ds.line,
        ds.name,
      );
    }
    byName.set(ds.name.toLowerCase(), ds);
    datasets.push(ds);
  }
  if (datasets.length === 0) throw new PipelineError("no datasets defined", file, 1);
  attachCdcFlows(datasets, flows);
  for (const d of datasets) {
    if (!d.query.some(significant)) {
      throw new PipelineError(
        "a streaming table declared without AS needs a flow that writes into it " +
          "(CREATE FLOW … AS AUTO CDC INTO / APPLY CHANGES INTO)",
        file,
        d.line,
        d.name,
      );
    }
  }
  return { file, datasets };
}

/** Reads and parses a pipeline file. */
export async function loadPipeline(path: string): Promise<Pipeline> {
  return parsePipeline(await Deno.readTextFile(path), path);
}
