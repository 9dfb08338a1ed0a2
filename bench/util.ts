/** Helpers shared by the benchmarks. */

/** Peak resident set size of this process so far, in MiB (Linux `VmHWM`). */
export function peakRssMiB(): number {
  const status = Deno.readTextFileSync("/proc/self/status");
  const m = /VmHWM:\s+(\d+)\s+kB/.exec(status);
  return m ? Math.round(Number(m[1]) / 1024) : NaN;
}

/** CPU seconds (user + system) this process has used so far (Linux `/proc/self/stat`). */
export function cpuSeconds(): number {
  const fields = Deno.readTextFileSync("/proc/self/stat").split(") ")[1].split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Times `fn` once, returning its result and the seconds it took. */
export async function timed<T>(fn: () => Promise<T>): Promise<{ result: T; seconds: number }> {
  const t0 = performance.now();
  const result = await fn();
  return { result, seconds: (performance.now() - t0) / 1000 };
}

/** Prints one benchmark result as a JSON line (the README's tables are made from these). */
export function report(name: string, fields: Record<string, unknown>): void {
  console.log(JSON.stringify({ bench: name, ...fields }));
}
