/**
 * Fault injection for lakes: a wrapper that kills its own process (SIGKILL, no cleanup, like
 * a power cut) or fails writes at a chosen put, for the crash experiments in this folder.
 */
import { dirname } from "node:path";
import { TEMP_SUFFIX } from "../../lib/lake/local.ts";
import type { Lake } from "../../lib/lake/types.ts";

/** Where a fault strikes: the `nth` (1-based) put whose path matches `match`. */
export interface FaultPoint {
  /** A regular expression on the lake path. */
  match: string;
  nth: number;
  /**
   * Kill before the put, after it, halfway through writing it (`torn`: half the bytes in the
   * local lake's temp file), or make this put and every later one fail.
   */
  when: "before" | "after" | "torn" | "fail-from";
}

/** `lake` with `fault` armed; `onPut` sees each path put (for counting points). */
export function faultyLake(lake: Lake, fault?: FaultPoint, onPut?: (path: string) => void): Lake {
  const re = fault ? new RegExp(fault.match) : undefined;
  let seen = 0;
  let failing = false;
  return {
    ...lake,
    url: lake.url,
    async put(path, data) {
      const hit = re?.test(path) && ++seen === fault!.nth;
      if (hit && fault!.when === "fail-from") failing = true;
      if (failing) throw new Error(`injected failure putting ${path}`);
      if (hit && fault!.when === "before") Deno.kill(Deno.pid, "SIGKILL");
      if (hit && fault!.when === "torn") {
        const target = await lake.localPath(path);
        await Deno.mkdir(dirname(target), { recursive: true });
        await Deno.writeFile(
          `${target}.${crypto.randomUUID()}${TEMP_SUFFIX}`,
          data.subarray(0, data.length >> 1),
        );
        Deno.kill(Deno.pid, "SIGKILL");
      }
      await lake.put(path, data);
      onPut?.(path);
      if (hit && fault!.when === "after") Deno.kill(Deno.pid, "SIGKILL");
    },
  };
}
