/** The project's charts, each built from plain rows and returned as markup (see `render`). */
import * as Plot from "@observablehq/plot";
import { emptyChart } from "./empty.ts";
import { render } from "./render.ts";

/** The three normalised sentiment labels, in display order. */
export const SENTIMENT_LABELS = ["negative", "neutral", "positive"] as const;
/** Colours for the sentiment labels: negative red, neutral grey, positive green. */
export const SENTIMENT_COLORS = ["#d62728", "#9e9e9e", "#2ca02c"] as const;

const sentimentColor = {
  domain: [...SENTIMENT_LABELS],
  range: [...SENTIMENT_COLORS],
  legend: true,
};

/** Horizontal bars of posts per language, largest first. */
export function languagesChart(rows: { lang: string; count: number }[]): string {
  const data = [...rows].filter((r) => r.count > 0)
    .sort((a, b) => b.count - a.count || a.lang.localeCompare(b.lang));
  if (!data.length) return emptyChart("No posts yet: run the dataflow on some input.");
  return render({
    marginLeft: 60,
    marginRight: 40,
    height: Math.max(80, 22 * data.length + 50),
    x: { label: "posts", grid: true },
    y: { label: "language", domain: data.map((d) => d.lang) },
    marks: [
      Plot.barX(data, { x: "count", y: "lang", fill: "steelblue" }),
      Plot.text(data, { x: "count", y: "lang", text: "count", textAnchor: "start", dx: 4 }),
      Plot.ruleX([0]),
    ],
  });
}

/** Bars of posts per sentiment label, coloured negative red, neutral grey, positive green. */
export function sentimentChart(rows: { label: string; count: number }[]): string {
  const known: readonly string[] = SENTIMENT_LABELS;
  const extra = rows.map((r) => r.label).filter((l) => !known.includes(l));
  const domain = [...SENTIMENT_LABELS, ...new Set(extra)];
  if (!rows.some((r) => r.count > 0)) {
    return emptyChart("No scored posts yet: run the sentiment stage.");
  }
  return render({
    height: 260,
    x: { label: "sentiment", domain },
    y: { label: "posts", grid: true },
    color: { domain: [...SENTIMENT_LABELS], range: [...SENTIMENT_COLORS], unknown: "#4269d0" },
    marks: [
      Plot.barY(rows, { x: "label", y: "count", fill: "label", title: "label" }),
      Plot.text(rows, { x: "label", y: "count", text: "count", dy: -6 }),
      Plot.ruleY([0]),
    ],
  });
}

/** Posts per hour, stacked by sentiment label (one bar per hour). */
export function sentimentByHourChart(
  rows: { hour: Date; label: string; count: number }[],
): string {
  if (!rows.some((r) => r.count > 0)) {
    return emptyChart("No scored posts with a time yet.");
  }
  return render({
    height: 300,
    x: { label: "hour (UTC)", type: "utc" },
    y: { label: "posts", grid: true },
    color: sentimentColor,
    marks: [
      Plot.rectY(rows, {
        x: "hour",
        y: "count",
        fill: "label",
        interval: "hour",
        order: [...SENTIMENT_LABELS],
        inset: 0.5,
      }),
      Plot.ruleY([0]),
    ],
  });
}

/** Passed and failed records per expectation (stacked bars), one panel per update. */
export function expectationsChart(
  rows: {
    update: string | number;
    dataset: string;
    expectation: string;
    passed: number;
    failed: number;
  }[],
): string {
  const long = rows.flatMap((r) => {
    const name = `${r.dataset}: ${r.expectation}`;
    const update = String(r.update);
    return [
      { update, name, outcome: "passed", records: r.passed },
      { update, name, outcome: "failed", records: r.failed },
    ];
  });
  if (!rows.some((r) => r.passed + r.failed > 0)) {
    return emptyChart("No expectation checked any rows yet.");
  }
  const names = [...new Set(long.map((d) => d.name))];
  const updates = [...new Set(long.map((d) => d.update))];
  const facet = updates.length > 1;
  return render({
    marginLeft: Math.min(260, 12 + 6 * Math.max(0, ...names.map((n) => n.length))),
    marginRight: facet ? 90 : 20,
    height: Math.max(100, (facet ? updates.length : 1) * (22 * names.length + 20) + 50),
    x: { label: "records", grid: true },
    y: { label: null, domain: names },
    fy: facet ? { label: "update", domain: updates } : undefined,
    color: { domain: ["passed", "failed"], range: ["#2ca02c", "#d62728"], legend: true },
    marks: [
      Plot.barX(long, {
        x: "records",
        y: "name",
        fy: facet ? "update" : undefined,
        fill: "outcome",
        order: ["passed", "failed"],
      }),
      Plot.ruleX([0]),
    ],
  });
}
