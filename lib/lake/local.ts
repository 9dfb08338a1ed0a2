/** A lake in a local folder; files appear atomically (write to a temp name, then rename). */
import { join, relative, sep } from "node:path";
import type { Lake, LakeFile } from "./types.ts";

/** Temporary files carry this suffix until they are renamed into place; listings skip them. */
export const TEMP_SUFFIX = ".tmp";

/** Opens (and creates on first write) a lake rooted at the folder `root`. */
export function localLake(root: string): Lake {
  const full = (path: string) => join(root, ...path.split("/").filter(Boolean));
  return {
    url: root,
    async put(path, data) {
      const target = full(path);
      await Deno.mkdir(join(target, ".."), { recursive: true });
      const temp = `${target}.${crypto.randomUUID()}${TEMP_SUFFIX}`;
      try {
        await Deno.writeFile(temp, data);
        await Deno.rename(temp, target);
      } catch (e) {
        await Deno.remove(temp).catch(() => {});
        throw e;
      }
    },
    async putIfAbsent(path, data) {
      const target = full(path);
      await Deno.mkdir(join(target, ".."), { recursive: true });
      const temp = `${target}.${crypto.randomUUID()}${TEMP_SUFFIX}`;
      try {
        await Deno.writeFile(temp, data);
        await Deno.link(temp, target); // fails if the target exists: an exclusive create
        return true;
      } catch (e) {
        if (e instanceof Deno.errors.AlreadyExists) return false;
        throw e;
      } finally {
        await Deno.remove(temp).catch(() => {});
      }
    },
    get: (path) => Deno.readFile(full(path)),
    async list(prefix) {
      const out: LakeFile[] = [];
      const walk = async (dir: string) => {
        let entries: Deno.DirEntry[];
        try {
          entries = await Array.fromAsync(Deno.readDir(dir));
        } catch (e) {
          if (e instanceof Deno.errors.NotFound) return;
          throw e;
        }
        for (const entry of entries) {
          const p = join(dir, entry.name);
          if (entry.isDirectory) await walk(p);
          else if (entry.isFile && !entry.name.endsWith(TEMP_SUFFIX)) {
            const st = await Deno.stat(p);
            out.push({
              path: relative(root, p).split(sep).join("/"),
              size: st.size,
              mtime: st.mtime ?? new Date(0),
            });
          }
        }
      };
      await walk(full(prefix));
      return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    },
    localPath: (path) => Promise.resolve(full(path)),
    async removeTemp(prefix) {
      let removed = 0;
      const walk = async (dir: string) => {
        let entries: Deno.DirEntry[];
        try {
          entries = await Array.fromAsync(Deno.readDir(dir));
        } catch (e) {
          if (e instanceof Deno.errors.NotFound) return;
          throw e;
        }
        for (const entry of entries) {
          const p = join(dir, entry.name);
          if (entry.isDirectory) await walk(p);
          else if (entry.name.endsWith(TEMP_SUFFIX)) {
            await Deno.remove(p).catch(() => {});
            removed++;
          }
        }
      };
      await walk(full(prefix));
      return removed;
    },
    async exists(path) {
      try {
        return (await Deno.stat(full(path))).isFile;
      } catch (e) {
        if (e instanceof Deno.errors.NotFound) return false;
        throw e;
      }
    },
    async delete(path) {
      await Deno.remove(full(path)).catch((e) => {
        if (!(e instanceof Deno.errors.NotFound)) throw e;
      });
    },
  };
}
