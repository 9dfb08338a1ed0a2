/**
 * Limits on one line (one event) of a raw lake file, shared by ingest (which counts a line
 * past them as malformed) and the dataflow (which rescues it whole into `_rescued_data`
 * instead of parsing it). Both sides read these constants; define them nowhere else.
 */

/**
 * Deepest nesting of objects and arrays a line may have to be parsed: the default of
 * Jackson's `StreamReadConstraints.maxNestingDepth`, which Spark's JSON reader (and so
 * Databricks) enforces. `{"a":{"b":1}}` has depth 2.
 */
export const MAX_JSON_DEPTH = 1000;

/** Longest line, in bytes (without its line break), that is parsed: 16 MiB. */
export const MAX_LINE_BYTES = 16 * 1024 * 1024;
