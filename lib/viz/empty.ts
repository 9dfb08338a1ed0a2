/** What a chart shows when it has no rows: a short message instead of axes without data. */
import { escapeHtml } from "./table.ts";

/** The class every empty-state chart carries (tests and pages look for it). */
export const EMPTY_CLASS = "tweetlake-empty";

/**
 * A small `<svg>` holding `message` (e.g. "No sentiment rows yet: run the sentiment stage"),
 * drawn where a chart would be when it has nothing to show.
 */
export function emptyChart(message: string, options: { width?: number; height?: number } = {}) {
  const width = options.width ?? 640;
  const height = options.height ?? 60;
  return `<svg class="${EMPTY_CLASS}" width="${width}" height="${height}" ` +
    `viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" role="img" ` +
    `aria-label="${escapeHtml(message)}">` +
    `<rect x="0.5" y="0.5" width="${width - 1}" height="${height - 1}" fill="#fafafa" ` +
    `stroke="#ddd" rx="6"/>` +
    `<text x="${width / 2}" y="${height / 2}" text-anchor="middle" dominant-baseline="middle" ` +
    `font-size="13" fill="#666">${escapeHtml(message)}</text></svg>`;
}
