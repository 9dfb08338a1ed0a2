/**
 * What every file format of the Autoloader shares: the batch it is given, what it returns, the
 * schema evolution settings (`schemaEvolutionMode`, `rescuedDataColumn`) and the `_metadata`
 * column. A format is one module under `lib/dataflow/sources/` exporting a `FileFormat`.
 */
import type { DuckDBConnection } from "../../db.ts";
import { PipelineError } from "../errors.ts";
import type { SourceSpec } from "../translate.ts";
import { newFields, parseSchema, type TypeTree } from "../types.ts";

/** One file of a batch. */
export interface BatchFile {
  /** Path relative to its lake. */
  path: string;
  /** A local path holding its bytes (the file, or a staged copy of an S3 object). */
  local: string;
  /** What rows report as `_metadata.file_path`. */
  location: string;
  size: number;
  mtime: Date;
}

/** How a source's schema may change: Auto Loader's `schemaEvolutionMode`. */
export type EvolutionMode = "addNewColumns" | "rescue" | "failOnNewColumns" | "none";

/** Where the pipeline file declares a source, for errors. */
export interface SourcePlace {
  file: string;
  dataset: string;
}

/** Everything a format needs to read one batch of a source. */
export interface SourceContext {
  conn: DuckDBConnection;
  spec: SourceSpec;
  place: SourcePlace;
  files: BatchFile[];
  /** The schema kept from earlier batches, if any. */
  known?: TypeTree;
  /** Prefix of the temp objects to create; the view to read is this name. */
  name: string;
  /** The temp table of the batch's files (see `metadataSql`). */
  meta: string;
  mode: EvolutionMode;
  /** The column holding rescued data, or undefined when there is none. */
  rescued?: string;
}

/** What a loaded source holds. */
export interface LoadedSource {
  /** The temp view to read (schema columns, the rescued data column, `_metadata`). */
  view: string;
  /** Records read. */
  rows: number;
  /** The schema after this batch (to be kept for the next one). */
  schema: TypeTree;
  /** Lines that could not be read as text (bad encoding, control bytes, oversize, too deep). */
  unreadable: number;
}

/** A file format of `read_files` / `cloud_files`. */
export interface FileFormat {
  /** File names read when no glob says otherwise. */
  extensions: RegExp;
  /** Options this format understands (lower case, without `cloudFiles.`). */
  options: ReadonlySet<string>;
  /** Reads a batch into a view named `ctx.name`. */
  load(ctx: SourceContext): Promise<LoadedSource>;
}

/** Options every format understands (file choice, schema, evolution, Auto Loader's own). */
export const COMMON_OPTIONS: ReadonlySet<string> = new Set([
  "format",
  "schema",
  "schemahints",
  "schemalocation",
  "schemaevolutionmode",
  "rescueddatacolumn",
  "inferschema",
  "infercolumntypes",
  "pathglobfilter",
  "recursivefilelookup",
  "modifiedafter",
  "modifiedbefore",
  "allowoverwrites",
  "includeexistingfiles",
  "maxfilesperTrigger".toLowerCase(),
  "maxbytespertrigger",
  "usenotifications",
  "validateoptions",
  "ignorecorruptfiles",
  "ignoremissingfiles",
  "encoding",
  "charset",
  "settleseconds",
]);

/** Raises a pipeline error at the source's place. */
export function sourceError(spec: SourceSpec, place: SourcePlace, message: string): never {
  throw new PipelineError(message, place.file, spec.line, place.dataset);
}

/**
 * Reads `schemaEvolutionMode` and `rescuedDataColumn` as Auto Loader does: `addNewColumns` by
 * default, `none` when a `schema` is given; a rescued data column (`_rescued_data` unless
 * renamed) whenever the schema is inferred, and in any mode when `rescuedDataColumn` is set.
 */
export function evolutionOf(
  spec: SourceSpec,
  place: SourcePlace,
): { mode: EvolutionMode; rescued?: string } {
  const o = spec.options;
  const modes: EvolutionMode[] = ["addNewColumns", "rescue", "failOnNewColumns", "none"];
  const given = o.schemaevolutionmode;
  const mode = given === undefined
    ? (o.schema ? "none" : "addNewColumns")
    : modes.find((m) => m.toLowerCase() === given.toLowerCase());
  if (!mode) {
    sourceError(
      spec,
      place,
      `schemaEvolutionMode '${given}' is not one of ${modes.join(", ")}`,
    );
  }
  const rescued = o.rescueddatacolumn ??
    (mode === "none" || o.schema ? undefined : "_rescued_data");
  return { mode, rescued: rescued || undefined };
}

/** The hinted (`schemaHints`) or fixed (`schema`) columns of a source. */
export function hintsOf(spec: SourceSpec): [string, TypeTree][] {
  const text = spec.options.schemahints ?? spec.options.schema;
  return text ? parseSchema(text, spec.line) : [];
}

/**
 * The schema for this batch: the known one, evolved by `inferred` as the mode says (new columns
 * added, rejected, or left out); `fresh` is true for the first batch, which infers freely.
 * Returns the new columns the batch has that the schema does not take.
 */
export function evolve(
  ctx: SourceContext,
  inferred: TypeTree,
  merge: (known: TypeTree, inferred: TypeTree) => TypeTree,
): { schema: TypeTree; left: string[] } {
  const known = ctx.known;
  if (!known) return { schema: inferred, left: [] };
  const added = newFields(known, inferred);
  if (!added.length) return { schema: merge(known, inferred), left: [] };
  switch (ctx.mode) {
    case "addNewColumns":
      return { schema: merge(known, inferred), left: [] };
    case "failOnNewColumns":
      return sourceError(
        ctx.spec,
        ctx.place,
        `new columns ${added.join(", ")} in ${ctx.spec.path} ` +
          `(schemaEvolutionMode failOnNewColumns; in files ${
            ctx.files.map((f) => f.path).join(", ")
          }): add them to the schema or its hints, or choose another mode`,
      );
    case "rescue":
    case "none":
      return { schema: known, left: added };
  }
}

/**
 * The `_metadata` struct of a row, from the columns of the batch's file table (qualified by
 * `f`, or bare when `f` is empty); `lineNumber`, an expression, adds `line_number`.
 */
export function metadataSql(f: string, lineNumber?: string): string {
  const c = (name: string) => (f ? `${f}.${name}` : name);
  return `{'file_path': ${c("file_path")}, 'file_name': ${c("file_name")}, ` +
    `'file_size': ${c("file_size")}, 'file_block_start': 0::BIGINT, ` +
    `'file_block_length': ${c("file_size")}, ` +
    `'file_modification_time': ${c("file_modification_time")}${
      lineNumber ? `, 'line_number': ${lineNumber}` : ""
    }}`;
}
