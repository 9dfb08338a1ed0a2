/**
 * Change data capture statements of a pipeline file: `APPLY CHANGES INTO` and
 * `CREATE FLOW name AS AUTO CDC INTO` (the same clauses), parsed into a
 * `CdcFlow` and attached to the streaming table they write into.
 */
import { PipelineError } from "./errors.ts";
import { isWord, significant, type Token } from "./tokens.ts";

/** A column selection: a list of columns, or every column except some. */
export type ColumnSelection = { kind: "list"; columns: string[] } | {
  kind: "except";
  columns: string[];
};

/** One `AUTO CDC` / `APPLY CHANGES` flow. */
export interface CdcFlow {
  /** The flow's name (`CREATE FLOW name`), or the target's name for `APPLY CHANGES INTO`. */
  name: string;
  target: string;
  /** The tokens after FROM (a streaming read such as `STREAM(LIVE.changes)`). */
  source: Token[];
  keys: string[];
  /** The SEQUENCE BY expression (a column, or `struct(a, b)`). */
  sequenceBy: Token[];
  deleteWhen?: Token[];
  truncateWhen?: Token[];
  /** IGNORE NULL UPDATES: on every column (`all`) or on a selection. */
  ignoreNullUpdates?: "all" | ColumnSelection;
  columns?: ColumnSelection;
  scdType: 1 | 2;
  trackHistory?: ColumnSelection;
  file: string;
  line: number;
}

/** Clause keywords that end the tokens of the clause before them. */
const CLAUSE_STARTS: string[][] = [
  ["keys"],
  ["ignore", "null", "updates"],
  ["apply", "as"],
  ["sequence", "by"],
  ["system", "sequence", "by"],
  ["columns"],
  ["stored", "as"],
  ["track", "history", "on"],
];

/** Whether a statement's significant tokens begin a CDC flow. */
export function isCdcStatement(sig: Token[]): boolean {
  if (isWord(sig[0], "apply") && isWord(sig[1], "changes")) return true;
  if (!isWord(sig[0], "create")) return false;
  const flow = sig.findIndex((t) => isWord(t, "flow"));
  if (flow < 0 || flow > 3) return false;
  const as = flow + 2;
  return isWord(sig[as], "as") &&
    ((isWord(sig[as + 1], "auto") && isWord(sig[as + 2], "cdc")) ||
      (isWord(sig[as + 1], "apply") && isWord(sig[as + 2], "changes")));
}

class Reader {
  i = 0;
  constructor(readonly toks: Token[], readonly file: string, public dataset?: string) {}
  peek(k = 0): Token | undefined {
    return this.toks[this.i + k];
  }
  line(): number {
    return this.peek()?.line ?? this.toks.at(-1)?.line ?? 1;
  }
  fail(message: string, line = this.line()): never {
    throw new PipelineError(message, this.file, line, this.dataset);
  }
  at(...words: string[]): boolean {
    return words.every((w, k) => isWord(this.peek(k), w));
  }
  word(...words: string[]): boolean {
    if (!this.at(...words)) return false;
    this.i += words.length;
    return true;
  }
  expect(...words: string[]): void {
    if (!this.word(...words)) {
      const found = this.peek() ? `'${this.peek()!.text}'` : "end of statement";
      this.fail(`expected ${words.join(" ").toUpperCase()}, found ${found}`);
    }
  }
  name(what: string): string {
    const t = this.toks[this.i++];
    if (t?.kind !== "word" && t?.kind !== "backtick") {
      this.fail(`expected ${what}, found ${t ? `'${t.text}'` : "end of statement"}`, t?.line);
    }
    return t.value;
  }
  /** A dotted name (`live.x`, `catalog.schema.x`): its last part. */
  dottedName(what: string): string {
    let n = this.name(what);
    while (this.peek()?.text === ".") {
      this.i++;
      n = this.name(what);
    }
    return n;
  }
  atClause(): boolean {
    return CLAUSE_STARTS.some((words) => this.at(...words));
  }
  /** Tokens up to the next clause keyword at parenthesis depth 0. */
  untilClause(): Token[] {
    const start = this.i;
    let depth = 0;
    while (this.i < this.toks.length) {
      const t = this.toks[this.i];
      if (depth === 0 && this.atClause()) break;
      if (t.text === "(") depth++;
      if (t.text === ")") depth--;
      this.i++;
    }
    return this.toks.slice(start, this.i);
  }
}

function names(r: Reader, toks: Token[], what: string): string[] {
  const inner = toks.length && toks[0].text === "(" && toks.at(-1)!.text === ")"
    ? toks.slice(1, -1)
    : toks;
  const out: string[] = [];
  let expectName = true;
  for (const t of inner) {
    if (expectName && (t.kind === "word" || t.kind === "backtick")) {
      out.push(t.value);
      expectName = false;
    } else if (!expectName && t.text === ",") expectName = true;
    else if (!expectName && t.text === ".") {
      out.pop(); // t.col: keep the last part
      expectName = true;
    } else r.fail(`expected a column name in ${what}, found '${t.text}'`, t.line);
  }
  if (!out.length || expectName) r.fail(`${what} needs at least one column name`);
  return [...new Set(out)];
}

function selection(r: Reader, what: string): ColumnSelection {
  if (r.peek()?.text === "*") {
    r.i++;
    r.expect("except");
    return { kind: "except", columns: names(r, r.untilClause(), `${what} * EXCEPT`) };
  }
  return { kind: "list", columns: names(r, r.untilClause(), what) };
}

/** Parses `APPLY CHANGES INTO …` or `CREATE FLOW name AS AUTO CDC INTO …` (significant tokens). */
export function parseCdcStatement(sig: Token[], file: string): CdcFlow {
  const r = new Reader(sig, file);
  const line = r.line();
  let flowName: string | undefined;
  if (r.word("create")) {
    if (r.word("or")) r.expect("refresh");
    r.expect("flow");
    flowName = r.name("a flow name");
    r.expect("as");
    if (!r.word("auto", "cdc")) r.expect("apply", "changes");
    if (r.at("once")) r.fail("AUTO CDC ONCE (a one-time backfill flow) is not supported");
  } else r.expect("apply", "changes");
  r.expect("into");
  const target = r.dottedName("a target table");
  r.dataset = target;
  r.expect("from");
  const source = r.untilClause();
  if (!source.length) r.fail("expected a source after FROM");
  let keys: string[] | undefined;
  let sequenceBy: Token[] | undefined;
  const flow: Omit<CdcFlow, "keys" | "sequenceBy"> = {
    name: flowName ?? target,
    target,
    source,
    scdType: 1,
    file,
    line,
  };
  const once = new Set<string>();
  const clause = (name: string) => {
    if (once.has(name)) r.fail(`${name} is given twice`);
    once.add(name);
  };
  while (r.i < sig.length) {
    const at = r.line();
    if (r.word("keys")) {
      clause("KEYS");
      keys = names(r, r.untilClause(), "KEYS");
    } else if (r.word("ignore", "null", "updates")) {
      clause("IGNORE NULL UPDATES");
      flow.ignoreNullUpdates = r.word("on") ? selection(r, "IGNORE NULL UPDATES ON") : "all";
    } else if (r.word("apply", "as", "delete", "when")) {
      clause("APPLY AS DELETE WHEN");
      flow.deleteWhen = r.untilClause();
      if (!flow.deleteWhen.length) r.fail("APPLY AS DELETE WHEN needs a condition", at);
    } else if (r.word("apply", "as", "truncate", "when")) {
      clause("APPLY AS TRUNCATE WHEN");
      flow.truncateWhen = r.untilClause();
      if (!flow.truncateWhen.length) r.fail("APPLY AS TRUNCATE WHEN needs a condition", at);
    } else if (r.word("sequence", "by")) {
      clause("SEQUENCE BY");
      sequenceBy = r.untilClause();
      if (!sequenceBy.length) r.fail("SEQUENCE BY needs a column or struct", at);
    } else if (r.at("system", "sequence", "by")) {
      r.fail("SYSTEM SEQUENCE BY (bitemporal AUTO CDC) is not supported");
    } else if (r.at("columns", "to", "update")) {
      r.fail("COLUMNS TO UPDATE is not supported");
    } else if (r.word("columns")) {
      clause("COLUMNS");
      flow.columns = selection(r, "COLUMNS");
    } else if (r.word("stored", "as")) {
      clause("STORED AS");
      if (r.at("bitemporal")) r.fail("STORED AS BITEMPORAL is not supported");
      r.expect("scd", "type");
      const n = r.peek();
      if (n?.text !== "1" && n?.text !== "2") r.fail("expected SCD TYPE 1 or SCD TYPE 2");
      r.i++;
      flow.scdType = n!.text === "1" ? 1 : 2;
    } else if (r.word("track", "history", "on")) {
      clause("TRACK HISTORY ON");
      flow.trackHistory = selection(r, "TRACK HISTORY ON");
    } else {
      r.fail(`unexpected '${r.peek()!.text}' in ${flowName ? "AUTO CDC" : "APPLY CHANGES"} flow`);
    }
  }
  if (!keys) return r.fail("KEYS (…) is required", line);
  if (!sequenceBy) return r.fail("SEQUENCE BY is required", line);
  if (flow.trackHistory && flow.scdType !== 2) {
    r.fail("TRACK HISTORY ON needs STORED AS SCD TYPE 2", line);
  }
  if (flow.truncateWhen && flow.scdType !== 1) {
    r.fail("APPLY AS TRUNCATE WHEN is only supported with SCD TYPE 1", line);
  }
  return { ...flow, keys, sequenceBy };
}

function tok(kind: Token["kind"], text: string, line: number): Token {
  return { kind, text, value: text, line };
}

/**
 * The streaming read a flow runs each update (`SELECT * FROM <source>`), as the
 * query of its target so the graph, offsets and expectations work as for any
 * streaming table.
 */
export function flowQuery(flow: CdcFlow): Token[] {
  const line = flow.source[0]?.line ?? flow.line;
  const sp = tok("space", " ", line);
  const src = flow.source.flatMap((t, k) => (k === 0 ? [t] : [sp, t]));
  return [tok("word", "SELECT", line), sp, tok("op", "*", line), sp, tok("word", "FROM", line), sp]
    .concat(src);
}

/** What `attachCdcFlows` needs of a dataset definition. */
export interface FlowTarget {
  name: string;
  /** The table's own name, for a dataset in a schema (`name` is then `schema.table`). */
  table?: string;
  kind: string;
  query: Token[];
  cdc?: CdcFlow;
  file: string;
  line: number;
}

/**
 * Attaches each flow to its target (a streaming table declared without a query)
 * and gives the target the flow's streaming read as its query. A target that is
 * missing, is not a streaming table, has its own query or a second CDC flow is an
 * error naming the flow's line.
 */
export function attachCdcFlows(datasets: FlowTarget[], flows: CdcFlow[]): void {
  for (const f of flows) {
    const fail = (msg: string): never => {
      throw new PipelineError(msg, f.file, f.line, f.target);
    };
    const d = datasets.find((x) =>
      x.name.toLowerCase() === f.target.toLowerCase() ||
      x.table?.toLowerCase() === f.target.toLowerCase()
    );
    if (!d) {
      fail(
        `flow ${f.name} writes into ${f.target}, which is not defined; declare it first: ` +
          `CREATE OR REFRESH STREAMING TABLE ${f.target};`,
      );
    } else if (d.kind !== "streaming") {
      fail(`flow ${f.name}: the target of AUTO CDC must be a streaming table`);
    } else if (d.cdc) {
      fail(
        `flow ${f.name}: ${d.name} already has the AUTO CDC flow ${d.cdc.name} ` +
          `(line ${d.cdc.line}); several CDC flows into one table are not supported`,
      );
    } else if (d.query.some(significant)) {
      fail(
        `flow ${f.name}: ${d.name} is defined with a query (line ${d.line}); ` +
          `declare the target without AS: CREATE OR REFRESH STREAMING TABLE ${d.name};`,
      );
    } else {
      d.cdc = f;
      d.query = flowQuery(f);
    }
  }
}
