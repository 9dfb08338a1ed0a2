/** A small escaped HTML table for notebooks and reports. */

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;").replaceAll("'", "&#39;");
}

/** Formats one cell value as text: dates as ISO, objects as JSON, null/undefined as empty. */
export function cellText(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? "" : value.toISOString();
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "object") {
    try {
      return JSON.stringify(value, (_k, v) => typeof v === "bigint" ? v.toString() : v);
    } catch {
      return String(value);
    }
  }
  return String(value);
}

/**
 * Renders rows as an HTML `<table>` (columns: the union of the rows' keys, in
 * first-seen order), showing at most `limit` rows (default 20) and saying so.
 */
export function tableHtml(
  rows: Record<string, unknown>[],
  options: { limit?: number } = {},
): string {
  const limit = options.limit ?? 20;
  const columns: string[] = [];
  const seen = new Set<string>();
  for (const row of rows) {
    for (const key of Object.keys(row)) {
      if (!seen.has(key)) {
        seen.add(key);
        columns.push(key);
      }
    }
  }
  const shown = rows.slice(0, Math.max(0, limit));
  const head = columns.map((c) => `<th>${escapeHtml(c)}</th>`).join("");
  const body = shown.map((row) =>
    `<tr>${columns.map((c) => `<td>${escapeHtml(cellText(row[c]))}</td>`).join("")}</tr>`
  ).join("\n");
  const note = rows.length > shown.length
    ? `<caption style="caption-side:bottom;text-align:left">showing ${shown.length} of ${rows.length} rows</caption>`
    : "";
  return `<table class="tweetlake-table">${note}<thead><tr>${head}</tr></thead>\n` +
    `<tbody>\n${body}\n</tbody></table>`;
}
