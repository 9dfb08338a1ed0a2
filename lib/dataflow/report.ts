/** Text summaries of an update, for terminals and logs. */
import type { DatasetResult, UpdateResult } from "./run.ts";

const HEAD = ["dataset", "kind", "mode", "files", "read", "written", "dropped", "dups", "secs"];

function row(d: DatasetResult): string[] {
  return [
    d.name,
    d.kind === "streaming" ? "streaming" : "mat. view",
    d.mode,
    String(d.filesRead),
    String(d.rowsRead),
    String(d.rowsWritten),
    String(d.rowsDropped),
    String(d.rowsDuplicate),
    d.seconds.toFixed(2),
  ];
}

/** One line per dataset (rows read/written/dropped), each expectation's counts under it. */
export function formatUpdate(r: UpdateResult): string {
  const rows = [HEAD, ...r.datasets.map(row)];
  const widths = HEAD.map((_, k) => Math.max(...rows.map((x) => x[k].length)));
  const fmt = (x: string[]) =>
    x.map((c, k) => (k < 3 ? c.padEnd(widths[k]) : c.padStart(widths[k]))).join("  ");
  const lines = [fmt(HEAD)];
  for (const d of r.datasets) {
    lines.push(fmt(row(d)) + (d.status === "completed" ? "" : `  [${d.status}]`));
    if (d.detail && d.status !== "completed") lines.push(`    ${d.detail}`);
    for (const w of d.warnings ?? []) lines.push(`    warning: ${w}`);
    for (const e of d.expectations) {
      lines.push(`    expect ${e.name} (${e.action}): passed ${e.passed}, failed ${e.failed}`);
    }
  }
  const head = r.dryRun
    ? "dry run: every query checked, nothing written"
    : `update ${r.updateId}: ${r.status}`;
  return [head, ...lines].join("\n");
}
