/**
 * The dataset graph of a pipeline: every definition is scanned for references
 * and sources before anything runs, so file order does not matter; unknown
 * references and cycles are errors naming the file, line and dataset.
 *
 * References resolve by name (names.ts): to a dataset of the pipeline, to a
 * table outside it (`samples.nyctaxi.trips`: a settings mapping or a table in
 * the DuckDB file), or to files read directly (`parquet.\`/path\``). A view is
 * not stored: its query is read in place by each dataset that names it, and
 * `STREAM(view)` of a view over `STREAM(x)` reads `x` incrementally. Append
 * flows into a streaming table (`CREATE FLOW … INSERT INTO t BY NAME …`) are
 * read together with the table's own query, as one union by name.
 */
import { ident } from "../db.ts";
import { PipelineError } from "./errors.ts";
import { nameKey, resolveName, type TableName } from "./names.ts";
import type { Dataset, DatasetKind, Flow, Pipeline } from "./parse.ts";
import type { TableMapping } from "./settings.ts";
import type { Token } from "./tokens.ts";
import {
  type Reference,
  type Resolver,
  type SourceSpec,
  translate,
  type TranslateOptions,
} from "./translate.ts";

/** Formats of direct file queries (`json.\`/path\``, `delta.\`/path\``). */
export const FILE_FORMATS = ["json", "csv", "parquet", "text", "delta"];

/** Direct-file formats Spark knows that the engine does not read. */
const UNREAD_FILE_FORMATS = ["avro", "orc", "binaryfile", "xml"];

/** A reference to something that is not a dataset of the pipeline. */
export interface ExternalRef extends Reference {
  /** What it names: a table outside the pipeline, or files read directly. */
  kind: "table" | "files";
  /** Where it is in DuckDB, for a table (schema and table per names.ts). */
  table: TableName;
  /** The settings mapping of a table, when there is one. */
  mapping?: TableMapping;
  /** The files and their format, for a direct file query. */
  files?: { format: string; path: string };
}

/** A dataset with what it reads. */
export interface PlannedDataset {
  dataset: Dataset;
  /** The query that fills it: its own, and its append flows' (union by name). */
  query: Token[];
  /** The append flows that write into it. */
  flows: Flow[];
  /** References to datasets (`name` is the dataset's name), views expanded. */
  refs: Reference[];
  sources: SourceSpec[];
  /** References to tables outside the pipeline and to files read directly. */
  externals: ExternalRef[];
  /** Names (as defined) of the datasets it reads. */
  upstream: string[];
  /** What its own query names (views not expanded): the lineage graph's edges. */
  direct: { refs: Reference[]; sources: SourceSpec[] };
}

/** The datasets of a pipeline in an order where each comes after what it reads. */
export interface Plan {
  pipeline: Pipeline;
  order: PlannedDataset[];
  byName: Map<string, PlannedDataset>;
  /** The dataset a reference names, if it names one. */
  resolve(r: Reference): Dataset | undefined;
  /** The external table or files a reference names, if it names no dataset. */
  external(r: Reference): ExternalRef | undefined;
  /** Wraps a resolver so that references to views read the view's query in place. */
  views(resolver: Resolver, options?: TranslateOptions): Resolver;
}

/**
 * The bare names `translate` treats as tables after FROM / JOIN (lower case):
 * datasets of the default schema, and mapped tables with a one-part name.
 */
export function datasetNames(p: Pipeline): Set<string> {
  const def = resolveName(["x"], p.names).schema.toLowerCase();
  return new Set([
    ...p.datasets.filter((d) => d.schema.toLowerCase() === def).map((d) => d.table.toLowerCase()),
    ...(p.tables ?? []).filter((t) => !t.name.includes(".")).map((t) => t.name.toLowerCase()),
  ]);
}

/** The union by name of a streaming table's own query and its append flows' queries. */
function flowQuery(d: Dataset, flows: Flow[]): Token[] {
  const queries = [...(d.query.length ? [d.query] : []), ...flows.map((f) => f.query)];
  if (queries.length === 1) return queries[0];
  const tok = (text: string, line: number): Token => ({
    kind: text === "(" || text === ")" ? "op" : "space",
    text,
    value: text,
    line,
  });
  return queries.flatMap((q, k) => {
    const line = q[0]?.line ?? d.line;
    const head = k === 0 ? "SELECT * FROM " : "\nUNION ALL BY NAME SELECT * FROM ";
    return [tok(head, line), tok("(", line), ...q, tok(")", q.at(-1)?.line ?? line)];
  });
}

/** Scans every dataset, checks references, and orders the graph (errors on cycles). */
export function planPipeline(p: Pipeline): Plan {
  const names = datasetNames(p);
  const keyed = new Map<string, Dataset>();
  for (const d of p.datasets) keyed.set(nameKey(d), d);
  for (const d of p.datasets) {
    const n = d.table.toLowerCase();
    const clash = d.schema.toLowerCase() === "main" &&
        (n === "event_log" || n.startsWith("_dataflow_"))
      ? "the engine's own tables"
      : n.endsWith("_quarantine") &&
          keyed.has(nameKey({ schema: d.schema, table: d.table.slice(0, -11) }))
      ? `the quarantine table of ${d.name.slice(0, -"_quarantine".length)}`
      : undefined;
    if (clash) {
      throw new PipelineError(`the name ${d.name} is taken by ${clash}`, d.file, d.line, d.name);
    }
  }
  const flowsOf = new Map<string, Flow[]>();
  for (const f of p.flows) {
    const target = keyed.get(nameKey(f.target));
    if (!target) {
      throw new PipelineError(
        `flow ${f.name} writes into ${f.target.name}, which is not defined ` +
          `(declare it: CREATE OR REFRESH STREAMING TABLE ${f.target.name};)`,
        f.file,
        f.line,
      );
    }
    if (target.kind !== "streaming") {
      throw new PipelineError(
        `flow ${f.name}: INSERT INTO flows write into streaming tables; ${target.name} is a ` +
          (target.kind === "view" ? "view" : "materialized view"),
        f.file,
        f.line,
      );
    }
    flowsOf.set(nameKey(target), [...(flowsOf.get(nameKey(target)) ?? []), f]);
  }
  const resolve = (r: Reference): Dataset | undefined =>
    keyed.get(nameKey(resolveName(r.parts ?? [r.name], p.names)));
  const external = (r: Reference): ExternalRef | undefined => {
    if (resolve(r)) return undefined;
    const parts = r.parts ?? [r.name];
    const table = resolveName(parts, p.names);
    if (parts.length === 2 && /[/:\\]/.test(parts[1])) {
      const format = parts[0].toLowerCase();
      if (FILE_FORMATS.includes(format) || UNREAD_FILE_FORMATS.includes(format)) {
        return { ...r, kind: "files", table, files: { format, path: parts[1] } };
      }
    }
    const mapping = (p.tables ?? []).find((t) =>
      t.name.toLowerCase() === r.name.toLowerCase() ||
      nameKey(resolveName(t.name.split("."), p.names)) === nameKey(table)
    );
    if (!mapping && parts.length === 1) return undefined;
    return { ...r, kind: "table", table, ...(mapping ? { mapping } : {}) };
  };
  const views = (
    base: Resolver,
    stream = true,
    seen: string[] = [],
    onView?: (name: string) => void,
    options?: TranslateOptions,
  ): Resolver => ({
    ref: (r, aliased) => {
      const target = resolve(r);
      if (target?.kind !== "view") return base.ref({ ...r, stream: r.stream && stream }, aliased);
      if (!seen.length) onView?.(target.name);
      if (seen.includes(target.name)) {
        throw new PipelineError(
          `cycle in the dataset graph: ${[...seen, target.name].join(" → ")}`,
          target.file,
          target.line,
          target.name,
        );
      }
      const inner = translate(
        target.query,
        names,
        views(base, r.stream && stream, [...seen, target.name], onView, options),
        { file: target.file, dataset: target.name },
        options,
      );
      return aliased ? `(${inner})` : `(${inner}) AS ${ident(target.table)}`;
    },
    source: (s, aliased) => base.source(s, aliased),
  });
  const byName = new Map<string, PlannedDataset>();
  for (const d of p.datasets) {
    const flows = flowsOf.get(nameKey(d)) ?? [];
    if (d.kind === "streaming" && !d.query.length && !flows.length) {
      throw new PipelineError(
        "a streaming table declared without AS needs a flow that writes into it " +
          `(CREATE FLOW f AS INSERT INTO ${d.name} BY NAME SELECT …, or AUTO CDC INTO / ` +
          "APPLY CHANGES INTO)",
        d.file,
        d.line,
        d.name,
      );
    }
    if (d.cdc && flows.length) {
      throw new PipelineError(
        `flow ${flows[0].name}: ${d.name} is written by the AUTO CDC flow ${d.cdc.name}; ` +
          "append flows and a CDC flow into one table are not supported",
        flows[0].file,
        flows[0].line,
        d.name,
      );
    }
    const query = flowQuery(d, flows);
    const where = { file: d.file, dataset: d.name };
    const refs: Reference[] = [];
    const externals: ExternalRef[] = [];
    const sources: SourceSpec[] = [];
    const collect: Resolver = {
      ref: (r) => {
        const target = resolve(r);
        if (target) refs.push({ ...r, name: target.name });
        else {
          const ext = external(r);
          if (!ext) {
            throw new PipelineError(
              `unknown dataset ${r.name} (defined: ${p.datasets.map((x) => x.name).join(", ")})`,
              d.file,
              r.line,
              d.name,
            );
          }
          externals.push(ext);
        }
        return "x";
      },
      source: (s) => (sources.push(s), "x"),
    };
    // A view lists what it reads itself; a reader reads through the views it names.
    const viewsRead: string[] = [];
    if (d.kind === "view") translate(query, names, collect, where);
    else translate(query, names, views(collect, true, [], (v) => viewsRead.push(v)), where);
    const upstream: string[] = [];
    for (const n of [...viewsRead, ...refs.map((r) => r.name)]) {
      if (!upstream.includes(n)) upstream.push(n);
    }
    const direct = { refs: [] as Reference[], sources: [] as SourceSpec[] };
    translate(query, names, {
      ref: (r) => {
        const target = resolve(r);
        if (target) direct.refs.push({ ...r, name: target.name });
        return "x";
      },
      source: (s) => (direct.sources.push(s), "x"),
    }, where);
    byName.set(d.name.toLowerCase(), {
      dataset: d,
      query,
      flows,
      refs,
      sources,
      externals,
      upstream,
      direct,
    });
  }
  const order: PlannedDataset[] = [];
  const state = new Map<string, "visiting" | "done">();
  const visit = (pd: PlannedDataset, path: string[]) => {
    const key = pd.dataset.name.toLowerCase();
    if (state.get(key) === "done") return;
    if (state.get(key) === "visiting") {
      const cycle = [...path.slice(path.indexOf(pd.dataset.name)), pd.dataset.name];
      throw new PipelineError(
        `cycle in the dataset graph: ${cycle.join(" → ")}`,
        pd.dataset.file,
        pd.dataset.line,
        pd.dataset.name,
      );
    }
    state.set(key, "visiting");
    for (const u of pd.upstream) visit(byName.get(u.toLowerCase())!, [...path, pd.dataset.name]);
    state.set(key, "done");
    order.push(pd);
  };
  for (const d of p.datasets) visit(byName.get(d.name.toLowerCase())!, []);
  return {
    pipeline: p,
    order,
    byName,
    resolve,
    external,
    views: (r, o) => views(r, true, [], undefined, o),
  };
}

/** The datasets downstream of `names` (included), in plan order. */
export function downstreamOf(plan: Plan, names: string[]): string[] {
  const set = new Set(names.map((n) => n.toLowerCase()));
  for (const pd of plan.order) {
    if (pd.upstream.some((u) => set.has(u.toLowerCase()))) set.add(pd.dataset.name.toLowerCase());
  }
  return plan.order.filter((pd) => set.has(pd.dataset.name.toLowerCase())).map((pd) =>
    pd.dataset.name
  );
}

/** A node of the lineage graph: a dataset, a file source, or a quarantine table. */
export interface LineageNode {
  id: string;
  label: string;
  kind: DatasetKind | "source" | "quarantine";
  comment?: string;
  expectations?: { name: string; action: string }[];
}

/** An edge of the lineage graph; `stream` when read incrementally. */
export interface LineageEdge {
  from: string;
  to: string;
  stream: boolean;
}

/** The lineage graph of a pipeline: sources → datasets (→ quarantine tables). */
export interface LineageGraph {
  nodes: LineageNode[];
  edges: LineageEdge[];
}

/** Builds the lineage graph of a pipeline (nodes in plan order). */
export function lineage(pipeline: Pipeline | Plan): LineageGraph {
  const plan = "order" in pipeline ? pipeline : planPipeline(pipeline);
  const nodes: LineageNode[] = [];
  const edges: LineageEdge[] = [];
  for (const pd of plan.order) {
    const d = pd.dataset;
    for (const s of pd.direct.sources) {
      const id = `files:${s.path}`;
      if (!nodes.some((n) => n.id === id)) {
        nodes.push({ id, label: `${s.path} (${s.format} files)`, kind: "source" });
      }
      edges.push({ from: id, to: d.name, stream: d.kind === "streaming" });
    }
    for (const x of pd.externals) {
      const id = x.files ? `files:${x.files.path}` : `table:${x.name}`;
      if (!nodes.some((n) => n.id === id)) {
        const label = x.files
          ? `${x.files.path} (${x.files.format} files)`
          : `${x.name} (${x.mapping ? `${x.mapping.format} files` : "table"} outside the pipeline)`;
        nodes.push({ id, label, kind: "source" });
      }
      if (!edges.some((e) => e.from === id && e.to === d.name)) {
        edges.push({ from: id, to: d.name, stream: x.stream });
      }
    }
    nodes.push({
      id: d.name,
      label: d.name,
      kind: d.kind,
      ...(d.comment ? { comment: d.comment } : {}),
      ...(d.expectations.length
        ? { expectations: d.expectations.map((e) => ({ name: e.name, action: e.action })) }
        : {}),
    });
    const reads: string[] = [];
    for (const r of pd.direct.refs) if (!reads.includes(r.name)) reads.push(r.name);
    for (const r of reads) {
      edges.push({
        from: r,
        to: d.name,
        stream: pd.direct.refs.some((x) => x.stream && x.name === r),
      });
    }
    if (d.expectations.some((e) => e.action === "drop")) {
      const q = `${d.name}_quarantine`;
      nodes.push({ id: q, label: q, kind: "quarantine" });
      edges.push({ from: d.name, to: q, stream: false });
    }
  }
  return { nodes, edges };
}

const KIND_LABEL: Record<LineageNode["kind"], string> = {
  streaming: "streaming table",
  materialized: "materialized view",
  view: "view",
  source: "files",
  quarantine: "quarantine",
};

/** Renders the lineage graph as text for a terminal, one dataset per line with its inputs. */
export function lineageText(graph: LineageGraph): string {
  const lines: string[] = [];
  for (const n of graph.nodes) {
    if (n.kind === "source") continue;
    const inputs = graph.edges.filter((e) => e.to === n.id).map((e) => {
      const from = graph.nodes.find((x) => x.id === e.from)!;
      return `${from.kind === "source" ? from.label : from.id}${e.stream ? " (stream)" : ""}`;
    });
    const checks = n.expectations?.map((e) => `${e.name}:${e.action}`).join(", ");
    lines.push(
      `${n.id} [${KIND_LABEL[n.kind]}]${checks ? ` {${checks}}` : ""}` +
        (inputs.length ? `  ◄── ${inputs.join(", ")}` : ""),
    );
  }
  return lines.join("\n");
}
