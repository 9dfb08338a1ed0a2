/**
 * Pipeline settings and parameters, in Databricks' own shapes: the
 * `resources.pipelines.<name>` block of a bundle YAML (`${var.x}` from the
 * bundle's `variables`), or a pipeline settings JSON. They give the SQL files
 * (`libraries`: files, notebooks, `glob.include` folders such as
 * `transformations/**`), the `configuration` (`${key}` parameters, `spark.*`
 * settings, and local table mappings `tweetlake.table.<name>`), and the
 * default `catalog` and `schema` (or `target`).
 *
 * `EngineSettings` is what the engine reads from the configuration and `SET`
 * statements (today: ANSI mode).
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import { PipelineError } from "./errors.ts";

/** What the engine takes from the configuration and `SET` statements, resolved. */
export interface EngineSettings {
  /**
   * `spark.sql.ansi.enabled` (default true, as on Databricks Runtime 17+ / Spark 4):
   * an invalid cast or a division by zero is an error; false gives the legacy NULL.
   */
  ansi: boolean;
}

/** The engine settings when nothing is configured. */
export const DEFAULT_ENGINE_SETTINGS: Readonly<EngineSettings> = Object.freeze({ ansi: true });

/** Configuration keys the engine honours (everything else `spark.*` is listed as ignored). */
export const ENGINE_KEYS: Readonly<Record<string, keyof EngineSettings>> = Object.freeze({
  "spark.sql.ansi.enabled": "ansi",
});

/** A configuration value given to a key, with where it was set. */
export interface ConfigEntry {
  key: string;
  value: string;
  /** The settings file, or the SQL file of a `SET` statement. */
  file: string;
  line: number;
}

function booleanSetting(e: ConfigEntry): boolean {
  const v = e.value.trim().replace(/^['"]|['"]$/g, "").toLowerCase();
  if (v === "true") return true;
  if (v === "false") return false;
  throw new PipelineError(`${e.key} must be true or false, not '${e.value}'`, e.file, e.line);
}

/**
 * Resolves the engine settings from configuration entries in order (later wins),
 * and lists the `spark.*` keys that mean nothing locally.
 */
export function engineSettings(
  entries: ConfigEntry[],
): { settings: EngineSettings; ignored: ConfigEntry[] } {
  const settings: EngineSettings = { ...DEFAULT_ENGINE_SETTINGS };
  const ignored: ConfigEntry[] = [];
  for (const e of entries) {
    const key = ENGINE_KEYS[e.key.toLowerCase()];
    if (key === "ansi") settings.ansi = booleanSetting(e);
    else if (/^spark\./i.test(e.key) && !ignored.some((x) => x.key === e.key)) ignored.push(e);
  }
  return { settings, ignored };
}

/** A table outside the pipeline, mapped to local files (`tweetlake.table.<name>` = `[format:]path`). */
export interface TableMapping {
  /** The name as written in the key (`samples.nyctaxi.trips`). */
  name: string;
  /** A file or folder (relative paths resolve from the settings file's folder). */
  path: string;
  /** `json`, `csv`, `parquet`, `text` or `delta`. */
  format: string;
  file: string;
}

/** The configuration-key prefix of a local table mapping. */
export const TABLE_KEY = "tweetlake.table.";

const FORMATS = ["json", "csv", "parquet", "text", "delta"];

/** A pipeline's settings, resolved: SQL files, parameters, default names and table mappings. */
export interface PipelineSettings {
  /** The settings file (or `<command line>`). */
  file: string;
  name?: string;
  /** The SQL files, in order. */
  libraries: string[];
  /** `configuration` (strings, `${var.x}` resolved), in order. */
  configuration: ConfigEntry[];
  catalog?: string;
  schema?: string;
  tables: TableMapping[];
}

function str(v: unknown): string {
  return typeof v === "string" ? v : JSON.stringify(v);
}

/** Reads a mapping value (`[format:]path`) into a TableMapping. */
export function tableMapping(
  name: string,
  value: string,
  file: string,
  base: string,
): TableMapping {
  const m = /^([a-z]+):(?!\/\/)(.*)$/i.exec(value);
  let format = m && FORMATS.includes(m[1].toLowerCase()) ? m[1].toLowerCase() : "";
  const raw = format ? m![2] : value;
  const path = /^[a-z0-9]+:\/\//i.test(raw) ? raw : resolve(base, raw);
  if (!format) {
    const ext = /\.(json|ndjson|jsonl|csv|tsv|parquet|txt)$/i.exec(path)?.[1].toLowerCase();
    format = existsSync(join(path, "_delta_log"))
      ? "delta"
      : ext === "ndjson" || ext === "jsonl"
      ? "json"
      : ext === "tsv"
      ? "csv"
      : ext === "txt"
      ? "text"
      : ext ?? "";
  }
  if (!format) {
    throw new PipelineError(
      `${TABLE_KEY}${name}: cannot tell the format of ${value}; write it as ` +
        `'parquet:${value}' (one of ${FORMATS.join(", ")})`,
      file,
      1,
    );
  }
  return { name, path, format, file };
}

/** Expands `${var.name}` (bundle variables) in every string of a YAML value. */
function bundleVars(value: unknown, vars: Record<string, string>, file: string): unknown {
  if (typeof value === "string") {
    return value.replace(/\$\{var\.([A-Za-z0-9_.-]+)\}/g, (_m, k: string) => {
      if (!(k in vars)) {
        throw new PipelineError(
          `\${var.${k}} is not defined (add it under variables: with a default)`,
          file,
          1,
        );
      }
      return vars[k];
    });
  }
  if (Array.isArray(value)) return value.map((v) => bundleVars(v, vars, file));
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, bundleVars(v, vars, file)]),
    );
  }
  return value;
}

/** Every `.sql` file under a folder, sorted (hidden and `_`-prefixed names skipped). */
function sqlFilesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name.startsWith(".") || e.name.startsWith("_")) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...sqlFilesUnder(p));
    else if (/\.sql$/i.test(e.name)) out.push(p);
  }
  return out.sort();
}

/** `dir/**`, `dir/*.sql`, `dir/**\/*.sql`, or one file. */
function globFiles(pattern: string, file: string): string[] {
  const star = pattern.indexOf("*");
  if (star < 0) return [pattern];
  const dir = pattern.slice(0, pattern.lastIndexOf("/", star));
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new PipelineError(`libraries: no folder ${dir} for ${pattern}`, file, 1);
  }
  const rest = pattern.slice(dir.length + 1);
  const re = new RegExp(
    "^" + rest.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*\*\/?/g, "\u0000").replace(
      /\*/g,
      "[^/]*",
    ).replaceAll("\u0000", "(.*/)?") + (rest.endsWith("**") ? ".*" : "") + "$",
  );
  return sqlFilesUnder(dir).filter((p) => re.test(relative(dir, p)));
}

function libraryFiles(libs: unknown, base: string, file: string): string[] {
  if (libs === undefined) return [];
  if (!Array.isArray(libs)) throw new PipelineError("libraries must be a list", file, 1);
  const out: string[] = [];
  for (const lib of libs as Record<string, { path?: string; include?: string }>[]) {
    const kind = Object.keys(lib ?? {})[0];
    const spec = lib?.[kind] ?? {};
    const target = kind === "glob" ? spec.include : spec.path;
    if (!target || !["file", "notebook", "glob"].includes(kind)) {
      throw new PipelineError(
        `libraries: unsupported entry ${JSON.stringify(lib)} (file: {path}, notebook: {path} ` +
          "or glob: {include})",
        file,
        1,
      );
    }
    const p = resolve(base, target.replace(/^\/Workspace/, "").replace(/^file:/, ""));
    const found = kind === "glob"
      ? globFiles(p, file)
      : [existsSync(p) || !existsSync(`${p}.sql`) ? p : `${p}.sql`];
    for (const f of found) {
      if (/\.py$/i.test(f)) {
        throw new PipelineError(
          `libraries: ${f} is Python; only SQL pipelines run locally`,
          file,
          1,
        );
      }
      if (!existsSync(f)) throw new PipelineError(`libraries: no file ${f}`, file, 1);
      if (!out.includes(f)) out.push(f);
    }
  }
  return out;
}

/**
 * Reads pipeline settings: a bundle YAML (the first, or the named, pipeline under
 * `resources.pipelines`), a YAML or JSON file holding the pipeline block itself.
 * `overrides` (e.g. `--conf key=value`) are added after the file's configuration.
 */
export async function loadSettings(
  path: string,
  options: { pipeline?: string; overrides?: Record<string, string> } = {},
): Promise<PipelineSettings> {
  const file = path;
  const text = await Deno.readTextFile(path);
  let doc: Record<string, unknown>;
  try {
    doc = (/\.json$/i.test(path) ? JSON.parse(text) : parseYaml(text)) ?? {};
  } catch (e) {
    throw new PipelineError(`cannot read the settings: ${(e as Error).message}`, file, 1);
  }
  const vars: Record<string, string> = {};
  for (const [k, v] of Object.entries((doc.variables ?? {}) as Record<string, unknown>)) {
    const d = v && typeof v === "object" ? (v as { default?: unknown }).default : v;
    if (d !== undefined) vars[k] = str(d);
  }
  const pipelines = (doc.resources as { pipelines?: Record<string, unknown> } | undefined)
    ?.pipelines;
  let block: Record<string, unknown> = doc;
  let name = doc.name as string | undefined;
  if (pipelines) {
    const keys = Object.keys(pipelines);
    const key = options.pipeline ?? keys[0];
    if (!key || !(key in pipelines)) {
      throw new PipelineError(
        `no pipeline ${options.pipeline ?? ""} under resources.pipelines (found: ${
          keys.join(", ") || "none"
        })`,
        file,
        1,
      );
    }
    block = pipelines[key] as Record<string, unknown>;
    name = (block.name as string | undefined) ?? key;
  }
  block = bundleVars(block, vars, file) as Record<string, unknown>;
  const base = resolve(dirname(path), String(block.root_path ?? "."));
  const configuration: ConfigEntry[] = [];
  const tables: TableMapping[] = [];
  const config = {
    ...(block.configuration ?? {}) as Record<string, unknown>,
    ...(options.overrides ?? {}),
  };
  for (const [key, v] of Object.entries(config)) {
    const value = str(v);
    if (key.toLowerCase().startsWith(TABLE_KEY)) {
      tables.push(tableMapping(key.slice(TABLE_KEY.length), value, file, dirname(resolve(path))));
    } else configuration.push({ key, value, file, line: 1 });
  }
  const schema = (block.schema ?? block.target) as string | undefined;
  return {
    file,
    name,
    libraries: libraryFiles(block.libraries, base, file),
    configuration,
    catalog: block.catalog as string | undefined,
    schema,
    tables,
  };
}

/** Settings for a single SQL file run without a settings file (`--conf` entries as configuration). */
export function fileSettings(
  sqlFile: string,
  overrides: Record<string, string> = {},
): PipelineSettings {
  const configuration: ConfigEntry[] = [];
  const tables: TableMapping[] = [];
  for (const [key, value] of Object.entries(overrides)) {
    if (key.toLowerCase().startsWith(TABLE_KEY)) {
      tables.push(tableMapping(key.slice(TABLE_KEY.length), value, "--conf", Deno.cwd()));
    } else configuration.push({ key, value, file: "--conf", line: 1 });
  }
  return { file: sqlFile, libraries: [sqlFile], configuration, tables };
}
