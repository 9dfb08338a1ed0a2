/** A dataset lineage graph drawn as a layered DAG with Plot (dots, labels, arrows). */
import * as Plot from "@observablehq/plot";
import { emptyChart } from "./empty.ts";
import { render } from "./render.ts";

/** A lineage graph: datasets (or sources) and the edges from an input to its reader. */
export interface LineageGraph {
  nodes: { id: string; kind: string }[];
  edges: { from: string; to: string }[];
}

/** A node placed on the grid: `layer` is its depth from the sources, `index` its row. */
export interface PlacedNode {
  id: string;
  kind: string;
  layer: number;
  index: number;
}

/**
 * Places each node at layer = longest path from a node without inputs (edges
 * that would close a cycle are ignored), and index = its order within the layer.
 */
export function layoutLineage(graph: LineageGraph): PlacedNode[] {
  const ids = new Set(graph.nodes.map((n) => n.id));
  const inputs = new Map<string, string[]>();
  for (const id of ids) inputs.set(id, []);
  for (const e of graph.edges) {
    if (ids.has(e.from) && ids.has(e.to)) inputs.get(e.to)!.push(e.from);
  }
  const layer = new Map<string, number>();
  const visiting = new Set<string>();
  const depth = (id: string): number => {
    const known = layer.get(id);
    if (known !== undefined) return known;
    if (visiting.has(id)) return 0;
    visiting.add(id);
    let d = 0;
    for (const from of inputs.get(id) ?? []) {
      if (!visiting.has(from)) d = Math.max(d, depth(from) + 1);
    }
    visiting.delete(id);
    layer.set(id, d);
    return d;
  };
  const counts = new Map<number, number>();
  return graph.nodes.map((n) => {
    const l = depth(n.id);
    const index = counts.get(l) ?? 0;
    counts.set(l, index + 1);
    return { id: n.id, kind: n.kind, layer: l, index };
  });
}

/** Draws the lineage graph left to right: one column per layer, coloured by node kind. */
export function lineageChart(graph: LineageGraph): string {
  if (!graph.nodes.length) return emptyChart("No datasets: the pipeline defines none yet.");
  const placed = layoutLineage(graph);
  const at = new Map(placed.map((p) => [p.id, p]));
  const links = graph.edges.flatMap((e) => {
    const a = at.get(e.from);
    const b = at.get(e.to);
    return a && b ? [{ x1: a.layer, y1: a.index, x2: b.layer, y2: b.index }] : [];
  });
  const layers = Math.max(0, ...placed.map((p) => p.layer)) + 1;
  const rows = Math.max(1, ...placed.map((p) => p.index + 1));
  return render({
    width: Math.max(320, 180 * layers + 80),
    height: Math.max(120, 60 * rows + 60),
    marginLeft: 70,
    marginRight: 90,
    marginTop: 30,
    marginBottom: 20,
    x: { axis: null, domain: [0, Math.max(1, layers - 1)] },
    y: { axis: null, domain: [-0.5, rows - 0.5], reverse: true },
    color: { legend: true },
    marks: [
      Plot.arrow(links, {
        x1: "x1",
        y1: "y1",
        x2: "x2",
        y2: "y2",
        insetStart: 10,
        insetEnd: 10,
        stroke: "#888",
      }),
      Plot.dot(placed, { x: "layer", y: "index", fill: "kind", r: 7 }),
      Plot.text(placed, { x: "layer", y: "index", text: "id", dy: -14, fontSize: 11 }),
    ],
  });
}
