/**
 * The lineage graph of a pipeline page, drawn as plain inline SVG: one box per dataset (or
 * file source, or quarantine table) carrying its metrics, columns left to right by depth, and
 * curved arrows between boxes. Edges that skip a column pass through a reserved slot in it
 * (a dummy node, as in a layered "Sugiyama" layout), so no arrow crosses a box or its labels.
 */
import { EMPTY_CLASS, emptyChart } from "./empty.ts";
import { escapeHtml } from "./table.ts";

/** What a node of the graph shows under its name. */
export interface NodeMetrics {
  /** Rows written by the latest update (null: the dataset has never run). */
  lastWritten: number | null;
  /** Rows in the table now (files seen, for a file source; null: unknown / no table). */
  totalRows: number | null;
  /** Percent of the rows read in the latest update dropped by expectations (null: none read). */
  droppedPct: number | null;
  /** The latest update's status for the dataset (`completed`, `skipped`, `failed`, …). */
  status: string | null;
}

/** A node of the page's lineage graph. */
export interface GraphNode {
  id: string;
  label: string;
  kind: "streaming" | "materialized" | "view" | "source" | "quarantine";
  metrics: NodeMetrics;
}

/** An edge from an input to its reader; `stream` when read incrementally. */
export interface GraphEdge {
  from: string;
  to: string;
  stream: boolean;
}

/** A box placed by {@link layoutGraph} (dummies hold a slot for an edge that skips a column). */
export interface PlacedBox {
  id: string;
  layer: number;
  x: number;
  y: number;
  width: number;
  height: number;
  dummy: boolean;
}

/** The result of {@link layoutGraph}: boxes, and each edge as a polyline of points. */
export interface GraphLayout {
  width: number;
  height: number;
  boxes: PlacedBox[];
  edges: { from: string; to: string; stream: boolean; points: [number, number][] }[];
}

const BOX_W = 200;
const BOX_H = 86;
const GAP_X = 70;
const GAP_Y = 22;
const DUMMY_H = 8;
const PAD = 12;

/** Depth of each node: the longest path from a node without inputs (cycle edges ignored). */
function layers(nodes: GraphNode[], edges: GraphEdge[]): Map<string, number> {
  const inputs = new Map<string, string[]>(nodes.map((n) => [n.id, []]));
  for (const e of edges) if (inputs.has(e.from) && inputs.has(e.to)) inputs.get(e.to)!.push(e.from);
  const depth = new Map<string, number>();
  const visiting = new Set<string>();
  const visit = (id: string): number => {
    const known = depth.get(id);
    if (known !== undefined) return known;
    visiting.add(id);
    let d = 0;
    for (const from of inputs.get(id) ?? []) {
      if (!visiting.has(from)) d = Math.max(d, visit(from) + 1);
    }
    visiting.delete(id);
    depth.set(id, d);
    return d;
  };
  for (const n of nodes) visit(n.id);
  return depth;
}

/**
 * Places the graph: columns by depth, dummy slots for edges that skip columns, rows ordered by
 * the mean row of each node's inputs (a few sweeps) so that edges cross as little as possible.
 */
export function layoutGraph(nodes: GraphNode[], edges: GraphEdge[]): GraphLayout {
  const depth = layers(nodes, edges);
  const ids = new Set(nodes.map((n) => n.id));
  const kept = edges.filter((e) =>
    ids.has(e.from) && ids.has(e.to) && depth.get(e.to)! > depth.get(e.from)!
  );
  const columns: string[][] = [];
  const put = (id: string, layer: number) => (columns[layer] ??= []).push(id);
  for (const n of nodes) put(n.id, depth.get(n.id)!);
  // Each edge as a chain of ids, with a dummy in every column it skips.
  const chains = kept.map((e, k) => {
    const chain = [e.from];
    for (let l = depth.get(e.from)! + 1; l < depth.get(e.to)!; l++) {
      const dummy = `\u0000dummy${k}:${l}`;
      put(dummy, l);
      chain.push(dummy);
    }
    chain.push(e.to);
    return chain;
  });
  const preds = new Map<string, string[]>();
  for (const c of chains) {
    for (let i = 1; i < c.length; i++) {
      (preds.get(c[i]) ?? preds.set(c[i], []).get(c[i])!).push(c[i - 1]);
    }
  }
  const succs = new Map<string, string[]>();
  for (const c of chains) {
    for (let i = 0; i + 1 < c.length; i++) {
      (succs.get(c[i]) ?? succs.set(c[i], []).get(c[i])!).push(c[i + 1]);
    }
  }
  for (let l = 0; l < columns.length; l++) columns[l] ??= [];
  const rank = () => new Map(columns.flatMap((col) => col.map((id, i) => [id, i] as const)));
  for (let sweep = 0; sweep < 4; sweep++) {
    const down = sweep % 2 === 0;
    const order = down
      ? columns.map((_, i) => i).slice(1)
      : columns.map((_, i) => i).reverse().slice(1);
    for (const l of order) {
      const r = rank();
      const near = down ? preds : succs;
      const key = (id: string, i: number) => {
        const ns = near.get(id) ?? [];
        return ns.length ? ns.reduce((s, n) => s + r.get(n)!, 0) / ns.length : i;
      };
      const keyed = columns[l].map((id, i) => ({ id, k: key(id, i), i }));
      keyed.sort((a, b) => a.k - b.k || a.i - b.i);
      columns[l] = keyed.map((x) => x.id);
    }
  }
  const heightOf = (id: string) => id.startsWith("\u0000") ? DUMMY_H : BOX_H;
  const colHeight = (col: string[]) =>
    col.reduce((h, id) => h + heightOf(id), 0) + GAP_Y * Math.max(0, col.length - 1);
  const inner = Math.max(BOX_H, ...columns.map(colHeight));
  const boxes: PlacedBox[] = [];
  columns.forEach((col, l) => {
    let y = PAD + (inner - colHeight(col)) / 2;
    for (const id of col) {
      const h = heightOf(id);
      boxes.push({
        id,
        layer: l,
        x: PAD + l * (BOX_W + GAP_X),
        y,
        width: BOX_W,
        height: h,
        dummy: id.startsWith("\u0000"),
      });
      y += h + GAP_Y;
    }
  });
  const at = new Map(boxes.map((b) => [b.id, b]));
  const laid = chains.map((c, k) => {
    const points: [number, number][] = [];
    const first = at.get(c[0])!;
    points.push([first.x + first.width, first.y + first.height / 2]);
    for (const id of c.slice(1, -1)) {
      const d = at.get(id)!;
      points.push([d.x, d.y + d.height / 2], [d.x + d.width, d.y + d.height / 2]);
    }
    const last = at.get(c.at(-1)!)!;
    points.push([last.x, last.y + last.height / 2]);
    return { from: kept[k].from, to: kept[k].to, stream: kept[k].stream, points };
  });
  return {
    width: PAD * 2 + columns.length * BOX_W + Math.max(0, columns.length - 1) * GAP_X,
    height: PAD * 2 + inner,
    boxes,
    edges: laid,
  };
}

const KIND: Record<GraphNode["kind"], { label: string; fill: string; stroke: string }> = {
  source: { label: "files (Autoloader)", fill: "#f3f6fb", stroke: "#8aa4c8" },
  streaming: { label: "streaming table", fill: "#eef7ee", stroke: "#5fa35f" },
  materialized: { label: "materialized view", fill: "#f4effa", stroke: "#9a7cc4" },
  view: { label: "view (not stored)", fill: "#ffffff", stroke: "#9a9a9a" },
  quarantine: { label: "quarantine", fill: "#fdf1ee", stroke: "#d08770" },
};

const STATUS_COLOR: Record<string, string> = {
  completed: "#2ca02c",
  skipped: "#9e9e9e",
  validated: "#4269d0",
  failed: "#d62728",
  rolled_back: "#d62728",
};

/** Formats a count with thousands separators ("–" for null). */
export function count(n: number | null): string {
  return n === null ? "–" : n.toLocaleString("en-US");
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function nodeLines(n: GraphNode): string[] {
  const m = n.metrics;
  if (n.kind === "source") {
    return [
      `files seen: ${count(m.totalRows)}`,
      `files read, last update: ${count(m.lastWritten)}`,
    ];
  }
  const lines = [`last update: ${m.lastWritten === null ? "–" : `+${count(m.lastWritten)}`} rows`];
  lines.push(`total: ${count(m.totalRows)} rows`);
  if (n.kind !== "quarantine") {
    lines.push(`dropped: ${m.droppedPct === null ? "–" : `${m.droppedPct.toFixed(1)}%`}`);
  }
  return lines;
}

function path(points: [number, number][]): string {
  let d = `M${points[0][0]},${points[0][1]}`;
  for (let i = 1; i < points.length; i++) {
    const [x1, y1] = points[i - 1];
    const [x2, y2] = points[i];
    if (y1 === y2) d += ` L${x2},${y2}`;
    else {
      const mx = (x1 + x2) / 2;
      d += ` C${mx},${y1} ${mx},${y2} ${x2},${y2}`;
    }
  }
  return d;
}

/**
 * The lineage graph as an `<svg>`: a box per node with its name, kind, status dot, rows
 * written in the latest update, total rows and % dropped; an empty state without nodes.
 */
export function pipelineGraphSvg(nodes: GraphNode[], edges: GraphEdge[]): string {
  if (!nodes.length) return emptyChart("No datasets: the pipeline defines none yet.");
  const layout = layoutGraph(nodes, edges);
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const parts: string[] = [
    `<defs><marker id="tl-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" ` +
    `markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#888"/>` +
    `</marker></defs>`,
  ];
  for (const e of layout.edges) {
    parts.push(
      `<path class="tl-edge" d="${path(e.points)}" fill="none" stroke="#888" stroke-width="1.4"` +
        `${e.stream ? "" : ' stroke-dasharray="5 3"'} marker-end="url(#tl-arrow)">` +
        `<title>${escapeHtml(`${e.from} → ${e.to}${e.stream ? " (stream)" : ""}`)}</title></path>`,
    );
  }
  for (const b of layout.boxes) {
    if (b.dummy) continue;
    const n = byId.get(b.id)!;
    const k = KIND[n.kind];
    const status = n.metrics.status;
    const lines = nodeLines(n);
    parts.push(
      `<g class="tl-node" data-id="${escapeHtml(n.id)}" transform="translate(${b.x},${b.y})">` +
        `<rect width="${b.width}" height="${b.height}" rx="8" fill="${k.fill}" stroke="${k.stroke}"/>` +
        `<text x="10" y="19" font-size="13" font-weight="600">${
          escapeHtml(clip(n.label, 26))
        }</text>` +
        `<text x="10" y="34" font-size="10.5" fill="#666">${k.label}` +
        `${status ? ` · ${escapeHtml(status)}` : ""}</text>` +
        (status
          ? `<circle cx="${b.width - 12}" cy="14" r="5" fill="${
            STATUS_COLOR[status] ?? "#9e9e9e"
          }"><title>${escapeHtml(status)}</title></circle>`
          : "") +
        lines.map((l, i) =>
          `<text x="10" y="${51 + i * 14}" font-size="11.5">${escapeHtml(l)}</text>`
        )
          .join("") +
        `<title>${escapeHtml(n.label)}</title></g>`,
    );
  }
  return `<svg class="tl-graph" xmlns="http://www.w3.org/2000/svg" width="${layout.width}" ` +
    `height="${layout.height}" viewBox="0 0 ${layout.width} ${layout.height}" ` +
    `font-family="system-ui, sans-serif" role="img" aria-label="pipeline lineage">` +
    `${parts.join("")}</svg>`;
}

/** Whether markup is an empty-state chart (see {@link emptyChart}). */
export function isEmptyChart(markup: string): boolean {
  return markup.includes(`class="${EMPTY_CLASS}"`);
}
