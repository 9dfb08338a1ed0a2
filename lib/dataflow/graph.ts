/**
 * The dataset graph of a pipeline: every definition is scanned for references
 * and sources before anything runs, so file order does not matter; unknown
 * references and cycles are errors naming the file, line and dataset.
 */
import { PipelineError } from "./errors.ts";
import type { Dataset, DatasetKind, Pipeline } from "./parse.ts";
import { type Reference, scan, type SourceSpec } from "./translate.ts";

/** A dataset with what it reads. */
export interface PlannedDataset {
  dataset: Dataset;
  refs: Reference[];
  sources: SourceSpec[];
  /** Names (as defined) of the datasets it reads. */
  upstream: string[];
}

/** The datasets of a pipeline in an order where each comes after what it reads. */
export interface Plan {
  pipeline: Pipeline;
  order: PlannedDataset[];
  byName: Map<string, PlannedDataset>;
}

/** The dataset names of a pipeline, lower-cased (references are case-insensitive). */
export function datasetNames(p: Pipeline): Set<string> {
  return new Set(p.datasets.map((d) => d.name.toLowerCase()));
}

/** Scans every dataset, checks references, and orders the graph (errors on cycles). */
export function planPipeline(p: Pipeline): Plan {
  const names = datasetNames(p);
  for (const d of p.datasets) {
    const n = d.name.toLowerCase();
    const clash = n === "event_log" || n.startsWith("_dataflow_")
      ? "the engine's own tables"
      : n.endsWith("_quarantine") && names.has(n.slice(0, -"_quarantine".length))
      ? `the quarantine table of ${d.name.slice(0, -"_quarantine".length)}`
      : undefined;
    if (clash) {
      throw new PipelineError(`the name ${d.name} is taken by ${clash}`, p.file, d.line, d.name);
    }
  }
  const byName = new Map<string, PlannedDataset>();
  for (const d of p.datasets) {
    const where = { file: p.file, dataset: d.name };
    const { refs, sources } = scan(d.query, names, where);
    const upstream: string[] = [];
    for (const r of refs) {
      const target = p.datasets.find((x) => x.name.toLowerCase() === r.name.toLowerCase());
      if (!target) {
        throw new PipelineError(
          `unknown dataset ${r.name} (defined: ${p.datasets.map((x) => x.name).join(", ")})`,
          p.file,
          r.line,
          d.name,
        );
      }
      if (!upstream.includes(target.name)) upstream.push(target.name);
    }
    byName.set(d.name.toLowerCase(), { dataset: d, refs, sources, upstream });
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
        p.file,
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
  return { pipeline: p, order, byName };
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
    for (const s of pd.sources) {
      const id = `files:${s.path}`;
      if (!nodes.some((n) => n.id === id)) {
        nodes.push({ id, label: `${s.path} (${s.format} files)`, kind: "source" });
      }
      edges.push({ from: id, to: d.name, stream: d.kind === "streaming" });
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
    for (const r of pd.upstream) {
      edges.push({
        from: r,
        to: d.name,
        stream: pd.refs.some((x) => x.stream && x.name.toLowerCase() === r.toLowerCase()),
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
