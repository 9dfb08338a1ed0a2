/**
 * Which files a file source reads: the folder (or glob) of its path, as Auto Loader and
 * `read_files` list it. Files and folders whose names start with `_` or `.` are hidden (as on
 * Databricks); a format's usual extensions are read unless a glob (in the path or
 * `pathGlobFilter`) says which names to read; `modifiedAfter` / `modifiedBefore` bound the
 * modification time.
 */
import type { Lake, LakeFile } from "../../lake/types.ts";

/** Characters that make a path segment a glob. */
const GLOB_CHARS = /[*?[{]/;

/** Splits a source path into the folder to list and the glob that follows (if any). */
export function splitGlob(path: string): { base: string; glob?: string } {
  const parts = path.split("/");
  const k = parts.findIndex((p) => GLOB_CHARS.test(p));
  if (k < 0) return { base: path };
  return { base: parts.slice(0, k).join("/"), glob: parts.slice(k).join("/") };
}

/**
 * A glob as a regular expression over `/`-separated paths: `*` and `?` stay within one
 * segment, `**` spans any number of segments, `[abc]`, `[!abc]` and `{a,b}` as in Hadoop.
 */
export function globRegExp(glob: string): RegExp {
  let re = "";
  let braces = 0;
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === "*" && glob[i + 1] === "*") {
      i++;
      if (glob[i + 1] === "/") {
        i++;
        re += "(?:.*/)?";
      } else re += ".*";
    } else if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else if (c === "[") {
      const end = glob.indexOf("]", i + 1);
      if (end < 0) re += "\\[";
      else {
        let set = glob.slice(i + 1, end);
        if (set.startsWith("!") || set.startsWith("^")) set = "^" + set.slice(1);
        re += `[${set.replaceAll("\\", "\\\\")}]`;
        i = end;
      }
    } else if (c === "{") {
      braces++;
      re += "(?:";
    } else if (c === "}" && braces > 0) {
      braces--;
      re += ")";
    } else if (c === "," && braces > 0) re += "|";
    else if (c === "\\" && i + 1 < glob.length) re += "\\" + glob[++i];
    else re += c.replace(/[.+^$()|\\]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}

/** Whether a path (relative to the listed folder) goes through a hidden file or folder. */
export function isHidden(relative: string): boolean {
  return relative.split("/").some((seg) => seg.startsWith("_") || seg.startsWith("."));
}

/** What to list: options of a source that choose files. */
export interface FileFilter {
  /** The source path: a folder, or a glob (`dir/*.csv`, `dir/**\/x`). */
  path: string;
  /** File names a format reads when no glob says otherwise (`/\.csv$/i`). */
  extensions: RegExp;
  /** `pathGlobFilter`: a glob the file name must match. */
  nameGlob?: string;
  /** `modifiedAfter` / `modifiedBefore`: bounds on the modification time (exclusive). */
  modifiedAfter?: Date;
  modifiedBefore?: Date;
}

/**
 * Lists the files a source reads under `prefix` of `lake` (the source path, translated to the
 * lake), sorted by path.
 */
export async function discover(
  lake: Lake,
  prefix: string,
  filter: FileFilter,
): Promise<LakeFile[]> {
  const { base, glob } = splitGlob(prefix);
  const pathRe = glob ? globRegExp(glob) : undefined;
  const nameRe = filter.nameGlob ? globRegExp(filter.nameGlob) : undefined;
  const root = base.replace(/\/+$/, "");
  const files = await lake.list(root);
  return files.filter((f) => {
    const rel = root ? f.path.slice(root.length).replace(/^\/+/, "") : f.path;
    if (isHidden(rel)) return false;
    const name = rel.split("/").at(-1)!;
    if (pathRe && !pathRe.test(rel)) return false;
    if (nameRe && !nameRe.test(name)) return false;
    if (!pathRe && !nameRe && !filter.extensions.test(name)) return false;
    if (filter.modifiedAfter && !(f.mtime > filter.modifiedAfter)) return false;
    if (filter.modifiedBefore && !(f.mtime < filter.modifiedBefore)) return false;
    return true;
  });
}
