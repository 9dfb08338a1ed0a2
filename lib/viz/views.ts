/**
 * The original demo's views beyond the basic bars: label shares as a donut with percentages,
 * posts by country, and rows read per update by a streaming vs a batch silver. Each returns
 * markup, and an empty state (not an empty axis) when it has no rows.
 */
import * as Plot from "@observablehq/plot";
import { SENTIMENT_COLORS, SENTIMENT_LABELS } from "./charts.ts";
import { emptyChart } from "./empty.ts";
import { render } from "./render.ts";
import { escapeHtml } from "./table.ts";

const COLOR: Record<string, string> = Object.fromEntries(
  SENTIMENT_LABELS.map((l, i) => [l, SENTIMENT_COLORS[i]]),
);

/**
 * Label shares as a donut: one arc per label with its percentage, the total in the middle, and
 * a legend with counts and percentages.
 */
export function labelDonut(rows: { label: string; count: number }[]): string {
  const data = rows.filter((r) => r.count > 0);
  const total = data.reduce((n, r) => n + r.count, 0);
  if (!total) return emptyChart("No scored posts yet: run the sentiment stage.");
  const size = 260;
  const r = 110;
  const inner = 62;
  const c = size / 2;
  let angle = -Math.PI / 2;
  const arcs: string[] = [];
  const labels: string[] = [];
  const point = (radius: number, a: number) =>
    `${(c + radius * Math.cos(a)).toFixed(2)},${(c + radius * Math.sin(a)).toFixed(2)}`;
  for (const d of data) {
    const share = d.count / total;
    const end = angle + share * 2 * Math.PI;
    const large = share > 0.5 ? 1 : 0;
    const fill = COLOR[d.label] ?? "#4269d0";
    const title = `<title>${
      escapeHtml(`${d.label}: ${d.count} (${(share * 100).toFixed(1)}%)`)
    }</title>`;
    if (share >= 0.9999) {
      arcs.push(
        `<circle class="tl-arc" cx="${c}" cy="${c}" r="${(r + inner) / 2}" fill="none" ` +
          `stroke="${fill}" stroke-width="${r - inner}">${title}</circle>`,
      );
    } else {
      arcs.push(
        `<path class="tl-arc" fill="${fill}" stroke="white" stroke-width="1.5" d="M${
          point(r, angle)
        } A${r},${r} 0 ${large} 1 ${point(r, end)} L${
          point(inner, end)
        } A${inner},${inner} 0 ${large} 0 ${point(inner, angle)} Z">${title}</path>`,
      );
    }
    if (share >= 0.04) {
      const mid = (angle + end) / 2;
      const [x, y] = point((r + inner) / 2, mid).split(",");
      labels.push(
        `<text x="${x}" y="${y}" text-anchor="middle" dominant-baseline="middle" font-size="12" ` +
          `font-weight="600" fill="white">${(share * 100).toFixed(0)}%</text>`,
      );
    }
    angle = end;
  }
  const legend = data.map((d, i) =>
    `<g transform="translate(${size + 20},${
      60 + i * 24
    })"><rect width="14" height="14" rx="2" fill="${
      COLOR[d.label] ?? "#4269d0"
    }"/><text x="20" y="11.5" font-size="12.5">${escapeHtml(d.label)}: ${
      d.count.toLocaleString("en-US")
    } (${(100 * d.count / total).toFixed(1)}%)</text></g>`
  );
  return `<svg class="tl-donut" xmlns="http://www.w3.org/2000/svg" width="${size + 240}" ` +
    `height="${size}" viewBox="0 0 ${size + 240} ${size}" font-family="system-ui, sans-serif" ` +
    `role="img" aria-label="sentiment label shares">${arcs.join("")}${labels.join("")}` +
    `<text x="${c}" y="${c - 6}" text-anchor="middle" font-size="20" font-weight="700">${
      total.toLocaleString("en-US")
    }</text><text x="${c}" y="${c + 14}" text-anchor="middle" font-size="11" fill="#666">` +
    `posts scored</text>${legend.join("")}</svg>`;
}

/** Horizontal bars of a count per category (largest first), the count written on each bar. */
export function countBars(
  rows: { key: string; count: number }[],
  options: { label: string; empty: string; color?: string; limit?: number },
): string {
  const data = [...rows].filter((r) => r.count > 0)
    .sort((a, b) => b.count - a.count || a.key.localeCompare(b.key))
    .slice(0, options.limit ?? 20);
  if (!data.length) return emptyChart(options.empty);
  const max = Math.max(...data.map((d) => d.count));
  return render({
    marginLeft: Math.min(220, 14 + 7 * Math.max(...data.map((d) => d.key.length))),
    marginRight: 50,
    height: 22 * data.length + 50,
    x: { label: "posts", grid: true, domain: [0, max * 1.1], tickFormat: max < 10 ? "d" : "s" },
    y: { label: options.label, domain: data.map((d) => d.key) },
    marks: [
      Plot.barX(data, { x: "count", y: "key", fill: options.color ?? "steelblue" }),
      Plot.text(data, { x: "count", y: "key", text: "count", textAnchor: "start", dx: 4 }),
      Plot.ruleX([0]),
    ],
  });
}

/** Posts per country (and place, in the tooltip), largest first. */
export function placesChart(rows: { country: string; count: number }[]): string {
  return countBars(rows.map((r) => ({ key: r.country, count: r.count })), {
    label: "country",
    empty: "No posts with a place yet (only some posts carry geo.place_id).",
    color: "#6c8ebf",
  });
}

/** Posts per language other than English (the original's `lang <> 'en'` query). */
export function nonEnglishChart(rows: { lang: string; count: number }[]): string {
  return countBars(rows.map((r) => ({ key: r.lang, count: r.count })), {
    label: "language",
    empty: "No non-English posts yet.",
    color: "#e08e45",
  });
}

/** Rows read per update by each silver mode (grouped bars, numbers on the bars). */
export function silverModesChart(
  rows: { mode: string; update: string; rowsRead: number }[],
): string {
  if (!rows.length) return emptyChart("No updates to compare.");
  const max = Math.max(1, ...rows.map((r) => r.rowsRead));
  const modes = [...new Set(rows.map((r) => r.mode))];
  return render({
    height: 90 + 26 * rows.length,
    marginLeft: 90,
    marginRight: 60,
    x: { label: "rows read", grid: true, domain: [0, max * 1.15] },
    y: { label: null, domain: modes, axis: null },
    fy: { label: "update", domain: [...new Set(rows.map((r) => r.update))] },
    color: { domain: modes, range: ["#2ca02c", "#9a7cc4"], legend: true },
    marks: [
      Plot.barX(rows, { x: "rowsRead", y: "mode", fy: "update", fill: "mode" }),
      Plot.text(rows, {
        x: "rowsRead",
        y: "mode",
        fy: "update",
        text: (d: { rowsRead: number }) => d.rowsRead.toLocaleString("en-US"),
        textAnchor: "start",
        dx: 4,
      }),
      Plot.ruleX([0]),
    ],
  });
}
