/**
 * What makes a raw line unreadable, in one place: ingest counts such a line as malformed
 * (and keeps it exactly as delivered), and the dataflow rescues it instead of parsing it.
 * A line is readable when it is valid UTF-8, at most {@link MAX_LINE_BYTES} long, and nests
 * objects and arrays at most {@link MAX_JSON_DEPTH} deep.
 */

/**
 * Deepest nesting of objects and arrays a readable line may have (the top-level object is
 * depth 1). Real events nest far less (an X event with includes: 5; a Jetstream post with an
 * embed: 7), while a few KB of `[[[[…` makes JSON readers slow or crash.
 */
export const MAX_JSON_DEPTH = 64;

/** Longest readable line, in bytes (without its newline): far above any X or Jetstream event. */
export const MAX_LINE_BYTES = 1024 * 1024;

/** Why a line is not readable, for messages and counters. */
export type UnreadableReason = "invalid-utf8" | "too-deep" | "too-long";
